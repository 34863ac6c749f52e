"""CSV export of approved claims, with cost codes, for the finance system.

One row per approved line of each approved or partly approved claim (a line approved at £0 is
left out), optionally only claims approved between two UK dates. Rows go out through
`schemas.ExportRowSchema`; amounts are pounds with two decimals written from whole pence; any
cell a spreadsheet would run as a formula is made plain text. Every export is audited: who, how
many rows, which dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload
from wtforms import DateField, SubmitField
from wtforms.validators import Optional, ValidationError

from lep import audit
from lep.access import require_role
from lep.expenses.models import Claim, ClaimLine
from lep.expenses.schemas import ExportRowSchema, safe_cell
from lep.expenses.services import london_today
from lep.extensions import db
from lep.service import commit
from lep.timeutil import london_date_bounds

bp = Blueprint("expenses_export", __name__, url_prefix="/finance")

# Every approved claim, whether or not it has been scheduled or paid since: the finance system
# records the cost when it is approved.
EXPORTED_STATUSES = ("approved", "partly_approved", "scheduled", "paid")


class ExportForm(FlaskForm):
    """The dates to export (read from the query string: downloading changes nothing)."""

    class Meta:
        csrf = False

    approved_from = DateField(
        "Approved on or after (optional)",
        description="UK date, for example 2026-11-01",
        format=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[Optional()],
        invalid_value_message="Enter a real date for approved on or after, like 2026-11-01",
    )
    approved_to = DateField(
        "Approved on or before (optional)",
        description="UK date, for example 2026-11-30",
        format=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[Optional()],
        invalid_value_message="Enter a real date for approved on or before, like 2026-11-30",
    )
    submit = SubmitField("Download CSV")

    def validate_approved_to(self, field: DateField) -> None:
        start = self.approved_from.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError(
                "Approved on or before must be the same as or after approved on or after"
            )

    def was_sent(self) -> bool:
        return any(name in request.args for name in ("approved_from", "approved_to", "submit"))


def approved_lines(
    approved_from: dt.date | None = None, approved_to: dt.date | None = None
) -> list[ClaimLine]:
    """Approved lines (more than £0) of approved and partly approved claims, oldest decision
    first, with what each row needs (a fixed number of queries)."""
    stmt = (
        select(ClaimLine)
        .join(ClaimLine.claim)
        .where(Claim.status.in_(EXPORTED_STATUSES), ClaimLine.approved_pence > 0)
        .options(
            contains_eager(ClaimLine.claim).selectinload(Claim.claimant),
            contains_eager(ClaimLine.claim).selectinload(Claim.role),
            selectinload(ClaimLine.category),
        )
        .order_by(Claim.decided_at, Claim.id, ClaimLine.id)
    )
    if approved_from is not None:
        stmt = stmt.where(Claim.decided_at >= london_date_bounds(approved_from)[0])
    if approved_to is not None:
        stmt = stmt.where(Claim.decided_at < london_date_bounds(approved_to)[1])
    return list(db.session.scalars(stmt).unique())


def to_csv(lines: list[ClaimLine]) -> str:
    schema = ExportRowSchema()
    headers = schema.headers()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in schema.dump(lines, many=True):
        writer.writerow([safe_cell(_text(row[h])) for h in headers])
    return out.getvalue()


def _text(value: Any) -> Any:
    return "" if value is None else value


def export_approved(
    by: Any, approved_from: dt.date | None = None, approved_to: dt.date | None = None
) -> tuple[str, int]:
    """The CSV, and how many rows it has; audited as taken by `by`."""
    lines = approved_lines(approved_from, approved_to)
    body = to_csv(lines)
    audit.record(
        "claims.exported",
        "claim_export",
        None,
        after={
            "format": "csv",
            "rows": len(lines),
            "claims": len({line.claim_id for line in lines}),
            "approved_from": approved_from,
            "approved_to": approved_to,
        },
        actor=by,
    )
    commit()
    return body, len(lines)


def filename_for(approved_from: dt.date | None, approved_to: dt.date | None) -> str:
    start = approved_from.isoformat() if approved_from else "start"
    end = approved_to.isoformat() if approved_to else london_today().isoformat()
    return f"approved-expenses-{start}-to-{end}.csv"


def _dates(form: ExportForm) -> dict[str, Any]:
    return {
        name: value.isoformat()
        for name, value in (
            ("approved_from", form.approved_from.data),
            ("approved_to", form.approved_to.data),
        )
        if value is not None
    }


@bp.route("/claims/export")
@require_role("finance")
def export_page() -> ResponseReturnValue:
    form = ExportForm(request.args)
    if form.was_sent() and form.validate():
        return redirect(url_for("expenses_export.export_csv", **_dates(form)))
    return render_template("expenses/export/form.html", form=form)


@bp.route("/claims/export.csv")
@require_role("finance")
def export_csv() -> ResponseReturnValue:
    form = ExportForm(request.args)
    if not form.validate():
        return render_template("expenses/export/form.html", form=form), 400
    body, _ = export_approved(
        current_user._get_current_object(), form.approved_from.data, form.approved_to.data
    )
    name = filename_for(form.approved_from.data, form.approved_to.data)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
