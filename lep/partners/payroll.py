"""Payroll export: employed partners' approved hours for a period, as CSV for the payroll team.

Employed partners are paid their salary through payroll, not by payment runs. One row per approved
piece of involvement done between two London dates (inclusive). Hours are decimal hours with two
places, worked out from whole minutes with integer arithmetic (150 minutes -> "2.50"). Any cell a
spreadsheet would run as a formula is made plain text. Every export is audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lep import audit
from lep.expenses.schemas import safe_cell
from lep.extensions import db
from lep.partners.models import Involvement
from lep.service import commit

HEADERS = (
    "Employee name",
    "Email",
    "Role",
    "Date",
    "Hours",
    "Preparation hours",
    "Description",
)


def decimal_hours(minutes: int) -> str:
    """Whole minutes as hours with two decimals, halves rounded up: 20 -> '0.33', 150 -> '2.50'."""
    hundredths = (minutes * 100 + 30) // 60
    hours, rest = divmod(hundredths, 100)
    return f"{hours}.{rest:02d}"


def payroll_rows(first: dt.date, last: dt.date) -> list[Involvement]:
    return list(
        db.session.scalars(
            select(Involvement)
            .where(
                Involvement.status == "payroll",
                Involvement.happened_on >= first,
                Involvement.happened_on <= last,
            )
            .options(selectinload(Involvement.user), selectinload(Involvement.role))
            .order_by(Involvement.happened_on, Involvement.user_id, Involvement.id)
        )
    )


def to_csv(rows: list[Involvement]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for inv in rows:
        writer.writerow(
            [
                safe_cell(value)
                for value in (
                    inv.user.full_name,
                    inv.user.email,
                    inv.role.title,
                    inv.happened_on.isoformat(),
                    decimal_hours(inv.minutes),
                    decimal_hours(inv.prep_minutes),
                    inv.description,
                )
            ]
        )
    return out.getvalue()


def export_payroll(by: Any, first: dt.date, last: dt.date) -> tuple[str, int]:
    """The CSV and its number of rows; audited as taken by `by`."""
    rows = payroll_rows(first, last)
    body = to_csv(rows)
    audit.record(
        "involvement.payroll_exported",
        "payroll_export",
        None,
        after={
            "format": "csv",
            "from": first,
            "to": last,
            "rows": len(rows),
            "minutes": sum(r.minutes + r.prep_minutes for r in rows),
        },
        actor=by,
    )
    commit()
    return body, len(rows)


def filename_for(first: dt.date, last: dt.date) -> str:
    return f"payroll-hours-{first.isoformat()}-to-{last.isoformat()}.csv"
