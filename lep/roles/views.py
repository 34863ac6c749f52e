"""Public role pages: the list of open roles and each role's page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("roles", __name__, url_prefix="/roles")
