"""Pay points, rate cards, roles, criteria and application questions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.accounts.models import User
from lep.db import TimestampMixin, UTCDateTime, one_of
from lep.extensions import db

AFC = "afc-england"
AFC_BANDS = ("1", "2", "3", "4", "5", "6", "7", "8a", "8b", "8c", "8d", "9")

ENGAGEMENT_TYPES = {
    "employed": "Employed (paid through payroll on an NHS pay band)",
    "sessional": "Sessional (paid a fee for each session, plus expenses)",
    "expenses_only": "Voluntary (expenses paid)",
}
WORK_PATTERNS = {"on_site": "On site", "hybrid": "Hybrid", "remote": "Remote"}
ROLE_STATUSES = {"draft": "Draft", "open": "Open", "closed": "Closed", "filled": "Filled"}
SELECTION_METHODS = {
    "scored": "Scored shortlisting against the criteria",
    "lottery": "A lottery among applicants who meet the essential criteria",
}
CRITERION_STAGES = {"application": "Application", "interview": "Interview"}


class PayPoint(db.Model):  # type: ignore[name-defined,misc]
    """One pay point of a band, from one pay table (effective from a date)."""

    __tablename__ = "pay_point"
    __table_args__ = (
        UniqueConstraint("framework", "band", "point", "effective_from", name="one_per_table"),
        CheckConstraint("annual_pence > 0", name="positive_salary"),
        CheckConstraint("point > 0", name="positive_point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    framework: Mapped[str] = mapped_column(String(30), default=AFC)
    band: Mapped[str] = mapped_column(String(3))
    point: Mapped[int] = mapped_column()
    years_from: Mapped[int] = mapped_column(default=0)
    annual_pence: Mapped[int] = mapped_column()
    effective_from: Mapped[dt.date] = mapped_column(Date, index=True)


class RateCard(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A named set of involvement fees (per hour, half day, day), effective-dated."""

    __tablename__ = "rate_card"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    rates: Mapped[list[RateCardRate]] = relationship(
        back_populates="rate_card",
        order_by="RateCardRate.effective_from",
        cascade="all, delete-orphan",
    )


class RateCardRate(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "rate_card_rate"
    __table_args__ = (
        UniqueConstraint("rate_card_id", "effective_from", name="one_per_date"),
        CheckConstraint(
            "hourly_pence IS NOT NULL OR half_day_pence IS NOT NULL OR day_pence IS NOT NULL",
            name="has_a_rate",
        ),
        CheckConstraint(
            "(hourly_pence IS NULL OR hourly_pence >= 0) AND (half_day_pence IS NULL OR "
            "half_day_pence >= 0) AND (day_pence IS NULL OR day_pence >= 0)",
            name="not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rate_card_id: Mapped[int] = mapped_column(ForeignKey("rate_card.id", ondelete="CASCADE"))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    hourly_pence: Mapped[int | None] = mapped_column()
    half_day_pence: Mapped[int | None] = mapped_column()
    day_pence: Mapped[int | None] = mapped_column()
    # A half day is up to this many hours; longer is a day (NHS England PPV policy: 4 hours).
    half_day_max_hours: Mapped[int] = mapped_column(default=4)

    rate_card: Mapped[RateCard] = relationship(back_populates="rates")


question_criterion = Table(
    "question_criterion",
    db.metadata,
    Column("question_id", ForeignKey("question.id", ondelete="CASCADE"), primary_key=True),
    Column("criterion_id", ForeignKey("criterion.id", ondelete="CASCADE"), primary_key=True),
)


class Role(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "role"
    __table_args__ = (
        CheckConstraint(one_of("engagement_type", ENGAGEMENT_TYPES), name="engagement_type"),
        CheckConstraint(one_of("work_pattern", WORK_PATTERNS), name="work_pattern"),
        CheckConstraint(one_of("status", ROLE_STATUSES), name="status"),
        CheckConstraint(one_of("selection_method", SELECTION_METHODS), name="selection_method"),
        CheckConstraint("posts >= 1", name="posts"),
        CheckConstraint(
            "minutes_per_week IS NULL OR (minutes_per_week > 0 AND minutes_per_week <= 2250)",
            name="hours",
        ),
        Index("ix_role_status_closes_at", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    engagement_type: Mapped[str] = mapped_column(String(20))
    band: Mapped[str | None] = mapped_column(String(3))
    rate_card_id: Mapped[int | None] = mapped_column(ForeignKey("rate_card.id"))
    # Hours a week as minutes (37.5 hours = 2250): whole numbers, no floats.
    minutes_per_week: Mapped[int | None] = mapped_column()
    sessions_per_month: Mapped[int | None] = mapped_column()
    location: Mapped[str] = mapped_column(String(200), default="")
    work_pattern: Mapped[str] = mapped_column(String(10), default="on_site")
    posts: Mapped[int] = mapped_column(default=1)
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="draft")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    selection_method: Mapped[str] = mapped_column(String(10), default="scored")
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Finance: the cost centre expenses for this role are charged to, and an optional budget
    # holder who gives the first approval on its expense claims (finance gives the final one).
    cost_code: Mapped[str] = mapped_column(String(40), default="")
    budget_holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    rate_card: Mapped[RateCard | None] = relationship()
    budget_holder: Mapped[User | None] = relationship(foreign_keys=[budget_holder_id])
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="role", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="role", order_by="Question.position", cascade="all, delete-orphan"
    )
    quota_categories: Mapped[list[QuotaCategory]] = relationship(
        back_populates="role", order_by="QuotaCategory.position", cascade="all, delete-orphan"
    )

    @property
    def hours_per_week(self) -> float | None:
        return None if self.minutes_per_week is None else self.minutes_per_week / 60


class Criterion(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "criterion"
    __table_args__ = (CheckConstraint(one_of("stage", CRITERION_STAGES), name="stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    essential: Mapped[bool] = mapped_column(default=True)
    stage: Mapped[str] = mapped_column(String(12), default="application")
    position: Mapped[int] = mapped_column(default=0)

    role: Mapped[Role] = relationship(back_populates="criteria")


class Question(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "question"
    __table_args__ = (CheckConstraint("word_limit > 0", name="word_limit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    word_limit: Mapped[int] = mapped_column(default=250)
    position: Mapped[int] = mapped_column(default=0)

    role: Mapped[Role] = relationship(back_populates="questions")
    criteria: Mapped[list[Criterion]] = relationship(secondary=question_criterion)


class QuotaCategory(db.Model):  # type: ignore[name-defined,misc]
    """A lottery role's quota question (e.g. region, age band), asked on the application form.

    The shortlisting step sets minimum and maximum places for each option."""

    __tablename__ = "quota_category"
    __table_args__ = (UniqueConstraint("role_id", "name", name="one_name_per_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))  # e.g. "Region"
    question: Mapped[str] = mapped_column(Text)  # e.g. "Which region do you live in?"
    why: Mapped[str] = mapped_column(Text, default="")  # why it is asked and how it is used
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)

    role: Mapped[Role] = relationship(back_populates="quota_categories")
