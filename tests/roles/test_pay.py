"""Pay maths against the 2025/26 Agenda for Change reference table, every band and pay point."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from lep.money import format_pounds, parse_pounds
from lep.roles import pay
from lep.roles.models import AFC_BANDS, Role
from lep.roles.paytables import REFERENCE_TABLE, add_rates, create_rate_card, import_pay_table

ROWS = list(csv.DictReader(REFERENCE_TABLE.open()))
BANDS = [b for b in AFC_BANDS if any(r["band"] == b for r in ROWS)]
APRIL_2025 = dt.date(2025, 4, 1)


@pytest.fixture
def pay_table():
    import_pay_table(REFERENCE_TABLE.read_text())


def expected_hourly(annual_gbp: str) -> int:
    # Independently of the code: pounds / 52.143 / 37.5, in pence, half up.
    value = Decimal(annual_gbp) * 100 / Decimal("52.143") / Decimal("37.5")
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_the_reference_table_has_every_band_from_2_to_9():
    assert BANDS == ["2", "3", "4", "5", "6", "7", "8a", "8b", "8c", "8d", "9"]
    assert len(ROWS) == 29


@pytest.mark.parametrize("row", ROWS, ids=[f"band{r['band']}-point{r['pay_point']}" for r in ROWS])
def test_hourly_equivalent_of_every_pay_point(row):
    annual = int(row["annual_salary_gbp"]) * 100
    assert pay.hourly_pence(annual) == expected_hourly(row["annual_salary_gbp"])


def test_hourly_equivalents_people_can_check():
    assert pay.hourly_pence(4_781_000) == 2445  # Band 7 entry: about £24.45 an hour
    assert pay.hourly_pence(2_446_500) == 1251  # Band 2: £12.51
    assert pay.hourly_pence(12_563_700) == 6425  # Band 9 top: £64.25


@pytest.mark.parametrize(
    ("annual", "minutes", "expected"),
    [
        (4_781_000, 15 * 60, 1_912_400),  # Band 7 entry, 15 hours: £19,124
        (5_471_000, 15 * 60, 2_188_400),  # Band 7 top, 15 hours: £21,884
        (4_781_000, 2250, 4_781_000),  # full time is the full salary
        (2_446_500, 450, 489_300),  # Band 2, 7.5 hours: a fifth
        (3_104_900, 22 * 60 + 30, 1_862_940),  # Band 5 entry, 22.5 hours: 0.6
        (2_493_700, 1, 1108),  # one minute a week rounds to the penny
    ],
)
def test_pro_rata(annual, minutes, expected):
    assert pay.pro_rata_pence(annual, minutes) == expected


@pytest.mark.parametrize("band", BANDS)
def test_every_band_range_and_statement_match_the_table(pay_table, band):
    rows = [r for r in ROWS if r["band"] == band]
    low = min(int(r["annual_salary_gbp"]) for r in rows) * 100
    high = max(int(r["annual_salary_gbp"]) for r in rows) * 100
    found = pay.band_in_force(band, dt.date(2026, 1, 1))
    assert (found.minimum_pence, found.maximum_pence) == (low, high)
    assert [p.point for p in found.points] == sorted(int(r["pay_point"]) for r in rows)
    role = Role(engagement_type="employed", band=band, minutes_per_week=2250)
    statement = pay.pay_statement(role, dt.date(2026, 1, 1))
    if low == high:
        assert statement.startswith(f"Band {band}: {format_pounds(low)} a year (2025/26 pay).")
    else:
        assert statement.startswith(
            f"Band {band}: {format_pounds(low)} to {format_pounds(high)} a year (2025/26 pay)."
        )


def test_band_7_part_time_statement_in_the_issue(pay_table):
    role = Role(engagement_type="employed", band="7", minutes_per_week=15 * 60)
    assert pay.pay_statement(role, dt.date(2026, 11, 22)) == (
        "Band 7: £47,810 to £54,710 a year (2025/26 pay). This role is 15 hours a week, "
        "so you would be paid £19,124 to £21,884 a year."
    )


def test_part_time_with_pence_and_half_hours(pay_table):
    role = Role(engagement_type="employed", band="5", minutes_per_week=7 * 60 + 30)
    assert pay.pay_statement(role, dt.date(2026, 1, 1)) == (
        "Band 5: £31,049 to £37,796 a year (2025/26 pay). This role is 7.5 hours a week, "
        "so you would be paid £6,209.80 to £7,559.20 a year."
    )


def test_sessional_and_voluntary_statements(pay_table):
    card = create_rate_card("NHS England PPV")
    add_rates(card, dt.date(2021, 4, 1), day_pence=15000, half_day_pence=7500)
    role = Role(engagement_type="sessional", rate_card_id=card.id)
    assert pay.pay_statement(role, dt.date(2026, 1, 1)) == (
        "£150 for a day, £75 for half a day, plus your expenses."
    )
    rate = pay.rate_in_force(card, dt.date(2026, 1, 1))
    assert pay.session_lengths(rate) == (
        "A half day is 4 hours or less; a day is more than 4 hours."
    )
    voluntary = Role(engagement_type="expenses_only")
    assert pay.pay_statement(voluntary, dt.date(2026, 1, 1)) == pay.VOLUNTARY_STATEMENT


def test_a_later_table_takes_over_on_its_date_and_never_changes_the_past(pay_table):
    later = (
        "band,pay_point,years_from,annual_salary_gbp,effective_from\n"
        "7,1,0,49500,2026-04-01\n7,2,2,52000,2026-04-01\n7,3,5,56600,2026-04-01\n"
    )
    import_pay_table(later)
    before = pay.band_in_force("7", dt.date(2026, 3, 31))
    after = pay.band_in_force("7", dt.date(2026, 4, 1))
    assert (before.minimum_pence, before.effective_from) == (4_781_000, APRIL_2025)
    assert (after.minimum_pence, after.maximum_pence) == (4_950_000, 5_660_000)
    assert pay.pay_year_label(after.effective_from) == "2026/27"
    assert pay.band_in_force("7", dt.date(2025, 3, 31)) is None  # before any table


def test_rate_cards_keep_each_rate_for_its_own_dates():
    card = create_rate_card("Research involvement")
    add_rates(card, dt.date(2024, 4, 1), hourly_pence=2000)
    add_rates(card, dt.date(2025, 12, 16), hourly_pence=2200)
    assert pay.rate_in_force(card, dt.date(2025, 12, 15)).hourly_pence == 2000
    assert pay.rate_in_force(card, dt.date(2025, 12, 16)).hourly_pence == 2200
    assert pay.rate_in_force(card, dt.date(2024, 3, 31)) is None


@pytest.mark.parametrize(
    ("text", "pence"),
    [("150", 15000), ("£75.50", 7550), ("1,234.5", 123450), (" 0 ", 0), ("-3", -300)],
)
def test_parse_pounds(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize("text", ["", "abc", "1.234", "NaN", "Infinity", "1e"])
def test_parse_pounds_refuses_what_is_not_money(text):
    from lep.money import MoneyError

    with pytest.raises(MoneyError):
        parse_pounds(text)


def test_format_pounds():
    assert format_pounds(1_912_400) == "£19,124"
    assert format_pounds(620_980) == "£6,209.80"
    assert format_pounds(5) == "£0.05"
    assert format_pounds(-150) == "-£1.50"
    assert format_pounds(15000, always_pence=True) == "£150.00"
