"""Pay maths and plain-English pay statements. Pure functions over integer pence.

The NHS Employers convention for an hourly rate: annual / 52.143 weeks / 37.5 hours. Part-time pay
is pro rata to 37.5 hours a week. Results are rounded to the penny, halves away from zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from lep.extensions import db
from lep.money import format_pounds, round_pence
from lep.roles.models import AFC, PayPoint, RateCard, RateCardRate, Role

WEEKS_PER_YEAR = Decimal("52.143")
FULL_TIME_MINUTES = 2250  # 37.5 hours a week


def hourly_pence(annual_pence: int) -> int:
    """Hourly equivalent of an annual salary, full time: annual / 52.143 / 37.5."""
    return round_pence(Decimal(annual_pence) / WEEKS_PER_YEAR / Decimal("37.5"))


def pro_rata_pence(annual_pence: int, minutes_per_week: int) -> int:
    """What a full-time annual salary pays for fewer hours a week."""
    return round_pence(Decimal(annual_pence) * minutes_per_week / FULL_TIME_MINUTES)


def pay_year_label(effective_from: dt.date) -> str:
    """2025-04-01 -> '2025/26'. NHS pay years run from April."""
    start = effective_from.year if effective_from.month >= 4 else effective_from.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def format_hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    text = f"{hours}" if rest == 0 else f"{Decimal(minutes) / 60:.2f}".rstrip("0").rstrip(".")
    return f"{text} {'hour' if minutes == 60 else 'hours'}"


@dataclass(frozen=True)
class BandRange:
    band: str
    effective_from: dt.date
    points: tuple[PayPoint, ...]

    @property
    def minimum_pence(self) -> int:
        return min(p.annual_pence for p in self.points)

    @property
    def maximum_pence(self) -> int:
        return max(p.annual_pence for p in self.points)


def band_in_force(band: str, on: dt.date, framework: str = AFC) -> BandRange | None:
    """The band's pay points from the latest table in force on a date."""
    latest = db.session.scalar(
        select(func.max(PayPoint.effective_from)).where(
            PayPoint.framework == framework, PayPoint.band == band, PayPoint.effective_from <= on
        )
    )
    if latest is None:
        return None
    points = db.session.scalars(
        select(PayPoint)
        .where(
            PayPoint.framework == framework,
            PayPoint.band == band,
            PayPoint.effective_from == latest,
        )
        .order_by(PayPoint.point)
    ).all()
    return BandRange(band=band, effective_from=latest, points=tuple(points))


def rate_in_force(rate_card: RateCard | int, on: dt.date) -> RateCardRate | None:
    """The card's rates with the latest effective date on or before `on`."""
    card_id = rate_card if isinstance(rate_card, int) else rate_card.id
    return db.session.scalar(
        select(RateCardRate)
        .where(RateCardRate.rate_card_id == card_id, RateCardRate.effective_from <= on)
        .order_by(RateCardRate.effective_from.desc())
        .limit(1)
    )


def band_label(band: str) -> str:
    return f"Band {band}"


def employed_statement(band: BandRange, minutes_per_week: int | None) -> str:
    low, high = band.minimum_pence, band.maximum_pence
    year = pay_year_label(band.effective_from)
    if low == high:
        text = f"{band_label(band.band)}: {format_pounds(low)} a year ({year} pay)."
    else:
        text = (
            f"{band_label(band.band)}: {format_pounds(low)} to {format_pounds(high)} a year "
            f"({year} pay)."
        )
    if minutes_per_week is not None and minutes_per_week < FULL_TIME_MINUTES:
        part_low = pro_rata_pence(low, minutes_per_week)
        part_high = pro_rata_pence(high, minutes_per_week)
        paid = (
            format_pounds(part_low)
            if part_low == part_high
            else f"{format_pounds(part_low)} to {format_pounds(part_high)}"
        )
        text += (
            f" This role is {format_hours(minutes_per_week)} a week, "
            f"so you would be paid {paid} a year."
        )
    elif minutes_per_week is not None:
        text += " This role is full time (37.5 hours a week)."
    return text


def sessional_statement(rate: RateCardRate) -> str:
    parts = []
    if rate.day_pence is not None:
        parts.append(f"{format_pounds(rate.day_pence)} for a day")
    if rate.half_day_pence is not None:
        parts.append(f"{format_pounds(rate.half_day_pence)} for half a day")
    if rate.hourly_pence is not None:
        parts.append(f"{format_pounds(rate.hourly_pence)} an hour")
    return ", ".join(parts) + ", plus your expenses."


def session_lengths(rate: RateCardRate) -> str | None:
    if rate.day_pence is not None and rate.half_day_pence is not None:
        hours = rate.half_day_max_hours
        return f"A half day is {hours} hours or less; a day is more than {hours} hours."
    return None


VOLUNTARY_STATEMENT = "This is a voluntary role. It is not paid, but we pay your expenses."


def pay_statement(role: Role, on: dt.date) -> str | None:
    """The plain-English pay statement for a role on a date, or None if it cannot be worked out."""
    if role.engagement_type == "employed" and role.band:
        band = band_in_force(role.band, on)
        return employed_statement(band, role.minutes_per_week) if band else None
    if role.engagement_type == "sessional" and role.rate_card_id:
        rate = rate_in_force(role.rate_card_id, on)
        return sessional_statement(rate) if rate else None
    if role.engagement_type == "expenses_only":
        return VOLUNTARY_STATEMENT
    return None
