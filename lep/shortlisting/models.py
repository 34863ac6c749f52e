"""Shortlisting: panels, blind scorecards, moderation, decisions, interviews, lotteries, offers.

A role has one panel: a lead (HR) who moderates and decides, and scorers (staff, or
lived-experience reviewers with the `panel` role). A scorer has one scorecard per application:
scores 0 to 3 per criterion with a comment, a draft until submitted, or a declared conflict of
interest (then it holds no scores). Money is integer pence; times are aware UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lep.accounts.models import User
from lep.applications.models import Application
from lep.db import TimestampMixin, UTCDateTime, one_of, utcnow
from lep.extensions import db
from lep.roles.models import Criterion, PayPoint, QuotaCategory, RateCard, Role

# The anchored scale every criterion is scored on, with the guidance shown to scorers.
SCALE = {
    0: ("No evidence", "The answer gives no evidence of this criterion."),
    1: ("Limited evidence", "Some evidence, but thin, unclear or only partly relevant."),
    2: ("Good evidence", "Clear, relevant evidence with an example."),
    3: ("Strong evidence", "Clear, relevant and well-developed evidence, with reflection."),
}
SCORE_MIN, SCORE_MAX = 0, 3
DISAGREEMENT = 2  # scorers this far apart on a criterion are flagged for moderation

SCORECARD_STATUSES = {"draft": "In progress", "submitted": "Submitted", "conflict": "Conflict"}
# What a scorecard scores: the written application (shortlisting) or the interview. The same
# card, scale, drafts, conflicts and moderation serve both; a card scores its stage's criteria.
SCORECARD_STAGES = {"application": "Application", "interview": "Interview"}
OUTCOMES = {"shortlisted": "Shortlisted", "not_shortlisted": "Not shortlisted"}
OFFER_STATUSES = {
    "made": "Offer made: waiting for a reply",
    "accepted": "Accepted",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
DRAW_STATUSES = {"drawn": "Drawn", "infeasible": "Quotas cannot be met"}


class Panel(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "panel"

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), unique=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Set by the lead: after this nobody scores; moderation and decisions follow.
    scoring_closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    role: Mapped[Role] = relationship()
    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id])
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="panel", cascade="all, delete-orphan", order_by="PanelMember.id"
    )


class PanelMember(db.Model):  # type: ignore[name-defined,misc]
    """A scorer on a role's panel."""

    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("panel_id", "user_id", name="one_seat_each"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    panel: Mapped[Panel] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Scorecard(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One scorer's view of one application at one stage (the written application, or the
    interview): draft, submitted, or a declared conflict."""

    __tablename__ = "scorecard"
    __table_args__ = (
        UniqueConstraint("application_id", "scorer_id", "stage", name="one_card_per_stage"),
        CheckConstraint(one_of("status", SCORECARD_STATUSES), name="status"),
        CheckConstraint(one_of("stage", SCORECARD_STAGES), name="stage"),
        Index("ix_scorecard_scorer_status", "scorer_id", "status"),
        # The matrix's scorers: the distinct scorers with a submitted card for a role, one
        # index probe each (matrix.scorers_for).
        Index("ix_scorecard_role_status_scorer", "role_id", "status", "scorer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    scorer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    stage: Mapped[str] = mapped_column(
        String(12), default="application", server_default="application"
    )
    conflict_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()
    scorer: Mapped[User] = relationship()
    scores: Mapped[list[Score]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan", order_by="Score.criterion_id"
    )


class Score(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("scorecard_id", "criterion_id", name="one_score_per_criterion"),
        CheckConstraint(
            f"value IS NULL OR (value >= {SCORE_MIN} AND value <= {SCORE_MAX})", name="scale"
        ),
        # A role's scores by its criteria, with the card and the value (an index-only scan):
        # the matrix's disagreements read the role's scores, not every score.
        Index("ix_score_criterion_card_value", "criterion_id", "scorecard_id", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"))
    value: Mapped[int | None] = mapped_column()  # None while a draft leaves it unscored
    comment: Mapped[str] = mapped_column(Text, default="")

    scorecard: Mapped[Scorecard] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class ModeratedScore(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """The lead's agreed score for a criterion of an application, with the reason."""

    __tablename__ = "moderated_score"
    __table_args__ = (
        UniqueConstraint("application_id", "criterion_id", name="one_moderation"),
        CheckConstraint(f"value >= {SCORE_MIN} AND value <= {SCORE_MAX}", name="scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    criterion: Mapped[Criterion] = relationship()


class Decision(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """Shortlisted or not, with the reason kept for feedback."""

    __tablename__ = "shortlist_decision"
    __table_args__ = (CheckConstraint(one_of("outcome", OUTCOMES), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    # The lead shortlisted despite a failed essential criterion (the reason says why).
    overrode_rule: Mapped[bool] = mapped_column(default=False)
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    feedback_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When the applicant was told (outcome email or lottery result); a decision is final then.
    outcome_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()


class Interview(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """An invitation to interview; the organiser is told the adjustments the applicant asked for."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), unique=True
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(Text)
    organiser_email: Mapped[str] = mapped_column(String(320))
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # After the interview: "offer" or "unsuccessful", with the reason kept for feedback.
    outcome: Mapped[str | None] = mapped_column(String(12))
    outcome_reason: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship()


class LotteryQuota(db.Model):  # type: ignore[name-defined,misc]
    """Minimum and maximum places for one option of a role's quota question."""

    __tablename__ = "lottery_quota"
    __table_args__ = (
        UniqueConstraint("category_id", "option", name="one_quota_per_option"),
        CheckConstraint("min_places >= 0 AND max_places >= min_places", name="range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("quota_category.id", ondelete="CASCADE"), index=True
    )
    option: Mapped[str] = mapped_column(String(200))
    min_places: Mapped[int] = mapped_column(default=0)
    max_places: Mapped[int] = mapped_column()

    category: Mapped[QuotaCategory] = relationship()


class LotteryDraw(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One draw: its inputs, seed and result, kept so it can be repeated exactly."""

    __tablename__ = "lottery_draw"
    __table_args__ = (
        CheckConstraint(one_of("status", DRAW_STATUSES), name="status"),
        CheckConstraint("places > 0", name="places"),
        # One confirmed draw per role, whoever presses Confirm at the same moment.
        Index(
            "uq_lottery_draw_one_confirmed",
            "role_id",
            unique=True,
            postgresql_where=text("confirmed_at IS NOT NULL"),
            sqlite_where=text("confirmed_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), index=True)
    places: Mapped[int] = mapped_column()
    seed: Mapped[int] = mapped_column()
    algorithm: Mapped[str] = mapped_column(String(20), default="maximin")
    status: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(Text, default="")  # why quotas cannot be met
    quotas: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the quotas it used
    eligible: Mapped[list[int]] = mapped_column(JSON, default=list)  # application ids
    selected: Mapped[list[int]] = mapped_column(JSON, default=list)  # application ids
    # Application id (as a string) -> chance of selection, a decimal string like "0.4167".
    chances: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # Why HR drew again when an earlier draw for the role existed (required, shown in history).
    redraw_reason: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Offer(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """An offer of the role, frozen with the pay figures it was made at."""

    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint(one_of("status", OFFER_STATUSES), name="status"),
        CheckConstraint(
            "(pay_point_id IS NOT NULL) OR (rate_card_id IS NOT NULL) OR engagement_type = "
            "'expenses_only'",
            name="has_pay",
        ),
        Index("ix_offer_application_status", "application_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    engagement_type: Mapped[str] = mapped_column(String(20))
    pay_point_id: Mapped[int | None] = mapped_column(ForeignKey("pay_point.id"))
    rate_card_id: Mapped[int | None] = mapped_column(ForeignKey("rate_card.id"))
    minutes_per_week: Mapped[int | None] = mapped_column()  # employed: 37.5 hours = 2250
    sessions_per_month: Mapped[int | None] = mapped_column()  # sessional
    start_date: Mapped[dt.date] = mapped_column(Date)
    # Frozen when made: what the applicant was offered, whatever the tables say later.
    band: Mapped[str | None] = mapped_column(String(3))
    annual_pence: Mapped[int | None] = mapped_column()  # full-time annual salary at the point
    pro_rata_annual_pence: Mapped[int | None] = mapped_column()
    hourly_pence: Mapped[int | None] = mapped_column()
    half_day_pence: Mapped[int | None] = mapped_column()
    day_pence: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="made")
    reason: Mapped[str] = mapped_column(Text, default="")  # why withdrawn or declined
    made_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    application: Mapped[Application] = relationship()
    role: Mapped[Role] = relationship()
    pay_point: Mapped[PayPoint | None] = relationship()
    rate_card: Mapped[RateCard | None] = relationship()

    @property
    def status_text(self) -> str:
        return OFFER_STATUSES[self.status]
