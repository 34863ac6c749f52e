"""The lead's pages: the scoring matrix, moderation, decisions, interview invitations."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("moderation", __name__)
