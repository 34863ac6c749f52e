"""HR pages for roles: write, edit, criteria and questions, preview, publish, close; rate cards."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("hr_roles", __name__, url_prefix="/hr")
