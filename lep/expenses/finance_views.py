"""Approvers' pages: the approval queue, deciding a claim, and finance's categories and policy."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("expenses_finance", __name__, url_prefix="/finance")
