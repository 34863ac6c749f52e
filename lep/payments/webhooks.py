"""The payment provider's webhooks: verify, store each event once, then apply it.

Stripe calls POST /payments/webhooks/stripe with no session and no CSRF token: its trust comes
from the Stripe-Signature header alone, checked before anything is read. A request that fails the
check gets a 400 and changes nothing. Each event id is stored once (a unique constraint, behind a
savepoint for two deliveries at once); a replay gets a 200 and is ignored.

What an event does:
- payee.updated: ask the provider whether the payee can be paid now and keep the answer.
- payment.sent: the payment (by its key, or the provider's reference) moves to sent.
- payment.reversed: the payment fails; its claims and fees go back to the next run, and the
  partner and finance are told why.
- payout.paid: the payee's sent payments that the payout covers move to paid, with remittance
  advice. A payout covers the oldest transfers first; one that matches no run of them changes
  nothing.
- payout.failed: recorded, and finance are told (which payment it was is not guessed).
An event for a payment we do not know, or for an amount that differs from the payment's, is
stored with that outcome for reconciliation and changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lep import audit
from lep.access import public
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.services import queue_email
from lep.payments import notices, onboarding, runs
from lep.payments.models import (
    AMOUNT_DIFFERS,
    UNKNOWN_PAYMENT,
    Payee,
    Payment,
    PaymentRun,
    ProviderEventRecord,
)
from lep.payments.providers import get_provider
from lep.payments.providers.base import (
    PAYEE_UPDATED,
    PAYMENT_REVERSED,
    PAYMENT_SENT,
    PAYOUT_FAILED,
    PAYOUT_PAID,
    SENT,
    PaymentProvider,
    PaymentResult,
    ProviderError,
    ProviderEvent,
    WebhookError,
)
from lep.service import commit

log = logging.getLogger(__name__)

# Outcomes kept on the event (what it changed, or why not), for the reconciliation page.
ALREADY_RECEIVED = "already received"
UNKNOWN_PAYEE = "unknown payee"


@dataclass
class WebhookResponse:
    status: int
    message: str
    outcomes: list[str] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        if self.status >= 400:
            return {"error": self.message}
        return {"received": len(self.outcomes), "outcomes": self.outcomes}


@dataclass
class _Applied:
    outcome: str
    payment_id: int | None = None
    paid_ids: list[int] = field(default_factory=list)


def handle(provider: PaymentProvider, body: bytes, headers: dict[str, str]) -> WebhookResponse:
    """Verify a webhook request and apply each event in it once."""
    try:
        events = provider.parse_webhook(body, headers)
    except WebhookError as error:
        log.warning("refused a %s webhook: %s", provider.name, error.message)
        return WebhookResponse(400, error.message)
    outcomes = []
    for event in events:
        try:
            outcomes.append(_receive(provider, event))
        except ProviderError as error:
            # We could not ask the provider (payee.updated): nothing is kept, so the provider's
            # next delivery of the same event is applied rather than ignored as a replay.
            db.session.rollback()  # and the emails it queued with it
            log.warning("could not apply %s event %s: %s", provider.name, event.event_id, error)
            return WebhookResponse(503, "Could not check with the payment provider: send again")
    return WebhookResponse(200, "ok", outcomes)


def _receive(provider: PaymentProvider, event: ProviderEvent) -> str:
    if _stored(provider.name, event.event_id):
        return ALREADY_RECEIVED
    record = ProviderEventRecord(
        provider=provider.name,
        event_id=event.event_id,
        type=event.type,
        amount_pence=event.amount_pence,
        payload=_payload(event),
    )
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        # The same event delivered twice at once: the other delivery stored (and applies) it.
        db.session.rollback()
        return ALREADY_RECEIVED
    applied = APPLY[event.type](provider, event)
    record.outcome = applied.outcome
    record.payment_id = applied.payment_id
    audit.record(
        "provider_event.received",
        "provider_event",
        record.id,
        after={
            "provider": provider.name,
            "event_id": event.event_id,
            "type": event.type,
            "amount_pence": event.amount_pence,
            "payment_id": applied.payment_id,
            "outcome": applied.outcome,
        },
        actor_label=_label(provider),
    )
    runs_paid = _runs_of(applied.paid_ids)
    commit()
    log.info("%s event %s (%s): %s", provider.name, event.event_id, event.type, applied.outcome)
    if applied.paid_ids:
        notices.send_remittances(applied.paid_ids)
        for run_id in runs_paid:
            _settle_run(run_id, provider)
    return applied.outcome


def _stored(provider_name: str, event_id: str) -> bool:
    return (
        db.session.scalar(
            select(ProviderEventRecord.id).where(
                ProviderEventRecord.provider == provider_name,
                ProviderEventRecord.event_id == event_id,
            )
        )
        is not None
    )


def _payload(event: ProviderEvent) -> dict[str, Any]:
    if event.type == PAYEE_UPDATED:
        # An account carries the person's details: keep only what reconciliation needs.
        return {
            "id": event.event_id,
            "type": event.raw.get("type"),
            "payee_reference": event.payee_reference,
            "can_be_paid": event.can_be_paid,
        }
    return dict(event.raw)


def _label(provider: PaymentProvider) -> str:
    return f"{provider.name} webhook"


# -- applying each kind of event ------------------------------------------------------------------


def _payee_updated(provider: PaymentProvider, event: ProviderEvent) -> _Applied:
    payee = _payee(provider, event.payee_reference)
    if payee is None:
        return _Applied(UNKNOWN_PAYEE)
    # The event may be older than another we already applied: ask the provider for now.
    onboarding.update_payee(payee, provider, actor_label=_label(provider))
    if payee.can_be_paid:
        return _Applied("payee can be paid")
    return _Applied(f"payee cannot be paid: {payee.reason}")


def _payment_sent(provider: PaymentProvider, event: ProviderEvent) -> _Applied:
    payment = _payment(provider, event)
    if payment is None:
        return _Applied(UNKNOWN_PAYMENT)
    if event.amount_pence != payment.amount_pence:
        return _Applied(AMOUNT_DIFFERS, payment.id)
    if payment.status not in ("pending", "sending"):
        return _Applied(f"payment already {payment.status}", payment.id)
    runs._record_result(
        payment, PaymentResult(payment.key, SENT, event.provider_reference), "webhook"
    )
    return _Applied("payment sent", payment.id)


def _payment_reversed(provider: PaymentProvider, event: ProviderEvent) -> _Applied:
    payment = _payment(provider, event)
    if payment is None:
        return _Applied(UNKNOWN_PAYMENT)
    if event.amount_pence != payment.amount_pence:
        return _Applied(AMOUNT_DIFFERS, payment.id)  # part of it came back: finance look
    if payment.status == "failed":
        return _Applied("payment already failed", payment.id)
    if event.provider_reference and not payment.provider_reference:
        payment.provider_reference = event.provider_reference
    runs._fail(payment, event.failure_reason or "The payment provider reversed the payment")
    return _Applied("payment failed", payment.id)


def _payout_paid(provider: PaymentProvider, event: ProviderEvent) -> _Applied:
    payee = _payee(provider, event.payee_reference)
    if payee is None:
        return _Applied(UNKNOWN_PAYEE)
    sent = list(
        db.session.scalars(
            select(Payment)
            .join(PaymentRun, PaymentRun.id == Payment.run_id)
            .where(
                Payment.user_id == payee.user_id,
                Payment.status == "sent",
                PaymentRun.provider == provider.name,
            )
            .order_by(Payment.sent_at, Payment.id)
            .with_for_update(of=Payment)
        )
    )
    if not sent:
        return _Applied(UNKNOWN_PAYMENT)
    covered = _oldest_summing_to(sent, event.amount_pence)
    if covered is None:
        return _Applied(AMOUNT_DIFFERS)
    for payment in covered:
        runs.mark_payment_paid(payment, "webhook")
    count = len(covered)
    return _Applied(
        f"{count} {'payment' if count == 1 else 'payments'} paid",
        covered[0].id if count == 1 else None,
        [payment.id for payment in covered],
    )


def _payout_failed(provider: PaymentProvider, event: ProviderEvent) -> _Applied:
    payee = _payee(provider, event.payee_reference)
    reason = event.failure_reason or "The bank refused it"
    _tell_finance_payout_failed(payee, event, reason)
    return _Applied(f"payout failed: {reason}" + ("" if payee else f" ({UNKNOWN_PAYEE})"))


APPLY: dict[str, Callable[[PaymentProvider, ProviderEvent], _Applied]] = {
    PAYEE_UPDATED: _payee_updated,
    PAYMENT_SENT: _payment_sent,
    PAYMENT_REVERSED: _payment_reversed,
    PAYOUT_PAID: _payout_paid,
    PAYOUT_FAILED: _payout_failed,
}


# -- helpers --------------------------------------------------------------------------------------


def _payee(provider: PaymentProvider, reference: str) -> Payee | None:
    if not reference:
        return None
    return db.session.scalar(
        select(Payee).where(Payee.provider == provider.name, Payee.reference == reference)
    )


def _payment(provider: PaymentProvider, event: ProviderEvent) -> Payment | None:
    """The payment an event is about: by its key, else by the provider's reference. Locked, so
    the event and anything else moving the payment take turns."""
    query = (
        select(Payment)
        .join(PaymentRun, PaymentRun.id == Payment.run_id)
        .where(PaymentRun.provider == provider.name)
        .with_for_update(of=Payment)
    )
    if event.payment_key:
        found = db.session.scalar(query.where(Payment.key == event.payment_key))
        if found is not None:
            return found
    if event.provider_reference:
        reference = event.provider_reference
        return db.session.scalar(query.where(Payment.provider_reference == reference))
    return None


def _oldest_summing_to(payments: list[Payment], amount: int | None) -> list[Payment] | None:
    """The oldest payments whose amounts add up to the payout's, to the penny (None: none do)."""
    if amount is None:
        return None
    total = 0
    for index, payment in enumerate(payments):
        total += payment.amount_pence
        if total == amount:
            return payments[: index + 1]
        if total > amount:
            return None
    return None


def _runs_of(payment_ids: list[int]) -> list[int]:
    if not payment_ids:
        return []
    return sorted(
        set(db.session.scalars(select(Payment.run_id).where(Payment.id.in_(payment_ids))))
    )


def _settle_run(run_id: int, provider: PaymentProvider) -> None:
    """A sent run whose payments are all settled (paid, or failed and returned) is paid."""
    open_payment = db.session.scalar(
        select(Payment.id)
        .where(Payment.run_id == run_id, Payment.status.not_in(("paid", "failed")))
        .limit(1)
    )
    if open_payment is not None:
        return
    result = db.session.execute(
        update(PaymentRun)
        .where(PaymentRun.id == run_id, PaymentRun.status == "sent")
        .values(status="paid", paid_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return
    audit.record(
        "payment_run.paid",
        "payment_run",
        run_id,
        before={"status": "sent"},
        after={"status": "paid", "via": "webhook"},
        actor_label=_label(provider),
    )
    commit()


def _tell_finance_payout_failed(payee: Payee | None, event: ProviderEvent, reason: str) -> None:
    for person in notices.finance_team():
        queue_email(
            person.email,
            "A payout to a partner's bank failed",
            "payout_failed_finance",
            person=person,
            partner=payee.user if payee is not None else None,
            payee_reference=event.payee_reference,
            amount_pence=event.amount_pence,
            reason=reason,
            event_id=event.event_id,
            format_pounds=_format_pounds,
        )


def _format_pounds(pence: int | None) -> str:
    from lep.money import format_pounds

    return "an amount not given" if pence is None else format_pounds(pence)


# -- the endpoint ---------------------------------------------------------------------------------

bp = Blueprint("payment_webhooks", __name__)


@bp.route("/payments/webhooks/stripe", methods=["POST"])
@public  # Stripe calls it with no session: the Stripe-Signature header is checked first
def stripe_webhook() -> ResponseReturnValue:
    provider = get_provider()
    if provider.name != "stripe":
        return jsonify({"error": "Payments do not use Stripe here"}), 404
    ahead = _stripe_timestamp_ahead(request.headers.get("Stripe-Signature"))
    if ahead is not None:
        log.warning("refused a stripe webhook dated %d s ahead", ahead)
        return jsonify({"error": "Stripe-Signature timestamp is too far in the future"}), 400
    result = handle(provider, request.get_data(cache=False), dict(request.headers))
    return jsonify(result.body()), result.status


def _stripe_timestamp_ahead(header: str | None) -> int | None:
    """How far ahead of our clock the header's timestamp is, when more than the tolerance."""
    from lep.payments.providers.stripe import WEBHOOK_TOLERANCE_SECONDS

    # Read as Stripe's library reads it (the first "t"), so this is the timestamp it verifies.
    for part in (header or "").split(","):
        key, _, value = part.partition("=")
        if key != "t":
            continue
        try:
            ahead = int(value.split("=", 1)[0]) - int(time.time())
        except ValueError:
            return None  # the signature check refuses it
        return ahead if ahead > WEBHOOK_TOLERANCE_SECONDS else None
    return None
