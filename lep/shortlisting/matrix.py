"""The matrix the lead reads: applications by reference x criteria x scorers, a page at a time,
in a fixed number of queries whatever the number of applications (split from moderation.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    case,
    exists,
    func,
    literal,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload, lazyload, load_only
from sqlalchemy.sql.elements import ColumnElement

from lep.accounts.models import User
from lep.applications.models import Application
from lep.db import KnownPage
from lep.extensions import db
from lep.roles.models import Criterion, Question, Role, question_criterion
from lep.shortlisting.assessment import (
    APPLICATION,
    ApplicationAssessment,
    CriterionResult,
    round_half_up,
)
from lep.shortlisting.assessment import assessments as assessment_rows
from lep.shortlisting.models import (
    DISAGREEMENT,
    OUTCOMES,
    Decision,
    ModeratedScore,
    Panel,
    PanelMember,
    Score,
    Scorecard,
)
from lep.shortlisting.moderation import FILTERS, NOT_CONSIDERED, PER_PAGE, mean_text, panel_for


@dataclass(frozen=True)
class ScoreCell:
    """One scorer's score for one criterion, or why there is none."""

    scored: bool
    text: str  # the score; or "Not scored", "In progress", "Conflict"


@dataclass(frozen=True)
class CriterionCell:
    """One criterion of one application: each scorer's score and the agreed state."""

    scores: list[ScoreCell]  # in the matrix's scorer order
    state: str  # "needs_moderation", "moderated", "agreed" or "unscored"
    value: int | None  # the moderated or agreed score
    flagged: bool


@dataclass
class MatrixRow:
    application: Application
    assessment: ApplicationAssessment
    decision: Decision | None
    outcome_sent: bool
    unscored: dict[int, str]  # scorer id -> "Conflict" / "In progress" for cards not submitted
    cells: list[CriterionCell] = field(default_factory=list)  # in the matrix's criteria order
    scorer_totals: list[int | str] = field(default_factory=list)  # "None" for no submitted card
    mean_total: str = "None"
    agreed_total: int | str = "None"
    needing_moderation: int = 0
    moderated: bool = False  # any criterion has a moderated score


@dataclass
class Matrix:
    role: Role
    panel: Panel | None
    criteria: list[Criterion]
    scorers: list[Any]  # rows with .id and .full_name, in a fixed order
    rows: list[MatrixRow]
    pagination: Any
    counts: dict[str, int] = field(default_factory=dict)


# The matrix's statements are built once, with bound parameters (:role_id, :panel_id,
# :criterion_ids, :application_ids): the same SQL on every load, no statement to build.
ROLE_ID = bindparam("role_id", type_=Integer)
PANEL_ID = bindparam("panel_id", type_=Integer)
CRITERION_IDS = bindparam("criterion_ids", type_=Integer, expanding=True)
APPLICATION_IDS = bindparam("application_ids", type_=Integer, expanding=True)


def _considered() -> ColumnElement[bool]:
    return (Application.role_id == ROLE_ID) & Application.status.not_in(NOT_CONSIDERED)


def _needing_moderation() -> ColumnElement[bool]:
    """Applications with a flagged criterion the lead has not moderated (one subquery)."""
    flagged = (
        select(
            Scorecard.application_id.label("application_id"),
            Score.criterion_id.label("criterion_id"),
        )
        .join(Score, Score.scorecard_id == Scorecard.id)
        .where(
            Scorecard.role_id == ROLE_ID,
            Scorecard.status == "submitted",
            Scorecard.stage == APPLICATION,
            Score.value.is_not(None),
            Score.criterion_id.in_(CRITERION_IDS),
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


@cache
def _role_and_panel_statement() -> Any:
    return (
        select(Role, Panel)
        .outerjoin(Panel, Panel.role_id == Role.id)
        .where(Role.id == ROLE_ID)
        .options(joinedload(Panel.lead).options(lazyload(User.role_rows)))
    )


def role_and_panel(role_id: int) -> tuple[Role | None, Panel | None]:
    """A role and its panel (with the lead) in one query; (None, None) if there is no role."""
    found = db.session.execute(_role_and_panel_statement(), {"role_id": role_id}).first()
    return (found[0], found[1]) if found is not None else (None, None)


@cache
def _criteria_statement() -> Select[Any]:
    covered = (
        select(question_criterion.c.criterion_id)
        .join(Question, Question.id == question_criterion.c.question_id)
        .where(Question.role_id == ROLE_ID)
    )
    return (
        select(Criterion)
        .where(
            Criterion.role_id == ROLE_ID,
            Criterion.stage == "application",
            Criterion.id.in_(covered),
        )
        .order_by(Criterion.position, Criterion.id)
    )


def matrix_criteria(role: Role) -> list[Criterion]:
    """scored_criteria(role) in one query, without loading the role's questions."""
    return list(db.session.scalars(_criteria_statement(), {"role_id": role.id}))


@cache
def _counts_statement() -> Select[Any]:
    """All, needing moderation, not decided, and decided but not told
    (decisions.untold_count): one pass over the role's applications."""
    untold = Application.status.in_(tuple(OUTCOMES)) & exists().where(
        Decision.application_id == Application.id, Decision.outcome_sent_at.is_(None)
    )
    return select(
        func.count(Application.id),
        func.coalesce(func.sum(case((_needing_moderation(), 1), else_=0)), 0),
        func.coalesce(func.sum(case((_undecided(), 1), else_=0)), 0),
        func.coalesce(func.sum(case((untold, 1), else_=0)), 0),
    ).where(_considered())


@cache
def _page_statement(show: str) -> Any:
    """A page of the role's applications (as `show` filters them), each with its decision
    (one at most), in one query. The decision is aliased: the filters' own subqueries on
    Decision must not correlate to it."""
    decided = aliased(Decision)
    stmt = (
        select(Application, decided)
        .outerjoin(decided, decided.application_id == Application.id)
        .where(_considered())
        .options(
            load_only(
                Application.id,
                Application.reference,
                Application.role_id,
                Application.status,
                Application.guaranteed_interview,
            ),
            load_only(
                decided.id,
                decided.application_id,
                decided.outcome,
                decided.overrode_rule,
                decided.outcome_sent_at,
            ),
        )
    )
    if show == "moderation":
        stmt = stmt.where(_needing_moderation())
    elif show == "undecided":
        stmt = stmt.where(_undecided())
    return (
        stmt.order_by(Application.reference, Application.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


# What a row of the scores statement is: a card's score, or a moderated score.
CARD, MODERATED = "card", "moderated"


@cache
def _scores_statement() -> Any:
    """Every card of the page's applications with its submitted scores, and the lead's
    moderated scores, in one query: (kind, application, scorer, card status, criterion,
    value, reason)."""
    cards = (
        select(
            literal(CARD).label("kind"),
            Scorecard.application_id.label("application_id"),
            Scorecard.scorer_id.label("scorer_id"),
            Scorecard.status.label("status"),
            Score.criterion_id.label("criterion_id"),
            Score.value.label("value"),
            literal("").label("reason"),
        )
        .outerjoin(
            Score,
            (Score.scorecard_id == Scorecard.id)
            & (Scorecard.status == "submitted")
            & Score.value.is_not(None),
        )
        .where(Scorecard.application_id.in_(APPLICATION_IDS), Scorecard.stage == APPLICATION)
    )
    moderated = select(
        literal(MODERATED),
        ModeratedScore.application_id,
        literal(None, Integer),
        literal(""),
        ModeratedScore.criterion_id,
        ModeratedScore.value,
        ModeratedScore.reason,
    ).where(ModeratedScore.application_id.in_(APPLICATION_IDS))
    return union_all(cards, moderated)


def _cell(result: CriterionResult, scorers: list[Any], unscored: dict[int, str]) -> CriterionCell:
    scores = [
        ScoreCell(True, str(result.scores[s.id]))
        if s.id in result.scores
        else ScoreCell(False, unscored.get(s.id, "Not scored"))
        for s in scorers
    ]
    spread = max(result.scores.values()) - min(result.scores.values()) if result.scores else 0
    flagged = spread >= DISAGREEMENT
    if result.moderated is not None:
        return CriterionCell(scores, "moderated", result.moderated, flagged)
    if flagged:
        return CriterionCell(scores, "needs_moderation", None, flagged)
    if result.scores:
        mean = Fraction(sum(result.scores.values()), len(result.scores))
        return CriterionCell(scores, "agreed", round_half_up(mean), flagged)
    return CriterionCell(scores, "unscored", None, flagged)


def _row(
    application: Application,
    assessment: ApplicationAssessment,
    decision: Decision | None,
    unscored: dict[int, str],
    criteria: list[Criterion],
    scorers: list[Any],
) -> MatrixRow:
    """A row with what the page shows worked out once (the assessment's rules, as its
    properties apply them)."""
    cells = [_cell(assessment.criteria[c.id], scorers, unscored) for c in criteria]
    agreed = [cell.value for cell in cells]
    totals = assessment.scorer_totals
    return MatrixRow(
        application=application,
        assessment=assessment,
        decision=decision,
        outcome_sent=decision is not None and decision.outcome_sent_at is not None,
        unscored=unscored,
        cells=cells,
        scorer_totals=[totals.get(s.id, "None") for s in scorers],
        mean_total=mean_text(assessment.mean_total),
        agreed_total=(
            sum(v for v in agreed if v is not None)
            if agreed and all(v is not None for v in agreed)
            else "None"
        ),
        needing_moderation=sum(1 for cell in cells if cell.state == "needs_moderation"),
        moderated=any(cell.state == "moderated" for cell in cells),
    )


class _LookUp:
    """The matrix looks the panel up itself (the caller does not have it)."""


LOOK_UP = _LookUp()


@dataclass(frozen=True)
class _Moderated:
    """A moderated score as the assessment reads it."""

    application_id: int
    criterion_id: int
    value: int
    reason: str


def matrix(
    role: Role, page: int = 1, show: str = "all", panel: Panel | _LookUp | None = LOOK_UP
) -> Matrix:
    """One page of the role's applications with their scores: the same queries for 10
    applications as for 2,000. Pass the panel (panel_for(role)) when the caller has it.

    counts["untold"] is decisions.untold_count(role), read with the other counts."""
    show = show if show in FILTERS else "all"
    if isinstance(panel, _LookUp):
        panel = panel_for(role)
    criteria = matrix_criteria(role)
    params = {"role_id": role.id, "criterion_ids": [c.id for c in criteria] or [-1]}
    total, needing, not_decided, not_told = db.session.execute(_counts_statement(), params).one()
    counts = {
        "all": total or 0,
        "moderation": needing or 0,
        "undecided": not_decided or 0,
        "untold": not_told or 0,
    }
    page = min(max(page, 1), 100_000)
    found = db.session.execute(
        _page_statement(show), {**params, "limit": PER_PAGE, "offset": (page - 1) * PER_PAGE}
    ).all()
    applications = [application for application, _ in found]
    decisions = {a.id: d for a, d in found if d is not None}
    ids = [a.id for a in applications]
    # The page's total is one of the counts just read: no count of its own.
    pagination = KnownPage(
        page=page, per_page=PER_PAGE, error_out=False, items=applications, total=counts[show]
    )
    submitted: list[tuple[int, int, int, int | None]] = []
    unscored: dict[int, dict[int, str]] = {i: {} for i in ids}
    moderated: list[Any] = []
    if ids:
        for (
            kind,
            application_id,
            scorer_id,
            status,
            criterion_id,
            value,
            reason,
        ) in db.session.execute(_scores_statement(), {"application_ids": ids}):
            if kind == MODERATED:
                moderated.append(_Moderated(application_id, criterion_id, value, reason))
            elif status != "submitted":
                unscored[application_id][scorer_id] = (
                    "Conflict" if status == "conflict" else "In progress"
                )
            elif criterion_id is not None:
                submitted.append((application_id, scorer_id, criterion_id, value))
    assessments = assessment_rows(criteria, ids, submitted, moderated)
    scorers = scorers_for(role, panel)
    return Matrix(
        role=role,
        panel=panel,
        criteria=criteria,
        scorers=scorers,
        rows=[
            _row(a, assessments[a.id], decisions.get(a.id), unscored[a.id], criteria, scorers)
            for a in applications
        ],
        pagination=pagination,
        counts=counts,
    )


@cache
def _scorers_statement(with_panel: bool) -> Select[Any]:
    """The panel's scorers (with_panel) and the distinct scorers with a submitted card for the
    role: each person's name and seat looked up by key. The scorers with a card come from a
    loose index scan on ix_scorecard_role_status_scorer: one index probe per scorer, not one
    row per card."""
    cards = (
        (Scorecard.role_id == ROLE_ID)
        & (Scorecard.status == "submitted")
        & (Scorecard.stage == APPLICATION)
    )
    first = select(
        select(func.min(Scorecard.scorer_id)).where(cards).scalar_subquery().label("scorer_id")
    )
    found = first.cte("submitted_scorer", recursive=True)
    following = select(
        select(func.min(Scorecard.scorer_id))
        .where(cards, Scorecard.scorer_id > found.c.scorer_id)
        .scalar_subquery()
        .label("scorer_id")
    ).where(found.c.scorer_id.is_not(None))
    found = found.union_all(following)
    people: Any = select(found.c.scorer_id).where(found.c.scorer_id.is_not(None))
    if with_panel:
        people = union(select(PanelMember.user_id).where(PanelMember.panel_id == PANEL_ID), people)
    person = people.subquery().c[0]
    name = select(User.full_name).where(User.id == person).scalar_subquery()
    seat: Any = literal(None, Integer)
    if with_panel:
        seat = (
            select(PanelMember.id)
            .where(PanelMember.panel_id == PANEL_ID, PanelMember.user_id == person)
            .scalar_subquery()
        )
    return select(person.label("id"), name.label("full_name"), seat.label("seat"))


def scorers_for(role: Role, panel: Panel | None) -> list[Any]:
    """The panel's scorers, and anyone else who submitted a card for the role (a scorer taken
    off the panel later still scored), in a fixed order: rows with .id and .full_name, one
    query that reads only those people."""
    rows = db.session.execute(
        _scorers_statement(panel is not None),
        {"role_id": role.id, "panel_id": panel.id if panel is not None else None},
    ).all()
    return sorted(rows, key=lambda r: (r.seat is None, r.seat or 0, r.id))
