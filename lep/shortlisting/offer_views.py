"""Offers: HR makes one on a pay point or rate card; the applicant accepts or declines."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("offers", __name__)
