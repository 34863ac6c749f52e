"""The only reader of equality monitoring answers.

HR sees counts per role and per stage, never a person: any count from 1 to 4 is hidden, and more
cells are hidden where a total or another count would let someone work a hidden one back out. A
hidden cell reads "hidden", never "fewer than 5": it may be a large count hidden beside a small
one. A person sees their own answers in their data download.

Small-number suppression, kept simple and safe:
- every count from 1 to 4 is hidden (primary suppression);
- a stage's counts add up to the number of applications at that stage, which HR knows, so if
  exactly one count in a stage's column is hidden, the next-smallest count there is hidden too;
- each answer's count for "all applicants" is the sum of its counts at each status, so the same
  rule applies along each answer's row;
- this repeats until nothing more changes.
A hidden count never leaves this module: the page gets the word "hidden" only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from lep.applications.models import APPLICATION_STATUSES, Application
from lep.equality.models import PREFER_NOT, QUESTIONS, EqualityResponse
from lep.extensions import db

THRESHOLD = 5
HIDDEN = "hidden"
ALL = "all"
NOT_ANSWERED = "not_answered"

# The stages of a role's recruitment, in order: everyone who sent an application, then by status.
STAGE_STATUSES = tuple(status for status in APPLICATION_STATUSES if status != "draft")
STAGE_LABELS = {
    ALL: "All applicants",
    "submitted": "Sent, not yet reviewed",
    "under_review": "Being reviewed",
    "shortlisted": "Shortlisted",
    "not_shortlisted": "Not shortlisted",
    "interview": "Invited to interview",
    "offered": "Offered",
    "declined": "Declined the offer",
    "appointed": "Appointed",
    "unsuccessful": "Unsuccessful",
    "withdrawn": "Withdrew",
}


def stage_label(key: str) -> str:
    return STAGE_LABELS.get(key) or key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Cell:
    """One count as HR may see it: the number, or None when it is hidden."""

    count: int | None

    @property
    def text(self) -> str:
        return HIDDEN if self.count is None else f"{self.count:,}"

    @property
    def hidden(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    total: int  # applications at this stage: HR knows this number from elsewhere


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell, ...]  # one per stage, in the report's stage order


@dataclass(frozen=True)
class QuestionReport:
    key: str
    question: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class RoleReport:
    role_id: int
    stages: tuple[Stage, ...]
    questions: tuple[QuestionReport, ...]
    applicants: int  # everyone who sent an application


def answer_labels(key: str) -> dict[str, str]:
    """A question's answers in order, then "Prefer not to say", then "Not answered"."""
    return {
        **QUESTIONS[key][1],
        PREFER_NOT: "Prefer not to say",
        NOT_ANSWERED: "Not answered",
    }


def suppress(counts: dict[tuple[str, str], int], groups: Iterable[list[tuple[str, str]]]) -> set:
    """The cells to hide. `groups` are sets of cells whose sum is known (or shown)."""
    hidden = {cell for cell, count in counts.items() if 0 < count < THRESHOLD}
    groups = [list(g) for g in groups]
    changed = True
    while changed:
        changed = False
        for group in groups:
            if sum(1 for cell in group if cell in hidden) != 1:
                continue
            shown = [cell for cell in group if cell not in hidden]
            if not shown:
                continue
            # The next-smallest count; a zero only when nothing else is left to hide.
            nonzero = [cell for cell in shown if counts[cell] > 0]
            pick = min(nonzero or shown, key=lambda cell: (counts[cell], group.index(cell)))
            hidden.add(pick)
            changed = True
    return hidden


def _stage_totals(role_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Application.status, func.count(Application.id))
        .where(Application.role_id == role_id, Application.status != "draft")
        .group_by(Application.status)
    ).all()
    return {status: count for status, count in rows}


def _counts(role_id: int, key: str) -> dict[tuple[str, str], int]:
    """(answer, status) -> how many applications, for one question. No person is selected."""
    column = getattr(EqualityResponse, key)
    rows = db.session.execute(
        select(Application.status, column, func.count(Application.id))
        .select_from(Application)
        .outerjoin(EqualityResponse, EqualityResponse.application_id == Application.id)
        .where(Application.role_id == role_id, Application.status != "draft")
        .group_by(Application.status, column)
    ).all()
    counts: dict[tuple[str, str], int] = {}
    labels = answer_labels(key)
    for status, value, count in rows:
        answer = value if value in labels and value != NOT_ANSWERED else NOT_ANSWERED
        counts[(answer, status)] = counts.get((answer, status), 0) + count
    return counts


def role_report(role_id: int) -> RoleReport:
    totals = _stage_totals(role_id)
    # Statuses no application has reached are left out: there is nothing to count there.
    statuses = [s for s in STAGE_STATUSES if totals.get(s)]
    stages = (
        Stage(ALL, stage_label(ALL), sum(totals.values())),
        *(Stage(s, stage_label(s), totals[s]) for s in statuses),
    )
    questions = []
    for key, (question, _) in QUESTIONS.items():
        answers = list(answer_labels(key))
        by_status = _counts(role_id, key)
        counts: dict[tuple[str, str], int] = {}
        for answer in answers:
            for status in statuses:
                counts[(answer, status)] = by_status.get((answer, status), 0)
            counts[(answer, ALL)] = sum(counts[(answer, s)] for s in statuses)
        columns = [[(a, stage.key) for a in answers] for stage in stages]
        rows = [[(a, ALL), *((a, s) for s in statuses)] for a in answers]
        hidden = suppress(counts, columns + rows)
        labels = answer_labels(key)
        questions.append(
            QuestionReport(
                key=key,
                question=question,
                rows=tuple(
                    Row(
                        key=answer,
                        label=labels[answer],
                        cells=tuple(
                            Cell(None if (answer, st.key) in hidden else counts[(answer, st.key)])
                            for st in stages
                        ),
                    )
                    for answer in answers
                ),
            )
        )
    return RoleReport(
        role_id=role_id, stages=stages, questions=tuple(questions), applicants=stages[0].total
    )


def answers_for_person(user_id: int) -> list[dict[str, Any]]:
    """A person's own answers, one set per application they gave them for (their data export)."""
    rows = db.session.execute(
        select(EqualityResponse, Application.reference)
        .join(Application, Application.id == EqualityResponse.application_id)
        .where(Application.applicant_id == user_id)
        .order_by(EqualityResponse.id)
    ).all()
    return [
        {
            "application_reference": reference,
            "role_id": response.role_id,
            "created_at": response.created_at,
            **{key: getattr(response, key) for key in QUESTIONS},
        }
        for response, reference in rows
    ]
