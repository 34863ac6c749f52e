"""Blind scoring: what a scorer may see and the scores they give.

- A scorer scores the sent applications (not drafts, not withdrawn) of a role whose panel they sit
  on, except their own and those where they declared a conflict of interest.
- They see an application through `blind_view` only: its reference, each question with the
  answer (the applicant's name, email and phone redacted) and the criteria each question covers.
  Nothing else about the applicant ever reaches the scorer's pages.
- Each criterion scored at this stage (`assessment.scored_criteria`) gets 0 to 3 and a comment.
  A draft keeps partial work; submitting needs every criterion scored and is final.
- A scorer sees nobody else's scores for a role until they have submitted their own for every
  application they can score.

Refusals raise DomainError naming the field, with nothing changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lep import audit
from lep.applications.models import Answer, Application, SupportingFile
from lep.db import utcnow
from lep.extensions import db
from lep.roles.models import Criterion, Role
from lep.service import DomainError, commit
from lep.service import utcnow as service_now
from lep.shortlisting.assessment import APPLICATION, INTERVIEW, scored_criteria
from lep.shortlisting.models import SCORE_MAX, SCORE_MIN, Panel, PanelMember, Score, Scorecard
from lep.shortlisting.panels import NOT_SCORED, can_score, progress
from lep.shortlisting.redaction import redact

PAGE_SIZE = 50
MAX_COMMENT = 5_000
MAX_NOTE = 2_000
BAD_SCORE = "Select a score from 0 to 3"
assert (SCORE_MIN, SCORE_MAX) == (0, 3), "the message above names the scale"


# --- Who sits where --------------------------------------------------------------------------


def seat(role_id: int, user: Any) -> Panel | None:
    """The role's panel if this person sits on it as a scorer (and may still score), else None."""
    if not can_score(user):
        return None
    return db.session.scalar(
        select(Panel)
        .join(PanelMember, PanelMember.panel_id == Panel.id)
        .where(Panel.role_id == role_id, PanelMember.user_id == user.id)
    )


def scorable(role_id: int, scorer_id: int) -> Select[tuple[Application]]:
    """The applications this scorer can score: sent, not their own, no declared conflict."""
    conflicted = select(Scorecard.application_id).where(
        Scorecard.role_id == role_id,
        Scorecard.scorer_id == scorer_id,
        Scorecard.status == "conflict",
        Scorecard.stage == APPLICATION,
    )
    return select(Application).where(
        Application.role_id == role_id,
        Application.status.not_in(NOT_SCORED),
        Application.applicant_id != scorer_id,
        Application.id.not_in(conflicted),
    )


@dataclass
class PanelSeat:
    role: Role
    panel: Panel
    to_do: int
    drafts: int
    submitted: int
    conflicts: int


def my_panels(user: Any) -> list[PanelSeat]:
    """The roles whose panels this person sits on, newest first, with their progress on each."""
    if not can_score(user):
        return []
    panels = db.session.scalars(
        select(Panel)
        .join(PanelMember, PanelMember.panel_id == Panel.id)
        .where(PanelMember.user_id == user.id)
        .options(selectinload(Panel.role))
        .order_by(Panel.id.desc())
    ).all()
    seats = []
    for panel in panels:
        p = progress(panel.role, [user.id])[user.id]
        seats.append(
            PanelSeat(
                panel.role,
                panel,
                to_do=max(p.to_do - p.drafts, 0),
                drafts=p.drafts,
                submitted=p.submitted,
                conflicts=p.conflicts,
            )
        )
    return seats


# --- The list of applications ------------------------------------------------------------------


@dataclass
class ApplicationsPage:
    applications: Pagination
    status: dict[int, str]  # application id -> "draft" / "submitted" (absent: not started)
    conflicts: int
    unlocked: bool


def _card_statuses(scorer_id: int, ids: list[int], stage: str) -> dict[int, str]:
    """The scorer's card status for each of these applications at a stage (one query)."""
    if not ids:
        return {}
    return dict(
        db.session.execute(  # type: ignore[arg-type]
            select(Scorecard.application_id, Scorecard.status).where(
                Scorecard.scorer_id == scorer_id,
                Scorecard.application_id.in_(ids),
                Scorecard.stage == stage,
            )
        ).all()
    )


def applications_page(role: Role, scorer: Any, page: int) -> ApplicationsPage:
    applications = db.paginate(
        scorable(role.id, scorer.id).order_by(Application.id),
        page=min(max(page, 1), 100_000),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    ids = [a.id for a in applications.items]
    status = _card_statuses(scorer.id, ids, APPLICATION)
    conflicts = (
        db.session.scalar(
            select(func.count(Scorecard.id)).where(
                Scorecard.role_id == role.id,
                Scorecard.scorer_id == scorer.id,
                Scorecard.status == "conflict",
                Scorecard.stage == APPLICATION,
            )
        )
        or 0
    )
    return ApplicationsPage(applications, status, conflicts, others_unlocked(role, scorer))


def scorable_application(role: Role, scorer: Any, application_id: int) -> Application | None:
    """The role's sent application (not the scorer's own), conflict or not; None: 404."""
    application = db.session.get(Application, application_id)
    if (
        application is None
        or application.role_id != role.id
        or application.status in NOT_SCORED
        or application.applicant_id == scorer.id
    ):
        return None
    return application


# --- The blind view --------------------------------------------------------------------------


@dataclass(frozen=True)
class BlindQuestion:
    number: int
    text: str
    answer: str  # redacted
    criteria: list[str]


@dataclass(frozen=True)
class BlindCriterion:
    id: int
    text: str
    essential: bool
    questions: list[int]  # the numbers of the questions that cover it


@dataclass(frozen=True)
class BlindFile:
    """A supporting file as a scorer is told of it: what kind and how big, never its name (which
    may name the person). The file itself may still identify them: the page says so."""

    id: int
    kind: str  # pdf, word, image, audio
    content_type: str
    size_bytes: int


@dataclass(frozen=True)
class BlindApplication:
    """All a scorer is shown of an application. Nothing else about it reaches their pages."""

    id: int
    reference: str
    role_title: str
    questions: list[BlindQuestion]
    criteria: list[BlindCriterion]
    files: list[BlindFile] = field(default_factory=list)


def blind_view(application: Application) -> BlindApplication:
    role = application.role
    applicant = application.applicant
    phones = [application.phone] if application.phone else []
    answers = {
        a.question_id: a.text
        for a in db.session.scalars(select(Answer).where(Answer.application_id == application.id))
    }
    questions = []
    covering: dict[int, list[int]] = defaultdict(list)
    for number, question in enumerate(role.questions, start=1):
        text = redact(answers.get(question.id, ""), applicant.full_name, applicant.email, phones)
        questions.append(
            BlindQuestion(number, question.text, text, [c.text for c in question.criteria])
        )
        for criterion in question.criteria:
            covering[criterion.id].append(number)
    criteria = [
        BlindCriterion(c.id, c.text, c.essential, covering[c.id]) for c in scored_criteria(role)
    ]
    files = [
        BlindFile(f.id, f.kind, f.content_type, f.size_bytes)
        for f in db.session.scalars(
            select(SupportingFile)
            .where(SupportingFile.application_id == application.id)
            .order_by(SupportingFile.id)
        )
    ]
    return BlindApplication(
        application.id, application.reference or "", role.title, questions, criteria, files
    )


def may_open_file(application: Application, scorer: Any) -> bool:
    """A supporting file goes to a scorer who may score its application: on the role's panel (and
    still able to score), not their own application, no conflict of interest declared."""
    if seat(application.role_id, scorer) is None:
        return False
    if scorable_application(application.role, scorer, application.id) is None:
        return False
    card = card_of(application.id, scorer.id)
    return card is None or card.status != "conflict"


# --- Scorecards --------------------------------------------------------------------------------


def card_of(application_id: int, scorer_id: int, stage: str = APPLICATION) -> Scorecard | None:
    return db.session.scalar(
        select(Scorecard)
        .where(
            Scorecard.application_id == application_id,
            Scorecard.scorer_id == scorer_id,
            Scorecard.stage == stage,
        )
        .options(selectinload(Scorecard.scores))
    )


def parse_score(raw: Any) -> int | None:
    """A posted score: None when left blank; ValueError when not a whole number from 0 to 3."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 2:
            raise ValueError(raw)
        value = int(text)
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise ValueError(raw)
    return value


def _scoring_open(panel: Panel | None, role: Role) -> Panel:
    if panel is None:
        raise DomainError({"scorecard": "You are not on the panel for this role"})
    if panel.scoring_closed_at is not None:
        raise DomainError(
            {"scorecard": f"Scoring for {role.title} has closed, so scores can no longer be saved"}
        )
    return panel


def _locked_card(application: Application, scorer: Any, stage: str) -> Scorecard | None:
    return db.session.scalar(
        select(Scorecard)
        .where(
            Scorecard.application_id == application.id,
            Scorecard.scorer_id == scorer.id,
            Scorecard.stage == stage,
        )
        .with_for_update()
    )


CONFLICTED = "You declared a conflict of interest for this application, so you cannot score it"


def _refuse_if_final(card: Scorecard | None) -> None:
    if card is None:
        return
    if card.status == "conflict":
        raise DomainError({"scorecard": CONFLICTED})
    if card.status == "submitted":
        raise DomainError(
            {"scorecard": "You have submitted your scores for this application: they are final"}
        )


def save_scorecard(
    role: Role,
    application: Application,
    scorer: Any,
    values: Mapping[int, Any],
    comments: Mapping[int, str],
    submit: bool,
    stage: str = APPLICATION,
) -> Scorecard:
    """Save the scorer's scores (by criterion id) for a stage as a draft, or submit them
    (final). The same card, scale and checks serve the application and the interview."""
    if stage == INTERVIEW:
        check_interview_scorable(role, application, scorer)
    else:
        _scoring_open(seat(role.id, scorer), role)
        if scorable_application(role, scorer, application.id) is None:
            raise DomainError({"scorecard": "This application cannot be scored"})
    card = _locked_card(application, scorer, stage)
    _refuse_if_final(card)
    criteria = scored_criteria(role, stage)
    if not criteria:
        raise DomainError({"scorecard": "No criterion of this role is scored at this stage"})
    errors: dict[str, str] = {}
    parsed: dict[int, int | None] = {}
    notes: dict[int, str] = {}
    for criterion in criteria:
        try:
            parsed[criterion.id] = parse_score(values.get(criterion.id))
        except ValueError:
            errors[f"score_{criterion.id}"] = f"{BAD_SCORE} for “{criterion.text}”"
            continue
        if submit and parsed[criterion.id] is None:
            errors[f"score_{criterion.id}"] = f"Select a score for “{criterion.text}”"
        comment = (comments.get(criterion.id) or "").strip()
        if len(comment) > MAX_COMMENT:
            errors[f"comment_{criterion.id}"] = (
                f"Your comment on “{criterion.text}” must be {MAX_COMMENT:,} characters or fewer"
            )
        notes[criterion.id] = comment
    if errors:
        raise DomainError(errors)
    before = _snapshot(card)
    if card is None:
        card = Scorecard(
            application_id=application.id, scorer_id=scorer.id, role_id=role.id, stage=stage
        )
        db.session.add(card)
        try:
            db.session.flush()
        except IntegrityError:  # the same scorer in another tab a moment ago
            db.session.rollback()
            card = _locked_card(application, scorer, stage)
            _refuse_if_final(card)
            assert card is not None
    existing = {s.criterion_id: s for s in card.scores}
    for criterion in criteria:
        score = existing.get(criterion.id)
        if score is None:
            score = Score(criterion_id=criterion.id)
            card.scores.append(score)
        score.value = parsed[criterion.id]
        score.comment = notes[criterion.id]
    card.updated_at = utcnow()
    if submit:
        card.status = "submitted"
        card.submitted_at = utcnow()
    db.session.flush()
    audit.record(
        "scorecard.submitted" if submit else "scorecard.saved",
        "scorecard",
        card.id,
        before=before,
        after=_snapshot(card),
        actor=scorer,
    )
    commit()
    return card


def _snapshot(card: Scorecard | None) -> dict[str, Any] | None:
    if card is None:
        return None
    return {
        "application_id": card.application_id,
        "stage": card.stage,
        "status": card.status,
        "scores": {str(s.criterion_id): s.value for s in card.scores},
        "comments": {str(s.criterion_id): s.comment for s in card.scores if s.comment},
    }


def declare_conflict(role: Role, application: Application, scorer: Any, note: str) -> Scorecard:
    """The scorer knows (or may know) the applicant: from now on they neither see nor score it.

    A draft's scores are discarded; a submitted card cannot be turned into a conflict."""
    _scoring_open(seat(role.id, scorer), role)
    if scorable_application(role, scorer, application.id) is None:
        raise DomainError({"note": "This application cannot be scored"})
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError({"note": f"Your note must be {MAX_NOTE:,} characters or fewer"})
    card = _locked_card(application, scorer, APPLICATION)
    if card is not None and card.status == "conflict":
        return card
    if card is not None and card.status == "submitted":
        raise DomainError(
            {
                "note": "You have already submitted scores for this application. Tell the panel "
                "lead about the conflict of interest"
            }
        )
    before = _snapshot(card)
    if card is None:
        card = Scorecard(application_id=application.id, scorer_id=scorer.id, role_id=role.id)
        db.session.add(card)
    card.scores = []
    card.status = "conflict"
    card.conflict_note = note
    card.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "scorecard.conflict_declared",
        "scorecard",
        card.id,
        before=before,
        after={"application_id": application.id, "status": "conflict", "note": note},
        actor=scorer,
    )
    commit()
    return card


# --- Interview scorecards ------------------------------------------------------------------------


def check_interview_scorable(role: Role, application: Application, scorer: Any) -> None:
    """A panel member scores an interviewee once the interview has started: the application is
    at interview (not their own), and they declared no conflict of interest for it."""
    from lep.shortlisting.models import Interview

    if seat(role.id, scorer) is None:
        raise DomainError({"scorecard": "You are not on the panel for this role"})
    interview = db.session.scalar(
        select(Interview).where(Interview.application_id == application.id)
    )
    if (
        application.role_id != role.id
        or application.applicant_id == scorer.id
        or application.status != "interview"
        or interview is None
    ):
        raise DomainError({"scorecard": "This applicant is not at interview, so cannot be scored"})
    if interview.starts_at > service_now():
        raise DomainError(
            {"scorecard": "The interview has not happened yet: score it after the interview"}
        )
    earlier = card_of(application.id, scorer.id, APPLICATION)
    if earlier is not None and earlier.status == "conflict":
        raise DomainError({"scorecard": CONFLICTED})


def interviewees(role: Role, scorer: Any) -> list[tuple[Application, Any, str | None]]:
    """The role's applicants at interview (not the scorer's own), with their interview and this
    scorer's interview card status (None: not started), in interview order. Two queries."""
    from lep.shortlisting.models import Interview

    rows = db.session.execute(
        select(Application, Interview)
        .join(Interview, Interview.application_id == Application.id)
        .where(
            Application.role_id == role.id,
            Application.status.in_(
                ("interview", "offered", "declined", "appointed", "unsuccessful")
            ),
            Application.applicant_id != scorer.id,
        )
        .order_by(Interview.starts_at, Application.id)
    ).all()
    ids = [a.id for a, _ in rows]
    status = _card_statuses(scorer.id, ids, INTERVIEW)
    return [(a, i, status.get(a.id)) for a, i in rows]


# --- Others' scores ------------------------------------------------------------------------------


def others_unlocked(role: Role, scorer: Any) -> bool:
    """True once the scorer has submitted a card for every application they can score."""
    mine = select(Scorecard.application_id).where(
        Scorecard.scorer_id == scorer.id,
        Scorecard.status == "submitted",
        Scorecard.stage == APPLICATION,
    )
    waiting = db.session.scalar(
        select(func.count()).select_from(
            scorable(role.id, scorer.id).where(Application.id.not_in(mine)).subquery()
        )
    )
    if waiting:
        return False
    submitted = db.session.scalar(
        select(func.count(Scorecard.id)).where(
            Scorecard.role_id == role.id,
            Scorecard.scorer_id == scorer.id,
            Scorecard.status == "submitted",
            Scorecard.stage == APPLICATION,
        )
    )
    return bool(submitted)


@dataclass
class ScoredApplication:
    id: int
    reference: str
    # criterion id -> column (scorer) number -> score; totals by column
    scores: dict[int, dict[int, int | None]] = field(default_factory=dict)
    totals: dict[int, int] = field(default_factory=dict)


@dataclass
class OthersScores:
    criteria: list[Criterion]
    columns: list[tuple[int, str]]  # (column number, label): "You" for the scorer
    applications: Pagination
    rows: list[ScoredApplication]


def others_scores(role: Role, panel: Panel, scorer: Any, page: int) -> OthersScores:
    """Every scorer's submitted scores for the applications this scorer scored, a page at a
    time. Scorers are numbered in the order they joined the panel. Call once unlocked."""
    criteria = scored_criteria(role)
    members = list(panel.members)
    number = {m.user_id: n for n, m in enumerate(members, start=1)}
    columns = [
        (n, "You" if m.user_id == scorer.id else f"Scorer {n}")
        for n, m in enumerate(members, start=1)
    ]
    applications = db.paginate(
        scorable(role.id, scorer.id).order_by(Application.id),
        page=min(max(page, 1), 100_000),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    rows = {a.id: ScoredApplication(a.id, a.reference or "") for a in applications.items}
    if rows:
        cards = db.session.scalars(
            select(Scorecard)
            .where(
                Scorecard.application_id.in_(rows),
                Scorecard.status == "submitted",
                Scorecard.stage == APPLICATION,
            )
            .options(selectinload(Scorecard.scores))
        )
        wanted = {c.id for c in criteria}
        for card in cards:
            column = number.get(card.scorer_id)
            if column is None:
                continue
            row = rows[card.application_id]
            row.totals[column] = 0
            for score in card.scores:
                if score.criterion_id in wanted:
                    row.scores.setdefault(score.criterion_id, {})[column] = score.value
                    row.totals[column] += score.value or 0
    return OthersScores(criteria, columns, applications, list(rows.values()))
