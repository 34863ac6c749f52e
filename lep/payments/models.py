"""Payment runs, payments and what they pay for, payees at the provider, and provider events.

A run gathers approved expense claims and fees into one payment per payee. Each payment has an
idempotency key, so sending it again (after a worker died, say) never pays twice. Money is
integer pence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.accounts.models import User
from lep.db import TimestampMixin, UTCDateTime, one_of, utcnow
from lep.expenses.models import Claim
from lep.extensions import db
from lep.partners.models import Involvement

RUN_STATUSES = {
    "draft": "Being prepared",
    "awaiting_approval": "Waiting for a second approval",
    "approved": "Ready to send",
    "sending": "Sending",
    "sent": "Sent",
    "paid": "Paid",
    "cancelled": "Cancelled",
}
PAYMENT_STATUSES = {
    "pending": "Waiting to be sent",
    "sending": "Sending",
    "sent": "Sent",
    "paid": "Paid",
    "failed": "Failed",
}


# What a provider event changed when it could not be applied (ProviderEventRecord.outcome);
# reconciliation flags these.
UNKNOWN_PAYMENT = "unknown payment"
AMOUNT_DIFFERS = "amount differs"


class Payee(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A person as the provider knows them (a Stripe connected account, say)."""

    __tablename__ = "payee"
    __table_args__ = (UniqueConstraint("user_id", "provider", name="one_payee_per_provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100), default="")
    can_be_paid: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()


class PaymentRun(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "payment_run"
    __table_args__ = (
        CheckConstraint(one_of("status", RUN_STATUSES), name="status"),
        CheckConstraint("total_pence >= 0", name="total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(30), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    total_pence: Mapped[int] = mapped_column(default=0)
    # Payees held back when the run was built, with the reason: [{user_id, amount_pence, reason}]
    held: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sending_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The second-approval threshold in force when the run was built (None: built before it was
    # kept). A later change of PAYMENT_RUN_APPROVAL_OVER_PENCE does not change what a run says.
    approval_over_pence: Mapped[int | None] = mapped_column()
    # While sending: who may send it (a token per sender) and until when (renewed as it goes).
    # A run sending with no lease, or a lapsed one, has stopped and can be resumed (runs.py).
    sender: Mapped[str | None] = mapped_column(String(64))
    sender_lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    payments: Mapped[list[Payment]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="Payment.id"
    )

    @property
    def status_text(self) -> str:
        return RUN_STATUSES[self.status]


class Payment(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One payment to one payee in a run: the sum of its items, to the penny."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(one_of("status", PAYMENT_STATUSES), name="status"),
        CheckConstraint("amount_pence > 0", name="amount"),
        Index("ix_payment_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payment_run.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    amount_pence: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(String(64), unique=True)  # the idempotency key
    reference: Mapped[str] = mapped_column(String(18))  # on the payee's bank statement
    status: Mapped[str] = mapped_column(String(10), default="pending")
    provider_reference: Mapped[str] = mapped_column(String(100), default="")
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    remittance_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    run: Mapped[PaymentRun] = relationship(back_populates="payments")
    user: Mapped[User] = relationship()
    items: Mapped[list[PaymentItem]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", order_by="PaymentItem.id"
    )

    @property
    def status_text(self) -> str:
        return PAYMENT_STATUSES[self.status]


class PaymentItem(db.Model):  # type: ignore[name-defined,misc]
    """What a payment pays for: an approved claim, or an approved fee.

    An item is live until its payment fails or its run is cancelled (`released_at` is then set,
    and the claim or fee can go in a later run). The database holds each claim and each fee in
    at most one live item, so no two runs can pay the same thing, however they race."""

    __tablename__ = "payment_item"
    __table_args__ = (
        Index(
            "uq_payment_item_live_claim",
            "claim_id",
            unique=True,
            postgresql_where=text("claim_id IS NOT NULL AND released_at IS NULL"),
            sqlite_where=text("claim_id IS NOT NULL AND released_at IS NULL"),
        ),
        Index(
            "uq_payment_item_live_fee",
            "involvement_id",
            unique=True,
            postgresql_where=text("involvement_id IS NOT NULL AND released_at IS NULL"),
            sqlite_where=text("involvement_id IS NOT NULL AND released_at IS NULL"),
        ),
        CheckConstraint(
            "(claim_id IS NOT NULL AND involvement_id IS NULL) OR "
            "(claim_id IS NULL AND involvement_id IS NOT NULL)",
            name="one_thing",
        ),
        CheckConstraint("amount_pence > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payment.id", ondelete="CASCADE"), index=True
    )
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"), index=True)
    involvement_id: Mapped[int | None] = mapped_column(ForeignKey("involvement.id"), index=True)
    amount_pence: Mapped[int] = mapped_column()
    description: Mapped[str] = mapped_column(Text, default="")
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    payment: Mapped[Payment] = relationship(back_populates="items")
    claim: Mapped[Claim | None] = relationship()
    involvement: Mapped[Involvement | None] = relationship()


class BacsInstruction(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """The bank-file provider's own record of a payment it was asked to make (by key)."""

    __tablename__ = "bacs_instruction"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    group: Mapped[str] = mapped_column(String(30), index=True)
    payee_reference: Mapped[str] = mapped_column(String(100))
    amount_pence: Mapped[int] = mapped_column()
    reference: Mapped[str] = mapped_column(String(18))
    state: Mapped[str] = mapped_column(String(10), default="sent")


class ProviderEventRecord(db.Model):  # type: ignore[name-defined,misc]
    """Each provider event stored once: a replayed event id is ignored."""

    __tablename__ = "provider_event"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="once_per_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    amount_pence: Mapped[int | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(Text, default="")  # what it changed, or why not
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
