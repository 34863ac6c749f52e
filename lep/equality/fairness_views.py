"""The fairness report: stage by stage pass-through by equality category, outside shortlisting."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("fairness", __name__)
