"""Money is integer pence in code and in the database; pounds appear only at the edges."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal


class MoneyError(ValueError):
    """Text that is not an amount of money.

    `hint` is set when the text could be read more than one way (a decimal comma, a full stop
    between thousands): it says what we understood, for the person, at the field.
    """

    def __init__(self, text: str, hint: str = "") -> None:
        super().__init__(text)
        self.text = text
        self.hint = hint


def format_pounds(pence: int, *, always_pence: bool = False) -> str:
    """1912400 -> '£19,124'; 1912440 -> '£19,124.40'; with always_pence: '£19,124.00'."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    if rest or always_pence:
        return f"{sign}£{pounds:,}.{rest:02d}"
    return f"{sign}£{pounds:,}"


# Pounds with commas only between thousands ("1,250", "12,345.60") or none at all, then up to
# two decimal places. A comma anywhere else could be a decimal comma ("12,50"): never guessed.
AMOUNT = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d{0,2})?")
DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d{1,2}")
# "1.234,56" or "1.234.567": full stops between thousands. A lone "1.234" is only a penny too
# precise, and gets the form's own message.
THOUSANDS_POINT = re.compile(r"[+-]?\d{1,3}(?:(?:\.\d{3})+,\d{1,2}|(?:\.\d{3}){2,})")


def _reading(number: str) -> str:
    return format_pounds(int(Decimal(number) * 100), always_pence=True)


def _hint(text: str, cleaned: str) -> str:
    """What an amount typed with a comma or a full stop in a place we cannot trust could mean."""
    shown = f"\u201c{text.strip()}\u201d"
    if DECIMAL_COMMA.fullmatch(cleaned):
        as_pence = _reading(cleaned.replace(",", "."))
        as_thousands = _reading(cleaned.replace(",", ""))
        return (
            f"{shown} could mean {as_pence} or {as_thousands}. Use a full stop before the pence, "
            f"like {as_pence.removeprefix('£')}"
        )
    if THOUSANDS_POINT.fullmatch(cleaned):
        as_pounds = _reading(cleaned.replace(".", "").replace(",", "."))
        return (
            f"{shown} could mean {as_pounds}. Use commas between thousands, like "
            f"{as_pounds.removeprefix('£')}, and a full stop only before the pence"
        )
    if "," in cleaned and re.fullmatch(r"[+-]?[\d,]*(?:\.\d*)?", cleaned):
        without = cleaned.replace(",", "")
        if re.search(r"\d", without) and re.fullmatch(r"[+-]?\d*(?:\.\d{0,2})?", without):
            return (
                f"{shown} has a comma that does not separate thousands: without it, it would "
                f"be {_reading(without)}. Use commas only between thousands, like 1,250.00"
            )
        return f"{shown} has a comma that does not separate thousands, like 1,250.00"
    return ""


def parse_pounds(text: str) -> int:
    """'£1,234.5' -> 123450. Refuses fractions of a penny, anything that is not a number, and a
    comma that is not between thousands ("12,50" is never read as £1,250)."""
    cleaned = text.strip()
    sign = cleaned[:1] if cleaned[:1] in ("-", "+") else ""  # "-£1.50", as format_pounds writes
    cleaned = sign + cleaned[len(sign) :].strip().removeprefix("£").strip()
    if not AMOUNT.fullmatch(cleaned) or not any(c.isdigit() for c in cleaned):
        raise MoneyError(text, _hint(text, cleaned))
    value = Decimal(cleaned.replace(",", ""))
    return int(value * 100)


def round_pence(value: Decimal) -> int:
    """Round a Decimal number of pence to a whole penny, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
