"""Expense claims in the API: staff read all (token), a claimant reads their own."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("api_claims", __name__, url_prefix="/api/v1", description="Expense claims")
