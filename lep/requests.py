"""The request class: what arrives is cleaned of control characters before any form sees it."""

from __future__ import annotations

from typing import Any

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
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
