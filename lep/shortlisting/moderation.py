"""Moderation: who may moderate and decide for a role, and the lead's moderated scores. The
matrix the lead reads is in lep/shortlisting/matrix.py.

The one rule for who acts: the panel's lead; when the panel has no lead, any HR user. Anyone
with the HR role may read. Moderation waits until the lead has closed scoring.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import joinedload, lazyload, selectinload

from lep import audit
from lep.accounts.models import User
from lep.applications.models import Application
from lep.extensions import db
from lep.roles.models import Question, Role
from lep.service import DomainError, commit
from lep.shortlisting.assessment import INTERVIEW, scored_criteria
from lep.shortlisting.models import (
    SCORE_MAX,
    SCORE_MIN,
    Decision,
    ModeratedScore,
    Panel,
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
    """The role's panel with its lead, in one query (the lead's roles load if asked for)."""
    return db.session.scalar(
        select(Panel)
        .where(Panel.role_id == role.id)
        .options(joinedload(Panel.lead).options(lazyload(User.role_rows)))
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
        raise DomainError(
            {"panel": f"Only the panel's lead ({lead}) can moderate and decide for this role"}
        )


def check_scoring_closed(panel: Panel | None) -> None:
    if panel is None or panel.scoring_closed_at is None:
        raise DomainError(
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
    interview_ids = {c.id for c in scored_criteria(role, INTERVIEW)}
    if criterion_id in interview_ids:
        # The interview stage: moderated once the panel's interview cards are in.
        if application.status != "interview":
            raise DomainError(
                {"application": "Interview scores can be moderated only while at interview"}
            )
    else:
        check_scoring_closed(panel)
    if application.status in NOT_CONSIDERED:
        raise DomainError({"application": "This application is not being considered"})
    if criterion_id not in interview_ids and outcomes_sent([application.id]):
        raise DomainError(
            {"application": "The outcome has been sent: the scores can no longer change"}
        )
    if criterion_id not in {c.id for c in scored_criteria(role)} | interview_ids:
        raise DomainError({"criterion": "This criterion is not scored at shortlisting"})
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
        raise DomainError(errors)
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
    commit()
    return existing


def mean_text(value: Fraction | None) -> str:
    """A mean for people: one decimal place, rounded half up ("3.5"); a dash when none."""
    if value is None:
        return "None"
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
