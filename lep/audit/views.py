"""The administrators' audit log: filter by who, what, subject and date."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from lep.access import require_role
from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.timeutil import london_date_bounds

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

PAGE_SIZE = 50


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@bp.route("/")
@require_role("admin")
def events() -> ResponseReturnValue:
    args = request.args
    filters = {
        "actor": (args.get("actor") or "").strip()[:320],
        "action": (args.get("action") or "").strip()[:100],
        "subject_type": (args.get("subject_type") or "").strip()[:50],
        "subject_id": (args.get("subject_id") or "").strip()[:64],
        "date_from": args.get("date_from") or "",
        "date_to": args.get("date_to") or "",
    }
    errors: dict[str, str] = {}
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if filters["actor"]:
        stmt = stmt.where(AuditEvent.actor_label.ilike(f"%{filters['actor']}%"))
    if filters["action"]:
        stmt = stmt.where(AuditEvent.action.startswith(filters["action"]))
    if filters["subject_type"]:
        stmt = stmt.where(AuditEvent.subject_type == filters["subject_type"])
    if filters["subject_id"]:
        stmt = stmt.where(AuditEvent.subject_id == filters["subject_id"])
    for key, label in (("date_from", "From"), ("date_to", "To")):
        day = _parse_date(filters[key])
        if filters[key] and day is None:
            errors[key] = f"{label} date must be a real date, like 2026-03-31"
            continue
        if day is not None:
            start, end = london_date_bounds(day)
            stmt = stmt.where(
                AuditEvent.occurred_at >= start
                if key == "date_from"
                else AuditEvent.occurred_at < end
            )
    page = max(args.get("page", 1, type=int) or 1, 1)
    events = db.paginate(stmt, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("audit/events.html", events=events, filters=filters, errors=errors)
