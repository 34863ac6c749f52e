"""Mileage at the HMRC rates (480 Appendix 3), worked by hand: every vehicle, the 10,000-mile split,
passengers, half pennies, tax-year boundaries and every message a person can see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lep.expenses import mileage
from lep.expenses.mileage import (
    BICYCLE,
    CAR_OR_VAN,
    MOTORCYCLE,
    MileageError,
    RatedMiles,
    mileage_pence,
    parse_miles,
    tax_year_end,
    tax_year_label,
    tax_year_start,
)

D = Decimal
NONE_YET = D(0)


def test_the_rates_table_is_hmrcs():
    table, threshold = mileage.PENCE_PER_MILE, mileage.CAR_OR_VAN_THRESHOLD_MILES
    assert table == {
        "car_or_van": D(45),
        "car_or_van_after_10000": D(25),
        "motorcycle": D(24),
        "bicycle": D(20),
        "passenger": D(5),
    }
    assert threshold == D(10_000)


@pytest.mark.parametrize(
    ("vehicle", "miles", "expected", "working"),
    [
        (CAR_OR_VAN, D(10), 450, "10 miles at 45p"),
        (CAR_OR_VAN, D(1), 45, "1 mile at 45p"),
        (MOTORCYCLE, D(10), 240, "10 miles at 24p"),
        (BICYCLE, D(10), 200, "10 miles at 20p"),
        (BICYCLE, D("3.5"), 70, "3.5 miles at 20p"),
    ],
)
def test_every_vehicle(vehicle, miles, expected, working):
    amount = mileage_pence(vehicle, miles, 0, NONE_YET)
    assert amount.total_pence == expected
    assert amount.working == working
    assert amount.passenger_pence == 0


def test_ten_miles_by_car_is_450p():
    amount = mileage_pence(CAR_OR_VAN, D(10), 0, NONE_YET)
    assert amount.total_pence == 450
    assert amount.vehicle_parts == (RatedMiles(D(10), D(45)),)
    assert (amount.miles_at(45), amount.miles_at(25)) == (D(10), D(0))


def test_a_line_that_crosses_10000_miles_is_split_across_both_rates():
    amount = mileage_pence(CAR_OR_VAN, D(30), 0, D(9_990))
    assert amount.vehicle_parts == (RatedMiles(D(10), D(45)), RatedMiles(D(20), D(25)))
    assert (amount.miles_at(45), amount.miles_at(25)) == (D(10), D(20))
    assert amount.total_pence == 10 * 45 + 20 * 25 == 950
    assert amount.working == "10 miles at 45p and 20 miles at 25p"


def test_a_line_that_ends_exactly_at_10000_is_all_at_45p():
    amount = mileage_pence(CAR_OR_VAN, D(30), 0, D(9_970))
    assert amount.vehicle_parts == (RatedMiles(D(30), D(45)),)
    assert amount.total_pence == 1350


@pytest.mark.parametrize("already", [D(10_000), D("10000.1"), D(25_000)])
def test_already_past_10000_is_all_at_25p(already):
    amount = mileage_pence(CAR_OR_VAN, D(30), 0, already)
    assert amount.vehicle_parts == (RatedMiles(D(30), D(25)),)
    assert amount.total_pence == 750
    assert amount.working == "30 miles at 25p"


def test_a_whole_10000_mile_line_from_nothing_is_all_at_45p():
    amount = mileage_pence(CAR_OR_VAN, D(10_000), 0, NONE_YET)
    assert amount.total_pence == 450_000
    assert amount.working == "10,000 miles at 45p"


def test_the_threshold_shows_thousands_in_the_working():
    amount = mileage_pence(CAR_OR_VAN, D(9_990), 1, D(0))
    assert amount.working == "9,990 miles at 45p, plus 1 passenger at 5p a mile"
    # 9,990 x 45p + 9,990 x 5p
    assert amount.total_pence == 449_550 + 49_950


@pytest.mark.parametrize("vehicle", [MOTORCYCLE, BICYCLE])
def test_the_10000_mile_threshold_is_for_cars_and_vans_only(vehicle):
    amount = mileage_pence(vehicle, D(30), 0, D(50_000))
    assert amount.vehicle_parts == (RatedMiles(D(30), mileage.PENCE_PER_MILE[vehicle]),)


def test_passengers_add_5p_a_mile_each():
    amount = mileage_pence(CAR_OR_VAN, D(30), 2, NONE_YET)
    assert amount.passenger_pence == 2 * 5 * 30 == 300
    assert amount.total_pence == 30 * 45 + 300 == 1650
    assert amount.working == "30 miles at 45p, plus 2 passengers at 5p a mile"


def test_passengers_on_a_split_line_are_paid_on_every_mile():
    amount = mileage_pence(CAR_OR_VAN, D(30), 8, D(9_990))
    assert amount.passenger_pence == 8 * 5 * 30
    assert amount.total_pence == 950 + 1200
    assert amount.working == "10 miles at 45p and 20 miles at 25p, plus 8 passengers at 5p a mile"


def test_half_a_penny_is_exact_where_it_comes_out_whole():
    # 12.5 x 24p = 300p exactly
    assert mileage_pence(MOTORCYCLE, D("12.5"), 0, NONE_YET).total_pence == 300


def test_half_a_penny_rounds_up():
    # 0.1 x 45p = 4.5p -> 5p
    amount = mileage_pence(CAR_OR_VAN, D("0.1"), 0, NONE_YET)
    assert amount.total_pence == 5
    assert amount.working == "0.1 miles at 45p"
    # 0.1 x 25p = 2.5p -> 3p
    assert mileage_pence(CAR_OR_VAN, D("0.1"), 0, D(10_000)).total_pence == 3
    # 0.5 x 5p a passenger = 2.5p on top of 0.5 x 45p = 22.5p: 25p, nothing to round
    assert mileage_pence(CAR_OR_VAN, D("0.5"), 1, NONE_YET).total_pence == 25
    # 0.3 x 45p + 0.3 x 5p = 13.5p + 1.5p = 15p
    assert mileage_pence(CAR_OR_VAN, D("0.3"), 1, NONE_YET).total_pence == 15
    # 0.3 x 24p = 7.2p -> 7p (down below the half)
    assert mileage_pence(MOTORCYCLE, D("0.3"), 0, NONE_YET).total_pence == 7


def test_the_line_is_rounded_once_not_part_by_part():
    # 0.1 at 45p + 0.1 at 25p = 4.5p + 2.5p = 7p. Rounding each part first would give 5p + 3p = 8p.
    amount = mileage_pence(CAR_OR_VAN, D("0.2"), 0, D("9999.9"))
    assert [p.pence for p in amount.vehicle_parts] == [D("4.5"), D("2.5")]
    assert amount.total_pence == 7


def test_a_distance_with_trailing_zeros_is_the_same_distance():
    amount = mileage_pence(CAR_OR_VAN, D("12.50"), 0, NONE_YET)
    assert amount.total_pence == mileage_pence(CAR_OR_VAN, D("12.5"), 0, NONE_YET).total_pence
    assert amount.working == "12.5 miles at 45p"


def test_whole_number_miles_as_int_are_accepted():
    assert mileage_pence(CAR_OR_VAN, 10, 0, 0).total_pence == 450  # type: ignore[arg-type]


def test_the_amount_is_frozen():
    amount = mileage_pence(CAR_OR_VAN, D(10), 0, NONE_YET)
    with pytest.raises(AttributeError):
        amount.total_pence = 1  # type: ignore[misc]


# --- tax years -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (dt.date(2026, 4, 5), dt.date(2025, 4, 6)),
        (dt.date(2026, 4, 6), dt.date(2026, 4, 6)),
        (dt.date(2026, 4, 7), dt.date(2026, 4, 6)),
        (dt.date(2027, 1, 1), dt.date(2026, 4, 6)),
        (dt.date(2026, 12, 31), dt.date(2026, 4, 6)),
        (dt.date(2027, 4, 5), dt.date(2026, 4, 6)),
        (dt.date(2027, 4, 6), dt.date(2027, 4, 6)),
        (dt.date(2028, 2, 29), dt.date(2027, 4, 6)),
        (dt.date(2026, 4, 1), dt.date(2025, 4, 6)),
    ],
)
def test_tax_year_start(day, start):
    assert tax_year_start(day) == start


def test_5_april_ends_one_tax_year_and_6_april_starts_the_next():
    assert tax_year_end(dt.date(2026, 4, 5)) == dt.date(2026, 4, 5)
    assert tax_year_end(dt.date(2026, 4, 6)) == dt.date(2027, 4, 5)
    assert tax_year_label(dt.date(2026, 4, 5)) == "2025/26"
    assert tax_year_label(dt.date(2026, 4, 6)) == "2026/27"
    assert tax_year_label(dt.date(2099, 12, 1)) == "2099/00"


# --- bad input, with the message the person sees ---------------------------------------------


@pytest.mark.parametrize(
    ("miles", "message"),
    [
        (D(0), "The distance must be more than 0 miles"),
        (D("0.0"), "The distance must be more than 0 miles"),
        (D("-0"), "The distance must be more than 0 miles"),
        (D(-5), "The distance must be more than 0 miles"),
        (D("-0.1"), "The distance must be more than 0 miles"),
        (D("10000.1"), "A single journey must be 10,000 miles or fewer"),
        (D(10_001), "A single journey must be 10,000 miles or fewer"),
        (D("1E+6"), "A single journey must be 10,000 miles or fewer"),
        (D("NaN"), "Enter the distance in miles, like 12 or 12.5"),
        (D("sNaN"), "Enter the distance in miles, like 12 or 12.5"),
        (D("Infinity"), "Enter the distance in miles, like 12 or 12.5"),
        (D("-Infinity"), "Enter the distance in miles, like 12 or 12.5"),
        (D("12.55"), "Enter the distance to the nearest tenth of a mile, like 12.5"),
        (D("0.01"), "Enter the distance to the nearest tenth of a mile, like 12.5"),
        (D("1E-30"), "Enter the distance to the nearest tenth of a mile, like 12.5"),
    ],
)
def test_bad_distances(miles, message):
    with pytest.raises(MileageError) as caught:
        mileage_pence(CAR_OR_VAN, miles, 0, NONE_YET)
    assert (caught.value.message, caught.value.field) == (message, "miles")
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("passengers", "message"),
    [
        (-1, "The number of passengers must be 0 or more"),
        (9, "The number of passengers must be 8 or fewer"),
        (1.0, "Enter the number of passengers as a whole number, like 0 or 2"),
        (D(1), "Enter the number of passengers as a whole number, like 0 or 2"),
        ("2", "Enter the number of passengers as a whole number, like 0 or 2"),
        (True, "Enter the number of passengers as a whole number, like 0 or 2"),
        (None, "Enter the number of passengers as a whole number, like 0 or 2"),
    ],
)
def test_bad_passengers(passengers, message):
    with pytest.raises(MileageError) as caught:
        mileage_pence(CAR_OR_VAN, D(10), passengers, NONE_YET)
    assert (caught.value.message, caught.value.field) == (message, "passengers")


@pytest.mark.parametrize("passengers", range(9))
def test_every_allowed_number_of_passengers(passengers):
    amount = mileage_pence(CAR_OR_VAN, D(10), passengers, NONE_YET)
    assert amount.total_pence == 450 + passengers * 50


@pytest.mark.parametrize("vehicle", [MOTORCYCLE, BICYCLE])
def test_passengers_are_for_cars_and_vans_only(vehicle):
    # Section 234 ITEPA 2003: passenger payments are for business travel by car or van.
    with pytest.raises(MileageError) as caught:
        mileage_pence(vehicle, D(10), 1, NONE_YET)
    assert (caught.value.message, caught.value.field) == (
        "Passengers can only be claimed for journeys by car or van",
        "passengers",
    )


@pytest.mark.parametrize("vehicle", ["", "car", "van", "Car or van", "bus", "CAR_OR_VAN", None])
def test_unknown_vehicles(vehicle):
    with pytest.raises(MileageError) as caught:
        mileage_pence(vehicle, D(10), 0, NONE_YET)
    assert (caught.value.message, caught.value.field) == (
        "Select the vehicle you used: car or van, motorcycle or bicycle",
        "vehicle",
    )


@pytest.mark.parametrize("already", [D(-1), D("-0.1"), D("NaN"), D("Infinity")])
def test_bad_miles_already_this_tax_year(already):
    with pytest.raises(MileageError) as caught:
        mileage_pence(CAR_OR_VAN, D(10), 0, already)
    assert caught.value.field == "miles_already_this_tax_year"
    assert caught.value.message == (
        "The miles already claimed this tax year must be a number, 0 or more"
    )


@pytest.mark.parametrize("bad", [10.0, 0.1, "10", None, True])
def test_a_float_or_text_is_a_programming_error_not_a_distance(bad):
    with pytest.raises(TypeError):
        mileage_pence(CAR_OR_VAN, bad, 0, NONE_YET)
    with pytest.raises(TypeError):
        mileage_pence(CAR_OR_VAN, D(10), 0, bad)


# --- what people type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "miles"),
    [
        ("12", D(12)),
        ("12.5", D("12.5")),
        (" 12.5 ", D("12.5")),
        ("12.50", D("12.5")),
        ("0.5", D("0.5")),
        (".5", D("0.5")),
        ("12.", D(12)),
        ("1,234.5", D("1234.5")),
        ("10,000", D(10_000)),
        ("12 miles", D(12)),
        ("12.5 Miles", D("12.5")),
    ],
)
def test_parse_miles(text, miles):
    assert parse_miles(text) == miles


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter the distance in miles, like 12 or 12.5"),
        ("   ", "Enter the distance in miles, like 12 or 12.5"),
        ("twelve", "Enter the distance in miles, like 12 or 12.5"),
        ("12km", "Enter the distance in miles, like 12 or 12.5"),
        ("1e3", "Enter the distance in miles, like 12 or 12.5"),
        ("NaN", "Enter the distance in miles, like 12 or 12.5"),
        ("Infinity", "Enter the distance in miles, like 12 or 12.5"),
        ("12.5.1", "Enter the distance in miles, like 12 or 12.5"),
        ("+12", "Enter the distance in miles, like 12 or 12.5"),
        ("١٢", "Enter the distance in miles, like 12 or 12.5"),  # Arabic-Indic digits
        (".", "Enter the distance in miles, like 12 or 12.5"),
        ("0", "The distance must be more than 0 miles"),
        ("-5", "The distance must be more than 0 miles"),
        ("10,000.1", "A single journey must be 10,000 miles or fewer"),
        ("12.25", "Enter the distance to the nearest tenth of a mile, like 12.5"),
    ],
)
def test_parse_miles_refuses(text, message):
    with pytest.raises(MileageError) as caught:
        parse_miles(text)
    assert (caught.value.message, caught.value.field) == (message, "miles")
