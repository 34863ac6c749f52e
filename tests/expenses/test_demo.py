"""Demo claims: the demo partner's claims in every status, made through the services, once."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from lep.accounts.models import User
from lep.audit.models import AuditEvent
from lep.demo import seed_accounts
from lep.expenses import services
from lep.expenses.demo import RECEIPT_PDF, seed_demo_claims
from lep.expenses.models import (
    CLAIM_STATUSES,
    Claim,
    ClaimApproval,
    ClaimLine,
    ClaimReceipt,
    PolicyCap,
)
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.storage import get_storage
from tests.helpers import emails_to


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    yield tmp_path / "uploads"
    app.extensions.pop("lep_storage", None)


@pytest.fixture
def seeded(storage):
    seed_accounts()
    accounts = seed_demo_claims()
    partner = db.session.scalar(select(User).where(User.email == "partner@example.org"))
    claims = list(
        db.session.scalars(select(Claim).where(Claim.claimant_id == partner.id).order_by(Claim.id))
    )
    return partner, claims, accounts


def by_status(claims: list[Claim], status: str) -> list[Claim]:
    return [c for c in claims if c.status == status]


def test_every_status_is_there(seeded):
    _, claims, accounts = seeded
    assert Counter(c.status for c in claims) == {status: 1 for status in CLAIM_STATUSES} | {
        "submitted": 2
    }
    assert accounts == [("finance2@example.org", ["finance"])]


def test_a_sent_claim_is_flagged_over_a_cap_and_for_a_missing_receipt(seeded):
    _, claims, _ = seeded
    flagged = next(c for c in by_status(claims, "submitted") if not services.awaiting_second(c))
    taxi, car_park = flagged.lines
    assert taxi.flags == [services.OVER_LINE_CAP]
    assert taxi.reason
    assert car_park.flags == [services.NO_RECEIPT]
    assert car_park.no_receipt_reason == "The car park machine was not printing tickets"


def test_one_above_the_threshold_waits_for_a_second_approval(seeded):
    _, claims, _ = seeded
    (big,) = [c for c in by_status(claims, "submitted") if services.awaiting_second(c)]
    assert big.total_claimed_pence == 16500 + 11240 > 25000
    (first,) = big.approvals
    first_approver = db.session.get(User, first.approver_id)
    assert first_approver.email == "finance2@example.org"
    # So the demo finance account can give the second approval.
    finance = db.session.scalar(select(User).where(User.email == "finance@example.org"))
    assert services.can_decide(finance, big)
    assert not services.can_decide(first_approver, big)


def test_decided_claims_are_exact_to_the_penny(seeded):
    _, claims, _ = seeded
    (partly,) = by_status(claims, "partly_approved")
    assert (partly.total_claimed_pence, partly.total_approved_pence) == (3250 + 860, 2500 + 860)
    assert partly.lines[0].flags == [services.OVER_DAY_CAP]
    (approved,) = by_status(claims, "approved")
    assert approved.total_approved_pence == approved.total_claimed_pence == 1170 + 480
    # The demo partner has given no bank details yet: no payment date is promised them.
    assert approved.expected_payment_date is None
    (rejected,) = by_status(claims, "rejected")
    assert rejected.total_approved_pence == 0
    (queried,) = by_status(claims, "queried")
    assert queried.query_text.startswith("The lunch receipt shows a different date")
    (cancelled,) = by_status(claims, "cancelled")
    assert cancelled.cancel_reason == "I sent this twice by mistake"
    (draft,) = by_status(claims, "draft")
    assert draft.reference is None and draft.submitted_at is None
    for status in ("scheduled", "paid"):
        (claim,) = by_status(claims, status)
        assert claim.total_approved_pence == claim.total_claimed_pence
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "claim.status_changed",
                AuditEvent.subject_id == str(claim.id),
            )
        )
        assert event.actor_label == "demo"
        assert event.after == {"status": status, "note": "demo data, set by the demo seed"}


def test_the_trail_is_real_audit_and_email(seeded):
    partner, claims, _ = seeded
    (approved,) = by_status(claims, "approved")
    actions = list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "claim", AuditEvent.subject_id == str(approved.id))
            .order_by(AuditEvent.id)
        )
    )
    assert actions == [
        "claim.started",
        "claim.line_added",
        "claim.line_added",
        "claim.submitted",
        "claim.approved",
    ]
    subjects = [m.subject for m in emails_to(partner.email)]
    assert f"We have your expenses claim: {approved.reference}" in subjects


def test_receipts_are_real_pdfs_in_storage(seeded, storage):
    _, claims, _ = seeded
    receipts = [r for c in claims for line in c.lines for r in line.receipts]
    assert len(receipts) >= 8
    for receipt in receipts:
        assert receipt.content_type == "application/pdf"
        assert get_storage().read(receipt.storage_key) == RECEIPT_PDF
    assert RECEIPT_PDF.startswith(b"%PDF-1.4") and RECEIPT_PDF.rstrip().endswith(b"%%EOF")
    # The cross-reference table points at each object.
    xref_at = int(RECEIPT_PDF.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert RECEIPT_PDF[xref_at:].startswith(b"xref\n0 6\n")
    for number, entry in enumerate(RECEIPT_PDF[xref_at:].split(b"\n")[3:8], start=1):
        assert RECEIPT_PDF[int(entry[:10]) :].startswith(b"%d 0 obj" % number)


def test_line_dates_are_inside_the_claim_window(seeded):
    _, claims, _ = seeded
    today = services.london_today()
    window = services.policy_on(today).claim_window_days
    for line in (line for c in claims for line in c.lines):
        assert 0 <= (today - line.spent_on).days <= window


def test_running_it_twice_changes_nothing(seeded, storage):
    def counts() -> dict[str, int]:
        tables = (Claim, ClaimLine, ClaimReceipt, ClaimApproval, AuditEvent, OutboxMessage)
        numbers = {
            table.__name__: db.session.scalar(select(func.count()).select_from(table))
            for table in (*tables, PolicyCap, User)
        }
        numbers["files"] = sum(1 for p in storage.rglob("*") if p.is_file())
        return numbers

    before = counts()
    seed_accounts()
    seed_demo_claims()
    assert counts() == before
