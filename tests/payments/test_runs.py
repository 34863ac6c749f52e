"""Payment runs with the bank-file provider: build, hold back, approve, send once, settle, fail."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.expenses import services as expenses
from lep.expenses.models import Claim, ExpenseCategory
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.partners import bank
from lep.partners.models import BankDetails
from lep.payments import runs
from lep.payments.models import BacsInstruction, Payment, PaymentItem, PaymentRun
from lep.service import DomainError
from tests.conftest import sign_in


@pytest.fixture(autouse=True)
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    app.extensions.pop("lep_payment_provider", None)
    yield
    app.extensions.pop("lep_storage", None)
    app.extensions.pop("lep_payment_provider", None)


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


@pytest.fixture
def finance2(make_user):
    return make_user("finance", full_name="Femi Finance")


def partner_with_bank(make_user, name: str, days_ago: int = 10):
    user = make_user("partner", full_name=name)
    account = bank.check_account("309430", "00733445", name)
    db.session.add(
        BankDetails(
            user_id=user.id,
            ciphertext=bank.encrypt(account),
            masked=account.masked,
            changed_at=utcnow() - dt.timedelta(days=days_ago),
        )
    )
    db.session.commit()
    return user


def approved_claim(partner, finance, *pence: int) -> Claim:
    claim = expenses.start_claim(partner)
    parking = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == "parking"))
    for amount in pence:
        expenses.add_line(
            claim,
            category=parking,
            spent_on=expenses.london_today() - dt.timedelta(days=2),
            description="Parking for the panel",
            amount_pence=amount,
            no_receipt_reason="The machine gave no ticket",
        )
    expenses.submit_claim(claim)
    expenses.approve_claim(claim, finance, {line.id: line.amount_pence for line in claim.lines})
    return claim


def status_of(claim: Claim) -> str:
    db.session.expire_all()
    return db.session.get(Claim, claim.id).status


def actions(subject_type: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == subject_type)
            .order_by(AuditEvent.id)
        )
    )


def test_a_run_pays_each_payee_once_with_their_items_summed(make_user, finance):
    sam = partner_with_bank(make_user, "Sam Partner")
    kit = partner_with_bank(make_user, "Kit Partner")
    sam_claims = [approved_claim(sam, finance, 850, 1999), approved_claim(sam, finance, 1)]
    kit_claim = approved_claim(kit, finance, 12_345)
    run = runs.build_run(finance)
    assert run.status == "approved"  # under the second-approval total
    assert run.reference.startswith("RUN-")
    totals = {p.user.full_name: p.amount_pence for p in run.payments}
    assert totals == {"Kit Partner": 12_345, "Sam Partner": 2_850}
    assert run.total_pence == 15_195
    sam_payment = next(p for p in run.payments if p.user_id == sam.id)
    assert sorted(i.amount_pence for i in sam_payment.items) == [1, 2_849]
    assert {status_of(c) for c in [*sam_claims, kit_claim]} == {"scheduled"}
    assert actions("payment_run") == ["payment_run.built"]
    # Nothing is left to pay: a second run is refused with the reason.
    with pytest.raises(DomainError) as refused:
        runs.build_run(finance)
    assert refused.value.errors == {"run": "Nothing to pay: there are no approved claims or fees"}


def test_payees_who_cannot_be_paid_are_held_back_with_the_reason(make_user, finance):
    ready = partner_with_bank(make_user, "Ready Partner")
    no_bank = make_user("partner", full_name="No Bank")
    changed = partner_with_bank(make_user, "Changed Recently", days_ago=1)
    approved_claim(ready, finance, 500)
    waiting = approved_claim(no_bank, finance, 700)
    approved_claim(changed, finance, 900)
    run = runs.build_run(finance)
    assert [p.user_id for p in run.payments] == [ready.id]
    held = {h["user_id"]: h for h in run.held}
    assert held[no_bank.id]["reason"] == "No bank details yet"
    assert held[no_bank.id]["amount_pence"] == 700
    assert held[changed.id]["reason"].startswith("Bank details changed on ")
    assert "held until" in held[changed.id]["reason"]
    assert status_of(waiting) == "approved"  # waits for a later run


def test_a_run_with_everyone_held_back_is_refused(make_user, finance):
    approved_claim(make_user("partner"), finance, 700)
    with pytest.raises(DomainError) as refused:
        runs.build_run(finance)
    assert "everyone with approved claims or fees is held back" in refused.value.errors["run"]
    assert db.session.scalar(select(func.count(PaymentRun.id))) == 0


def test_a_large_run_needs_a_second_finance_approver(
    app, make_user, finance, finance2, monkeypatch
):
    monkeypatch.setitem(app.config, "PAYMENT_RUN_APPROVAL_OVER_PENCE", 1_000)
    approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 1_001)
    run = runs.build_run(finance)
    assert run.status == "awaiting_approval"
    with pytest.raises(DomainError, match="needs a second finance approval"):
        runs.start_sending(run, finance)
    with pytest.raises(DomainError, match="A different person in the finance team"):
        runs.approve_run(run, finance)
    assert run.status == "awaiting_approval"
    runs.approve_run(run, finance2)
    assert (run.status, run.approved_by_id) == ("approved", finance2.id)


def test_the_approval_threshold_is_frozen_on_the_run_when_built(
    app, make_user, finance, monkeypatch
):
    monkeypatch.setitem(app.config, "PAYMENT_RUN_APPROVAL_OVER_PENCE", 5_000)
    approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 8_900)
    run = runs.build_run(finance)
    assert (run.status, run.approval_over_pence) == ("awaiting_approval", 5_000)
    monkeypatch.setitem(app.config, "PAYMENT_RUN_APPROVAL_OVER_PENCE", 500_000)
    db.session.expire_all()
    assert db.session.get(PaymentRun, run.id).approval_over_pence == 5_000
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payment_run.built"))
    assert event.after["approval_over_pence"] == 5_000


def test_sending_pays_each_payment_once_and_pressing_send_again_is_refused(make_user, finance):
    sam = partner_with_bank(make_user, "Sam Partner")
    claim = approved_claim(sam, finance, 850)
    run = runs.build_run(finance)
    runs.start_sending(run, finance)  # the job runs inline in tests
    db.session.expire_all()
    run = db.session.get(PaymentRun, run.id)
    assert run.status == "sent"
    assert [p.status for p in run.payments] == ["sent"]
    instructions = db.session.scalars(select(BacsInstruction)).all()
    assert [(i.key, i.amount_pence) for i in instructions] == [(run.payments[0].key, 850)]
    with pytest.raises(DomainError, match="it is sent"):
        runs.start_sending(run, finance)
    # Running the job again (a retried job, say) sends nothing more.
    runs.send_run(run.id)
    assert db.session.scalar(select(func.count(BacsInstruction.id))) == 1
    assert status_of(claim) == "scheduled"
    assert actions("payment") == ["payment.sent"]


def test_a_payment_the_provider_already_has_is_looked_up_not_sent_again(make_user, finance):
    sam = partner_with_bank(make_user, "Sam Partner")
    approved_claim(sam, finance, 850)
    run = runs.build_run(finance)
    payment = run.payments[0]
    # A worker recorded the instruction, then died before the payment's status was saved.
    db.session.add(
        BacsInstruction(
            key=payment.key,
            group=run.reference,
            payee_reference=str(sam.id),
            amount_pence=850,
            reference=payment.reference,
            state="sent",
        )
    )
    run.status = "sending"
    payment.status = "sending"
    db.session.commit()
    runs.send_run(run.id)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(BacsInstruction.id))) == 1
    assert db.session.get(Payment, payment.id).status == "sent"
    assert db.session.get(PaymentRun, run.id).status == "sent"


def test_finance_marks_the_run_paid_and_each_partner_gets_remittance_advice(make_user, finance):
    sam = partner_with_bank(make_user, "Sam Partner")
    claim = approved_claim(sam, finance, 850, 1_200)
    run = runs.build_run(finance)
    runs.start_sending(run, finance)
    db.session.expire_all()
    run = db.session.get(PaymentRun, run.id)
    runs.mark_run_paid(run, finance)
    assert run.status == "paid"
    assert [p.status for p in run.payments] == ["paid"]
    assert status_of(claim) == "paid"
    advice = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "payment_remittance")
    )
    assert advice.to_address == sam.email
    assert advice.subject == f"Remittance advice: £20.50 paid ({run.payments[0].reference})"
    assert f"Expenses claim {claim.reference}: £20.50" in advice.body_text
    with pytest.raises(DomainError, match="it is paid"):
        runs.mark_run_paid(run, finance)


def test_a_failed_payment_returns_its_claims_to_the_next_run_and_says_why(make_user, finance):
    sam = partner_with_bank(make_user, "Sam Partner")
    claim = approved_claim(sam, finance, 850)
    run = runs.build_run(finance)
    # The bank details are removed after the run was built: the bank file refuses the payment.
    db.session.delete(db.session.scalar(select(BankDetails).where(BankDetails.user_id == sam.id)))
    db.session.commit()
    runs.start_sending(run, finance)
    db.session.expire_all()
    payment = db.session.get(Payment, run.payments[0].id)
    assert (payment.status, payment.failure_reason) == ("failed", "No bank details yet")
    assert status_of(claim) == "approved"
    told = {
        m.to_address: m.template
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.template.like("payment_failed%"))
        )
    }
    assert told == {sam.email: "payment_failed_partner", finance.email: "payment_failed_finance"}
    assert db.session.get(PaymentRun, run.id).status == "sent"  # nothing left waiting


def test_cancelling_a_run_frees_its_claims(make_user, finance):
    claim = approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    run = runs.build_run(finance)
    runs.cancel_run(run, finance)
    assert run.status == "cancelled"
    assert status_of(claim) == "approved"
    assert runs.build_run(finance).total_pence == 850


def test_a_run_built_from_claims_another_run_took_first_is_refused_with_nothing_written(
    make_user, finance, finance2, monkeypatch
):
    """Two builds at once, as SQLite sees them: the second read the approved claims before the
    first wrote its run. Its guarded UPDATE moves fewer claims than it read, so it is refused."""
    sam = partner_with_bank(make_user, "Sam Partner")
    kit = partner_with_bank(make_user, "Kit Partner")
    claims = [approved_claim(sam, finance, 850), approved_claim(kit, finance, 12_345)]
    read_first = runs.preview()  # what the second builder read
    first = runs.build_run(finance2)
    assert first.total_pence == 13_195
    monkeypatch.setattr(runs, "preview", lambda now=None: read_first)
    emails = db.session.scalar(select(func.count(OutboxMessage.id)))
    with pytest.raises(DomainError) as refused:
        runs.build_run(finance)
    assert refused.value.errors == {"run": runs.CHANGED_WHILE_BUILDING}
    db.session.expire_all()
    assert db.session.scalar(select(func.count(PaymentRun.id))) == 1
    assert db.session.scalar(select(func.count(Payment.id))) == 2
    assert db.session.scalar(select(func.sum(Payment.amount_pence))) == 13_195
    assert {status_of(c) for c in claims} == {"scheduled"}
    assert actions("payment_run") == ["payment_run.built"]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == emails  # nobody told twice


def test_a_claim_cancelled_while_the_run_is_built_is_not_paid(
    make_user, finance, finance2, monkeypatch
):
    sam = partner_with_bank(make_user, "Sam Partner")
    keep = approved_claim(sam, finance, 850)
    dropped = approved_claim(sam, finance, 2_000)
    read_first = runs.preview()
    expenses.cancel_claim(dropped, finance2, "A duplicate of another claim")
    monkeypatch.setattr(runs, "preview", lambda now=None: read_first)
    with pytest.raises(DomainError) as refused:
        runs.build_run(finance)
    assert refused.value.errors == {"run": runs.CHANGED_WHILE_BUILDING}
    assert (status_of(keep), status_of(dropped)) == ("approved", "cancelled")
    monkeypatch.undo()
    assert runs.build_run(finance).total_pence == 850  # built again, from what is approved now


def test_the_database_holds_a_claim_in_one_live_payment_only(make_user, finance):
    claim = approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    run = runs.build_run(finance)
    [payment] = run.payments
    twice = Payment(
        run_id=run.id, user_id=payment.user_id, amount_pence=850, key="again", reference="AGAIN"
    )
    db.session.add(twice)
    twice.items.append(PaymentItem(claim_id=claim.id, amount_pence=850, description="again"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Once the run is cancelled its items hold nothing, and a later run takes the claim.
    runs.cancel_run(db.session.get(PaymentRun, run.id), finance)
    assert [i.released_at is not None for i in payment.items] == [True]
    again = runs.build_run(finance)
    assert [i.claim_id for p in again.payments for i in p.items] == [claim.id]


def test_only_finance_builds_runs(make_user, finance):
    approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    with pytest.raises(DomainError, match="Only the finance team"):
        runs.build_run(make_user("hr"))


def test_each_payee_is_told_their_payment_is_scheduled_and_gets_remittance_as_a_pdf(
    app, make_user, finance, login
):
    sam = partner_with_bank(make_user, "Sam Partner")
    claim = approved_claim(sam, finance, 850, 1_200)
    run = runs.build_run(finance)
    told = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "payment_scheduled")
    )
    assert told.to_address == sam.email
    assert told.subject == "We are paying you £20.50"
    assert f"Expenses claim {claim.reference}: £20.50" in told.body_text
    runs.start_sending(run, finance)
    db.session.expire_all()
    runs.mark_run_paid(db.session.get(PaymentRun, run.id), finance)
    payment = db.session.get(PaymentRun, run.id).payments[0]
    advice = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "payment_remittance")
    )
    url = f"/account/payments/{payment.id}/remittance.pdf"
    assert url in advice.body_text
    client = login(sam)
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "remittance-LEP-PAY-" in response.headers["Content-Disposition"]
    # Nobody else's.
    other = app.test_client()
    sign_in(other, make_user("partner").email)
    assert other.get(url).status_code == 404
