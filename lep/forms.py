"""Shared form pieces. Templates render any field with macros/forms.jinja (the NHS.UK bridge)."""

from __future__ import annotations

import re
from typing import Any

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
