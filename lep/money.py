"""Money is integer pence in code and in the database; pounds appear only at the edges."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


class MoneyError(ValueError):
    """Text that is not an amount of money."""


def format_pounds(pence: int, *, always_pence: bool = False) -> str:
    """1912400 -> '£19,124'; 1912440 -> '£19,124.40'; with always_pence: '£19,124.00'."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    if rest or always_pence:
        return f"{sign}£{pounds:,}.{rest:02d}"
    return f"{sign}£{pounds:,}"


def parse_pounds(text: str) -> int:
    """'£1,234.5' -> 123450. Refuses fractions of a penny and anything that is not a number."""
    cleaned = text.strip().replace(",", "").removeprefix("£").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyError(text) from exc
    if not value.is_finite():
        raise MoneyError(text)
    pence = value * 100
    if pence != pence.to_integral_value():
        raise MoneyError(text)
    return int(pence)


def round_pence(value: Decimal) -> int:
    """Round a Decimal number of pence to a whole penny, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
