"""Pay tables and rate cards: importing Agenda for Change tables, adding effective-dated rates.

A pay table file has the columns band, pay_point, years_from, annual_salary_gbp, effective_from
(the format of the NHS Employers table in lep/roles/data/). A file with any bad row is refused
whole, naming the row; nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from lep import audit
from lep.extensions import db
from lep.money import MoneyError, parse_pounds
from lep.roles.models import AFC, AFC_BANDS, PayPoint, RateCard, RateCardRate
from lep.service import commit

REFERENCE_TABLE = Path(__file__).parent / "data" / "afc-pay-2025-26-england.csv"
COLUMNS = ("band", "pay_point", "years_from", "annual_salary_gbp", "effective_from")


class PayTableError(ValueError):
    """A pay table that cannot be loaded. `row` is the file's line number (the header is 1)."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(f"Row {row}: {message}" if row else message)
        self.row = row
        self.message = message


@dataclass(frozen=True)
class ImportResult:
    added: int
    unchanged: int
    effective_from: tuple[dt.date, ...]


def _parse_rows(text: str) -> list[PayPoint]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or [])
    if tuple(h.strip() for h in header) != COLUMNS:
        raise PayTableError(f"The header must be: {','.join(COLUMNS)}", row=1)
    seen: set[tuple[str, int, dt.date]] = set()
    points = []
    for number, row in enumerate(reader, start=2):
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if None in row:
            raise PayTableError("has more columns than the header", row=number)
        band = values["band"].lower()
        if band not in AFC_BANDS:
            raise PayTableError(
                f"unknown band {values['band']!r} (known: {', '.join(AFC_BANDS)})", row=number
            )
        try:
            point = int(values["pay_point"])
            years_from = int(values["years_from"])
        except ValueError:
            raise PayTableError(
                "pay_point and years_from must be whole numbers", row=number
            ) from None
        if point < 1 or years_from < 0:
            raise PayTableError("pay_point must be 1 or more, years_from 0 or more", row=number)
        try:
            annual_pence = parse_pounds(values["annual_salary_gbp"])
        except MoneyError as exc:
            raise PayTableError(
                exc.hint or f"salary {values['annual_salary_gbp']!r} is not a number of pounds",
                row=number,
            ) from None
        if annual_pence <= 0:
            raise PayTableError("salary must be more than 0", row=number)
        try:
            effective_from = dt.date.fromisoformat(values["effective_from"])
        except ValueError:
            raise PayTableError(
                f"effective_from {values['effective_from']!r} is not a date like 2025-04-01",
                row=number,
            ) from None
        key = (band, point, effective_from)
        if key in seen:
            raise PayTableError(
                f"Band {band} pay point {point} from {effective_from} appears twice", row=number
            )
        seen.add(key)
        points.append(
            PayPoint(
                framework=AFC,
                band=band,
                point=point,
                years_from=years_from,
                annual_pence=annual_pence,
                effective_from=effective_from,
            )
        )
    if not points:
        raise PayTableError("The file has no pay points")
    return points


def import_pay_table(text: str, *, source: str = "upload", actor: object = None) -> ImportResult:
    """Load a pay table. Rows already present with the same salary are left alone; a row that
    would change a stored salary is refused (a new table needs a new effective date)."""
    points = _parse_rows(text)
    existing = {
        (p.band, p.point, p.effective_from): p
        for p in db.session.scalars(select(PayPoint).where(PayPoint.framework == AFC))
    }
    added, unchanged = [], 0
    for number, point in enumerate(points, start=2):
        stored = existing.get((point.band, point.point, point.effective_from))
        if stored is None:
            added.append(point)
        elif stored.annual_pence == point.annual_pence and stored.years_from == point.years_from:
            unchanged += 1
        else:
            raise PayTableError(
                f"Band {point.band} pay point {point.point} from {point.effective_from} is already "
                "loaded with a different salary. Pay already offered keeps its amount: load a new "
                "table with a later effective date instead",
                row=number,
            )
    db.session.add_all(added)
    dates = tuple(sorted({p.effective_from for p in points}))
    if added:
        audit.record(
            "pay_table.imported",
            "pay_table",
            ",".join(d.isoformat() for d in dates),
            after={"source": source, "added": len(added), "unchanged": unchanged},
            actor=actor,
            actor_label=None if actor else "cli",
        )
    commit()
    return ImportResult(added=len(added), unchanged=unchanged, effective_from=dates)


class RateCardError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def create_rate_card(name: str, description: str = "") -> RateCard:
    name = name.strip()
    if not name:
        raise RateCardError("Enter a name for the rate card", field="name")
    if db.session.scalar(select(RateCard).where(RateCard.name == name)) is not None:
        raise RateCardError("A rate card with this name already exists", field="name")
    card = RateCard(name=name, description=description.strip())
    db.session.add(card)
    db.session.flush()
    audit.record("rate_card.created", "rate_card", card.id, after={"name": name})
    commit()
    return card


def add_rates(
    card: RateCard,
    effective_from: dt.date,
    *,
    hourly_pence: int | None = None,
    half_day_pence: int | None = None,
    day_pence: int | None = None,
    half_day_max_hours: int = 4,
) -> RateCardRate:
    """Add the card's rates from a date. Rates already in force are never changed."""
    amounts = {"hourly": hourly_pence, "half_day": half_day_pence, "day": day_pence}
    if all(v is None for v in amounts.values()):
        raise RateCardError("Enter at least one rate: per hour, per half day or per day", "hourly")
    for name, value in amounts.items():
        if value is not None and value < 0:
            raise RateCardError("A rate cannot be negative", field=name)
    if not 1 <= half_day_max_hours <= 12:
        raise RateCardError("A half day must be between 1 and 12 hours", "half_day_max_hours")
    latest = db.session.scalar(
        select(func.max(RateCardRate.effective_from)).where(RateCardRate.rate_card_id == card.id)
    )
    if latest is not None and effective_from <= latest:
        # New rates go after the card's history, never into it: rates already in force for a
        # date stay what they were.
        raise RateCardError(
            f"New rates must start after {latest.day} {latest:%B %Y}, when this card's latest "
            "rates started",
            field="effective_from",
        )
    rate = RateCardRate(
        rate_card=card,
        effective_from=effective_from,
        hourly_pence=hourly_pence,
        half_day_pence=half_day_pence,
        day_pence=day_pence,
        half_day_max_hours=half_day_max_hours,
    )
    db.session.add(rate)
    db.session.flush()
    audit.record(
        "rate_card.rates_added",
        "rate_card",
        card.id,
        after={
            "effective_from": effective_from,
            "hourly_pence": hourly_pence,
            "half_day_pence": half_day_pence,
            "day_pence": day_pence,
            "half_day_max_hours": half_day_max_hours,
        },
    )
    commit()
    return rate
