"""Finance's payment reports: reconciliation (page and CSV) and time to pay.

Thin: read the filters from the query string (nothing here changes anything but the audit of a
download), call lep.payments.reconciliation or timetopay, render. A filter that is not right is
shown at its field with what was typed kept, and nothing is read until it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, StringField
from wtforms.validators import Optional, ValidationError

from lep.access import require_role
from lep.db import utcnow
from lep.forms import strip
from lep.money import format_pounds
from lep.payments import reconciliation, timetopay
from lep.payments.reconciliation import LISTS, Period
from lep.payments.timetopay import Month
from lep.timeutil import LONDON

bp = Blueprint("payment_reports", __name__, url_prefix="/finance/payments/reports")

DEFAULT_DAYS = 30
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {"pounds": lambda pence: format_pounds(pence, always_pence=True)}


def london_today() -> dt.date:
    return utcnow().astimezone(LONDON).date()


def _in_range(label: str) -> Any:
    def check(form: FlaskForm, field: DateField) -> None:
        if field.data is not None and not EARLIEST <= field.data <= LATEST:
            raise ValidationError(f"{label} must be a date from 2000 to 2099, like 2026-11-01")

    return check


class ReconciliationForm(FlaskForm):
    """The period and what to list, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    date_from = DateField(
        "From",
        description="UK date, for example 2026-11-01",
        format=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[Optional(), _in_range("From")],
        invalid_value_message="Enter a real date for from, like 2026-11-01",
    )
    date_to = DateField(
        "To",
        description="UK date, for example 2026-11-30",
        format=["%Y-%m-%d", "%d/%m/%Y"],
        validators=[Optional(), _in_range("To")],
        invalid_value_message="Enter a real date for to, like 2026-11-30",
    )
    mismatches = BooleanField("Only show mismatches")
    show = HiddenField(default="payments")

    def validate_date_to(self, field: DateField) -> None:
        start = self.date_from.data
        if field.data is not None and start is not None and field.data < start:
            raise ValidationError("To must be the same as or after from")

    def period(self) -> Period:
        """The dates typed; without a to date, up to today; without a from, 30 days before."""
        start, end = self.date_from.data, self.date_to.data
        if end is None:
            end = max(london_today(), start) if start is not None else london_today()
        if start is None:
            start = end - dt.timedelta(days=DEFAULT_DAYS)
        return Period(start, end)

    def shown(self) -> str:
        return self.show.data if self.show.data in LISTS else "payments"

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string for a link to this view with these changes (dates as typed)."""
        args: dict[str, Any] = {}
        for name in ("date_from", "date_to"):
            raw = self[name].raw_data
            if raw and raw[0]:
                args[name] = raw[0]
        if self.mismatches.data:
            args["mismatches"] = "y"
        args["show"] = self.shown()
        args.update(changes)
        return args


@bp.route("/reconciliation")
@require_role("finance")
def reconciliation_page() -> ResponseReturnValue:
    form = ReconciliationForm(request.args)
    if not form.validate():
        return render_template("payments/reports/reconciliation.html", form=form, report=None)
    period = form.period()
    page = request.args.get("page", 1, type=int) or 1
    now = utcnow()
    show = form.shown()
    return render_template(
        "payments/reports/reconciliation.html",
        form=form,
        report={
            "period": period,
            "show": show,
            "lists": LISTS,
            "summary": reconciliation.summary(period, now, reconciliation.confirmation_days()),
            "rows": reconciliation.page_of(period, show, page, bool(form.mismatches.data), now),
            "days": reconciliation.confirmation_days(),
        },
    )


@bp.route("/reconciliation.csv")
@require_role("finance")
def reconciliation_csv() -> ResponseReturnValue:
    form = ReconciliationForm(request.args)
    if not form.validate():
        page = render_template("payments/reports/reconciliation.html", form=form, report=None)
        return page, 400
    period = form.period()
    body, _ = reconciliation.export_csv(current_user._get_current_object(), period)
    name = f"payments-reconciliation-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# -- Time to pay ---------------------------------------------------------------------------------


class TimeToPayForm(FlaskForm):
    class Meta:
        csrf = False

    month = StringField(
        "Up to month (optional)",
        description="Year and month, for example 2026-11. The 12 months up to it are shown",
        filters=[strip],
    )

    def validate_month(self, field: StringField) -> None:
        if field.data and self.chosen() is None:
            raise ValidationError(
                "Enter the month as year and month from 2000 to 2099, like 2026-11"
            )

    def chosen(self) -> Month | None:
        text = self.month.data or ""
        year, dash, month = text.partition("-")
        if not (dash and year.isascii() and year.isdigit() and month.isascii()):
            return None
        if not (month.isdigit() and len(year) == 4 and 1 <= len(month) <= 2):
            return None
        if not (EARLIEST.year <= int(year) <= LATEST.year and 1 <= int(month) <= 12):
            return None
        return Month(int(year), int(month))


@bp.route("/time-to-pay")
@require_role("finance")
def time_to_pay() -> ResponseReturnValue:
    form = TimeToPayForm(request.args)
    if not form.validate():
        return render_template("payments/reports/time_to_pay.html", form=form, rows=None)
    today = london_today()
    last = form.chosen() or Month(today.year, today.month)
    return render_template(
        "payments/reports/time_to_pay.html",
        form=form,
        rows=timetopay.report(last),
        promise=timetopay.current_promise(today),
    )
