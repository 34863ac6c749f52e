"""Expense claims in the services: lines, mileage, flags, submitting, approval and its duties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from lep.audit.models import AuditEvent
from lep.expenses import services
from lep.expenses.models import Claim, ClaimApproval, ExpenseCategory, PolicyCap
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.service import DomainError
from tests.helpers import with_bank_details

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX_LIKE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32  # a Word 97 file: not a receipt

# Friday 20 November 2026, midday in London (GMT).
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    clock = {"now": NOW}
    monkeypatch.setattr(services, "utcnow", lambda: clock["now"])
    return clock


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    yield tmp_path / "uploads"
    app.extensions.pop("lep_storage", None)


def category(code: str) -> ExpenseCategory:
    found = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == code))
    assert found is not None
    return found


@pytest.fixture
def partner(make_user):
    return with_bank_details(make_user("partner", full_name="Sam Partner"))


@pytest.fixture
def finance(make_user):
    return make_user("finance")


@pytest.fixture
def finance2(make_user):
    return make_user("finance")


def parking(claim, pence=850, day=dt.date(2026, 11, 16), **extra):
    extra.setdefault("no_receipt_reason", "Pay and display machine gave no ticket")
    return services.add_line(
        claim,
        category=category("parking"),
        spent_on=day,
        description="Parking at the hospital for the panel",
        amount_pence=pence,
        **extra,
    )


def drive(claim, miles, day, passengers=0):
    return services.add_line(
        claim,
        category=category("mileage"),
        spent_on=day,
        description="Drove to the interview",
        vehicle="car_or_van",
        miles=Decimal(miles),
        passengers=passengers,
    )


def errors_of(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value.errors


def submitted_claim(partner, *amounts):
    claim = services.start_claim(partner)
    for pence in amounts:
        parking(claim, pence)
    return services.submit_claim(claim)


def snapshot(claim):
    db.session.expire_all()
    fresh = db.session.get(Claim, claim.id)
    return (
        fresh.status,
        fresh.total_approved_pence,
        fresh.expected_payment_date,
        [line.approved_pence for line in fresh.lines],
        len(fresh.approvals),
    )


# -- Lines -----------------------------------------------------------------------------------------


def test_a_mileage_line_is_computed_never_typed(partner):
    claim = services.start_claim(partner)
    line = services.add_line(
        claim,
        category=category("mileage"),
        spent_on=dt.date(2026, 11, 16),
        description="Drove to the panel",
        amount_pence=1,  # ignored: mileage is worked out
        vehicle="car_or_van",
        miles=Decimal("12.5"),
        passengers=1,
    )
    assert line.amount_pence == 625  # 12.5 x 45p = 562.5, + 12.5 x 5p = 62.5
    assert line.miles_tenths == 125
    assert line.mileage_working == "12.5 miles at 45p, plus 1 passenger at 5p a mile"
    assert claim.total_claimed_pence == 625


def test_mileage_splits_at_10000_using_earlier_lines_in_the_tax_year(partner):
    earlier = services.start_claim(partner)
    drive(earlier, "9990", dt.date(2026, 11, 2))
    services.submit_claim(earlier)
    # Last tax year's miles do not count.
    claim = services.start_claim(partner)
    line = drive(claim, "30", dt.date(2026, 11, 10))
    assert line.amount_pence == 10 * 45 + 20 * 25
    assert line.mileage_working == "10 miles at 45p and 20 miles at 25p"


def test_miles_on_a_rejected_claim_do_not_count(partner, finance):
    earlier = services.start_claim(partner)
    drive(earlier, "9990", dt.date(2026, 11, 2))
    services.reject_claim(services.submit_claim(earlier), finance, "Not a business journey")
    line = drive(services.start_claim(partner), "30", dt.date(2026, 11, 10))
    assert line.amount_pence == 30 * 45


@pytest.mark.parametrize(
    ("pence", "message"),
    [(-500, "The amount must be more than £0"), (0, "The amount must be more than £0")],
)
def test_negative_or_zero_amounts_are_refused(partner, pence, message):
    claim = services.start_claim(partner)
    assert errors_of(parking, claim, pence) == {"amount": message}
    assert claim.lines == []


def test_a_huge_amount_is_refused(partner):
    errors = errors_of(parking, services.start_claim(partner), 1_000_001)
    assert errors["amount"].startswith("The amount must be £10,000 or less")


def test_a_future_date_is_refused(partner):
    errors = errors_of(parking, services.start_claim(partner), day=TODAY + dt.timedelta(days=1))
    assert errors == {"spent_on": "The date must be today or in the past"}


def test_a_date_before_the_claim_window_is_refused(partner):
    claim = services.start_claim(partner)
    assert parking(claim, day=TODAY - dt.timedelta(days=90)).amount_pence == 850  # the last day
    errors = errors_of(parking, claim, day=TODAY - dt.timedelta(days=91))
    assert errors == {
        "spent_on": "Expenses must be claimed within 90 days: "
        "the date must be on or after 22 August 2026"
    }


def test_over_10000_miles_in_a_line_is_refused(partner):
    errors = errors_of(drive, services.start_claim(partner), "10000.1", dt.date(2026, 11, 16))
    assert errors == {"miles": "A single journey must be 10,000 miles or fewer"}


def test_a_missing_receipt_needs_a_reason(partner):
    errors = errors_of(parking, services.start_claim(partner), no_receipt_reason="  ")
    assert errors == {"no_receipt_reason": "Add a receipt, or tell us why you do not have one"}


def test_a_taxi_needs_a_reason(partner):
    claim = services.start_claim(partner)
    errors = errors_of(
        services.add_line,
        claim,
        category=category("taxi"),
        spent_on=TODAY,
        description="Taxi from the station",
        amount_pence=1800,
        no_receipt_reason="Lost it",
    )
    assert errors == {"reason": "Enter why you needed a taxi"}


def test_every_problem_is_reported_at_once(partner):
    errors = errors_of(
        services.add_line,
        services.start_claim(partner),
        category=category("parking"),
        spent_on=TODAY + dt.timedelta(days=3),
        description="",
        amount_pence=0,
    )
    assert set(errors) == {"description", "spent_on", "amount", "no_receipt_reason"}


def test_receipts_are_pdf_or_pictures_by_content(partner, storage):
    claim = services.start_claim(partner)
    line = parking(claim, receipt=("ticket.pdf", PDF), no_receipt_reason="")
    assert [r.content_type for r in line.receipts] == ["application/pdf"]
    assert line.flags == []
    errors = errors_of(parking, claim, receipt=("ticket.pdf", DOCX_LIKE), no_receipt_reason="")
    assert errors == {
        "receipt": "The selected file must be a PDF or a picture (JPG, PNG, GIF or WEBP)"
    }
    too_big = PDF + b"0" * (10 * 1024 * 1024)
    assert errors_of(services.attach_receipt, line, "big.pdf", too_big) == {
        "receipt": "The selected file must be smaller than 10MB"
    }


def test_remove_line_recounts_the_total(partner):
    claim = services.start_claim(partner)
    first = parking(claim, 850)
    parking(claim, 1234)
    assert claim.total_claimed_pence == 2084
    services.remove_line(claim, first.id)
    assert claim.total_claimed_pence == 1234


# -- Flags -----------------------------------------------------------------------------------------


def test_flags_are_shown_never_blocking(partner, storage):
    policy = services.policy_on(TODAY)
    db.session.add(
        PolicyCap(
            policy=policy,
            category=category("parking"),
            per_line_pence=1000,
            per_day_pence=1500,
            needs_receipt=True,
        )
    )
    db.session.commit()
    claim = services.start_claim(partner)
    over_line = parking(claim, 1200)
    assert over_line.flags == ["over_line_cap", "no_receipt"]
    second = parking(claim, 500, receipt=("ticket.pdf", PDF), no_receipt_reason="")
    assert second.flags == ["over_day_cap"]  # 12.00 + 5.00 on the same day is over 15.00
    assert over_line.flags == ["over_line_cap", "over_day_cap", "no_receipt"]
    services.attach_receipt(over_line, "ticket.pdf", PDF)
    assert over_line.flags == ["over_line_cap", "over_day_cap"]
    other_day = parking(claim, 500, day=dt.date(2026, 11, 17))
    assert services.policy_flags(other_day) == ["no_receipt"]


# -- Submitting ------------------------------------------------------------------------------------


def test_submit_makes_a_reference_and_an_email(partner):
    claim = services.start_claim(partner)
    with pytest.raises(DomainError):
        services.submit_claim(claim)  # no lines yet
    parking(claim, 850)
    services.submit_claim(claim)
    assert claim.status == "submitted"
    assert claim.reference == f"EXP-2026-{claim.id:06d}"
    assert claim.submitted_at == NOW
    emails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == partner.email)
    ).all()
    assert len(emails) == 1
    assert claim.reference in emails[0].subject
    assert "£8.50" in emails[0].body_text
    with pytest.raises(DomainError):
        parking(claim, 100)  # sent: no more changes


def test_a_queried_claim_can_be_changed_and_sent_again(partner, finance):
    claim = submitted_claim(partner, 850)
    services.query_claim(claim, finance, "Which hospital was this?")
    assert claim.status == "queried"
    assert claim.query_text == "Which hospital was this?"
    parking(claim, 400)
    services.submit_claim(claim)
    assert claim.status == "submitted"
    assert claim.reference == f"EXP-2026-{claim.id:06d}"
    assert claim.total_claimed_pence == 1250


# -- Approval --------------------------------------------------------------------------------------


def test_approve_line_by_line_never_more_than_claimed(partner, finance):
    claim = submitted_claim(partner, 850, 1234)
    first, second = claim.lines
    before = snapshot(claim)
    errors = errors_of(services.approve_claim, claim, finance, {first.id: 851, second.id: 1234})
    assert errors == {f"line_{first.id}": "You cannot approve more than the £8.50 claimed"}
    assert snapshot(claim) == before
    errors = errors_of(services.approve_claim, claim, finance, {first.id: -1, second.id: 1})
    assert errors == {f"line_{first.id}": "The amount to approve must be £0 or more"}
    assert snapshot(claim) == before

    services.approve_claim(claim, finance, {first.id: 850, second.id: 1000}, "Parking cap")
    assert claim.status == "partly_approved"
    assert claim.total_claimed_pence == 2084
    assert claim.total_approved_pence == 1850  # exact to the penny
    assert [line.approved_pence for line in claim.lines] == [850, 1000]
    assert claim.decided_at == NOW


def test_approving_everything_makes_the_claim_approved(partner, finance):
    claim = submitted_claim(partner, 333, 334, 333)
    services.approve_claim(claim, finance, {line.id: line.amount_pence for line in claim.lines})
    assert claim.status == "approved"
    assert claim.total_approved_pence == 1000
    emails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == partner.email)
    ).all()
    assert [e.template for e in emails] == ["claim_submitted", "claim_approved"]
    assert "£10.00" in emails[1].body_text


def test_nobody_approves_their_own_claim(make_user):
    finance_partner = make_user("finance", "partner")
    claim = submitted_claim(finance_partner, 850)
    before = snapshot(claim)
    errors = errors_of(services.approve_claim, claim, finance_partner, {claim.lines[0].id: 850})
    assert errors == {"approver": "You cannot decide on your own expenses claim"}
    assert snapshot(claim) == before


def test_only_finance_approves(partner, make_user):
    claim = submitted_claim(partner, 850)
    before = snapshot(claim)
    for person in (make_user("hr"), make_user("admin"), make_user("partner")):
        errors = errors_of(services.approve_claim, claim, person, {claim.lines[0].id: 850})
        assert errors == {"approver": "Only the finance team can decide on expense claims"}
        assert snapshot(claim) == before


def test_above_the_threshold_a_second_different_approver_is_needed(partner, finance, finance2):
    claim = submitted_claim(partner, 20000, 5001)  # 250.01: over the 250 threshold
    amounts = {line.id: line.amount_pence for line in claim.lines}
    services.approve_claim(claim, finance, amounts)
    assert claim.status == "submitted"  # waiting for the second approval
    assert claim.total_approved_pence is None
    assert claim.expected_payment_date is None

    before = snapshot(claim)
    errors = errors_of(services.approve_claim, claim, finance, amounts)
    assert errors["approver"].startswith("You gave the first approval on this claim")
    assert snapshot(claim) == before

    services.approve_claim(claim, finance2, amounts)
    assert claim.status == "approved"
    assert claim.total_approved_pence == 25001
    levels = [(a.level, a.approver_id, a.decision) for a in claim.approvals]
    assert levels == [(1, finance.id, "approve"), (2, finance2.id, "approve")]


def test_at_the_threshold_one_approval_is_enough(partner, finance):
    claim = submitted_claim(partner, 20000, 5000)
    services.approve_claim(claim, finance, {line.id: line.amount_pence for line in claim.lines})
    assert claim.status == "approved"
    assert [a.level for a in claim.approvals] == [1]


def test_expected_payment_date_skips_weekends_and_bank_holidays(partner, finance, frozen):
    claim = submitted_claim(partner, 850)
    frozen["now"] = dt.datetime(2026, 12, 18, 16, 30, tzinfo=dt.UTC)  # Friday 18 December 2026
    services.approve_claim(claim, finance, {claim.lines[0].id: 850})
    assert claim.expected_payment_date == dt.date(2027, 1, 6)  # Wednesday 6 January 2027
    email = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "claim_approved")
    ).one()
    assert "6 January 2027" in email.body_text


def test_the_london_date_of_approval_counts(partner, finance, frozen):
    claim = submitted_claim(partner, 850)
    # 23:30 UTC on Friday 19 June 2026 is 00:30 on Saturday 20 June in London.
    frozen["now"] = dt.datetime(2026, 6, 19, 23, 30, tzinfo=dt.UTC)
    services.approve_claim(claim, finance, {claim.lines[0].id: 850})
    assert claim.expected_payment_date == dt.date(2026, 7, 3)  # from Saturday: 10 working days


def test_a_rejection_needs_a_reason_and_emails(partner, finance):
    claim = submitted_claim(partner, 850)
    assert errors_of(services.reject_claim, claim, finance, " ") == {
        "reason": "Enter why the claim is not approved"
    }
    services.reject_claim(claim, finance, "Parking is covered by the visitor permit")
    assert claim.status == "rejected"
    assert claim.total_approved_pence == 0
    email = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "claim_rejected")
    ).one()
    assert "Parking is covered by the visitor permit" in email.body_text


def test_a_decided_claim_cannot_be_decided_again(partner, finance, finance2):
    claim = submitted_claim(partner, 850)
    services.approve_claim(claim, finance, {claim.lines[0].id: 850})
    before = snapshot(claim)
    errors = errors_of(services.reject_claim, claim, finance2, "Changed my mind")
    assert errors == {"claim": "This claim cannot be decided now: it is approved"}
    assert snapshot(claim) == before


def test_a_stale_copy_is_told_the_claim_changed(partner, finance, finance2):
    claim = submitted_claim(partner, 850)
    loaded = claim.updated_at  # this approver loads the claim
    # Another approver changes the claim after this one loaded it (as another session would).
    db.session.execute(
        update(Claim)
        .where(Claim.id == claim.id)
        .values(updated_at=loaded + dt.timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    assert claim.updated_at == loaded  # this approver's copy is now stale
    errors = errors_of(services.approve_claim, claim, finance2, {claim.lines[0].id: 850})
    assert errors == {
        "claim": "This claim has changed since you opened it. Reload it to see what changed"
    }


def test_every_decision_is_audited(partner, finance, finance2):
    big = submitted_claim(partner, 30000)
    services.query_claim(big, finance, "Was this the day rate?")
    services.submit_claim(big)
    services.approve_claim(big, finance, {big.lines[0].id: 30000})
    services.approve_claim(big, finance2, {big.lines[0].id: 29000})
    small = submitted_claim(partner, 500)
    services.reject_claim(small, finance, "Duplicate")

    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "claim", AuditEvent.action != "claim.line_added")
        .order_by(AuditEvent.id)
    ).all()
    actions = [(e.action, e.subject_id, e.actor_id) for e in events]
    assert actions == [
        ("claim.started", str(big.id), partner.id),
        ("claim.submitted", str(big.id), None),
        ("claim.queried", str(big.id), finance.id),
        ("claim.submitted", str(big.id), None),
        ("claim.first_approval", str(big.id), finance.id),
        ("claim.approved", str(big.id), finance2.id),
        ("claim.started", str(small.id), partner.id),
        ("claim.submitted", str(small.id), None),
        ("claim.rejected", str(small.id), finance.id),
    ]
    approved = events[5]
    assert approved.before["status"] == "submitted"
    assert approved.before["approved_pence_by_line"] == {str(big.lines[0].id): 30000}
    assert approved.after == {
        "status": "partly_approved",
        "approved_pence_by_line": {str(big.lines[0].id): 29000},
        "total_approved_pence": 29000,
        "level": 2,
        "expected_payment_date": "2026-12-04",
    }
    assert events[8].after["reason"] == "Duplicate"
    decisions = db.session.scalars(
        select(ClaimApproval.decision).where(ClaimApproval.claim_id == big.id)
    ).all()
    assert decisions == ["query", "approve", "approve"]
