"""Partners: people appointed to a role (from an accepted offer).

Payment preferences and involvement logged belong here too (the payments issue).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.accounts.models import User
from lep.db import TimestampMixin, UTCDateTime, one_of, utcnow
from lep.extensions import db
from lep.roles.models import Role
from lep.shortlisting.models import Offer


class Appointment(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A partner linked to a role, on the terms of the offer they accepted."""

    __tablename__ = "appointment"
    __table_args__ = (UniqueConstraint("user_id", "role_id", name="one_appointment_per_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), unique=True)
    engagement_type: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    role: Mapped[Role] = relationship()
    offer: Mapped[Offer] = relationship()


# -- Paying partners ------------------------------------------------------------------------------

# How a partner wants a fee handled. Expenses are always reimbursed whatever they choose.
FEE_CHOICES = {
    "pay": "Pay me",
    "decline": "I do not want to be paid for this",
    "other_way": "Pay me another way (arranged with the finance team)",
}
DURATION_KINDS = {"hours": "Hours", "half_day": "Half a day", "day": "A whole day"}
INVOLVEMENT_STATUSES = {
    "submitted": "Waiting for approval",
    "approved": "Approved",
    "rejected": "Not approved",
    "declined": "Fee declined by you",
    "other_way": "To be paid another way",
    "payroll": "Sent to payroll",
    "scheduled": "Scheduled for payment",
    "paid": "Paid",
}


class BankDetails(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A partner's bank account for the bank-file provider, encrypted at rest (Fernet).

    Only `masked` (last digits) is ever shown; `changed_at` holds payments back for a few days
    after a change, in case the change was not the partner's."""

    __tablename__ = "bank_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    masked: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PartnerSettings(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "partner_settings"
    __table_args__ = (
        CheckConstraint(
            "weekly_warning_pence IS NULL OR weekly_warning_pence > 0", name="weekly_warning"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    # A personal amount a week; the partner is warned before a payment would take them over it.
    weekly_warning_pence: Mapped[int | None] = mapped_column()


class Involvement(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """Involvement a partner logged, with its fee priced by their rate card on the day and frozen.

    Approved by the role's staff contact, never by the partner. Employed partners' hours go to
    payroll instead of a payment run."""

    __tablename__ = "involvement"
    __table_args__ = (
        CheckConstraint(
            one_of("duration_kind", DURATION_KINDS),
            name="duration_kind",
        ),
        CheckConstraint(one_of("fee_choice", FEE_CHOICES), name="fee_choice"),
        CheckConstraint(
            one_of("status", INVOLVEMENT_STATUSES),
            name="status",
        ),
        CheckConstraint("minutes >= 0 AND prep_minutes >= 0", name="minutes"),
        CheckConstraint("fee_pence >= 0", name="fee"),
        Index("ix_involvement_status_approved_at", "status", "approved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    happened_on: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    duration_kind: Mapped[str] = mapped_column(String(10))
    minutes: Mapped[int] = mapped_column(default=0)  # for "hours": the time itself
    prep_minutes: Mapped[int] = mapped_column(default=0)
    # Frozen from the rate card rate in force on happened_on.
    rate_card_id: Mapped[int | None] = mapped_column(ForeignKey("rate_card.id"))
    hourly_pence: Mapped[int | None] = mapped_column()
    half_day_pence: Mapped[int | None] = mapped_column()
    day_pence: Mapped[int | None] = mapped_column()
    fee_pence: Mapped[int] = mapped_column(default=0)
    fee_working: Mapped[str] = mapped_column(Text, default="")
    fee_choice: Mapped[str] = mapped_column(String(10), default="pay")
    status: Mapped[str] = mapped_column(String(10), default="submitted")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    role: Mapped[Role] = relationship()

    @property
    def status_text(self) -> str:
        return INVOLVEMENT_STATUSES[self.status]
