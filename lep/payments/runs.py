"""Payment runs: build from approved claims and fees, approve, send exactly once, settle.

- Building a run makes one payment per payee, the sum of its items to the penny. Payees who
  cannot be paid yet (no bank details, onboarding unfinished, details changed in the last
  PAYMENT_HOLD_DAYS days) are held back with the reason, and their items wait for a later run.
- Claims and fees in a run are "scheduled"; they go back to approved if the run is cancelled or
  their payment fails, so the next run picks them up.
- A run whose total is above PAYMENT_RUN_APPROVAL_OVER_PENCE needs a second finance user's
  approval before it is sent.
- Pressing Send moves the run from approved to sending with one guarded UPDATE: two people
  pressing at once start one run. The job then sends each payment with its idempotency key.
  For an outside provider each payment is marked `sending` and committed before the provider is
  called; a payment found in `sending` (the worker died mid-run) is first looked up at the
  provider by its key, so running the job again pays nobody twice. A provider whose record lives
  in our own database (the bank file) is written in the same transaction as the payment's status.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import selectinload

from lep import audit
from lep.accounts.models import User
from lep.db import utcnow
from lep.expenses.models import Claim
from lep.extensions import db
from lep.money import format_pounds
from lep.partners.models import Appointment, Involvement
from lep.payments.models import Payee, Payment, PaymentItem, PaymentRun
from lep.payments.providers import get_provider
from lep.payments.providers.base import (
    FAILED,
    PAID,
    PaymentProvider,
    PaymentRequest,
    PaymentResult,
    ProviderError,
)
from lep.service import DomainError, commit
from lep.timeutil import LONDON, format_date

log = logging.getLogger(__name__)

CURRENCY = "gbp"
BATCH = 2_000  # payments per transaction for a provider that lives in our database


@dataclass
class PayableItem:
    kind: str  # "claim" or "fee"
    id: int
    amount_pence: int
    description: str


@dataclass
class PayeeLine:
    user: User
    items: list[PayableItem] = field(default_factory=list)
    held_reason: str = ""

    @property
    def total_pence(self) -> int:
        return sum(item.amount_pence for item in self.items)


@dataclass
class Preview:
    payable: list[PayeeLine]
    held: list[PayeeLine]

    @property
    def total_pence(self) -> int:
        return sum(line.total_pence for line in self.payable)

    @property
    def held_pence(self) -> int:
        return sum(line.total_pence for line in self.held)


# -- What is payable ------------------------------------------------------------------------------


def _approved_claims() -> list[Claim]:
    return list(
        db.session.scalars(
            select(Claim)
            .where(
                Claim.status.in_(("approved", "partly_approved")),
                Claim.total_approved_pence > 0,
            )
            .order_by(Claim.decided_at, Claim.id)
        )
    )


def _approved_fees() -> list[Involvement]:
    """Approved fees the partner wants paid, except employed partners' (paid through payroll)."""
    employed = (
        select(Appointment.id)
        .where(Appointment.id == Involvement.appointment_id)
        .where(Appointment.engagement_type == "employed")
        .exists()
    )
    return list(
        db.session.scalars(
            select(Involvement)
            .where(
                Involvement.status == "approved",
                Involvement.fee_choice == "pay",
                Involvement.fee_pence > 0,
                ~employed,
            )
            .order_by(Involvement.approved_at, Involvement.id)
        )
    )


def payee_references(user_ids: list[int], provider: PaymentProvider) -> dict[int, str | None]:
    """How the provider knows each person (None: not registered with it yet)."""
    if provider.name == "bacs":
        return {user_id: str(user_id) for user_id in user_ids}
    found: dict[int, str | None] = dict.fromkeys(user_ids)
    for start in range(0, len(user_ids), 1_000):
        for user_id, reference in db.session.execute(
            select(Payee.user_id, Payee.reference).where(
                Payee.user_id.in_(user_ids[start : start + 1_000]),
                Payee.provider == provider.name,
            )
        ).tuples():
            found[user_id] = reference or None
    return found


def payee_reference(user_id: int, provider: PaymentProvider) -> str | None:
    return payee_references([user_id], provider)[user_id]


NOT_REGISTERED = "Has not set up how to be paid yet (Stripe onboarding not started)"


def hold_reasons(user_ids: list[int], provider: PaymentProvider) -> dict[int, str]:
    """Why each person cannot be paid in a run now ("" when they can): not registered, no bank
    details, onboarding unfinished, details changed too recently (the provider knows)."""
    references = payee_references(user_ids, provider)
    statuses = provider.payee_statuses([r for r in references.values() if r is not None])
    reasons: dict[int, str] = {}
    for user_id, reference in references.items():
        if reference is None:
            reasons[user_id] = NOT_REGISTERED
        elif not statuses[reference].can_be_paid:
            reasons[user_id] = statuses[reference].reason or "Cannot be paid yet"
        else:
            reasons[user_id] = ""
    return reasons


def preview(now: dt.datetime | None = None) -> Preview:
    """Who would be paid what if a run were built now, and who is held back and why."""
    now = now or utcnow()
    provider = get_provider()
    lines: dict[int, PayeeLine] = {}
    users = {}
    claims = _approved_claims()
    fees = _approved_fees()
    ids = {c.claimant_id for c in claims} | {f.user_id for f in fees}
    if ids:
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    for claim in claims:
        line = lines.setdefault(claim.claimant_id, PayeeLine(users[claim.claimant_id]))
        line.items.append(
            PayableItem(
                "claim",
                claim.id,
                claim.total_approved_pence or 0,
                f"Expenses claim {claim.reference}",
            )
        )
    for fee in fees:
        line = lines.setdefault(fee.user_id, PayeeLine(users[fee.user_id]))
        line.items.append(
            PayableItem(
                "fee",
                fee.id,
                fee.fee_pence,
                f"Involvement fee: {fee.description[:80]} on {format_date(fee.happened_on)}",
            )
        )
    payable: list[PayeeLine] = []
    held: list[PayeeLine] = []
    reasons = hold_reasons(list(lines), provider)
    for user_id in sorted(lines, key=lambda uid: (lines[uid].user.full_name, uid)):
        line = lines[user_id]
        line.held_reason = reasons[user_id]
        (held if line.held_reason else payable).append(line)
    return Preview(payable, held)


# -- Building, approving, cancelling --------------------------------------------------------------


def _finance(user: Any) -> None:
    if not user.has_role("finance"):
        raise DomainError({"run": "Only the finance team can manage payment runs"})


def _set_item_status(items: list[PaymentItem], claim_status: str | None, fee_status: str) -> None:
    """Move the claims and fees behind these items on (paid) or back (approved)."""
    claim_ids = [i.claim_id for i in items if i.claim_id is not None]
    fee_ids = [i.involvement_id for i in items if i.involvement_id is not None]
    if claim_ids:
        if claim_status is None:  # back to what the approval made them
            for claim in db.session.scalars(select(Claim).where(Claim.id.in_(claim_ids))):
                full = claim.total_approved_pence == claim.total_claimed_pence
                claim.status = "approved" if full else "partly_approved"
        else:
            db.session.execute(
                update(Claim)
                .where(Claim.id.in_(claim_ids))
                .values(status=claim_status, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
    if fee_ids:
        db.session.execute(
            update(Involvement)
            .where(Involvement.id.in_(fee_ids))
            .values(status=fee_status, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def _release(items: list[PaymentItem]) -> None:
    """Their payment failed or their run was cancelled: the claims and fees go back to approved,
    and the items no longer hold them (the database lets a later run take them)."""
    now = utcnow()
    for item in items:
        item.released_at = item.released_at or now
    _set_item_status(items, None, "approved")


CHANGED_WHILE_BUILDING = (
    "The approved claims and fees changed while this run was being built (another run may "
    "have been built at the same moment, or a claim or fee was changed). Nothing was built. "
    "Check the payment runs, then build again if anything is still waiting"
)


def _schedule(plan: Preview) -> None:
    """Move the plan's claims and fees from approved to scheduled, each only if it is still
    approved for the amount read: one guarded UPDATE for each kind, whose rows are checked. Of
    two runs built at once, the second finds the rows already moved (PostgreSQL makes it wait
    for the first to commit, then reads them again) and is refused, with nothing written."""
    claims = {
        i.id: i.amount_pence for line in plan.payable for i in line.items if i.kind == "claim"
    }
    fees = {i.id: i.amount_pence for line in plan.payable for i in line.items if i.kind == "fee"}
    moved = _move_to_scheduled(
        Claim,
        Claim.total_approved_pence,
        claims,
        Claim.status.in_(("approved", "partly_approved")),
        Claim.total_approved_pence > 0,
    )
    moved_fees = _move_to_scheduled(
        Involvement,
        Involvement.fee_pence,
        fees,
        Involvement.status == "approved",
        Involvement.fee_choice == "pay",
        Involvement.fee_pence > 0,
    )
    if moved != claims or moved_fees != fees:
        raise DomainError({"run": CHANGED_WHILE_BUILDING})


def _move_to_scheduled(
    model: Any, pence: Any, wanted: dict[int, int], *still_payable: Any
) -> dict[int, int | None]:
    """One guarded UPDATE to scheduled per 1,000 ids, only of rows still payable: the ids and
    pence that moved, for the caller to compare with what it read."""
    moved: dict[int, int | None] = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), 1_000):
        moved.update(
            (thing_id, amount)
            for thing_id, amount in db.session.execute(
                update(model)
                .where(model.id.in_(ids[start : start + 1_000]), *still_payable)
                .values(status="scheduled", updated_at=utcnow())
                .returning(model.id, pence)
                .execution_options(synchronize_session=False)
            ).all()
        )
    return moved


def _refused_race(error: DBAPIError) -> bool:
    """The database refused the build because another one holds the same claims or fees: the
    one-live-payment index, or PostgreSQL breaking a deadlock between the two."""
    if isinstance(error, IntegrityError):
        return True
    return getattr(getattr(error, "orig", None), "sqlstate", None) in ("40P01", "40001")


def build_run(
    by: Any, now: dt.datetime | None = None, approval_over_pence: int | None = None
) -> PaymentRun:
    """Make a run of everything payable now. Refused, with the reason, when nothing is.

    A run above `approval_over_pence` (default: PAYMENT_RUN_APPROVAL_OVER_PENCE) waits for a
    second finance user's approval."""
    _finance(by)
    now = now or utcnow()
    plan = preview(now)
    if not plan.payable:
        if plan.held:
            raise DomainError(
                {
                    "run": "Nothing can be paid now: everyone with approved claims or fees is "
                    "held back (see the reasons below)"
                }
            )
        raise DomainError({"run": "Nothing to pay: there are no approved claims or fees"})
    threshold = (
        approval_over_pence
        if approval_over_pence is not None
        else int(current_app.config.get("PAYMENT_RUN_APPROVAL_OVER_PENCE", 500_000))
    )
    try:
        run = _write_run(by, now, plan, threshold)
    except DBAPIError as error:
        db.session.rollback()
        if _refused_race(error):
            raise DomainError({"run": CHANGED_WHILE_BUILDING}) from error
        raise
    except DomainError:
        db.session.rollback()
        raise
    commit()
    return run


def _write_run(by: Any, now: dt.datetime, plan: Preview, threshold: int) -> PaymentRun:
    """The run, its payments and items, in the caller's transaction (not committed)."""
    _schedule(plan)
    provider = get_provider()
    run = PaymentRun(
        provider=provider.name,
        status="draft",
        created_by_id=by.id,
        total_pence=plan.total_pence,
        approval_over_pence=threshold,
        held=[
            {"user_id": line.user.id, "amount_pence": line.total_pence, "reason": line.held_reason}
            for line in plan.held
        ],
    )
    db.session.add(run)
    db.session.flush()
    run.reference = f"RUN-{now.astimezone(LONDON).year}-{run.id:06d}"
    for line in plan.payable:
        payment = Payment(
            run=run,
            user=line.user,
            amount_pence=line.total_pence,
            key=f"lep-{run.id}-{line.user.id}-{secrets.token_hex(8)}",
            reference="",
            status="pending",
        )
        for item in line.items:
            record = PaymentItem(
                claim_id=item.id if item.kind == "claim" else None,
                involvement_id=item.id if item.kind == "fee" else None,
                amount_pence=item.amount_pence,
                description=item.description,
            )
            payment.items.append(record)
        db.session.add(payment)
    db.session.flush()
    for payment in run.payments:
        payment.reference = f"LEP PAY {payment.id:06d}"[:18]
        if payment.amount_pence != sum(i.amount_pence for i in payment.items):
            raise DomainError({"run": "A payment does not match its items to the penny"})
    if run.total_pence != sum(p.amount_pence for p in run.payments):
        raise DomainError({"run": "The run's total does not match its payments to the penny"})
    run.status = "awaiting_approval" if run.total_pence > threshold else "approved"
    from lep.payments import notices

    with db.session.no_autoflush:  # one flush at commit, not one per email
        for payment in run.payments:
            notices.payment_scheduled(payment)  # "scheduled for payment": each payee is told
    audit.record(
        "payment_run.built",
        "payment_run",
        run.id,
        after={
            "reference": run.reference,
            "status": run.status,
            "total_pence": run.total_pence,
            "payments": len(run.payments),
            "held": run.held,
            "approval_over_pence": threshold,
        },
        actor=by,
    )
    return run


def _guard_run(run: PaymentRun, expected: tuple[str, ...], **values: Any) -> None:
    """Compare-and-set on the run's status: of two people acting at once, one wins."""
    result = db.session.execute(
        update(PaymentRun)
        .where(PaymentRun.id == run.id, PaymentRun.status.in_(expected))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        db.session.refresh(run)
        raise DomainError(
            {"run": f"This run has changed: it is now {run.status_text.lower()}. Reload the page"}
        )
    db.session.refresh(run)


def approve_run(run: PaymentRun, by: Any) -> PaymentRun:
    _finance(by)
    if by.id == run.created_by_id:
        raise DomainError(
            {"run": "A different person in the finance team must approve a run you built"}
        )
    if run.status != "awaiting_approval":
        raise DomainError({"run": f"This run cannot be approved: it is {run.status_text.lower()}"})
    _guard_run(
        run, ("awaiting_approval",), status="approved", approved_by_id=by.id, approved_at=utcnow()
    )
    audit.record(
        "payment_run.approved",
        "payment_run",
        run.id,
        before={"status": "awaiting_approval"},
        after={"status": "approved", "total_pence": run.total_pence},
        actor=by,
    )
    commit()
    return run


def cancel_run(run: PaymentRun, by: Any) -> PaymentRun:
    """Cancel a run that has not started sending; its claims and fees wait for the next run."""
    _finance(by)
    if run.status not in ("draft", "awaiting_approval", "approved"):
        raise DomainError({"run": f"This run cannot be cancelled: it is {run.status_text.lower()}"})
    before = run.status
    _guard_run(run, ("draft", "awaiting_approval", "approved"), status="cancelled")
    _release([item for payment in run.payments for item in payment.items])
    audit.record(
        "payment_run.cancelled",
        "payment_run",
        run.id,
        before={"status": before},
        after={"status": "cancelled"},
        actor=by,
    )
    commit()
    return run


# -- Sending --------------------------------------------------------------------------------------


def start_sending(run: PaymentRun, by: Any) -> PaymentRun:
    """Press Send: one guarded UPDATE from approved to sending, then the sender starts (a job on
    the priority queue, or here: lep.payments.sending.dispatch). Until a sender takes the run,
    it is reserved for one for a lease; after that it is stale and is resumed."""
    from lep.payments import sending

    _finance(by)
    if run.status == "awaiting_approval":
        raise DomainError({"run": "This run needs a second finance approval before it can be sent"})
    if run.status != "approved":
        raise DomainError({"run": f"This run cannot be sent: it is {run.status_text.lower()}"})
    now = utcnow()
    _guard_run(
        run,
        ("approved",),
        status="sending",
        sent_by_id=by.id,
        sending_started_at=now,
        sender=None,
        sender_lease_until=now + dt.timedelta(seconds=sending.lease_seconds()),
    )
    audit.record(
        "payment_run.sending",
        "payment_run",
        run.id,
        before={"status": "approved"},
        after={"status": "sending", "payments": len(run.payments)},
        actor=by,
    )
    commit()
    sending.dispatch(run.id)
    return run


def _request(payment: Payment, reference: str, run: PaymentRun) -> PaymentRequest:
    return PaymentRequest(
        key=payment.key,
        payee_reference=reference,
        amount_pence=payment.amount_pence,
        currency=CURRENCY,
        reference=payment.reference,
        group=run.reference or str(run.id),
    )


def _audit(events: list[audit.Event] | None, event: audit.Event) -> None:
    """Record now, or add to the batch's events (written together before the batch commits)."""
    if events is None:
        audit.record(
            event.action,
            event.subject_type,
            event.subject_id,
            before=event.before,
            after=event.after,
            actor_label="system",
        )
    else:
        events.append(event)


def _record_result(
    payment: Payment, result: PaymentResult, via: str, events: list[audit.Event] | None = None
) -> None:
    before = payment.status
    now = utcnow()
    payment.provider_reference = result.provider_reference or payment.provider_reference
    if result.state == FAILED:
        _fail(payment, result.failure_reason or "The provider refused the payment", events)
        return
    payment.status = "paid" if result.state == PAID else "sent"
    payment.sent_at = payment.sent_at or now
    if payment.status == "paid":
        payment.paid_at = now
    after = {
        "status": payment.status,
        "amount_pence": payment.amount_pence,
        "provider_reference": payment.provider_reference,
        "via": via,
    }
    _audit(
        events,
        audit.Event(f"payment.{payment.status}", "payment", payment.id, {"status": before}, after),
    )


def _fail(payment: Payment, reason: str, events: list[audit.Event] | None = None) -> None:
    """A failed payment returns its claims and fees to the next run; finance and the partner
    are told why (lep.payments.notices)."""
    before = payment.status
    payment.status = "failed"
    payment.failure_reason = reason[:2000]
    _release(payment.items)
    after = {"status": "failed", "reason": payment.failure_reason}
    _audit(events, audit.Event("payment.failed", "payment", payment.id, {"status": before}, after))
    from lep.payments.notices import payment_failed

    payment_failed(payment)


def send_run(run_id: int) -> None:
    """The job: send every payment of a run that is sending. Safe to run again after a crash,
    and safe to run twice at once: the first takes the run's lease, the second leaves it."""
    from lep.payments import sending

    run = db.session.get(PaymentRun, run_id)
    if run is None or run.status != "sending":
        return
    lease = sending.take(run_id)
    if lease is None:
        log.info("run %s is being sent by another sender", run_id)
        return
    provider = get_provider()
    payments = list(
        db.session.scalars(
            select(Payment)
            .where(Payment.run_id == run.id, Payment.status.in_(("pending", "sending")))
            .options(selectinload(Payment.items))
            .order_by(Payment.id)
        )
    )
    references = payee_references(sorted({p.user_id for p in payments}), provider)
    # The job commits as it goes (each batch, or each payment); it alone moves these payments
    # while it holds the run's lease, so its commits keep them loaded (not reloaded one by one).
    try:
        if provider.settled_by_finance:
            _send_in_batches(run, payments, provider, references, lease)
        else:
            for payment in payments:
                _send_one(run, payment, provider, references[payment.user_id], lease)
    except sending.LeaseLost:
        audit.record(
            "payment_run.sender_stopped",
            "payment_run",
            run_id,
            after={"sender": lease.token[:8], "reason": "another sender took the run over"},
            actor_label="system",
        )
        commit(keep_loaded=True)
        return
    except Exception:
        # A provider that did not answer, the database connection ended: resumable at once, so
        # the next resumer retries it rather than waiting for the lease to lapse.
        try:
            sending.let_go(lease)
        except Exception:
            log.exception("run %s: could not let go of its lease; it lapses by itself", run_id)
        raise
    _finish_sending(run, lease)


def _send_in_batches(
    run: PaymentRun,
    payments: list[Payment],
    provider: PaymentProvider,
    references: dict[int, str | None],
    lease: Any,
) -> None:
    """The provider's record is in our database: the instruction and the status commit together,
    so there is no moment where one exists without the other."""
    from lep.payments import sending

    for start in range(0, len(payments), BATCH):
        batch = payments[start : start + BATCH]
        sending.renew(lease)
        requests = {}
        events: list[audit.Event] = []  # one statement for the batch's audit events
        for payment in batch:
            reference = references[payment.user_id]
            if reference is None:
                _fail(payment, "The payee is not registered with the payment provider", events)
            else:
                requests[payment.key] = _request(payment, reference, run)
        with db.session.no_autoflush:
            results = provider.send_many(list(requests.values()))
        for payment in batch:
            if payment.key not in requests:
                continue
            result = results[payment.key]
            if isinstance(result, ProviderError):
                _fail(payment, result.message, events)
            else:
                _record_result(payment, result, "send", events)
        audit.record_many(events)
        commit(keep_loaded=True)


def _send_one(
    run: PaymentRun,
    payment: Payment,
    provider: PaymentProvider,
    reference: str | None,
    lease: Any,
) -> None:
    """Each write first renews the lease: a sender that lost it writes nothing more (the one
    that took over looks the payment up by its key)."""
    from lep.payments import sending

    if payment.status == "sending":
        # A sender stopped after marking it: ask the provider before sending again.
        found = provider.find_payment(payment.key, run.reference or "")
        if found is not None:
            sending.renew(lease)
            _record_result(payment, found, "lookup")
            commit(keep_loaded=True)
            return
    if reference is None:
        sending.renew(lease)
        _fail(payment, "The payee is not registered with the payment provider")
        commit(keep_loaded=True)
        return
    if payment.status == "pending":
        sending.renew(lease)
        payment.status = "sending"
        audit.record(
            "payment.sending",
            "payment",
            payment.id,
            before={"status": "pending"},
            after={"status": "sending", "key": payment.key},
            actor_label="system",
        )
        commit(keep_loaded=True)
    try:
        result = provider.send_payment(_request(payment, reference, run))
    except ProviderError as exc:
        if exc.retryable:
            db.session.rollback()
            raise  # left in `sending`: the next attempt looks it up by key first
        sending.renew(lease)
        _fail(payment, exc.message)
        commit(keep_loaded=True)
        return
    sending.renew(lease)
    _record_result(payment, result, "send")
    commit(keep_loaded=True)


def _finish_sending(run: PaymentRun, lease: Any) -> None:
    from lep.payments import sending

    waiting = db.session.scalar(
        select(Payment.id)
        .where(Payment.run_id == run.id, Payment.status.in_(("pending", "sending")))
        .limit(1)
    )
    if waiting is not None:
        sending.let_go(lease)
        return
    now = utcnow()
    if not sending.finish(lease, status="sent", sent_at=now):
        db.session.rollback()
        return
    audit.record(
        "payment_run.sent",
        "payment_run",
        run.id,
        before={"status": "sending"},
        after={"status": "sent", "total_pence": run.total_pence},
        actor_label="system",
    )
    commit()
    db.session.refresh(run)


# -- Settling -------------------------------------------------------------------------------------


def mark_payment_paid(payment: Payment, via: str, actor: Any = None) -> bool:
    """A payment has arrived: it and what it paid for move to paid. False if already done."""
    if payment.status == "paid":
        return False
    if payment.status not in ("sent", "sending"):
        raise DomainError(
            {"payment": f"This payment cannot be marked paid: it is {payment.status_text.lower()}"}
        )
    before = payment.status
    payment.status = "paid"
    payment.paid_at = utcnow()
    _set_item_status(payment.items, "paid", "paid")
    audit.record(
        "payment.paid",
        "payment",
        payment.id,
        before={"status": before},
        after={"status": "paid", "amount_pence": payment.amount_pence, "via": via},
        actor=actor,
        actor_label=None if actor is not None else "system",
    )
    return True


def mark_run_paid(run: PaymentRun, by: Any) -> PaymentRun:
    """Finance confirms the bank paid the file: every sent payment is paid, remittances go."""
    _finance(by)
    if run.status != "sent":
        raise DomainError(
            {"run": f"This run cannot be marked paid: it is {run.status_text.lower()}"}
        )
    _guard_run(run, ("sent",), status="paid", paid_at=utcnow())
    paid = [p for p in run.payments if p.status == "sent"]
    for payment in paid:
        mark_payment_paid(payment, "finance", actor=by)
    audit.record(
        "payment_run.paid",
        "payment_run",
        run.id,
        before={"status": "sent"},
        after={"status": "paid", "payments_paid": len(paid)},
        actor=by,
    )
    commit()
    from lep.payments.notices import send_remittances

    send_remittances([p.id for p in paid])
    return run


def totals_by_payee(run: PaymentRun) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for payment in run.payments:
        totals[payment.user_id] += payment.amount_pence
    return dict(totals)


def describe(run: PaymentRun) -> str:
    return f"{run.reference}: {len(run.payments)} payments, {format_pounds(run.total_pence)}"
