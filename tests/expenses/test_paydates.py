"""Expected payment dates: 10 working days after approval, skipping weekends and the bank holidays
in England and Wales, checked against real dates (GOV.UK's published bank holidays)."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from lep.expenses.paydates import (
    add_working_days,
    bank_holidays,
    expected_payment_date,
    is_working_day,
)

D = dt.date

# GOV.UK, "UK bank holidays", England and Wales (the days off; weekend dates are replaced by
# substitute days).
ENGLAND_AND_WALES = {
    2026: {
        D(2026, 1, 1),  # New Year's Day
        D(2026, 4, 3),  # Good Friday
        D(2026, 4, 6),  # Easter Monday
        D(2026, 5, 4),  # Early May bank holiday
        D(2026, 5, 25),  # Spring bank holiday
        D(2026, 8, 31),  # Summer bank holiday
        D(2026, 12, 25),  # Christmas Day (a Friday)
        D(2026, 12, 28),  # Boxing Day (substitute day: 26 December is a Saturday)
    },
    2027: {
        D(2027, 1, 1),  # New Year's Day (a Friday)
        D(2027, 3, 26),  # Good Friday
        D(2027, 3, 29),  # Easter Monday
        D(2027, 5, 3),  # Early May bank holiday
        D(2027, 5, 31),  # Spring bank holiday
        D(2027, 8, 30),  # Summer bank holiday
        D(2027, 12, 27),  # Christmas Day (substitute day)
        D(2027, 12, 28),  # Boxing Day (substitute day)
    },
}


@pytest.mark.parametrize("year", sorted(ENGLAND_AND_WALES))
def test_the_package_knows_the_published_bank_holidays(year):
    weekdays = {day for day in bank_holidays(year) if day.weekday() < 5}
    assert weekdays == ENGLAND_AND_WALES[year]
    for day in ENGLAND_AND_WALES[year]:
        assert not is_working_day(day)


def test_bank_holidays_are_worked_out_without_a_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    # Bypass the cache so the package really computes a year here.
    computed = bank_holidays.__wrapped__(2031)
    assert D(2031, 4, 11) in computed  # Good Friday 2031
    assert D(2031, 12, 25) in computed


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 11, 16), True),  # a Monday
        (D(2026, 11, 20), True),  # a Friday
        (D(2026, 11, 21), False),  # a Saturday
        (D(2026, 11, 22), False),  # a Sunday
        (D(2026, 12, 24), True),  # Christmas Eve is a working day
        (D(2026, 12, 25), False),
        (D(2026, 12, 26), False),  # Boxing Day, a Saturday
        (D(2026, 12, 28), False),  # its substitute
        (D(2026, 12, 31), True),
        (D(2027, 1, 1), False),
        # Scotland and Northern Ireland only: working days in England and Wales
        (D(2026, 1, 2), True),  # 2 January (Scotland), a Friday
        (D(2026, 3, 17), True),  # St Patrick's Day (Northern Ireland), a Tuesday
        (D(2026, 7, 13), True),  # Battle of the Boyne substitute (Northern Ireland)
        (D(2026, 8, 3), True),  # Summer bank holiday in Scotland
        (D(2026, 11, 30), True),  # St Andrew's Day (Scotland), a Monday
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("approved_on", "expected"),
    [
        # A Friday with no bank holidays in the way: two weeks later.
        (D(2026, 11, 6), D(2026, 11, 20)),
        (D(2026, 10, 16), D(2026, 10, 30)),
        # A Monday
        (D(2026, 11, 9), D(2026, 11, 23)),
        # Approved at the weekend: counting starts on Monday.
        (D(2026, 11, 7), D(2026, 11, 20)),
        (D(2026, 11, 8), D(2026, 11, 20)),
        # Christmas and New Year: Friday 18 December 2026. Skips 25 December, 28 December
        # (Boxing Day substitute) and 1 January 2027: 21-24, 29-31 Dec, 4-6 Jan.
        (D(2026, 12, 18), D(2027, 1, 6)),
        # Christmas 2027: both Christmas days fall at the weekend and are moved to 27 and 28
        # December; New Year's Day 2028 (a Saturday) moves to Monday 3 January.
        (D(2027, 12, 24), D(2028, 1, 12)),
        # Easter 2027 (Good Friday 26 March, Easter Monday 29 March), approved Thursday 18 March
        (D(2027, 3, 18), D(2027, 4, 5)),
        # Approved on Good Friday 2026 itself; Easter Monday 6 April is not a working day either
        (D(2026, 4, 3), D(2026, 4, 20)),
        # Early May bank holiday 2026 (Monday 4 May), approved Friday 24 April
        (D(2026, 4, 24), D(2026, 5, 11)),
        # Spring (late May) bank holiday 2027 (Monday 31 May), approved Friday 21 May
        (D(2027, 5, 21), D(2027, 6, 7)),
        # Spring bank holiday 2026 (Monday 25 May), approved Friday 15 May
        (D(2026, 5, 15), D(2026, 6, 1)),
        # Summer (August) bank holiday 2026 (Monday 31 August), approved Friday 21 August
        (D(2026, 8, 21), D(2026, 9, 7)),
        # Summer bank holiday 2027 (Monday 30 August), approved Friday 20 August
        (D(2027, 8, 20), D(2027, 9, 6)),
    ],
)
def test_expected_payment_date(approved_on, expected):
    assert expected_payment_date(approved_on) == expected
    assert is_working_day(expected_payment_date(approved_on))


def test_the_promise_can_be_other_than_10_working_days():
    friday = D(2026, 12, 18)
    assert expected_payment_date(friday, working_days=1) == D(2026, 12, 21)
    assert expected_payment_date(friday, working_days=4) == D(2026, 12, 24)
    assert expected_payment_date(friday, working_days=5) == D(2026, 12, 29)
    assert expected_payment_date(friday, working_days=7) == D(2026, 12, 31)
    assert expected_payment_date(friday, working_days=8) == D(2027, 1, 4)
    assert expected_payment_date(friday, working_days=0) == friday


def test_add_working_days_counts_each_working_day_once():
    start = D(2026, 1, 1)
    days = [add_working_days(start, n) for n in range(1, 260)]
    assert days == sorted(set(days))
    assert all(is_working_day(day) for day in days)
    # Every working day between them is counted: none is skipped.
    every_day = [start + dt.timedelta(days=i) for i in range(1, (days[-1] - start).days + 1)]
    assert [day for day in every_day if is_working_day(day)] == days
    # 2026 has 261 weekdays, 8 of them bank holidays: 253 working days.
    assert sum(is_working_day(D(2026, 1, 1) + dt.timedelta(days=i)) for i in range(365)) == 253


@pytest.mark.parametrize("n", [-1, 1.0, True, None])
def test_add_working_days_refuses_a_bad_count(n):
    with pytest.raises(ValueError):
        add_working_days(D(2026, 11, 6), n)


def test_a_datetime_is_refused_so_a_utc_time_is_not_counted_from_the_wrong_day():
    # 23:30 UTC on 31 May 2026 is already 1 June in London: callers pass the London date.
    approved_at = dt.datetime(2026, 5, 31, 23, 30, tzinfo=dt.UTC)
    with pytest.raises(TypeError):
        expected_payment_date(approved_at)
    with pytest.raises(TypeError):
        is_working_day(approved_at)
