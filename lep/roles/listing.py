"""Open roles for people to find, with their pay worked out in a fixed number of queries.

`lep.roles.pay.pay_statement` asks the database for one role's band or rates. A page of roles
would ask once per role; here the bands and rate cards in force are fetched once for the whole
page, and the same pure functions (`employed_statement`, `sessional_statement`) write the text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import joinedload

from lep.db import utcnow
from lep.extensions import db
from lep.roles import pay
from lep.roles.models import AFC, WORK_PATTERNS, PayPoint, RateCardRate, Role

# What the public list can be filtered by: engagement type and where the work happens.
TYPE_FILTERS = {
    "employed": "Employed (on an NHS pay band)",
    "sessional": "Sessional (a fee for each session)",
    "expenses_only": "Voluntary (expenses paid)",
}
WHERE_FILTERS = {"remote": "Remote", "hybrid": "Hybrid", "on_site": "On site"}

SELECTION_IN_PLAIN_WORDS = {
    "scored": (
        "A panel reads each application and scores it against the criteria on this page. "
        "The people whose applications best meet the criteria are offered the role."
    ),
    "lottery": (
        "We check each application against the essential criteria. Everyone who meets them "
        "goes into a lottery, a random draw, for the posts. This gives everyone who meets the "
        "criteria the same chance."
    ),
}
SELECTION_WITH_INTERVIEW = {
    "scored": (
        "A panel reads each application and scores it against the criteria on this page. "
        "The people with the highest scores are invited to an interview."
    ),
    "lottery": (
        "We check each application against the essential criteria. Everyone who meets them "
        "goes into a lottery, a random draw, and the people drawn are invited to an interview."
    ),
}


@dataclass(frozen=True)
class RolePay:
    """A role's pay on a date: the statement, and the band or rates it was worked out from."""

    statement: str | None
    band: pay.BandRange | None = None
    rate: RateCardRate | None = None

    @property
    def lowest_hourly_pence(self) -> int | None:
        """Full-time hourly equivalent of the band's lowest pay point (employed roles)."""
        return pay.hourly_pence(self.band.minimum_pence) if self.band else None

    @property
    def session_lengths(self) -> str | None:
        return pay.session_lengths(self.rate) if self.rate else None


@dataclass(frozen=True)
class ListedRole:
    """A role with its pay. Reads through to the role: `listed.title` is `listed.role.title`."""

    role: Role
    pay: RolePay

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in {"role", "pay"}:  # copy/pickle before __init__
            raise AttributeError(name)
        return getattr(self.role, name)


def open_roles_query(
    types: Iterable[str] = (), where: Iterable[str] = (), now: dt.datetime | None = None
) -> Select[tuple[Role]]:
    """Open roles still taking applications, soonest closing first. Unknown filters are ignored."""
    now = now or utcnow()
    stmt = select(Role).where(Role.status == "open", Role.closes_at > now)
    chosen_types = [t for t in types if t in TYPE_FILTERS]
    if chosen_types:
        stmt = stmt.where(Role.engagement_type.in_(chosen_types))
    chosen_where = [w for w in where if w in WORK_PATTERNS]
    if chosen_where:
        stmt = stmt.where(Role.work_pattern.in_(chosen_where))
    return stmt.order_by(Role.closes_at, Role.id)


def is_open(role: Role, now: dt.datetime | None = None) -> bool:
    """Still taking applications: published, and the closing time has not passed."""
    return (
        role.status == "open" and role.closes_at is not None and role.closes_at > (now or utcnow())
    )


def bands_in_force(bands: Iterable[str], on: dt.date) -> dict[str, pay.BandRange]:
    """Each band's pay points from its latest table in force on a date: one query for all."""
    wanted = sorted(set(bands))
    if not wanted:
        return {}
    latest = (
        select(PayPoint.band, func.max(PayPoint.effective_from).label("effective_from"))
        .where(PayPoint.framework == AFC, PayPoint.band.in_(wanted), PayPoint.effective_from <= on)
        .group_by(PayPoint.band)
        .subquery()
    )
    points = db.session.scalars(
        select(PayPoint)
        .join(
            latest,
            and_(
                PayPoint.band == latest.c.band,
                PayPoint.effective_from == latest.c.effective_from,
            ),
        )
        .where(PayPoint.framework == AFC)
        .order_by(PayPoint.band, PayPoint.point)
    ).all()
    by_band: dict[str, list[PayPoint]] = defaultdict(list)
    for point in points:
        by_band[point.band].append(point)
    return {
        band: pay.BandRange(band=band, effective_from=rows[0].effective_from, points=tuple(rows))
        for band, rows in by_band.items()
    }


def rates_in_force(card_ids: Iterable[int], on: dt.date) -> dict[int, RateCardRate]:
    """Each rate card's rates in force on a date, with the card: one query for all."""
    wanted = sorted(set(card_ids))
    if not wanted:
        return {}
    latest = (
        select(
            RateCardRate.rate_card_id,
            func.max(RateCardRate.effective_from).label("effective_from"),
        )
        .where(RateCardRate.rate_card_id.in_(wanted), RateCardRate.effective_from <= on)
        .group_by(RateCardRate.rate_card_id)
        .subquery()
    )
    rates = db.session.scalars(
        select(RateCardRate)
        .options(joinedload(RateCardRate.rate_card))
        .join(
            latest,
            and_(
                RateCardRate.rate_card_id == latest.c.rate_card_id,
                RateCardRate.effective_from == latest.c.effective_from,
            ),
        )
    ).all()
    return {rate.rate_card_id: rate for rate in rates}


def pay_for(roles: Sequence[Role], on: dt.date) -> dict[int, RolePay]:
    """Every role's pay on a date, in at most two queries whatever the number of roles.

    The same text as `pay.pay_statement(role, on)` for each role.
    """
    bands = bands_in_force(
        (r.band for r in roles if r.engagement_type == "employed" and r.band), on
    )
    rates = rates_in_force(
        (r.rate_card_id for r in roles if r.engagement_type == "sessional" and r.rate_card_id), on
    )
    result: dict[int, RolePay] = {}
    for role in roles:
        if role.engagement_type == "employed" and role.band:
            band = bands.get(role.band)
            statement = pay.employed_statement(band, role.minutes_per_week) if band else None
            result[role.id] = RolePay(statement, band=band)
        elif role.engagement_type == "sessional" and role.rate_card_id:
            rate = rates.get(role.rate_card_id)
            result[role.id] = RolePay(pay.sessional_statement(rate) if rate else None, rate=rate)
        elif role.engagement_type == "expenses_only":
            result[role.id] = RolePay(pay.VOLUNTARY_STATEMENT)
        else:
            result[role.id] = RolePay(None)
    return result


def with_pay(roles: Sequence[Role], on: dt.date) -> list[ListedRole]:
    paid = pay_for(roles, on)
    return [ListedRole(role, paid[role.id]) for role in roles]


def paragraphs(text: str) -> list[list[str]]:
    """Paragraphs split at blank lines, each as its lines (shown with line breaks, escaped)."""
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [
        [line.strip() for line in block.strip().split("\n") if line.strip()]
        for block in blocks
        if block.strip()
    ]


def time_text(role: Role) -> str:
    """'15 hours a week', '2 sessions a month', or both."""
    parts = []
    if role.minutes_per_week:
        parts.append(f"{pay.format_hours(role.minutes_per_week)} a week")
    if role.sessions_per_month:
        n = role.sessions_per_month
        parts.append(f"{n} {'session' if n == 1 else 'sessions'} a month")
    return "; ".join(parts)


def where_text(role: Role) -> str:
    """'Hybrid: Quarry House, Leeds', or just 'Remote'."""
    pattern = WORK_PATTERNS.get(role.work_pattern, role.work_pattern)
    return f"{pattern}: {role.location}" if role.location else pattern


def selection_text(role: Role) -> str:
    interview = any(c.stage == "interview" for c in role.criteria)
    texts = SELECTION_WITH_INTERVIEW if interview else SELECTION_IN_PLAIN_WORDS
    return texts.get(role.selection_method, "")
