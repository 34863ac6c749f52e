"""Shared form pieces. Templates render any field with macros/forms.jinja (the NHS.UK bridge)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
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
