"""The fairness report: how each group passes through recruitment, stage by stage.

For each equality question and each stage (applied, shortlisted, interviewed, offered, appointed),
how many applications from each group reached it. A stage is worked out from the records, not
from where the application is now, and counts the applications that reached it or any later
stage, so every stage holds only applications that are in the stage before (an offer made without
an interview counts as interviewed too; the page says so):

- applied: sent (not a draft);
- shortlisted: a decision to shortlist (or selected in a lottery), or a later stage;
- interviewed: invited to interview, or a later stage;
- offered: an offer was made (whatever became of it), or appointed;
- appointed: appointed to the role.

Counts under 5 are hidden as in `reporting`, and so is a second count beside a lone hidden one
(each stage's total is shown). Because a group's counts can only fall from stage to stage, a
shown count also bounds the hidden ones in its row, so the page is then checked as a reader
would work it: from the totals and the shown counts, each hidden count's least and most
(`bounds`). While any hidden count is pinned to one value, one more count beside it is hidden.
A hidden count reads "hidden", never a number or "fewer than 5" (it may be a large count hidden
beside a small one).

The pass-through rate of a group at a stage is, of its applications that reached the previous
stage, the share that reached this one. It is worked out only where both counts are 5 or more
(and both are shown), in whole-number fractions, never floats. A group is flagged where its rate
is under four fifths of the highest group's rate at that stage (the "four-fifths rule" of
adverse impact). "Prefer not to say" and "Not answered" are shown but are not groups to compare.

A group with a hidden count or a 0 has no rate, but it may still be the clearest concern of all
(2 of 40, say). It is flagged as "at most M of N went on" (or "0 of N") when N, the count at the
previous stage, is shown and is 5 or more, and even M, the most that can have gone on from what
the page shows (`bounds`), is under four fifths of the highest group's rate. The decision uses
only what the page shows, so a flag tells nobody more than the page does.
Only counts and rates leave this module; no person's answers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import case, exists, func, or_, select

from lep.applications.models import Application
from lep.equality.models import PREFER_NOT, QUESTIONS, EqualityResponse
from lep.equality.reporting import HIDDEN, NOT_ANSWERED, THRESHOLD, answer_labels
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
        return HIDDEN if self.count is None else f"{self.count:,}"

    @property
    def rate_text(self) -> str:
        return "" if self.rate is None else f"{percent(self.rate)}%"


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    total: int
    # Counted here because they reached a later stage, with no record of this one (an offer
    # made without an interview, say).
    skipped: int = 0


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
    rate: Fraction | None  # None: hidden or 0 at this stage, so no rate is shown
    highest_group: str
    highest_rate: Fraction
    of: int | None = None  # with no rate: how many were at the previous stage (shown there)
    most: int = 0  # with no rate: the most that can have gone on, from what the page shows
    none_went_on: bool = False  # with no rate: the page shows 0 at this stage

    @property
    def text(self) -> str:
        if self.rate is None:
            few = "0" if self.none_went_on else f"at most {self.most:,}"
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
    stages: tuple[Stage, ...] = ()


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

    @property
    def skipped(self) -> list[Stage]:
        """Stages that count applications with no record of them (see `Stage.skipped`)."""
        return [stage for stage in self.stages if stage.skipped]


def _flag_columns() -> list[Any]:
    """Per application: 1 if its records show each stage after "applied", else 0 (before
    `_reached` counts a later stage as passing through the earlier ones)."""
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
        Application.status.in_(PAST_SHORTLISTING),
    )
    return [
        case((shortlisted, 1), else_=0).label("shortlisted"),
        case((interviewed, 1), else_=0).label("interviewed"),
        case((offered, 1), else_=0).label("offered"),
        case((appointed, 1), else_=0).label("appointed"),
    ]


Row = tuple[str, tuple[int, ...], int]


def _rows(role_id: int | None, key: str) -> list[Row]:
    """(answer, recorded flags for every stage, how many applications), for one question."""
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
    for answer, *recorded, count in result:
        group = answer if answer in labels and answer != NOT_ANSWERED else NOT_ANSWERED
        rows.append((group, (1, *(int(r) for r in recorded)), int(count)))
    return rows


def _reached(recorded: tuple[int, ...]) -> tuple[int, ...]:
    """A stage is reached if the records show it or any later one."""
    return tuple(int(any(recorded[i:])) for i in range(len(recorded)))


Cell = tuple[str, str]


def bounds(
    counts: dict[Cell, int],
    hidden: set[Cell],
    columns: list[list[Cell]],
    chains: list[list[Cell]],
) -> dict[Cell, tuple[int, int]]:
    """What a reader can work out about each hidden count from the page: its least and most.

    The page shows each column's total and the counts not hidden; along each chain (a group's
    row) counts never rise. Those facts are applied in turn until nothing tightens."""
    column_of = {cell: i for i, column in enumerate(columns) for cell in column}
    totals = [sum(counts[cell] for cell in column) for column in columns]
    low = dict.fromkeys(hidden, 0)
    high = {cell: totals[column_of[cell]] for cell in hidden}

    def least(cell: Cell) -> int:
        return low[cell] if cell in hidden else counts[cell]

    def most(cell: Cell) -> int:
        return high[cell] if cell in hidden else counts[cell]

    changed = True
    while changed:
        changed = False
        for chain in chains:
            for i, cell in enumerate(chain):
                if cell not in hidden:
                    continue
                hi = min([high[cell], *(most(c) for c in chain[:i])])
                lo = max([low[cell], *(least(c) for c in chain[i + 1 :])])
                if (lo, hi) != (low[cell], high[cell]):
                    low[cell], high[cell], changed = lo, hi, True
        for column, total in zip(columns, totals, strict=True):
            covered = [cell for cell in column if cell in hidden]
            if not covered:
                continue
            rest = total - sum(counts[cell] for cell in column if cell not in hidden)
            for cell in covered:
                others = [c for c in covered if c != cell]
                lo = max(low[cell], rest - sum(high[c] for c in others))
                hi = min(high[cell], rest - sum(low[c] for c in others))
                if (lo, hi) != (low[cell], high[cell]):
                    low[cell], high[cell], changed = lo, hi, True
    return {cell: (low[cell], high[cell]) for cell in hidden}


def _suppress(
    counts: dict[Cell, int], columns: list[list[Cell]], chains: list[list[Cell]]
) -> tuple[set[Cell], dict[Cell, tuple[int, int]]]:
    """Every count from 1 to 4 is hidden; then, while the page pins a hidden one to its value,
    more counts beside it are hidden. (A lone hidden count in a column is always pinned by the
    column's total, so this is `reporting.suppress`'s neighbour rule, with rows taken into
    account and the neighbour chosen so that it does protect.)

    The counts hidden next are a shown count in a pinned one's column or row, together with the
    shown counts just before it in its row that are the same (a 0 after a shown 0 would still
    read as 0). Of those choices, the one that leaves the fewest pinned, then hides the fewest
    and smallest counts, is taken."""
    hidden = {cell for cell, count in counts.items() if 0 < count < THRESHOLD}
    order = {cell: i for i, cell in enumerate(c for column in columns for c in column)}
    column_of = {cell: column for column in columns for cell in column}
    chain_of = {cell: chain for chain in chains for cell in chain}

    def with_run(cell: Cell) -> set[Cell]:
        chain = chain_of[cell]
        run = {cell}
        for before in reversed(chain[: chain.index(cell)]):
            if before in hidden or counts[before] != counts[cell]:
                break
            run.add(before)
        return run

    def pinned(known: dict[Cell, tuple[int, int]]) -> list[Cell]:
        # A small count the page pins to one value. A larger count or a 0 worked out is no
        # harm: either would be shown anyway.
        return sorted(
            (c for c, (lo, hi) in known.items() if lo == hi and 0 < counts[c] < THRESHOLD),
            key=order.__getitem__,
        )

    def score(run: set[Cell], hidden: set[Cell]) -> tuple[int, ...]:
        still = len(pinned(bounds(counts, hidden | run, columns, chains)))
        return (still, len(run), sum(counts[c] for c in run), min(order[c] for c in run))

    while True:
        known = bounds(counts, hidden, columns, chains)
        exposed = pinned(known)
        around = {c for cell in exposed for c in (*column_of[cell], *chain_of[cell])}
        candidates = sorted(around - hidden, key=order.__getitem__)
        if not candidates:  # nothing pinned, or nothing left to hide around it
            return hidden, known

        scored = [(score(run, hidden), run) for run in map(with_run, candidates)]
        hidden |= min(scored, key=lambda choice: choice[0])[1]


def question_fairness(key: str, rows: list[Row]) -> QuestionFairness:
    """One question's table and flags, from (answer, recorded stages, how many) rows."""
    question, _ = QUESTIONS[key]
    labels = answer_labels(key)
    groups = list(labels)
    reached: dict[Cell, int] = {(g, s): 0 for g in groups for s in STAGE_KEYS}
    skipped = dict.fromkeys(STAGE_KEYS, 0)
    for group, recorded, count in rows:
        marks = _reached(recorded)
        for i, stage in enumerate(STAGE_KEYS):
            if marks[i]:
                reached[(group, stage)] += count
                if not recorded[i]:
                    skipped[stage] += count
    totals = {s: sum(reached[(g, s)] for g in groups) for s in STAGE_KEYS}
    columns = [[(g, s) for g in groups] for s in STAGE_KEYS]
    chains = [[(g, s) for s in STAGE_KEYS] for g in groups]
    hidden, known = _suppress(reached, columns, chains)

    rates: dict[Cell, Fraction] = {}
    for i, stage in enumerate(STAGE_KEYS[1:], start=1):
        previous = STAGE_KEYS[i - 1]
        for g in groups:
            shown = (g, stage) not in hidden and (g, previous) not in hidden
            base, through = reached[(g, previous)], reached[(g, stage)]
            if shown and base >= THRESHOLD and through >= THRESHOLD:
                rates[(g, stage)] = Fraction(through, base)

    flagged: set[Cell] = set()
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
            of, most, shown_zero = None, 0, False
            if rate is None:
                # No rate: flagged only where the count before is shown and 5 or more, and even
                # the most that can have gone on, from what the page shows, is under four fifths.
                of = reached[(g, previous)]
                if (g, previous) in hidden or of < THRESHOLD:
                    continue
                cell = (g, stage)
                most = known[cell][1] if cell in hidden else reached[cell]
                if Fraction(most, of) >= FOUR_FIFTHS * top:
                    continue
                shown_zero = cell not in hidden and reached[cell] == 0
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
                    most=most,
                    none_went_on=shown_zero,
                )
            )

    table = tuple(
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
    stages = tuple(Stage(s, STAGES[s], totals[s], skipped[s]) for s in STAGE_KEYS)
    return QuestionFairness(key, question, table, tuple(flags), stages)


def fairness_report(role_id: int | None = None) -> FairnessReport:
    """For one role, or (role_id None) every role together."""
    questions = [question_fairness(key, _rows(role_id, key)) for key in QUESTIONS]
    return FairnessReport(role_id=role_id, stages=questions[0].stages, questions=tuple(questions))
