"""Involvement pages: the partner's log and fee choices, approvals by the role's staff contact,
finance's record of fees paid another way and the payroll export, and the partner's payments
overview with a statement for each tax year. Thin: parse, call one service, render or redirect.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from lep.access import require_role, signed_in
from lep.extensions import db
from lep.forms import show_errors
from lep.money import format_pounds
from lep.partners import involvement as services
from lep.partners import payroll, statements
from lep.partners.involvement_forms import (
    BENEFITS_WARNING,
    CHOICE_LABELS,
    ChoiceForm,
    ClearForm,
    DecisionForm,
    InvolvementForm,
    OtherWayForm,
    PayrollForm,
    WeeklyAmountForm,
)
from lep.partners.models import Involvement
from lep.payments import readiness
from lep.payments.models import Payment
from lep.roles.pay import format_hours
from lep.service import DomainError
from lep.timeutil import to_london

bp = Blueprint("involvement", __name__)

FIRST_YEAR = 2000


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "pounds": lambda pence: format_pounds(pence, always_pence=True),
        "hours": format_hours,
        "choice_labels": CHOICE_LABELS,
        "benefits_warning": BENEFITS_WARNING,
        "time_text": time_text,
    }


def time_text(inv: Involvement) -> str:
    if inv.duration_kind == "half_day":
        text = "Half a day"
    elif inv.duration_kind == "day":
        text = "A whole day"
    else:
        text = format_hours(inv.minutes)
    if inv.prep_minutes:
        text += f", plus {format_hours(inv.prep_minutes)} preparation"
    return text


def _me() -> Any:
    return current_user._get_current_object()


def _own(involvement_id: int) -> Involvement:
    inv = db.session.get(Involvement, involvement_id)
    if inv is None or inv.user_id != current_user.id:
        abort(404)
    return inv


# --- The partner ---------------------------------------------------------------------------------


@bp.route("/involvement")
@signed_in
def index() -> ResponseReturnValue:
    me = _me()
    mine = list(
        db.session.scalars(
            select(Involvement)
            .where(Involvement.user_id == me.id)
            .order_by(Involvement.happened_on.desc(), Involvement.id.desc())
        )
    )
    may_log = services.may_log(me)
    if not mine and not may_log:
        return render_template("partners/involvement/cannot_log.html")
    return render_template(
        "partners/involvement/index.html",
        involvements=mine,
        may_log=may_log,
        choice_open=services.CHOICE_OPEN,
    )


@bp.route("/involvement/new", methods=["GET", "POST"])
@signed_in
def new() -> ResponseReturnValue:
    me = _me()
    places = services.places(me)
    if not places:
        return render_template("partners/involvement/cannot_log.html")
    form = InvolvementForm(places=places)
    if request.method == "POST":
        valid = form.validate_on_submit()
        minutes, time_at, time_problem = form.time_minutes()
        prep, prep_at, prep_problem = form.prep_time_minutes()
        kind = form.duration_kind.data or ""
        problems: dict[str, str] = {}
        if time_problem and kind in ("hours", ""):
            problems[time_at] = time_problem
        if prep_problem:
            problems[prep_at] = prep_problem
        if valid and not problems:
            try:
                inv = services.log_involvement(
                    me,
                    role_id=form.chosen_role_id(),
                    happened_on=form.happened_on.data,
                    description=form.description.data or "",
                    duration_kind=kind,
                    minutes=minutes,
                    prep_minutes=prep,
                    fee_choice=form.fee_choice.data or "",
                )
            except DomainError as exc:
                problems = dict(exc.errors)
            else:
                flash(f"Involvement logged: {inv.fee_working}", "success")
                return redirect(url_for("involvement.index"))
        show_errors(form, problems, aliases={"minutes": "hours", "prep_minutes": "prep_hours"})
    return render_template("partners/involvement/new.html", form=form, places=places)


@bp.route("/involvement/<int:involvement_id>/choice", methods=["GET", "POST"])
@signed_in
def choice(involvement_id: int) -> ResponseReturnValue:
    inv = _own(involvement_id)
    if inv.status not in services.CHOICE_OPEN:
        flash(f"This can no longer be changed: it is {inv.status_text.lower()}", "error")
        return redirect(url_for("involvement.index"))
    form = ChoiceForm(data={"fee_choice": inv.fee_choice} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.change_choice(inv, _me(), form.fee_choice.data or "")
        except DomainError as exc:
            if "involvement" in exc.errors:
                flash(exc.errors["involvement"], "error")
                return redirect(url_for("involvement.index"))
            show_errors(form, exc.errors)
        else:
            flash("Your choice has been saved", "success")
            return redirect(url_for("involvement.index"))
    return render_template("partners/involvement/choice.html", form=form, involvement=inv)


# --- Approvals -----------------------------------------------------------------------------------


@bp.route("/involvement/approvals")
@require_role("hr", "finance", "admin")
def approvals() -> ResponseReturnValue:
    return render_template(
        "partners/involvement/approvals.html", waiting=services.approval_queue(_me())
    )


@bp.route("/involvement/approvals/<int:involvement_id>", methods=["GET", "POST"])
@require_role("hr", "finance", "admin")
def decide(involvement_id: int) -> ResponseReturnValue:
    inv = db.session.get(Involvement, involvement_id)
    me = _me()
    if inv is None or services.approval_problem(inv, me):
        abort(404)
    if inv.status != "submitted":
        flash(f"This has already been decided: it is {inv.status_text.lower()}", "error")
        return redirect(url_for("involvement.approvals"))
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            if form.decision.data == "approve":
                services.approve(inv, me, form.note.data or "")
            else:
                services.reject(inv, me, form.note.data or "")
        except DomainError as exc:
            if "involvement" in exc.errors:
                flash(exc.errors["involvement"], "error")
                return redirect(url_for("involvement.approvals"))
            show_errors(form, exc.errors, aliases={"decision": "decision"})
        else:
            flash(f"{inv.status_text}: {inv.user.full_name}, {inv.description[:60]}", "success")
            return redirect(url_for("involvement.approvals"))
    return render_template(
        "partners/involvement/decide.html",
        form=form,
        involvement=inv,
        time=time_text(inv),
        employed=services.is_employed(inv),
    )


# --- Finance: paid another way, payroll ----------------------------------------------------------


@bp.route("/finance/involvement/other-way")
@require_role("finance")
def other_way() -> ResponseReturnValue:
    return render_template(
        "partners/involvement/other_way_list.html", waiting=services.other_way_waiting()
    )


@bp.route("/finance/involvement/<int:involvement_id>/other-way", methods=["GET", "POST"])
@require_role("finance")
def record_other_way(involvement_id: int) -> ResponseReturnValue:
    inv = db.session.get(Involvement, involvement_id)
    if inv is None or inv.status != "other_way":
        abort(404)
    form = OtherWayForm()
    if form.validate_on_submit():
        try:
            services.record_paid_other_way(inv, _me(), form.note.data or "")
        except DomainError as exc:
            if "involvement" in exc.errors:
                flash(exc.errors["involvement"], "error")
                return redirect(url_for("involvement.other_way"))
            show_errors(form, exc.errors)
        else:
            flash(f"Recorded as paid: {inv.user.full_name}", "success")
            return redirect(url_for("involvement.other_way"))
    return render_template(
        "partners/involvement/other_way.html", form=form, involvement=inv, time=time_text(inv)
    )


@bp.route("/finance/payroll")
@require_role("finance")
def payroll_page() -> ResponseReturnValue:
    form = PayrollForm(request.args)
    if form.was_sent() and form.validate():
        return redirect(
            url_for(
                "involvement.payroll_csv",
                worked_from=form.worked_from.data.isoformat(),  # type: ignore[union-attr]
                worked_to=form.worked_to.data.isoformat(),  # type: ignore[union-attr]
            )
        )
    if not form.was_sent():
        form = PayrollForm(formdata=None)
    return render_template("partners/payments/payroll.html", form=form)


@bp.route("/finance/payroll.csv")
@require_role("finance")
def payroll_csv() -> ResponseReturnValue:
    form = PayrollForm(request.args)
    if not form.validate() or form.worked_from.data is None or form.worked_to.data is None:
        return render_template("partners/payments/payroll.html", form=form), 400
    first, last = form.worked_from.data, form.worked_to.data
    body, _ = payroll.export_payroll(_me(), first, last)
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{payroll.filename_for(first, last)}"',
            "Cache-Control": "no-store",
        },
    )


# --- The partner's payments ----------------------------------------------------------------------


def _payments_page(form: WeeklyAmountForm | None = None, status: int = 200) -> ResponseReturnValue:
    me = _me()
    view = statements.overview(me)
    if form is None:
        amount = view.weekly_pence
        form = WeeklyAmountForm(
            formdata=None,
            data={"amount": format_pounds(amount, always_pence=True)[1:] if amount else ""},
        )
    return (
        render_template(
            "partners/payments/overview.html",
            view=view,
            form=form,
            clear_form=ClearForm(),
            years=statements.years_with_payments(me, view.today),
            paid=statements.paid_payments(me),
        ),
        status,
    )


@bp.route("/account/payments")
@signed_in
def payments() -> ResponseReturnValue:
    return _payments_page()


@bp.route("/account/payments/weekly-amount", methods=["POST"])
@signed_in
def weekly_amount() -> ResponseReturnValue:
    form = WeeklyAmountForm()
    if form.validate_on_submit():
        pence, problem = form.amount_pence()
        if not problem:
            try:
                statements.set_weekly_amount(_me(), pence)
            except DomainError as exc:
                problem = exc.errors["amount"]
            else:
                flash("Your weekly amount has been saved", "success")
                return redirect(url_for("involvement.payments"))
        form.amount.errors = [problem]
    return _payments_page(form)


@bp.route("/account/payments/weekly-amount/clear", methods=["POST"])
@signed_in
def clear_weekly_amount() -> ResponseReturnValue:
    if ClearForm().validate_on_submit():
        statements.set_weekly_amount(_me(), None)
        flash("Your weekly amount has been cleared", "success")
    return redirect(url_for("involvement.payments"))


def _statement(year: int) -> statements.Statement:
    if year < FIRST_YEAR or year > statements.tax_year_of(services.london_today()):
        abort(404)
    return statements.statement(_me(), year)


@bp.route("/account/payments/statement/<int:year>")
@signed_in
def statement(year: int) -> ResponseReturnValue:
    return render_template(
        "partners/payments/statement.html",
        statement=_statement(year),
        person=_me(),
    )


@bp.route("/account/payments/statement/<int:year>.pdf")
@signed_in
def statement_pdf(year: int) -> ResponseReturnValue:
    data = _statement(year)
    html = render_template(
        "partners/payments/statement_pdf.html",
        statement=data,
        person=_me(),
        today=services.london_today(),
    )
    pdf = statements.pdf_from_html(html, base_url=request.url_root)
    if pdf is None:
        flash("The PDF cannot be made just now: print this page or save it as a PDF", "error")
        return redirect(url_for("involvement.statement", year=year))
    name = f"statement-of-payments-{data.label.replace('/', '-')}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/account/payments/<int:payment_id>/remittance.pdf")
@signed_in
def remittance_pdf(payment_id: int) -> ResponseReturnValue:
    """Remittance advice for one of my paid payments: what it paid for, to the penny."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.user_id != current_user.id or payment.status != "paid":
        abort(404)
    assert payment.paid_at is not None
    html = render_template(
        "partners/payments/remittance_pdf.html",
        payment=payment,
        person=_me(),
        paid_on=to_london(payment.paid_at).date(),
        today=services.london_today(),
        format_pounds=format_pounds,
        finance_contact=readiness.finance_contact(),
        organisation_address=current_app.config.get("ORGANISATION_ADDRESS", ""),
    )
    pdf = statements.pdf_from_html(html)
    if pdf is None:
        flash("The PDF cannot be made just now: your remittance advice is in your email", "error")
        return redirect(url_for("involvement.payments"))
    name = f"remittance-{payment.reference.replace(' ', '-')}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
