"""A UK postal address for letters, asked for as GOV.UK and NHS.UK ask: address line 1, line 2
(optional), town or city, postcode. The postcode is checked for its shape (not looked up) and
kept as Royal Mail prints it ("SW1A 1AA").

Kept on an application (its support page) and on a request to apply another way, beside the phone
number, for the person who chose to be contacted by post.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FIELDS = ("address_line_1", "address_line_2", "address_town", "address_postcode")
LINE_MAX = 100
POSTCODE_MAX = 10  # "SW1A 1AA" is 8; a little room for what people type around it

# Outward code (A9, A99, A9A, AA9, AA99, AA9A), then the inward code (9AA). GIR 0AA is Girobank's.
_POSTCODE = re.compile(r"^(?:([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})|(GIR)(0AA))$")


def normal_postcode(text: str) -> str | None:
    """The postcode in capitals with one space before the inward code, or None if it is not
    the shape of a UK postcode. Spaces and case, as typed, do not matter."""
    squashed = re.sub(r"\s+", "", text or "").upper()
    match = _POSTCODE.match(squashed) if squashed.isascii() else None
    if match is None:
        return None
    outward, inward = (match.group(1), match.group(2)) if match.group(1) else ("GIR", "0AA")
    return f"{outward} {inward}"


@dataclass(frozen=True)
class PostalAddress:
    line_1: str
    line_2: str
    town: str
    postcode: str

    @property
    def lines(self) -> list[str]:
        """As it goes on an envelope under the person's name: the lines given, postcode last."""
        return [part for part in (self.line_1, self.line_2, self.town, self.postcode) if part]

    def as_fields(self) -> dict[str, str]:
        return dict(zip(FIELDS, (self.line_1, self.line_2, self.town, self.postcode), strict=True))


def address_problems(fields: Mapping[str, Any]) -> dict[str, str]:
    """What is missing or wrong, by field, in GOV.UK's words."""
    values = {name: str(fields.get(name) or "").strip() for name in FIELDS}
    problems = {}
    if not values["address_line_1"]:
        problems["address_line_1"] = "Enter address line 1, typically the building and street"
    if not values["address_town"]:
        problems["address_town"] = "Enter town or city"
    for name in ("address_line_1", "address_line_2", "address_town"):
        if len(values[name]) > LINE_MAX:
            problems[name] = f"This must be {LINE_MAX} characters or fewer"
    if not values["address_postcode"]:
        problems["address_postcode"] = "Enter postcode"
    elif normal_postcode(values["address_postcode"]) is None:
        problems["address_postcode"] = "Enter a real postcode, like SW1A 1AA"
    return problems


def read_address(fields: Mapping[str, Any]) -> PostalAddress:
    """The address from checked fields (call address_problems first)."""
    values = {name: str(fields.get(name) or "").strip() for name in FIELDS}
    postcode = normal_postcode(values["address_postcode"])
    if postcode is None:
        raise ValueError("not a UK postcode")
    return PostalAddress(
        values["address_line_1"], values["address_line_2"], values["address_town"], postcode
    )


def address_of(obj: Any) -> PostalAddress | None:
    """The address stored on an application or request, or None if none was given."""
    if not getattr(obj, "address_line_1", "") or not getattr(obj, "address_postcode", ""):
        return None
    return PostalAddress(
        obj.address_line_1, obj.address_line_2, obj.address_town, obj.address_postcode
    )
