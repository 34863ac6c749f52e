"""CSV export of approved claims, with cost codes, for the finance system."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("expenses_export", __name__, url_prefix="/finance")
