"""Time at the edges: UTC inside, Europe/London for people."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def to_london(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(LONDON)


def london_date_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which a London calendar day starts and the next one starts."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def format_datetime(value: dt.datetime | None) -> str:
    """'22 November 2026 at 1:36pm' in London time, as the NHS.UK style guide writes it."""
    if value is None:
        return ""
    local = to_london(value)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{local.day} {local:%B %Y} at {hour}{minutes}{suffix}"


def format_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_london(value).date()
    return f"{value.day} {value:%B %Y}"
