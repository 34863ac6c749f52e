"""Selection by lottery: the places and quotas, who is eligible, the draw and its confirmation.

- Places are the role's `posts`. Each option of each of the role's quota questions has a minimum
  and a maximum number of places (LotteryQuota); an option with no row has no limits.
- Eligible: a sent application (submitted or under review) whose agreed scores meet every
  essential criterion (`assessment.essential_met is True`). The others are listed with why not.
- An eligible applicant with no answer to a quota question (or an answer that is no longer one of
  its options) stays in the draw, under "No answer" for that question: they count towards no
  option's minimum or maximum. Nobody loses their place in the draw for a missing answer.
- The draw is the Sortition Foundation's `sortition-algorithms`: maximin (Flanigan et al., Nature
  2021) on the HiGHS solver. It computes a distribution over panels that meet every quota and
  makes the least likely applicant's chance as high as the quotas allow; one panel is then drawn
  from that distribution. Each applicant's chance is the sum of the probabilities of the panels
  that include them. Simple impossibilities are named here first, so the message is specific;
  anything else the library finds infeasible is put in words from the relaxation it suggests.
- A draw is repeatable: the seed (recorded) drives every random choice the library makes.
  Applicants are given to the library keyed by their application id as an int, not a str: the
  library keeps panels in sets, and str hashes differ from process to process (PYTHONHASHSEED),
  which would change the order it explores panels in and so the panel it draws.
- Every draw is kept and shown. The first draw for a role needs no reason; any later one does
  (`redraw_reason`), so a redraw is visible to anyone reviewing the decision.
- Confirming the latest feasible draw (once per role: `confirmed_at`, backed by a unique index)
  shortlists the selected applications, marks the other eligible ones not shortlisted, records a
  Decision for each (told: `outcome_sent_at`) and emails them. Nothing is drawn after that.
  Applicants not yet assessed are not in the draw; while there are any, confirming needs HR's
  explicit choice to leave them undecided (the audit event names them).
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn, cast

from sortition_algorithms.committee_generation import (
    find_distribution_maximin,
    standardize_distribution,
)
from sortition_algorithms.core import lottery_rounding
from sortition_algorithms.errors import InfeasibleQuotasError, SortitionBaseError
from sortition_algorithms.features import (
    FeatureCollection,
    FeatureValueMinMax,
    set_default_max_flex,
)
from sortition_algorithms.people import People
from sortition_algorithms.utils import set_random_provider
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lep import audit
from lep.accounts.models import User
from lep.applications.models import Application
from lep.applications.services import role_is_open
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.services import queue_email
from lep.roles.models import Question, QuotaCategory, Role
from lep.service import DomainError, commit
from lep.shortlisting.assessment import assess
from lep.shortlisting.models import Decision, LotteryDraw, LotteryQuota
from lep.timeutil import format_datetime

# The library logs its progress to stdout at INFO; its warnings are enough for a web service.
for _name in ("sortition_algorithms", "sortition_algorithms_user"):
    logging.getLogger(_name).setLevel(logging.WARNING)

ALGORITHM = "maximin"
SOLVER = "highspy"
ELIGIBLE_STATUSES = ("submitted", "under_review")
# An applicant with no answer to a quota question ("" is never an option: options are not blank).
NO_ANSWER = ""
NO_ANSWER_LABEL = "No answer"
MAX_PLACES = 1_000
MAX_SEED = 2**31 - 1  # the column is a 32-bit integer; 0 would mean "no seed" to the library
CONFIRMED = "lottery.confirmed"  # audit actions; the state is in the rows
OUTCOME_SENT = "shortlisting.outcome_sent"
MAX_REASON = 2_000
CHANCE_PLACES = Decimal("0.0001")

# The library's random numbers come from one module-wide generator: one draw at a time.
_LIBRARY = threading.Lock()


# --- The role, its places and quotas ------------------------------------------------------------


def lottery_role(role_id: int) -> Role | None:
    """The role if it is chosen by lottery (with what the assessment reads), else None."""
    role = db.session.scalar(
        select(Role)
        .where(Role.id == role_id)
        .options(
            selectinload(Role.quota_categories),
            selectinload(Role.criteria),
            selectinload(Role.questions).selectinload(Question.criteria),
        )
    )
    if role is None or role.selection_method != "lottery":
        return None
    return role


def min_field(category: QuotaCategory, index: int) -> str:
    return f"min_{category.id}_{index}"


def max_field(category: QuotaCategory, index: int) -> str:
    return f"max_{category.id}_{index}"


@dataclass(frozen=True)
class QuotaRow:
    category: QuotaCategory
    index: int
    option: str
    min_places: int
    max_places: int | None  # None: no maximum

    @property
    def label(self) -> str:
        return f"{self.category.name}: {self.option}"

    @property
    def min_field(self) -> str:
        return min_field(self.category, self.index)

    @property
    def max_field(self) -> str:
        return max_field(self.category, self.index)


def quota_rows(role: Role) -> list[QuotaRow]:
    """A row for every option of every quota question: its saved limits, or none."""
    saved: dict[tuple[int, str], LotteryQuota] = {}
    ids = [c.id for c in role.quota_categories]
    if ids:
        for row in db.session.scalars(
            select(LotteryQuota).where(LotteryQuota.category_id.in_(ids))
        ):
            saved[(row.category_id, row.option)] = row
    rows = []
    for category in role.quota_categories:
        for index, option in enumerate(category.options):
            quota = saved.get((category.id, option))
            if quota is None:
                rows.append(QuotaRow(category, index, option, 0, None))
            else:
                limit = quota.max_places if quota.max_places < role.posts else None
                rows.append(QuotaRow(category, index, option, quota.min_places, limit))
    return rows


def quota_snapshot(role: Role, rows: list[QuotaRow] | None = None) -> list[dict[str, Any]]:
    """The quotas as a draw records them (a maximum of None means no maximum)."""
    return [
        {
            "category_id": r.category.id,
            "category": r.category.name,
            "option": r.option,
            "min": r.min_places,
            "max": r.max_places,
        }
        for r in (quota_rows(role) if rows is None else rows)
    ]


def _whole(text: str) -> int | None:
    text = (text or "").strip().replace(",", "")
    if text.startswith("+"):
        text = text[1:]
    if not text or not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    return int(text)


def _negative(text: str) -> bool:
    text = (text or "").strip()
    return text.startswith("-") and _whole(text[1:]) is not None


def _parse_places(text: str, errors: dict[str, str]) -> int | None:
    if not (text or "").strip():
        errors["places"] = "Enter the number of places"
        return None
    places = _whole(text)
    if places is None:
        if _negative(text):
            errors["places"] = "There must be at least 1 place"
        else:
            errors["places"] = "Enter the number of places as a whole number, like 8"
        return None
    if places < 1:
        errors["places"] = "There must be at least 1 place"
        return None
    if places > MAX_PLACES:
        errors["places"] = f"There can be at most {MAX_PLACES:,} places"
        return None
    return places


def _parse_limit(text: str, what: str, label: str, name: str, errors: dict[str, str]) -> int | None:
    value = _whole(text)
    if value is None:
        if _negative(text):
            errors[name] = f"The {what} for {label} must be 0 or more"
        else:
            errors[name] = f"Enter the {what} for {label} as a whole number, like 2"
        return None
    if value > MAX_PLACES:
        errors[name] = f"The {what} for {label} must be {MAX_PLACES:,} or fewer"
        return None
    return value


def save_quotas(role: Role, places_text: str, values: Mapping[str, str], by: Any) -> None:
    """Set the number of places and each option's minimum and maximum, all or nothing.

    `values` holds what was typed, keyed by min_field()/max_field(). A blank minimum is 0; a
    blank maximum is no maximum."""
    check_not_confirmed(role, "quotas")
    errors: dict[str, str] = {}
    places = _parse_places(places_text, errors)
    rows = quota_rows(role)
    parsed: list[tuple[QuotaRow, int | None, int | None]] = []
    mins_by_category: dict[int, int] = defaultdict(int)
    first_min: dict[int, str] = {}
    mins_valid = True
    for row in rows:
        first_min.setdefault(row.category.id, row.min_field)
        min_text = (values.get(row.min_field) or "").strip()
        max_text = (values.get(row.max_field) or "").strip()
        low = (
            0
            if not min_text
            else _parse_limit(min_text, "minimum", row.label, row.min_field, errors)
        )
        high = (
            None
            if not max_text
            else _parse_limit(max_text, "maximum", row.label, row.max_field, errors)
        )
        if low is None:
            mins_valid = False
        elif high is not None and low > high:
            errors[row.min_field] = (
                f"The minimum for {row.label} ({low}) must not be more than its maximum ({high})"
            )
        if low is not None:
            mins_by_category[row.category.id] += low
        parsed.append((row, low, high))
    if places is not None and mins_valid:
        for category in role.quota_categories:
            total = mins_by_category[category.id]
            name = first_min.get(category.id)
            if name and total > places and name not in errors:
                errors[name] = (
                    f"The minimums for {category.name} add up to {total}, more than the "
                    f"{places} {'place' if places == 1 else 'places'}"
                )
    if errors:
        raise DomainError(errors)
    assert places is not None
    before = {"places": role.posts, "quotas": quota_snapshot(role, rows)}
    saved = {
        (q.category_id, q.option): q
        for q in db.session.scalars(
            select(LotteryQuota).where(
                LotteryQuota.category_id.in_([c.id for c in role.quota_categories] or [0])
            )
        )
    }
    wanted: set[tuple[int, str]] = set()
    for row, low, high in parsed:
        key = (row.category.id, row.option)
        wanted.add(key)
        quota = saved.get(key)
        if quota is None:
            quota = LotteryQuota(category_id=row.category.id, option=row.option)
            db.session.add(quota)
        quota.min_places = low or 0
        # No maximum is stored as the number of places (a maximum that never binds).
        quota.max_places = places if high is None else min(high, places)
    for key, quota in saved.items():
        if key not in wanted:  # an option that is no longer asked
            db.session.delete(quota)
    role.posts = places
    db.session.flush()
    audit.record(
        "lottery.quotas_set",
        "role",
        role.id,
        before=before,
        after={"places": places, "quotas": quota_snapshot(role)},
        actor=by,
    )
    commit()


# --- Who is in the draw -------------------------------------------------------------------------


NOT_ASSESSED = "Not yet assessed: scoring or moderation is not finished"
# The choice HR makes, when confirming, for applicants not yet assessed (never made for them).
LEAVE_UNDECIDED = "leave"


@dataclass
class Pool:
    """The role's sent applications: who is eligible for the draw, and why the others are not."""

    eligible: list[Application] = field(default_factory=list)
    others: list[tuple[Application, str]] = field(default_factory=list)
    # Application id -> category id -> the option they chose, or NO_ANSWER.
    answers: dict[int, dict[int, str]] = field(default_factory=dict)

    @property
    def eligible_ids(self) -> list[int]:
        return sorted(a.id for a in self.eligible)

    @property
    def unassessed(self) -> list[Application]:
        """Sent applications left out because scoring or moderation is not finished."""
        return [a for a, reason in self.others if reason == NOT_ASSESSED]

    def count(self, category_id: int, option: str) -> int:
        return sum(1 for a in self.eligible if self.answers[a.id][category_id] == option)


def pool(role: Role) -> Pool:
    applications = db.session.scalars(
        select(Application)
        .where(Application.role_id == role.id, Application.status != "draft")
        .options(selectinload(Application.applicant), selectinload(Application.quota_answers))
        .order_by(Application.reference, Application.id)
    ).all()
    candidates = [a.id for a in applications if a.status in ELIGIBLE_STATUSES]
    assessments = assess(role, candidates)
    result = Pool()
    for application in applications:
        given = {q.category_id: q.value for q in application.quota_answers}
        result.answers[application.id] = {
            c.id: given[c.id] if given.get(c.id) in c.options else NO_ANSWER
            for c in role.quota_categories
        }
        if application.status == "withdrawn":
            result.others.append((application, "Withdrawn"))
        elif application.status not in ELIGIBLE_STATUSES:
            result.others.append((application, f"Already decided: {application.status_text}"))
        else:
            met = assessments[application.id].essential_met
            if met is True:
                result.eligible.append(application)
            elif met is False:
                result.others.append((application, "Did not meet an essential criterion"))
            else:
                result.others.append((application, NOT_ASSESSED))
    return result


# --- The draw -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    selected: list[int]
    chances: dict[int, Decimal]


def _feature(category_id: int) -> str:
    return f"c{category_id}"


# The library matches answers without regard to case: it is given keys, never the options' text.
_NO_ANSWER_KEY = "none"


def _chances_to_4_places(raw: dict[int, float], places: int) -> dict[int, Decimal]:
    """Each chance to 4 decimal places, rounded so that together they still add up to the number
    of places (largest remainders get the spare ten-thousandths)."""
    units = {k: min(max(v, 0.0), 1.0) * 10_000 for k, v in raw.items()}
    floors = {k: int(u) for k, u in units.items()}
    spare = places * 10_000 - sum(floors.values())
    for k in sorted(units, key=lambda k: (floors[k] - units[k], k))[: max(spare, 0)]:
        if floors[k] < 10_000:
            floors[k] += 1
    return {k: (Decimal(v) / 10_000).quantize(CHANCE_PLACES) for k, v in floors.items()}


def draw_panel(
    answers: Mapping[int, Mapping[int, str]],
    quotas: list[dict[str, Any]],
    places: int,
    seed: int,
) -> Panel:
    """Run the library: a panel of `places` applicants meeting every quota, and each applicant's
    chance of selection. Raises the library's InfeasibleQuotasError (or another
    SortitionBaseError) when no such panel exists."""
    features: FeatureCollection = {}
    keys: dict[tuple[int, str], str] = {}
    for q in quotas:
        options = features.setdefault(_feature(q["category_id"]), {})
        key = keys[(q["category_id"], q["option"])] = f"o{len(options)}"
        high = places if q["max"] is None else q["max"]
        options[key] = FeatureValueMinMax(min=q["min"], max=high)
    for options in features.values():
        options[_NO_ANSWER_KEY] = FeatureValueMinMax(min=0, max=places)
    set_default_max_flex(features)
    people = People(columns_to_keep=[])
    for row, application_id in enumerate(sorted(answers), start=1):
        data = {
            _feature(c): keys.get((c, option), _NO_ANSWER_KEY)
            for c, option in answers[application_id].items()
        }
        # An int key (see the module's docstring): the same order of panels in every process.
        people.add(cast(str, application_id), data, features, row)
    with _LIBRARY:
        state = random.getstate()
        try:
            set_random_provider(seed)
            committees, probabilities, _report = find_distribution_maximin(
                features, people, places, [], SOLVER
            )
            committees, probabilities = standardize_distribution(committees, probabilities)
            order = sorted(range(len(committees)), key=lambda i: sorted(committees[i]))
            chosen = lottery_rounding(
                [committees[i] for i in order], [probabilities[i] for i in order], 1
            )[0]
        finally:
            set_random_provider(None)
            random.setstate(state)
    raw: dict[int, float] = {int(a): 0.0 for a in answers}
    for committee, probability in zip(committees, probabilities, strict=True):
        for member in committee:
            raw[int(member)] += probability
    return Panel(selected=sorted(int(m) for m in chosen), chances=_chances_to_4_places(raw, places))


def _people(n: int) -> str:
    return (
        "no eligible applicant"
        if n == 0
        else f"only {n} eligible applicant" + ("" if n == 1 else "s")
    )


def problems_before_drawing(
    role: Role, found: Pool, quotas: list[dict[str, Any]], places: int
) -> list[str]:
    """Impossibilities that need no solver, each in plain words. Empty when none is found."""
    eligible = len(found.eligible)
    if eligible == 0:
        return [
            "Nobody is eligible for the draw yet. An applicant is eligible once the panel's "
            "agreed scores show they meet every essential criterion."
        ]
    if eligible < places:
        return [
            f"There {'is' if places == 1 else 'are'} {places} "
            f"{'place' if places == 1 else 'places'} but {_people(eligible)}, so the draw cannot "
            "fill every place. Reduce the number of places."
        ]
    problems = []
    names = {c.id: c.name for c in role.quota_categories}
    mins: dict[int, int] = defaultdict(int)
    room: dict[int, int] = defaultdict(int)
    for q in quotas:
        have = found.count(q["category_id"], q["option"])
        mins[q["category_id"]] += q["min"]
        room[q["category_id"]] += have if q["max"] is None else min(have, q["max"])
        if q["min"] > have:
            problems.append(
                f"{q['category']}: {q['option']} needs at least {q['min']} but {_people(have)} "
                "chose it."
            )
    for category_id, name in names.items():
        if mins[category_id] > places:
            problems.append(
                f"{name}: the minimums add up to {mins[category_id]}, more than the {places} "
                "places."
            )
        capacity = room[category_id] + found.count(category_id, NO_ANSWER)
        if capacity < places and not any(p.startswith(f"{name}:") for p in problems):
            problems.append(
                f"{name}: the maximums, and the eligible applicants who chose each answer, allow "
                f"at most {capacity} of the {places} places to be filled. Raise a maximum or "
                "reduce the number of places."
            )
    return problems


def _relaxation_message(
    error: InfeasibleQuotasError, quotas: list[dict[str, Any]], places: int
) -> str:
    """The library's suggested relaxation, in HR's words."""
    changes = []
    counter: dict[int, int] = defaultdict(int)
    for q in quotas:
        key = f"o{counter[q['category_id']]}"
        counter[q["category_id"]] += 1
        relaxed = error.features.get(_feature(q["category_id"]), {}).get(key)
        if relaxed is None:
            continue
        high = places if q["max"] is None else q["max"]
        if relaxed.min < q["min"]:
            changes.append(
                f"{q['category']}: {q['option']} at least {relaxed.min} (now {q['min']})"
            )
        if relaxed.max > high:
            changes.append(f"{q['category']}: {q['option']} at most {relaxed.max} (now {high})")
    text = (
        "The quotas cannot all be met at once by the eligible applicants: the people who would "
        "fill one question's minimums cannot also fit another question's limits."
    )
    if changes:
        text += " The smallest change that would allow a draw: " + "; ".join(changes) + "."
    return text


def parse_seed(text: str | int | None) -> int | None:
    """A seed HR typed to repeat a draw (None when blank)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    seed = text if isinstance(text, int) else _whole(text.replace(" ", ""))
    if seed is None or not 1 <= seed <= MAX_SEED:
        raise DomainError(
            {
                "seed": f"Enter the seed as a whole number from 1 to {MAX_SEED:,}, or leave it "
                "blank for a new draw"
            }
        )
    return seed


def run_draw(
    role: Role, by: Any, seed: str | int | None = None, reason: str | None = None
) -> LotteryDraw:
    """Draw among the eligible applicants with the role's places and quotas, and record it: a
    selection meeting every quota, or (status infeasible) which quota cannot be met and why.

    A draw after the role's first needs the reason for drawing again; it is kept with the draw."""
    # One draw at a time for a role (PostgreSQL locks the role's row until commit), so two
    # people pressing Draw at once cannot both make a "first" draw without a reason.
    locked = db.session.get(Role, role.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    check_not_confirmed(role, "draw")
    if role_is_open(role):
        closes = format_datetime(role.closes_at) if role.closes_at else "its closing date"
        raise DomainError(
            {
                "draw": f"This role is still taking applications until {closes}. Draw after it "
                "closes, so that everyone who applies is in the draw"
            }
        )
    errors: dict[str, str] = {}
    try:
        chosen_seed = parse_seed(seed)
    except DomainError as error:
        errors.update(error.errors)
        chosen_seed = None
    earlier = db.session.scalar(
        select(func.count(LotteryDraw.id)).where(LotteryDraw.role_id == role.id)
    )
    redraw_reason = (reason or "").strip() if earlier else ""
    if earlier and not redraw_reason:
        errors["reason"] = "Enter why you are drawing again"
    elif len(redraw_reason) > MAX_REASON:
        errors["reason"] = f"The reason must be {MAX_REASON:,} characters or fewer"
    if errors:
        raise DomainError(errors)
    if chosen_seed is None:
        chosen_seed = secrets.randbelow(MAX_SEED) + 1
    found = pool(role)
    quotas = quota_snapshot(role)
    places = role.posts
    eligible = found.eligible_ids
    draw = LotteryDraw(
        role_id=role.id,
        places=places,
        seed=chosen_seed,
        algorithm=ALGORITHM,
        quotas=quotas,
        eligible=eligible,
        selected=[],
        chances={},
        message="",
        by_id=by.id,
        redraw_reason=redraw_reason,
    )
    problems = problems_before_drawing(role, found, quotas, places)
    if not problems:
        try:
            panel = draw_panel({a: found.answers[a] for a in eligible}, quotas, places, chosen_seed)
        except InfeasibleQuotasError as error:
            problems = [_relaxation_message(error, quotas, places)]
        except SortitionBaseError:
            problems = [
                "The quotas cannot be met by the eligible applicants, and no small change to "
                "them would allow a draw. Check the number of places and each quota."
            ]
        else:
            draw.selected = panel.selected
            draw.chances = {str(k): str(v) for k, v in sorted(panel.chances.items())}
    draw.status = "infeasible" if problems else "drawn"
    draw.message = "\n".join(problems)
    db.session.add(draw)
    db.session.flush()
    audit.record(
        "lottery.drawn",
        "lottery_draw",
        draw.id,
        after={
            "role_id": role.id,
            "places": places,
            "seed": chosen_seed,
            "repeat_of_seed": seed is not None and str(seed).strip() != "",
            "earlier_draws": earlier,
            "redraw_reason": redraw_reason,
            "algorithm": ALGORITHM,
            "status": draw.status,
            "message": draw.message,
            "quotas": quotas,
            "eligible": eligible,
            "selected": draw.selected,
            "chances": draw.chances,
        },
        actor=by,
    )
    commit()
    return draw


# --- Draws and confirmation ---------------------------------------------------------------------


def draws_for(role: Role) -> list[LotteryDraw]:
    """The role's draws, latest first."""
    return list(
        db.session.scalars(
            select(LotteryDraw)
            .where(LotteryDraw.role_id == role.id)
            .order_by(LotteryDraw.id.desc())
        )
    )


def draw_for(role: Role, draw_id: int) -> LotteryDraw | None:
    draw = db.session.get(LotteryDraw, draw_id)
    return draw if draw is not None and draw.role_id == role.id else None


def confirmed_draw(role: Role) -> LotteryDraw | None:
    """The role's confirmed draw, if one has been confirmed (there is at most one)."""
    return db.session.scalar(
        select(LotteryDraw).where(
            LotteryDraw.role_id == role.id, LotteryDraw.confirmed_at.is_not(None)
        )
    )


def confirmed_draw_id(role: Role) -> int | None:
    found = confirmed_draw(role)
    return found.id if found is not None else None


def _confirmed_words(draw: LotteryDraw) -> str:
    by = db.session.get(User, draw.confirmed_by_id) if draw.confirmed_by_id else None
    when = format_datetime(draw.confirmed_at) if draw.confirmed_at else ""
    return f"draw {draw.id}, confirmed {when}" + (f" by {by.full_name}" if by else "")


def check_not_confirmed(role: Role, where: str) -> None:
    found = confirmed_draw(role)
    if found is not None:
        raise DomainError(
            {
                where: f"The draw for this role has been confirmed ({_confirmed_words(found)}), "
                "so the places, quotas and draw can no longer change"
            }
        )


def selected_reason(draw: LotteryDraw) -> str:
    return f"Selected in the lottery draw {draw.id} (seed {draw.seed})"


NOT_SELECTED_REASON = "Not selected in the lottery draw"


def confirm_draw(draw: LotteryDraw, by: Any, unassessed: str = "") -> None:
    """Act on the latest feasible draw, once per role: the selected applications are shortlisted,
    the other eligible ones are not, each with a Decision and an email.

    Applicants not yet assessed are not in the draw. While there are any, confirming needs HR's
    explicit choice (`unassessed=LEAVE_UNDECIDED`) to leave them without a decision, to be made
    for each of them later; the confirmation's audit event names them."""
    # One confirmation at a time for a role (PostgreSQL locks the role's row until commit).
    role = db.session.get(Role, draw.role_id, with_for_update=True, populate_existing=True)
    assert role is not None
    check_not_confirmed(role, "confirm")
    if draw.status != "drawn":
        raise DomainError(
            {"confirm": "This draw could not meet the quotas, so it cannot be confirmed"}
        )
    latest = draws_for(role)[0]
    if latest.id != draw.id:
        raise DomainError(
            {"confirm": f"Only the latest draw can be confirmed: that is draw {latest.id}"}
        )
    found = pool(role)
    if (
        found.eligible_ids != sorted(draw.eligible)
        or quota_snapshot(role) != draw.quotas
        or role.posts != draw.places
    ):
        raise DomainError(
            {
                "confirm": "Something has changed since this draw (who is eligible, the places "
                "or the quotas), so it cannot be confirmed. Draw again"
            }
        )
    waiting = found.unassessed
    if waiting and unassessed != LEAVE_UNDECIDED:
        listed = ", ".join(a.reference or str(a.id) for a in waiting)
        raise DomainError(
            {
                "unassessed": f"Choose what happens to the {len(waiting)} "
                + ("applicant" if len(waiting) == 1 else "applicants")
                + f" not yet assessed ({listed}): confirm without them, or finish their "
                "scoring first"
            }
        )
    decided = set(
        db.session.scalars(
            select(Decision.application_id).where(Decision.application_id.in_(draw.eligible))
        )
    )
    if decided:
        references = [a.reference or str(a.id) for a in found.eligible if a.id in decided]
        raise DomainError(
            {
                "confirm": "These applications already have a shortlisting decision: "
                + ", ".join(references)
            }
        )
    now = utcnow()
    # A guarded UPDATE (this draw, confirmed once) and the unique index (one confirmed draw per
    # role): two people confirming at the same moment cannot both succeed.
    try:
        result = db.session.execute(
            update(LotteryDraw)
            .where(LotteryDraw.id == draw.id, LotteryDraw.confirmed_at.is_(None))
            .values(confirmed_at=now, confirmed_by_id=by.id)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:
        _refuse_race(role)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        _refuse_race(role)
    db.session.refresh(draw)
    selected = set(draw.selected)
    for application in found.eligible:
        chosen = application.id in selected
        outcome = "shortlisted" if chosen else "not_shortlisted"
        reason = selected_reason(draw) if chosen else NOT_SELECTED_REASON
        before = application.status
        db.session.add(
            Decision(
                application_id=application.id,
                outcome=outcome,
                reason=reason,
                by_id=by.id,
                outcome_sent_at=now,  # the email below tells them
            )
        )
        application.status = outcome
        audit.record(
            "shortlisting.decided",
            "application",
            application.id,
            before={"status": before},
            after={"outcome": outcome, "reason": reason, "lottery_draw_id": draw.id},
            actor=by,
        )
        context = {
            "application": application,
            "role": role,
            "draw": draw,
            "places": draw.places,
            "eligible": len(draw.eligible),
        }
        if chosen:
            subject = f"Your application {application.reference}: you have been selected"
            queue_email(application.applicant.email, subject, "lottery_selected", **context)
        else:
            subject = f"Your application {application.reference}: the result of the draw"
            queue_email(application.applicant.email, subject, "lottery_not_selected", **context)
        audit.record(
            OUTCOME_SENT,
            "application",
            application.id,
            before={"outcome_sent_at": None},
            after={
                "outcome": outcome,
                "reason_included": True,
                "lottery_draw_id": draw.id,
                "outcome_sent_at": now,
            },
            actor=by,
        )
    audit.record(
        CONFIRMED,
        "lottery_draw",
        draw.id,
        before={"confirmed_at": None},
        after={
            "confirmed_at": now,
            "confirmed_by_id": by.id,
            "role_id": role.id,
            "seed": draw.seed,
            "shortlisted": sorted(selected),
            "not_shortlisted": sorted(set(draw.eligible) - selected),
            "left_undecided": sorted(a.id for a in waiting),
        },
        actor=by,
    )
    try:
        commit()
    except IntegrityError:  # a confirmation or a decision landed at the same moment
        _refuse_race(role)


def _refuse_race(role: Role) -> NoReturn:
    """Undo everything this confirmation did and say what beat it."""
    db.session.rollback()
    if confirmed_draw(role) is not None:
        message = (
            "Someone else confirmed a draw for this role at the same moment, so this "
            "confirmation changed nothing. Reload the page to see the confirmed draw"
        )
    else:
        message = (
            "Someone else made a decision at the same time, so nothing changed. Reload the page"
        )
    raise DomainError({"confirm": message})
