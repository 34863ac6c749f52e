"""Moderation: who may moderate and decide for a role, the lead's moderated scores, and the
matrix the lead reads (applications by reference x criteria x scorers), a page at a time in a
fixed number of queries whatever the number of applications.

The one rule for who acts: the panel's lead; when the panel has no lead, any HR user. Anyone
with the HR role may read. Moderation waits until the lead has closed scoring.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from lep import audit
from lep.accounts.models import User
from lep.applications.models import Application
from lep.extensions import db
from lep.roles.models import Criterion, Question, Role
from lep.shortlisting.assessment import ApplicationAssessment, assess, scored_criteria
from lep.shortlisting.models import (
    DISAGREEMENT,
    SCORE_MAX,
    SCORE_MIN,
    Decision,
    ModeratedScore,
    Panel,
    Score,
    Scorecard,
)

MAX_REASON = 2_000
PER_PAGE = 25
# Applications the panel considers: sent and not withdrawn (later statuses stay visible).
NOT_CONSIDERED = ("draft", "withdrawn")
FILTERS = {
    "all": "All",
    "moderation": "Needs moderation",
    "undecided": "Not decided",
}
# The audit action recorded when an applicant is told (the state is Decision.outcome_sent_at).
OUTCOME_SENT = "shortlisting.outcome_sent"


class ShortlistingError(Exception):
    """What cannot be done, by field, in words for the lead (or the applicant)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# --- Who acts ---------------------------------------------------------------------------------


def load_role(role_id: int) -> Role | None:
    """A role with its criteria and questions loaded (scored_criteria reads them)."""
    return db.session.scalar(
        select(Role)
        .where(Role.id == role_id)
        .options(
            selectinload(Role.criteria),
            selectinload(Role.questions).selectinload(Question.criteria),
        )
    )


def panel_for(role: Role) -> Panel | None:
    return db.session.scalar(
        select(Panel).where(Panel.role_id == role.id).options(selectinload(Panel.lead))
    )


def can_moderate(user: Any, panel: Panel | None) -> bool:
    """The panel's lead moderates and decides; when no lead is set, any HR user does."""
    if not getattr(user, "is_authenticated", False) or not user.has_role("hr"):
        return False
    if panel is None or panel.lead_id is None:
        return True
    return bool(panel.lead_id == user.id)


def check_may_act(user: Any, panel: Panel | None) -> None:
    if not can_moderate(user, panel):
        lead = panel.lead.full_name if panel is not None and panel.lead is not None else "the lead"
        raise ShortlistingError(
            {"panel": f"Only the panel's lead ({lead}) can moderate and decide for this role"}
        )


def check_scoring_closed(panel: Panel | None) -> None:
    if panel is None or panel.scoring_closed_at is None:
        raise ShortlistingError(
            {"panel": "Scoring is still open. Close scoring on the panel page before moderating"}
        )


def outcomes_sent(application_ids: list[int]) -> set[int]:
    """Applications whose applicant has been told the outcome (Decision.outcome_sent_at)."""
    if not application_ids:
        return set()
    return set(
        db.session.scalars(
            select(Decision.application_id).where(
                Decision.application_id.in_(application_ids),
                Decision.outcome_sent_at.is_not(None),
            )
        )
    )


def considered_application(role: Role, application_id: int) -> Application | None:
    application = db.session.get(Application, application_id)
    if (
        application is None
        or application.role_id != role.id
        or application.status in NOT_CONSIDERED
    ):
        return None
    return application


# --- Moderated scores -------------------------------------------------------------------------


def parse_score(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 3:
        number = int(value.strip())
    else:
        return None
    return number if SCORE_MIN <= number <= SCORE_MAX else None


def record_moderation(
    application: Application, criterion_id: int, value: Any, reason: str, by: User
) -> ModeratedScore:
    """The lead's agreed score (0 to 3) for one criterion of an application, with a reason."""
    role = application.role
    panel = panel_for(role)
    check_may_act(by, panel)
    check_scoring_closed(panel)
    if application.status in NOT_CONSIDERED:
        raise ShortlistingError({"application": "This application is not being considered"})
    if outcomes_sent([application.id]):
        raise ShortlistingError(
            {"application": "The outcome has been sent: the scores can no longer change"}
        )
    if criterion_id not in {c.id for c in scored_criteria(role)}:
        raise ShortlistingError({"criterion": "This criterion is not scored at shortlisting"})
    errors: dict[str, str] = {}
    score = parse_score(value)
    if score is None:
        errors["value"] = "Select a moderated score from 0 to 3"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Enter the reason for the moderated score"
    elif len(reason) > MAX_REASON:
        errors["reason"] = "The reason must be 2,000 characters or fewer"
    if errors:
        raise ShortlistingError(errors)
    assert score is not None
    existing = db.session.scalar(
        select(ModeratedScore).where(
            ModeratedScore.application_id == application.id,
            ModeratedScore.criterion_id == criterion_id,
        )
    )
    before = None
    if existing is None:
        existing = ModeratedScore(
            application_id=application.id, criterion_id=criterion_id, by_id=by.id
        )
        db.session.add(existing)
    else:
        before = {"value": existing.value, "reason": existing.reason}
    existing.value, existing.reason, existing.by_id = score, reason, by.id
    audit.record(
        "shortlisting.moderated",
        "application",
        application.id,
        before=before,
        after={"criterion_id": criterion_id, "value": score, "reason": reason},
        actor=by,
    )
    db.session.commit()
    return existing


def mean_text(value: Fraction | None) -> str:
    """A mean for people: one decimal place, rounded half up ("3.5"); a dash when none."""
    if value is None:
        return "None"
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# --- The matrix -------------------------------------------------------------------------------


@dataclass
class MatrixRow:
    application: Application
    assessment: ApplicationAssessment
    decision: Decision | None
    outcome_sent: bool
    unscored: dict[int, str]  # scorer id -> "Conflict" / "In progress" for cards not submitted


@dataclass
class Matrix:
    role: Role
    panel: Panel | None
    criteria: list[Criterion]
    scorers: list[User]
    rows: list[MatrixRow]
    pagination: Any
    counts: dict[str, int] = field(default_factory=dict)


def _considered(role: Role) -> ColumnElement[bool]:
    return (Application.role_id == role.id) & Application.status.not_in(NOT_CONSIDERED)


def _needing_moderation(role: Role, criterion_ids: list[int]) -> ColumnElement[bool]:
    """Applications with a flagged criterion the lead has not moderated (one subquery)."""
    flagged = (
        select(
            Scorecard.application_id.label("application_id"),
            Score.criterion_id.label("criterion_id"),
        )
        .join(Score, Score.scorecard_id == Scorecard.id)
        .where(
            Scorecard.role_id == role.id,
            Scorecard.status == "submitted",
            Score.value.is_not(None),
            Score.criterion_id.in_(criterion_ids or [-1]),
        )
        .group_by(Scorecard.application_id, Score.criterion_id)
        .having(func.max(Score.value) - func.min(Score.value) >= DISAGREEMENT)
        .subquery()
    )
    moderated = exists().where(
        ModeratedScore.application_id == flagged.c.application_id,
        ModeratedScore.criterion_id == flagged.c.criterion_id,
    )
    return Application.id.in_(select(flagged.c.application_id).where(~moderated))


def _undecided() -> ColumnElement[bool]:
    return ~exists().where(Decision.application_id == Application.id)


def matrix(role: Role, page: int = 1, show: str = "all") -> Matrix:
    """One page of the role's applications with their scores: the same queries for 10
    applications as for 2,000."""
    show = show if show in FILTERS else "all"
    panel = panel_for(role)
    criteria = scored_criteria(role)
    criterion_ids = [c.id for c in criteria]
    needs = _needing_moderation(role, criterion_ids)
    undecided = _undecided()
    total, needing, not_decided = db.session.execute(
        select(
            func.count(Application.id),
            func.coalesce(func.sum(case((needs, 1), else_=0)), 0),
            func.coalesce(func.sum(case((undecided, 1), else_=0)), 0),
        ).where(_considered(role))
    ).one()
    stmt = select(Application).where(_considered(role))
    if show == "moderation":
        stmt = stmt.where(needs)
    elif show == "undecided":
        stmt = stmt.where(undecided)
    pagination = db.paginate(
        stmt.order_by(Application.reference, Application.id),
        page=min(max(page, 1), 100_000),
        per_page=PER_PAGE,
        error_out=False,
        count=True,
    )
    applications: list[Application] = list(pagination.items)
    ids = [a.id for a in applications]
    assessments = assess(role, ids)
    decisions: dict[int, Decision] = {}
    unscored: dict[int, dict[int, str]] = {i: {} for i in ids}
    if ids:
        decisions = {
            d.application_id: d
            for d in db.session.scalars(select(Decision).where(Decision.application_id.in_(ids)))
        }
        for application_id, scorer_id, status in db.session.execute(
            select(Scorecard.application_id, Scorecard.scorer_id, Scorecard.status).where(
                Scorecard.application_id.in_(ids), Scorecard.status != "submitted"
            )
        ):
            unscored[application_id][scorer_id] = (
                "Conflict" if status == "conflict" else "In progress"
            )
    told = {i for i, d in decisions.items() if d.outcome_sent_at is not None}
    scorers = scorers_for(role, panel)
    return Matrix(
        role=role,
        panel=panel,
        criteria=criteria,
        scorers=scorers,
        rows=[
            MatrixRow(a, assessments[a.id], decisions.get(a.id), a.id in told, unscored[a.id])
            for a in applications
        ],
        pagination=pagination,
        counts={"all": total or 0, "moderation": needing or 0, "undecided": not_decided or 0},
    )


def scorers_for(role: Role, panel: Panel | None) -> list[User]:
    """The panel's scorers, and anyone else who submitted a card for the role (a scorer taken
    off the panel later still scored), in a fixed order."""
    member_ids = [m.user_id for m in panel.members] if panel is not None else []
    submitted = select(Scorecard.scorer_id).where(
        Scorecard.role_id == role.id, Scorecard.status == "submitted"
    )
    users = db.session.scalars(
        select(User).where(User.id.in_(member_ids) | User.id.in_(submitted)).order_by(User.id)
    ).all()
    order = {uid: n for n, uid in enumerate(member_ids)}
    return sorted(users, key=lambda u: (order.get(u.id, len(order)), u.id))
