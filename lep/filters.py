"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from lep.accounts.models import ROLE_LABELS
from lep.db import utcnow
from lep.timeutil import format_date, format_datetime


def sentence(text: str) -> str:
    text = str(text).rstrip()
    return text if not text or text[-1] in ".!?" else text + "."


def closed_early(role: Any) -> bool:
    """Closed (or filled) before its closing date: the date is still to come, so the page must
    not say the role "closed on" it."""
    closes_at = getattr(role, "closes_at", None)
    return role.status != "open" and closes_at is not None and closes_at > utcnow()


def register(app: Flask) -> None:
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(lambda role: ROLE_LABELS.get(role, role), "role_label")
    # A domain error's message is written for a field (no full stop); shown as a notice on its
    # own it is a sentence.
    app.add_template_filter(sentence, "sentence")
    app.add_template_global(closed_early, "closed_early")

    def raise_unknown_field(kind: str) -> None:
        raise TypeError(f"macros/forms.jinja cannot render a {kind}: add it to the bridge")

    app.add_template_global(raise_unknown_field, "raise_unknown_field")

    @app.context_processor
    def site() -> dict:
        return {
            "organisation_name": current_app.config["ORGANISATION_NAME"],
            "service_name": current_app.config["SERVICE_NAME"],
        }
