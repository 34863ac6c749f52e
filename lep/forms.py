"""Shared form pieces. Templates render any field with macros/forms.jinja (the NHS.UK bridge)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField
from wtforms.utils import unset_value
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered with the NHS.UK checkboxes component)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# Control characters other than tab and newlines: never meant, and PostgreSQL refuses NUL in text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip(value: Any) -> Any:
    """A field filter: trim what was typed and drop stray control characters."""
    return CONTROL_CHARACTERS.sub("", value).strip() if isinstance(value, str) else value


def show_errors(
    form: FlaskForm, errors: Mapping[str, str], aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's messages at the form's fields (and so in the error summary)."""
    for name, message in errors.items():
        target = (aliases or {}).get(name, name)
        fld = form._fields.get(target)
        if fld is None or fld.type in ("SubmitField", "CSRFTokenField", "HiddenField"):
            form.form_errors.append(message)
            continue
        if not isinstance(fld.errors, list):
            fld.errors = list(fld.errors)
        fld.errors.append(message)


def whole_number(text: Any) -> int | None:
    """A posted id: digits only, of a sensible length, or None."""
    if isinstance(text, int):
        return text
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    return int(text)


DATE_PARTS = ("day", "month", "year")


class DatePartsField(Field):
    """An NHS.UK date input: day, month and year boxes posted as <name>-day, -month and -year.

    `parts` keeps what was typed in each box; `bad_parts` names the boxes to mark in error.
    """

    def __init__(
        self, label: str | None = None, *, what: str, example: str = "27 3 2026", **kwargs: Any
    ) -> None:
        super().__init__(label, **kwargs)
        self.what = what  # "the date of the expense": used in the messages
        self.example = example
        self.parts: dict[str, str] = dict.fromkeys(DATE_PARTS, "")
        self.bad_parts: set[str] = set()
        self.problem = ""

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors: list[str] = []
        self.data = None if data is unset_value else data
        self.object_data = self.data
        self.raw_data = None
        if isinstance(self.data, dt.date):
            self.parts = {
                "day": str(self.data.day),
                "month": str(self.data.month),
                "year": str(self.data.year),
            }
        if formdata is None:
            return
        keys = [f"{self.name}-{part}" for part in DATE_PARTS]
        if not any(key in formdata for key in keys):
            return
        self.parts = {
            part: str(strip(formdata.get(key) or ""))[:20]
            for part, key in zip(DATE_PARTS, keys, strict=True)
        }
        self.raw_data = list(self.parts.values())
        self.data = self._parse()

    def _parse(self) -> dt.date | None:
        parts = self.parts
        missing = [part for part in DATE_PARTS if not parts[part]]
        what = self.what
        if len(missing) == 3:
            self.bad_parts = set(DATE_PARTS)
            self.problem = f"Enter {what}"
            return None
        if missing:
            self.bad_parts = set(missing)
            self.problem = f"{what.capitalize()} must include a " + " and ".join(missing)
            return None
        not_numbers = {
            part for part in DATE_PARTS if not parts[part].isascii() or not parts[part].isdigit()
        }
        if not_numbers:
            self.bad_parts = not_numbers
            self.problem = (
                f"{what.capitalize()} must be a real date, in numbers, like {self.example}"
            )
            return None
        # Bounded before int(): a 19-digit day or month would overflow the date constructor.
        too_long = {part for part in ("day", "month") if len(parts[part]) > 2}
        if too_long:
            self.bad_parts = too_long
            named = " and ".join(part for part in DATE_PARTS if part in too_long)
            self.problem = f"{named.capitalize()} must be 1 or 2 numbers"
            return None
        # Bounded before int(): a 19-digit day or month would overflow the date constructor.
        too_long = {part for part in ("day", "month") if len(parts[part]) > 2}
        if too_long:
            self.bad_parts = too_long
            named = " and ".join(part for part in DATE_PARTS if part in too_long)
            self.problem = f"{named.capitalize()} must be 1 or 2 numbers"
            return None
        if len(parts["year"]) != 4:
            self.bad_parts = {"year"}
            self.problem = "Year must include 4 numbers"
            return None
        try:
            return dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        except ValueError:
            month = int(parts["month"])
            self.bad_parts = {"month"} if not 1 <= month <= 12 else {"day"}
            self.problem = f"{what.capitalize()} must be a real date"
            return None

    def pre_validate(self, form: Any) -> None:
        if self.problem:
            raise StopValidation(self.problem)
        if self.data is None:  # no boxes sent at all
            self.bad_parts = set(DATE_PARTS)
            raise StopValidation(f"Enter {self.what}")

    def _value(self) -> str:
        return ""
