"""Messages about payments: a failed payment (to the partner and to finance) and remittance
advice when a payment is paid. They are queued inside the caller's transaction and delivered
once it commits (`lep.service.commit`); a rollback drops them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lep.accounts.models import User
from lep.db import utcnow
from lep.extensions import db
from lep.money import format_pounds
from lep.notifications.services import queue_email
from lep.payments.models import Payment
from lep.service import commit
from lep.timeutil import format_date
from lep.urls import external_url


def _queue(to: str, subject: str, template: str, **context: object) -> None:
    queue_email(
        to, subject, template, format_pounds=format_pounds, format_date=format_date, **context
    )


def finance_team() -> list[User]:
    return [
        user
        for user in db.session.scalars(select(User).where(User.active.is_(True)))
        if user.has_role("finance")
    ]


def payment_failed(payment: Payment) -> None:
    """Tell the partner (plainly, with what happens next) and finance (with the reason)."""
    _queue(
        payment.user.email,
        f"A payment to you did not go through: {payment.reference}",
        "payment_failed_partner",
        payment=payment,
        user=payment.user,
        payments_url=external_url("main.dashboard"),
    )
    for person in finance_team():
        _queue(
            person.email,
            f"Payment {payment.reference} failed",
            "payment_failed_finance",
            payment=payment,
            person=person,
        )


def payment_scheduled(payment: Payment) -> None:
    """Tell the payee what is about to be paid (their claims and fees are now scheduled)."""
    _queue(
        payment.user.email,
        f"We are paying you {format_pounds(payment.amount_pence)}",
        "payment_scheduled",
        payment=payment,
        user=payment.user,
        payments_url=external_url("involvement.payments"),
    )


def send_remittances(payment_ids: Iterable[int]) -> None:
    """Remittance advice for each paid payment: what it paid for, to the penny."""
    ids = list(payment_ids)
    if not ids:
        return
    payments = db.session.scalars(
        select(Payment)
        .where(Payment.id.in_(ids), Payment.remittance_sent_at.is_(None))
        .options(selectinload(Payment.items), selectinload(Payment.user))
    )
    now = utcnow()
    for payment in payments:
        _queue(
            payment.user.email,
            f"Remittance advice: {format_pounds(payment.amount_pence)} paid ({payment.reference})",
            "payment_remittance",
            payment=payment,
            user=payment.user,
            pdf_url=external_url("involvement.remittance_pdf", payment_id=payment.id),
        )
        payment.remittance_sent_at = now
    commit()
