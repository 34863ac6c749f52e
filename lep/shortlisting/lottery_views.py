"""Selection by lottery: quotas, the draw, each applicant's chance."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("lottery", __name__)
