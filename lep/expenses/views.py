"""The claimant's expense pages: claims, lines with receipts, send, cancel."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("expenses", __name__)
