"""Scorers' pages and the panel set-up for a role: blind scoring, conflicts, submitting."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("panel", __name__)
