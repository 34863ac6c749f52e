"""What arrives: control characters and invisible text controls cleaned from forms and query
strings; ids bounded in URLs."""

from __future__ import annotations

import re
from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from lep.forms import CONTROL_CHARACTERS

# Characters that change how text reads without being seen: the bidirectional embeddings,
# overrides and isolates (U+202A-202E, U+2066-2069), the left-to-right, right-to-left and Arabic
# marks, zero-width space, word joiner and the invisible maths operators, and the byte order mark.
# "evil\u202egnp.exe" shows as "evilexe.png"; a name with a zero-width space in it looks like
# another person's. Nobody types them on purpose in a form; right-to-left text reads correctly
# without them (the browser and our pages use the Unicode bidirectional algorithm).
INVISIBLE = re.compile(
    "[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Zero-width non-joiner and joiner spell words in Persian and Indic scripts and join emoji, so they
# are kept between two non-ASCII characters, and dropped anywhere else (inside a Latin name).
JOINERS = re.compile("(?<![^\x00-\x7f])[\u200c\u200d]|[\u200c\u200d](?![^\x00-\x7f])")


def clean_text(text: str) -> str:
    """Text as a person meant it: no NUL or other control characters (tab and newlines stay), no
    bidirectional controls, no stray zero-width characters."""
    return JOINERS.sub("", INVISIBLE.sub("", CONTROL_CHARACTERS.sub("", text)))


def _clean(data: MultiDict[str, str]) -> ImmutableMultiDict[str, str]:
    return ImmutableMultiDict([(clean_text(k), clean_text(v)) for k, v in data.items(multi=True)])


class LepRequest(Request):
    """Cleans every form field and query string with `clean_text`: control characters (NUL and
    friends; tab and newlines stay: PostgreSQL refuses NUL in text), bidirectional controls and
    zero-width characters, so what HR and finance read is what is stored."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _clean(self.__dict__["form"])

    @cached_property
    def args(self) -> Any:  # type: ignore[override]
        return _clean(super().args)


class IdConverter(IntegerConverter):
    """`<int:...>` in every URL: ids are positive 32-bit integers, so 0 or a number past
    2,147,483,647 cannot name anything and is a 404 before any view or database sees it."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int = 1, max: int = 2**31 - 1) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)
