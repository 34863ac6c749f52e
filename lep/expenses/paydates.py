"""When a claimant can expect to be paid: working days in England and Wales. Pure functions.

The organisation's promise is payment within 10 working days of approval. A working day is Monday
to Friday and not a bank holiday in England and Wales. Bank holidays come from the `holidays`
package, which computes them (Easter, substitute days when Christmas, Boxing Day or New Year's Day
fall at a weekend, and the one-off days it knows about) without a network.

Dates here are London calendar dates: turn an aware UTC approval time into one with
`lep.timeutil.to_london(approved_at).date()` first.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

DEFAULT_WORKING_DAYS = 10


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> frozenset[dt.date]:
    """Bank holidays in England and Wales in a year, including any that fall at a weekend."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def _check_date(day: dt.date) -> None:
    # A datetime is a date too; refuse it rather than count from its UTC (or naive) calendar day.
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"expected a London date, not {type(day).__name__}")


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    _check_date(day)
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The nth working day after `day` (which need not be a working day); n = 0 gives `day`."""
    _check_date(day)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a whole number of working days, 0 or more, not {n!r}")
    while n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def expected_payment_date(
    approved_on: dt.date, working_days: int = DEFAULT_WORKING_DAYS
) -> dt.date:
    """The date a claimant can expect payment: `working_days` working days after approval.

    Approved on Friday 18 December 2026, paid by Wednesday 6 January 2027: 25 and 28 December
    2026 and 1 January 2027 are bank holidays, and weekends are skipped.
    """
    return add_working_days(approved_on, working_days)
