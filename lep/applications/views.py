"""The applicant's journey: start, one question a page, support, check answers, submit."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("applications", __name__)
