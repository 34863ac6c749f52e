"""Mileage: HMRC approved mileage allowance payments, worked out to the penny. Pure functions.

Mileage is computed, never typed: distance x the HMRC rate for the vehicle. A car or van is paid
45p a mile for the first 10,000 business miles the claimant drives in a tax year (6 April to
5 April) and 25p a mile after that; a journey that crosses 10,000 is split across both rates. Each
passenger carried on business travel in a car or van adds 5p a mile (HMRC passenger payments are
for cars and vans only: section 234 ITEPA 2003).

Distances are Decimal miles to a tenth of a mile at most (people claim 12.5 miles). Every part of
a line is worked in exact Decimal pence and the line total is rounded once, half a penny up.
Nothing passes through a float.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from lep.money import round_pence

CAR_OR_VAN = "car_or_van"
MOTORCYCLE = "motorcycle"
BICYCLE = "bicycle"
VEHICLES = (CAR_OR_VAN, MOTORCYCLE, BICYCLE)
VEHICLE_LABELS = {CAR_OR_VAN: "Car or van", MOTORCYCLE: "Motorcycle", BICYCLE: "Bicycle"}
CAR_OR_VAN_AFTER_10000 = "car_or_van_after_10000"
PASSENGER = "passenger"

# Pence per business mile. Source: HMRC, "Mileage allowance payments" (480 Appendix 3), as
# copied in ../shared/reference/README.md. Check against the source before changing.
PENCE_PER_MILE: dict[str, Decimal] = {
    CAR_OR_VAN: Decimal(45),  # the first 10,000 business miles in the tax year
    CAR_OR_VAN_AFTER_10000: Decimal(25),  # every business mile after that in the same tax year
    MOTORCYCLE: Decimal(24),
    BICYCLE: Decimal(20),
    PASSENGER: Decimal(5),  # each passenger carried on business travel, car or van only
}
CAR_OR_VAN_THRESHOLD_MILES = Decimal(10_000)

MAX_MILES_PER_LINE = Decimal(10_000)
MAX_PASSENGERS = 8
TENTH = Decimal("0.1")

# Messages are shown to the person at the field.
ENTER_MILES = "Enter the distance in miles, like 12 or 12.5"
MILES_TO_A_TENTH = "Enter the distance to the nearest tenth of a mile, like 12.5"
MILES_MORE_THAN_ZERO = "The distance must be more than 0 miles"
MILES_TOO_MANY = "A single journey must be 10,000 miles or fewer"
CHOOSE_VEHICLE = "Select the vehicle you used: car or van, motorcycle or bicycle"
ENTER_PASSENGERS = "Enter the number of passengers as a whole number, like 0 or 2"
PASSENGERS_NOT_NEGATIVE = "The number of passengers must be 0 or more"
PASSENGERS_TOO_MANY = "The number of passengers must be 8 or fewer"
PASSENGERS_CAR_ONLY = "Passengers can only be claimed for journeys by car or van"
ALREADY_NOT_VALID = "The miles already claimed this tax year must be a number, 0 or more"


class MileageError(ValueError):
    """A mileage input that cannot be paid: a message for the person, and the field it is about."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def tax_year_start(on: dt.date) -> dt.date:
    """The 6 April on or before a date: the start of the UK tax year the date falls in."""
    start = dt.date(on.year, 4, 6)
    return start if on >= start else dt.date(on.year - 1, 4, 6)


def tax_year_end(on: dt.date) -> dt.date:
    """The 5 April that ends the tax year a date falls in."""
    return dt.date(tax_year_start(on).year + 1, 4, 5)


def tax_year_label(on: dt.date) -> str:
    """2026-04-06 -> '2026/27'; 2026-04-05 -> '2025/26'."""
    start = tax_year_start(on).year
    return f"{start}/{(start + 1) % 100:02d}"


# Digits with at most one point, and a sign so that '-5' is told it must be more than 0.
_TYPED_MILES = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


# A comma only between thousands: "12,5" could be a decimal comma and is never read as 125.
_THOUSANDS = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")


def miles_comma_problem(text: str) -> str:
    """The message for a distance with a comma that does not separate thousands, else ""."""
    cleaned = text.strip()
    if cleaned.lower().endswith("miles"):
        cleaned = cleaned[: -len("miles")].strip()
    if "," not in cleaned or _THOUSANDS.fullmatch(cleaned):
        return ""
    if re.fullmatch(r"[0-9]+,[0-9]+", cleaned):
        return (
            f"\u201c{cleaned}\u201d could mean {cleaned.replace(',', '.')} or "
            f"{cleaned.replace(',', '')} miles. Use a full stop, like 12.5"
        )
    return "Use a comma only between thousands, like 1,250, or leave it out"


def parse_miles(text: str) -> Decimal:
    """What a person typed ('12', '12.5', '1,234.5', '12 miles') -> Decimal miles, as check_miles.

    Only plain digits are numbers here: '1e3', 'NaN', 'Infinity' and '' are refused, and so is
    a comma anywhere but between thousands ('12,5').
    """
    if miles_comma_problem(text):
        raise MileageError(ENTER_MILES, "miles")
    cleaned = text.strip().replace(",", "")
    if cleaned.lower().endswith("miles"):
        cleaned = cleaned[: -len("miles")].strip()
    if not _TYPED_MILES.fullmatch(cleaned):
        raise MileageError(ENTER_MILES, "miles")
    return check_miles(Decimal(cleaned))


def check_miles(miles: Decimal) -> Decimal:
    """The distance of one journey line, or MileageError: more than 0, at most 10,000, to 0.1."""
    if isinstance(miles, bool) or not isinstance(miles, Decimal | int):
        # A float (or anything else) is a programming error, not something a person typed.
        raise TypeError(f"miles must be a Decimal, not {type(miles).__name__}")
    miles = Decimal(miles)
    if not miles.is_finite():
        raise MileageError(ENTER_MILES, "miles")
    if miles <= 0:
        raise MileageError(MILES_MORE_THAN_ZERO, "miles")
    if miles > MAX_MILES_PER_LINE:
        raise MileageError(MILES_TOO_MANY, "miles")
    if miles % TENTH != 0:
        raise MileageError(MILES_TO_A_TENTH, "miles")
    return miles


def check_passengers(passengers: int, vehicle: str) -> int:
    """A whole number of passengers from 0 to 8; passengers only in a car or van."""
    if isinstance(passengers, bool) or not isinstance(passengers, int):
        raise MileageError(ENTER_PASSENGERS, "passengers")
    if passengers < 0:
        raise MileageError(PASSENGERS_NOT_NEGATIVE, "passengers")
    if passengers > MAX_PASSENGERS:
        raise MileageError(PASSENGERS_TOO_MANY, "passengers")
    if passengers and vehicle != CAR_OR_VAN:
        raise MileageError(PASSENGERS_CAR_ONLY, "passengers")
    return passengers


def format_miles(miles: Decimal) -> str:
    """Decimal('9990') -> '9,990'; Decimal('12.50') -> '12.5'; Decimal('1') -> '1'."""
    tenths = miles.quantize(TENTH)
    if tenths == tenths.to_integral_value():
        return f"{int(tenths):,}"
    return f"{tenths:,.1f}"


def _miles_phrase(miles: Decimal) -> str:
    return f"{format_miles(miles)} {'mile' if miles == 1 else 'miles'}"


def _rate_phrase(pence_per_mile: Decimal) -> str:
    return f"{format_miles(pence_per_mile)}p"


@dataclass(frozen=True)
class RatedMiles:
    """Some miles of a line at one rate: the vehicle's own, or a car's 25p after 10,000."""

    miles: Decimal
    pence_per_mile: Decimal

    @property
    def pence(self) -> Decimal:
        """Exact, not rounded: the line rounds its total once."""
        return self.miles * self.pence_per_mile

    @property
    def working(self) -> str:
        return f"{_miles_phrase(self.miles)} at {_rate_phrase(self.pence_per_mile)}"


@dataclass(frozen=True)
class MileageAmount:
    """What one mileage line pays, with its working.

    `vehicle_parts` holds one part, or two for a car or van line that crosses 10,000 miles in the
    tax year (the miles at 45p first). Parts and `passenger_pence` are exact Decimal pence;
    `total_pence` is their sum rounded once, half a penny up: the only figure that is money.
    """

    vehicle: str
    miles: Decimal
    passengers: int
    vehicle_parts: tuple[RatedMiles, ...]
    passenger_pence_per_mile: Decimal
    total_pence: int

    @property
    def passenger_pence(self) -> Decimal:
        return self.passengers * self.passenger_pence_per_mile * self.miles

    def miles_at(self, pence_per_mile: Decimal | int) -> Decimal:
        """Miles of this line paid at a rate: miles_at(45) and miles_at(25) for a car or van."""
        rate = Decimal(pence_per_mile)
        return sum((p.miles for p in self.vehicle_parts if p.pence_per_mile == rate), Decimal(0))

    @property
    def working(self) -> str:
        """'10 miles at 45p and 20 miles at 25p, plus 2 passengers at 5p a mile'."""
        text = " and ".join(part.working for part in self.vehicle_parts)
        if self.passengers:
            people = "1 passenger" if self.passengers == 1 else f"{self.passengers} passengers"
            text += f", plus {people} at {_rate_phrase(self.passenger_pence_per_mile)} a mile"
        return text


def mileage_pence(
    vehicle: str,
    miles: Decimal,
    passengers: int,
    miles_already_this_tax_year: Decimal,
) -> MileageAmount:
    """What a journey line pays at the HMRC rates.

    `miles_already_this_tax_year` is the claimant's car or van business miles already paid in the
    tax year of the journey (see `tax_year_start`), before this line; it only matters for a car or
    van. Raises MileageError, with the field, for anything a person could have typed wrong.
    """
    if vehicle not in VEHICLES:
        raise MileageError(CHOOSE_VEHICLE, "vehicle")
    miles = check_miles(miles)
    passengers = check_passengers(passengers, vehicle)
    already = _check_already(miles_already_this_tax_year)

    if vehicle == CAR_OR_VAN:
        left_at_full_rate = max(CAR_OR_VAN_THRESHOLD_MILES - already, Decimal(0))
        at_full = min(miles, left_at_full_rate)
        at_reduced = miles - at_full
        parts = tuple(
            RatedMiles(m, rate)
            for m, rate in (
                (at_full, PENCE_PER_MILE[CAR_OR_VAN]),
                (at_reduced, PENCE_PER_MILE[CAR_OR_VAN_AFTER_10000]),
            )
            if m > 0
        )
    else:
        parts = (RatedMiles(miles, PENCE_PER_MILE[vehicle]),)

    passenger_rate = PENCE_PER_MILE[PASSENGER]
    exact = sum((p.pence for p in parts), Decimal(0)) + passengers * passenger_rate * miles
    return MileageAmount(
        vehicle=vehicle,
        miles=miles,
        passengers=passengers,
        vehicle_parts=parts,
        passenger_pence_per_mile=passenger_rate,
        total_pence=round_pence(exact),
    )


def _check_already(value: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(
            f"miles_already_this_tax_year must be a Decimal, not {type(value).__name__}"
        )
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise MileageError(ALREADY_NOT_VALID, "miles_already_this_tax_year")
    return value
