"""Support for partners over time: induction checklists, checks with expiry and their reminders,
and how an appointment ended.

Only the fact, level and dates of a check are stored, never a certificate's content. How long
these are kept is reckoned from the appointment's `ended_at` (privacy's retention: six years).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.db import TimestampMixin, UTCDateTime, one_of
from lep.extensions import db
from lep.partners.models import Appointment

CHECK_KINDS = {
    "dbs": "DBS check",
    "references": "References",
    "right_to_work": "Right to work",
    "confidentiality": "Confidentiality agreement",
}
DBS_LEVELS = {"basic": "Basic", "standard": "Standard", "enhanced": "Enhanced"}
# Days before expiry a reminder goes; "0" is the day it expires (or any day after).
THRESHOLDS = ("30", "7", "0")
END_REASONS = {
    "fixed_term": "The fixed term was reached",
    "stepped_down": "The partner stepped down",
    "organisation": "The organisation ended it",
}


class InductionItem(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One step of the induction checklist HR defines for a kind of role (engagement type)."""

    __tablename__ = "induction_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_type: Mapped[str] = mapped_column(String(20), index=True)
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class InductionTick(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A step of induction done, ticked by the partner's contact with the date it was done."""

    __tablename__ = "induction_tick"
    __table_args__ = (UniqueConstraint("appointment_id", "item_id", name="one_tick_per_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("induction_item.id"))
    done_on: Mapped[dt.date] = mapped_column(Date)
    ticked_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    item: Mapped[InductionItem] = relationship()


class SupportCheck(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A check an appointment needs (DBS, references, ...): the fact, level and dates only."""

    __tablename__ = "support_check"
    __table_args__ = (
        CheckConstraint(one_of("kind", CHECK_KINDS), name="kind"),
        CheckConstraint("expires_on IS NULL OR expires_on >= done_on", name="expiry_after_done"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20), default="")
    done_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    appointment: Mapped[Appointment] = relationship()

    @property
    def kind_text(self) -> str:
        return CHECK_KINDS[self.kind]


class CheckReminder(db.Model):  # type: ignore[name-defined,misc]
    """A reminder sent for a check at one threshold: the unique pair makes it once only, however
    often (or however many at once) the reminders command runs."""

    __tablename__ = "check_reminder"
    __table_args__ = (
        UniqueConstraint("check_id", "threshold", name="one_reminder_per_threshold"),
        CheckConstraint(one_of("threshold", THRESHOLDS), name="threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("support_check.id"))
    threshold: Mapped[str] = mapped_column(String(4))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AppointmentEnding(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """How an appointment ended: reason, last day, exit conversation offered, stay in the pool."""

    __tablename__ = "appointment_ending"
    __table_args__ = (CheckConstraint(one_of("reason", END_REASONS), name="reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    last_day: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    exit_conversation_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    stay_in_pool: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
