"""What arrives: control characters cleaned from forms and query strings; ids bounded in URLs."""

from __future__ import annotations

from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from lep.forms import CONTROL_CHARACTERS


def _clean(data: MultiDict[str, str]) -> ImmutableMultiDict[str, str]:
    return ImmutableMultiDict(
        [
            (CONTROL_CHARACTERS.sub("", k), CONTROL_CHARACTERS.sub("", v))
            for k, v in data.items(multi=True)
        ]
    )


class LepRequest(Request):
    """Strips control characters (NUL and friends; tab and newlines stay) from form fields and
    query strings: nobody means to type them, and PostgreSQL refuses NUL in text."""

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
