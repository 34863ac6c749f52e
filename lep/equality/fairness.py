"""The fairness report: how each group passes through recruitment, stage by stage.

For each equality question and each stage (applied, shortlisted, interviewed, offered, appointed),
how many applications from each group reached it, with counts under 5 hidden as in
`reporting` (and a second count hidden beside a lone hidden one, since each stage's total is
known). A stage is worked out from the records, not from where the application is now:

- applied: sent (not a draft);
- shortlisted: a decision to shortlist, or a later stage (or selected in a lottery);
- interviewed: invited to interview;
- offered: an offer was made (whatever became of it);
- appointed: appointed to the role.

The pass-through rate of a group at a stage is, of its applications that reached the previous
stage, the share that reached this one. It is worked out only where both counts are 5 or more
(and both are shown), in whole-number fractions, never floats. A group is flagged where its rate
is under four fifths of the highest group's rate at that stage (the "four-fifths rule" of
adverse impact). "Prefer not to say" and "Not answered" are shown but are not groups to compare.

A group where fewer than 5 of 5 or more went on has no rate, but it may still be the clearest
concern of all (2 of 40, say). It is flagged as "fewer than 5 of N went on" when N, the count at
the previous stage, is shown and is 5 or more, and even the most that can have gone on, from what
the page shows, is under four fifths of the highest group's rate. That most is 0 where the page
shows 0; for a hidden count, no more than N and no more than the stage's total less the counts
shown (a hidden count may be a larger one hidden beside a small one, so 4 is not safe). The
decision uses only what the page shows, so a flag tells nobody more than the page does.
Only counts and rates leave this module; no person's answers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import case, exists, func, or_, select

from lep.applications.models import Application
from lep.equality.models import PREFER_NOT, QUESTIONS, EqualityResponse
from lep.equality.reporting import FEWER_THAN, NOT_ANSWERED, THRESHOLD, answer_labels, suppress
from lep.extensions import db
from lep.partners.models import Appointment
from lep.shortlisting.models import Decision, Interview, Offer

STAGES = {
    "applied": "Applied",
    "shortlisted": "Shortlisted",
    "interviewed": "Interviewed",
    "offered": "Offered",
    "appointed": "Appointed",
}
STAGE_KEYS = tuple(STAGES)
FOUR_FIFTHS = Fraction(4, 5)
NOT_COMPARED = (PREFER_NOT, NOT_ANSWERED)
# Statuses that mean the application got past shortlisting (a lottery selects as "shortlisted").
PAST_SHORTLISTING = ("shortlisted", "interview", "offered", "declined", "appointed")


def percent(rate: Fraction) -> int:
    """A rate as a whole percentage, halves rounded up."""
    return (rate.numerator * 200 + rate.denominator) // (2 * rate.denominator)


@dataclass(frozen=True)
class StageCell:
    """One group at one stage, as HR may see it."""

    count: int | None  # None when hidden
    rate: Fraction | None = None  # pass-through from the previous stage, where worked out
    flagged: bool = False

    @property
    def text(self) -> str:
        return FEWER_THAN if self.count is None else f"{self.count:,}"

    @property
    def rate_text(self) -> str:
        return "" if self.rate is None else f"{percent(self.rate)}%"


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    total: int


@dataclass(frozen=True)
class GroupRow:
    key: str
    label: str
    compared: bool  # a group the four-fifths check compares (not "prefer not to say")
    cells: tuple[StageCell, ...]


@dataclass(frozen=True)
class Flag:
    """A group whose pass-through at a stage is under four fifths of the highest group's."""

    question: str
    group: str
    stage: str
    rate: Fraction | None  # None: fewer than 5 went on, so no rate is shown
    highest_group: str
    highest_rate: Fraction
    of: int | None = None  # with no rate: how many were at the previous stage (shown there)
    none_went_on: bool = False  # with no rate: the page shows 0 at this stage

    @property
    def text(self) -> str:
        if self.rate is None:
            few = "0" if self.none_went_on else f"fewer than {THRESHOLD}"
            went = f"{few} of {self.of or 0:,} went on to {self.stage.lower()}"
        else:
            went = f"{percent(self.rate)}% passed to {self.stage.lower()}"
        return (
            f"{self.group}: {went}, against {percent(self.highest_rate)}% for {self.highest_group}"
        )


@dataclass(frozen=True)
class QuestionFairness:
    key: str
    question: str
    rows: tuple[GroupRow, ...]
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class FairnessReport:
    role_id: int | None
    stages: tuple[Stage, ...]
    questions: tuple[QuestionFairness, ...]

    @property
    def applicants(self) -> int:
        return self.stages[0].total

    @property
    def flags(self) -> list[Flag]:
        return [flag for q in self.questions for flag in q.flags]


def _flag_columns() -> list[Any]:
    """Per application: 1 if it reached each stage after "applied", else 0."""
    app_id = Application.id
    interviewed = exists().where(Interview.application_id == app_id)
    offered = exists().where(Offer.application_id == app_id)
    appointed = exists(
        select(Appointment.id)
        .join(Offer, Offer.id == Appointment.offer_id)
        .where(Offer.application_id == app_id)
    )
    shortlisted = or_(
        exists().where(Decision.application_id == app_id, Decision.outcome == "shortlisted"),
        interviewed,
        offered,
        Application.status.in_(PAST_SHORTLISTING),
    )
    return [
        case((shortlisted, 1), else_=0).label("shortlisted"),
        case((interviewed, 1), else_=0).label("interviewed"),
        case((or_(offered, appointed), 1), else_=0).label("offered"),
        case((appointed, 1), else_=0).label("appointed"),
    ]


def _rows(role_id: int | None, key: str) -> list[tuple[str, tuple[int, ...], int]]:
    """(answer, reached flags for every stage, how many applications), for one question."""
    flags = _flag_columns()
    base = (
        select(Application.id, getattr(EqualityResponse, key).label("answer"), *flags)
        .select_from(Application)
        .outerjoin(EqualityResponse, EqualityResponse.application_id == Application.id)
        .where(Application.status != "draft")
    )
    if role_id is not None:
        base = base.where(Application.role_id == role_id)
    sub = base.subquery()
    stage_columns = [sub.c[name] for name in STAGE_KEYS[1:]]
    result = db.session.execute(
        select(sub.c.answer, *stage_columns, func.count(sub.c.id)).group_by(
            sub.c.answer, *stage_columns
        )
    ).all()
    labels = answer_labels(key)
    rows = []
    for answer, *reached, count in result:
        group = answer if answer in labels and answer != NOT_ANSWERED else NOT_ANSWERED
        rows.append((group, (1, *(int(r) for r in reached)), int(count)))
    return rows


def _few_went_on(
    group: str,
    stage: str,
    previous: str,
    reached: dict[tuple[str, str], int],
    passed: dict[tuple[str, str], int],
    hidden: set[tuple[str, str]],
) -> tuple[int, int] | None:
    """Where the page can say "fewer than 5 of N went on" for this group at this stage: (N, the
    most that can have gone on, from what the page shows). None where it cannot.

    N, the count at the previous stage, must be shown and be 5 or more. A count hidden at this
    stage is taken at the page's word, whatever it really is: asking whether it is really under
    5 would tell the reader which hidden counts are not. Its most is what the page gives away
    anyway: no more than N, and no more than the stage's total less the counts shown."""
    of = reached[(group, previous)]
    if (group, previous) in hidden or of < THRESHOLD:
        return None
    if (group, stage) in hidden:
        shown = sum(n for (g, s), n in reached.items() if s == stage and (g, s) not in hidden)
        total = sum(n for (g, s), n in reached.items() if s == stage)
        return of, min(of, total - shown)
    if passed[(group, stage)] < THRESHOLD:
        # Shown here (0, or 5 or more who mostly came another way): no rate already tells the
        # reader that fewer than 5 went on from the previous stage.
        return of, 0 if reached[(group, stage)] == 0 else THRESHOLD - 1
    return None


def _question(role_id: int | None, key: str) -> tuple[QuestionFairness, dict[str, int]]:
    question, _ = QUESTIONS[key]
    labels = answer_labels(key)
    groups = list(labels)
    reached: dict[tuple[str, str], int] = {(g, s): 0 for g in groups for s in STAGE_KEYS}
    # Of a group's applications at the previous stage, how many reached this one too.
    passed: dict[tuple[str, str], int] = dict(reached)
    for group, marks, count in _rows(role_id, key):
        for i, stage in enumerate(STAGE_KEYS):
            if marks[i]:
                reached[(group, stage)] += count
                if i == 0 or marks[i - 1]:
                    passed[(group, stage)] += count
    totals = {s: sum(reached[(g, s)] for g in groups) for s in STAGE_KEYS}
    hidden = suppress(reached, [[(g, s) for g in groups] for s in STAGE_KEYS])

    rates: dict[tuple[str, str], Fraction] = {}
    for i, stage in enumerate(STAGE_KEYS[1:], start=1):
        previous = STAGE_KEYS[i - 1]
        for g in groups:
            shown = (g, stage) not in hidden and (g, previous) not in hidden
            base, through = reached[(g, previous)], passed[(g, stage)]
            if shown and base >= THRESHOLD and through >= THRESHOLD:
                rates[(g, stage)] = Fraction(through, base)

    flagged: set[tuple[str, str]] = set()
    flags: list[Flag] = []
    for i, stage in enumerate(STAGE_KEYS[1:], start=1):
        previous = STAGE_KEYS[i - 1]
        compared = {
            g: rates[(g, stage)] for g in groups if g not in NOT_COMPARED and (g, stage) in rates
        }
        if not compared:
            continue
        top_group = max(compared, key=lambda g: (compared[g], -groups.index(g)))
        top = compared[top_group]
        for g in groups:
            if g in NOT_COMPARED:
                continue
            rate = compared.get(g)
            of, shown_zero = None, False
            if rate is None:
                few = _few_went_on(g, stage, previous, reached, passed, hidden)
                if few is None:
                    continue
                of, most = few
                # Flagged only if even the most that can have gone on is under four fifths.
                if Fraction(most, of) >= FOUR_FIFTHS * top:
                    continue
                shown_zero = (g, stage) not in hidden and reached[(g, stage)] == 0
            elif rate >= FOUR_FIFTHS * top:
                continue
            flagged.add((g, stage))
            flags.append(
                Flag(
                    question=question,
                    group=labels[g],
                    stage=STAGES[stage],
                    rate=rate,
                    highest_group=labels[top_group],
                    highest_rate=top,
                    of=of,
                    none_went_on=shown_zero,
                )
            )

    rows = tuple(
        GroupRow(
            key=g,
            label=labels[g],
            compared=g not in NOT_COMPARED,
            cells=tuple(
                StageCell(
                    count=None if (g, s) in hidden else reached[(g, s)],
                    rate=rates.get((g, s)),
                    flagged=(g, s) in flagged,
                )
                for s in STAGE_KEYS
            ),
        )
        for g in groups
    )
    return QuestionFairness(key, question, rows, tuple(flags)), totals


def fairness_report(role_id: int | None = None) -> FairnessReport:
    """For one role, or (role_id None) every role together."""
    questions = []
    totals: dict[str, int] = dict.fromkeys(STAGE_KEYS, 0)
    for key in QUESTIONS:
        report, totals = _question(role_id, key)
        questions.append(report)
    stages = tuple(Stage(s, STAGES[s], totals[s]) for s in STAGE_KEYS)
    return FairnessReport(role_id=role_id, stages=stages, questions=tuple(questions))
