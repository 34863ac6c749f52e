"""The involvement pool's tables. Kept deliberately plain (programme -> opportunity -> session)
so that other packages (support's checks, "you said, we did") can link to them by id."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.accounts.models import User
from lep.db import TimestampMixin, UTCDateTime, one_of
from lep.extensions import db

ACTIVITY_KINDS = {
    "steering_group": "Steering or advisory group",
    "training": "Training (taking part or delivering)",
    "mentoring": "Mentoring",
    "review": "Reviewing (abstracts, bids, documents)",
    "event": "Events and conferences",
    "peer_review": "Peer review panels",
}
TAKING_PART = {"online": "Online", "in_person": "In person", "either": "Online or in person"}
CONTACT_CHOICES = {"email": "Email me about opportunities", "dashboard": "Only show them here"}
HOW_CHOSEN = {
    "first_come": "First come, first served",
    "chosen": "Chosen by the coordinator against the criteria stated",
    "lottery": "A lottery among those interested, with quotas",
}
OPPORTUNITY_STATUSES = {"open": "Open", "decided": "People chosen", "closed": "Closed"}
INTEREST_STATUSES = {
    "interested": "Interested",
    "chosen": "Chosen",
    "not_chosen": "Not chosen this time",
    "withdrawn": "Withdrawn",
}
ATTENDANCE = {"present": "Present", "left_early": "Left early", "absent": "Absent"}
PROGRAMME_KINDS = {"programme": "Programme", "event": "Event", "course": "Training course"}


class PoolProfile(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One person, one profile. `left_at` set: they left the pool (retention rules apply)."""

    __tablename__ = "pool_profile"
    __table_args__ = (
        CheckConstraint(one_of("taking_part", TAKING_PART), name="taking_part"),
        CheckConstraint(one_of("contact", CONTACT_CHOICES), name="contact"),
        CheckConstraint(one_of("fee_choice", ("pay", "decline", "other_way")), name="fee_choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    kinds: Mapped[str] = mapped_column(Text, default="")  # comma-separated ACTIVITY_KINDS keys
    topics: Mapped[str] = mapped_column(Text, default="")  # comma-separated tags, own words
    skills: Mapped[str] = mapped_column(Text, default="")
    taking_part: Mapped[str] = mapped_column(String(10), default="either")
    regions: Mapped[str] = mapped_column(Text, default="")  # comma-separated equality regions
    times: Mapped[str] = mapped_column(Text, default="")
    access_needs: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(10), default="email")
    fee_choice: Mapped[str] = mapped_column(String(10), default="pay")
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def tags(self, field: str) -> set[str]:
        return {t.strip().lower() for t in getattr(self, field).split(",") if t.strip()}


class LivedExperience(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """Self-described lived-experience areas, kept apart like equality data: read only by the
    person and coordinators (`services.lived_experience_for`)."""

    __tablename__ = "pool_lived_experience"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    areas: Mapped[str] = mapped_column(Text, default="")


class Programme(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A programme, event or course grouping opportunities (streams, cohorts)."""

    __tablename__ = "pool_programme"
    __table_args__ = (CheckConstraint(one_of("kind", PROGRAMME_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="programme")
    description: Mapped[str] = mapped_column(Text, default="")


class Opportunity(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """An activity offered to the pool (a stream, a cohort, a steering-group seat)."""

    __tablename__ = "pool_opportunity"
    __table_args__ = (
        CheckConstraint("places > 0", name="places"),
        CheckConstraint(one_of("how_chosen", HOW_CHOSEN), name="how_chosen"),
        CheckConstraint(one_of("status", OPPORTUNITY_STATUSES), name="status"),
        CheckConstraint(one_of("taking_part", TAKING_PART), name="taking_part"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("pool_programme.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    why: Mapped[str] = mapped_column(Text, default="")  # why it matters, what difference
    taking_part: Mapped[str] = mapped_column(String(10), default="either")
    place: Mapped[str] = mapped_column(Text, default="")
    time_asked: Mapped[str] = mapped_column(Text, default="")
    support: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[str] = mapped_column(Text, default="")
    # Paid: the role whose rate card prices each session and whose contact approves the fees.
    # None: voluntary, with expenses.
    role_id: Mapped[int | None] = mapped_column(ForeignKey("role.id"))
    places: Mapped[int] = mapped_column()
    how_chosen: Mapped[str] = mapped_column(String(12), default="first_come")
    # Who it is open to: empty means the whole pool.
    for_kind: Mapped[str] = mapped_column(String(20), default="")
    for_topic: Mapped[str] = mapped_column(String(100), default="")
    for_region: Mapped[str] = mapped_column(String(30), default="")
    # Lottery quota by region: minimum places for `for_region`... see quota_region/quota_min.
    quota_region: Mapped[str] = mapped_column(String(30), default="")
    quota_min: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    programme: Mapped[Programme | None] = relationship()
    sessions: Mapped[list[PoolSession]] = relationship(
        back_populates="opportunity", order_by="PoolSession.starts_at"
    )


class PoolSession(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "pool_session"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("pool_opportunity.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(Text, default="")
    attendance_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    opportunity: Mapped[Opportunity] = relationship(back_populates="sessions")


class Interest(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "pool_interest"
    __table_args__ = (
        UniqueConstraint("opportunity_id", "user_id", name="one_interest_each"),
        CheckConstraint(one_of("status", INTEREST_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("pool_opportunity.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="interested")

    user: Mapped[User] = relationship()


class Attendance(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One line of a session's register. One per (session, person): never two fees."""

    __tablename__ = "pool_attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="one_line_each"),
        CheckConstraint(one_of("status", ATTENDANCE), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("pool_session.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[int] = mapped_column(default=0)
    involvement_id: Mapped[int | None] = mapped_column(ForeignKey("involvement.id"), unique=True)

    user: Mapped[User] = relationship()


class FeeCorrection(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A late attendance change to a fee already on its way or paid: never silently dropped,
    kept here for finance to settle (recover or top up)."""

    __tablename__ = "pool_fee_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(ForeignKey("pool_attendance.id"), index=True)
    involvement_id: Mapped[int] = mapped_column(ForeignKey("involvement.id"))
    was_pence: Mapped[int] = mapped_column()
    now_pence: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    on_date: Mapped[dt.date] = mapped_column(Date)
