"""The claimant's expense pages: claims, lines with receipts, send, cancel.

Partners, and applicants invited to interview, claim what taking part cost them. Every page loads
the claim through `_own`, which answers 404 unless it belongs to the signed-in person; anyone else
signed in is told who can claim. The services own the rules; the views parse, call one service, and
render or redirect. Everything works with plain forms: no JavaScript is needed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from lep.access import signed_in
from lep.applications.files import MAX_FILE_BYTES
from lep.errors import handle_http
from lep.expenses import forms, mileage, services
from lep.expenses.models import Claim, ClaimLine, ClaimReceipt, ExpenseCategory
from lep.extensions import db
from lep.forms import show_errors
from lep.money import format_pounds
from lep.payments import readiness
from lep.service import DomainError
from lep.storage import send_private_file

bp = Blueprint("expenses", __name__)

# Money approved and not yet in a run: the claimant is owed it, and may be unable to be paid.
OWED = ("approved", "partly_approved")
DECIDED = ("approved", "partly_approved", "scheduled", "paid")

TOO_BIG = "The selected file must be smaller than 10MB"


@bp.app_context_processor
def expense_links() -> dict[str, Any]:
    # A function, so the dashboard asks only when it shows the link.
    return {"may_claim_expenses": lambda: services.may_claim(current_user)}


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {"pounds": lambda pence: format_pounds(pence, always_pence=True)}


# --- Loading ------------------------------------------------------------------------------------


def _me() -> Any:
    return current_user._get_current_object()


def _own(claim_id: int) -> Claim:
    """The signed-in person's claim, or 404: nobody sees another person's claim here."""
    claim = db.session.get(Claim, claim_id)
    if claim is None or claim.claimant_id != current_user.id:
        abort(404)
    return claim


def _claim_page(claim: Claim) -> ResponseReturnValue:
    return redirect(url_for("expenses.show", claim_id=claim.id))


def _cannot_claim() -> ResponseReturnValue:
    return render_template("expenses/cannot_claim.html")


def _categories() -> list[ExpenseCategory]:
    return list(
        db.session.scalars(
            select(ExpenseCategory)
            .where(ExpenseCategory.active.is_(True))
            .order_by(ExpenseCategory.id)
        )
    )


def _payment_days() -> int:
    return services.policy_on(services.london_today()).payment_working_days


def _changed(exc: DomainError) -> bool:
    """A claim that can no longer be changed (sent, or changed elsewhere): flash why, for its
    page."""
    if "claim" in exc.errors:
        flash(exc.errors["claim"], "error")
        return True
    return False


# --- My claims ----------------------------------------------------------------------------------


@bp.route("/claims")
@signed_in
def index() -> ResponseReturnValue:
    claims = list(
        db.session.scalars(
            select(Claim)
            .where(Claim.claimant_id == current_user.id)
            .options(selectinload(Claim.role))
            .order_by(Claim.id.desc())
        )
    )
    may_claim = services.may_claim(current_user)
    if not claims and not may_claim:
        return _cannot_claim()
    owed = any(claim.status in OWED for claim in claims)
    return render_template(
        "expenses/index.html",
        claims=claims,
        may_claim=may_claim,
        cannot_pay=readiness.blocker(current_user) if owed else None,
        payment_days=_payment_days(),
    )


@bp.route("/claims/new", methods=["GET", "POST"])
@signed_in
def new() -> ResponseReturnValue:
    me = _me()
    if not services.may_claim(me):
        return _cannot_claim()
    form = forms.ChooseRoleForm(roles=services.claim_roles(me), partner=me.has_role("partner"))
    if form.validate_on_submit():
        try:
            claim = services.start_claim(me, form.chosen_role_id())
        except DomainError as exc:
            show_errors(form, exc.errors, aliases={"claimant": "role_id"})
        else:
            return _claim_page(claim)
    return render_template("expenses/new.html", form=form)


# --- One claim ----------------------------------------------------------------------------------


def _reject_reason(claim: Claim) -> str:
    rejections = [a for a in claim.approvals if a.decision == "reject"]
    return rejections[-1].note if rejections else ""


@bp.route("/claims/<int:claim_id>")
@signed_in
def show(claim_id: int) -> ResponseReturnValue:
    claim = _own(claim_id)
    return render_template(
        "expenses/claim.html",
        claim=claim,
        editable=claim.status in services.EDITABLE,
        cancellable=claim.status in services.CLAIMANT_CANCELS,
        reject_reason=_reject_reason(claim) if claim.status == "rejected" else "",
        notes=services.approval_notes(claim) if claim.status in DECIDED else [],
        cannot_pay=readiness.blocker(claim.claimant) if claim.status in OWED else None,
        flag_text=services.CLAIMANT_FLAG_TEXT,
        payment_days=_payment_days(),
    )


def _line_form_page(
    claim: Claim, form: forms.LineForm, categories: list[ExpenseCategory], status: int = 200
) -> ResponseReturnValue:
    policy = services.policy_on(services.london_today())
    hints = {}
    for category in categories:
        hint = forms.CATEGORY_HINTS.get(category.code, "")
        needs = services.receipt_required(policy, category)
        rule = "Receipt needed" if needs else "No receipt needed"
        hints[category.code] = f"{hint}. {rule}" if hint else rule
    reasons = [c.name.lower() for c in categories if c.needs_reason]
    receipts = [c.name.lower() for c in categories if services.receipt_required(policy, c)]
    return (
        render_template(
            "expenses/line.html",
            claim=claim,
            form=form,
            category_hints=hints,
            reason_for=reasons,
            reason_codes=[c.code for c in categories if c.needs_reason],
            receipt_for=receipts,
        ),
        status,
    )


def _read_receipt(form: forms.LineForm) -> tuple[str, bytes] | None:
    upload = form.receipt.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return upload.filename or "", upload.stream.read(MAX_FILE_BYTES + 1)


def _line_fields(
    form: forms.LineForm, categories: list[ExpenseCategory]
) -> tuple[dict[str, Any], dict[str, str]]:
    """What the form could read, as the services take it (a date or kind it could not read is
    None), and the problems only the form can name (money or a number it could not read)."""
    category = next((c for c in categories if c.code == form.category.data), None)
    spent_on = form.spent_on.data if isinstance(form.spent_on.data, dt.date) else None
    is_mileage = category is not None and category.code == "mileage"
    problems: dict[str, str] = {}
    amount: int | None = None
    if category is not None and not is_mileage:
        amount, problems["amount"] = form.amount_pence()
    passengers = 0
    if is_mileage:
        passengers, problems["passengers"] = form.passengers_typed()
        problems["miles"] = mileage.miles_comma_problem(form.miles.data or "")
    fields = {
        "category": category,
        "spent_on": spent_on,
        "description": form.description.data or "",
        "amount_pence": amount,
        "vehicle": form.vehicle.data if is_mileage else None,
        "miles": form.miles_typed() if is_mileage else None,
        "passengers": passengers,
        "reason": form.reason.data or "",
        "no_receipt_reason": form.no_receipt_reason.data or "",
    }
    return fields, {name: problem for name, problem in problems.items() if problem}


@bp.route("/claims/<int:claim_id>/lines/new", methods=["GET", "POST"])
@signed_in
def add_line(claim_id: int) -> ResponseReturnValue:
    """One pass: the form's own problems (a date it cannot read, no kind chosen) and the
    services' (the claim window, the amount, the receipt rule) are all shown at once."""
    claim = _own(claim_id)
    if claim.status not in services.EDITABLE:
        return _claim_page(claim)
    categories = _categories()
    form = forms.LineForm(categories=categories)
    if not form.is_submitted():
        return _line_form_page(claim, form, categories)
    form_ok = form.validate()
    if form.csrf_token.errors:
        return _line_form_page(claim, form, categories)
    fields, typed_problems = _line_fields(form, categories)
    receipt = _read_receipt(form)
    try:
        if form_ok and not typed_problems:
            services.add_line(claim, **fields, receipt=receipt)
            flash("Expense added", "success")
            return _claim_page(claim)
        problems = services.line_problems(claim, **fields, has_receipt=receipt is not None)
    except DomainError as exc:
        problems = dict(exc.errors)
    if "claim" in problems:  # sent meanwhile (another tab): say so on its page
        flash(problems["claim"], "error")
        return _claim_page(claim)
    # What the form could not read is said in its words: "not money", not "enter the amount".
    problems.update(typed_problems)
    if receipt is not None and "receipt" not in problems:
        problems["receipt"] = f"Choose the file again: {receipt[0]} was not added"
    # A field the form already found wrong keeps the form's message (what was typed, not rules).
    show_errors(
        form,
        {name: problem for name, problem in problems.items() if not _has_errors(form, name)},
        aliases={"lines": "category"},
    )
    return _line_form_page(claim, form, categories)


def _has_errors(form: forms.LineForm, name: str) -> bool:
    found = form._fields.get(name)
    return found is not None and any(found.errors)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    """A receipt over the request's size limit: say so at the receipt field, not on an error
    page. (What else was typed is lost with the body, which was never read.)"""
    if request.endpoint != "expenses.add_line" or not current_user.is_authenticated:
        return handle_http(exc)
    claim = db.session.get(Claim, (request.view_args or {}).get("claim_id"))
    if claim is None or claim.claimant_id != current_user.id:
        return handle_http(NotFound())
    if claim.status not in services.EDITABLE:
        return _claim_page(claim)
    categories = _categories()
    form = forms.LineForm(formdata=None, categories=categories)
    form.receipt.errors = [TOO_BIG]
    return _line_form_page(claim, form, categories, status=413)


@bp.route("/claims/<int:claim_id>/lines/<int:line_id>/remove", methods=["GET", "POST"])
@signed_in
def remove_line(claim_id: int, line_id: int) -> ResponseReturnValue:
    claim = _own(claim_id)
    line = next((x for x in claim.lines if x.id == line_id), None)
    if line is None:
        abort(404)
    if claim.status not in services.EDITABLE:
        return _claim_page(claim)
    form = forms.ActionForm()
    if form.validate_on_submit():
        try:
            services.remove_line(claim, line.id)
        except DomainError as exc:
            flash(next(iter(exc.errors.values())), "error")
        else:
            flash("Expense removed", "success")
        return _claim_page(claim)
    return render_template("expenses/remove_line.html", claim=claim, line=line, form=form)


@bp.route("/claims/<int:claim_id>/lines/<int:line_id>/receipt/<int:receipt_id>")
@signed_in
def receipt(claim_id: int, line_id: int, receipt_id: int) -> ResponseReturnValue:
    """A receipt, to the claimant only, as a download with its checked type: never inline."""
    claim = _own(claim_id)
    record = db.session.get(ClaimReceipt, receipt_id)
    if record is None or record.line_id != line_id:
        abort(404)
    line = db.session.get(ClaimLine, line_id)
    if line is None or line.claim_id != claim.id:
        abort(404)
    name = services.receipt_download_name(claim, record)
    return send_private_file(record.storage_key, record.content_type, name)


# --- Send, cancel -------------------------------------------------------------------------------


@bp.route("/claims/<int:claim_id>/send", methods=["GET", "POST"])
@signed_in
def send(claim_id: int) -> ResponseReturnValue:
    claim = _own(claim_id)
    if claim.status not in services.EDITABLE:
        if request.method == "POST" and claim.status == "submitted":
            # Sent already (a double click, a second tab): nothing more to do.
            return redirect(url_for("expenses.sent", claim_id=claim.id))
        return _claim_page(claim)
    form = forms.ActionForm()
    if form.validate_on_submit():
        try:
            services.submit_claim(claim)
        except DomainError as exc:
            if _changed(exc):
                return _claim_page(claim)
            form.form_errors.extend(exc.errors.values())
        else:
            return redirect(url_for("expenses.sent", claim_id=claim.id))
    return render_template(
        "expenses/send.html", claim=claim, form=form, payment_days=_payment_days()
    )


@bp.route("/claims/<int:claim_id>/sent")
@signed_in
def sent(claim_id: int) -> ResponseReturnValue:
    claim = _own(claim_id)
    if claim.reference is None or claim.status in services.EDITABLE:
        return _claim_page(claim)
    return render_template("expenses/sent.html", claim=claim, payment_days=_payment_days())


@bp.route("/claims/<int:claim_id>/cancel", methods=["GET", "POST"])
@signed_in
def cancel(claim_id: int) -> ResponseReturnValue:
    claim = _own(claim_id)
    if claim.status not in services.CLAIMANT_CANCELS:
        return _claim_page(claim)
    form = forms.CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_claim(claim, _me(), form.reason.data or "")
        except DomainError as exc:
            if _changed(exc):
                return _claim_page(claim)
            show_errors(form, exc.errors)
        else:
            flash("Your claim has been cancelled", "success")
            return _claim_page(claim)
    return render_template("expenses/cancel.html", claim=claim, form=form)
