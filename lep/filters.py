"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from flask import Flask, current_app

from lep.accounts.models import ROLE_LABELS
from lep.timeutil import format_date, format_datetime


def sentence(text: str) -> str:
    text = str(text).rstrip()
    return text if not text or text[-1] in ".!?" else text + "."


def register(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(lambda role: ROLE_LABELS.get(role, role), "role_label")
    # A domain error's message is written for a field (no full stop); shown as a notice on its
    # own it is a sentence.
    app.add_template_filter(sentence, "sentence")

    def raise_unknown_field(kind: str) -> None:
        raise TypeError(f"macros/forms.jinja cannot render a {kind}: add it to the bridge")

    app.add_template_global(raise_unknown_field, "raise_unknown_field")

    @app.context_processor
    def site() -> dict:
        return {
            "organisation_name": current_app.config["ORGANISATION_NAME"],
            "service_name": current_app.config["SERVICE_NAME"],
        }
