"""Finance's payment run pages: the runs, the preview and building a run, one run with what can
be done to it now (approve, send, cancel, download the bank file, mark paid).

The rules live in lep.payments.runs (and bankfile): these pages parse, call one service, and show
its DomainError plainly, with nothing changed. Each button carries the run's status as the
person saw it; if someone else has changed the run since (two people pressing Send at once), the
run's own guard refuses and the person is told the run changed.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lep.access import require_role
from lep.accounts.models import User
from lep.extensions import db
from lep.forms import show_errors
from lep.money import format_pounds
from lep.payments import bankfile, forms, runs, sending
from lep.payments.models import Payment, PaymentRun
from lep.payments.providers.base import ProviderError
from lep.service import DomainError

bp = Blueprint("payments", __name__, url_prefix="/finance/payments")

CANCELLABLE = ("draft", "awaiting_approval", "approved")


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {"pounds": lambda pence: format_pounds(pence, always_pence=True)}


def _me() -> Any:
    return current_user._get_current_object()


def _run(run_id: int) -> PaymentRun:
    run = db.session.get(
        PaymentRun,
        run_id,
        options=[
            selectinload(PaymentRun.payments).selectinload(Payment.items),
            selectinload(PaymentRun.payments).selectinload(Payment.user),
        ],
    )
    if run is None:
        abort(404)
    return run


def _run_page(run: PaymentRun) -> ResponseReturnValue:
    return redirect(url_for("payments.show", run_id=run.id))


# --- The runs -----------------------------------------------------------------------------------


@bp.route("")
@require_role("finance")
def index() -> ResponseReturnValue:
    found = list(db.session.scalars(select(PaymentRun).order_by(PaymentRun.id.desc())))
    counts: dict[int, dict[str, int]] = {}
    if found:
        rows = db.session.execute(
            select(Payment.run_id, Payment.status, func.count(Payment.id))
            .where(Payment.run_id.in_([r.id for r in found]))
            .group_by(Payment.run_id, Payment.status)
        )
        for run_id, status, count in rows:
            counts.setdefault(run_id, {})[status] = count
    return render_template(
        "payments/index.html", runs=found, counts=counts, stopped=sending.is_stale
    )


# --- The preview, and building a run ------------------------------------------------------------


def _preview_page(form: FlaskForm) -> ResponseReturnValue:
    return render_template("payments/new.html", plan=runs.preview(), form=form)


@bp.route("/new", methods=["GET", "POST"])
@require_role("finance")
def new() -> ResponseReturnValue:
    form = forms.BuildForm()
    if form.validate_on_submit():
        try:
            run = runs.build_run(_me())
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc.errors)
        else:
            flash(f"Payment run {run.reference} built: {_made(run)}. {_next_step(run)}", "success")
            return _run_page(run)
    return _preview_page(form)


def _made(run: PaymentRun) -> str:
    n = len(run.payments)
    return (
        f"{n} payment{'' if n == 1 else 's'}, {format_pounds(run.total_pence, always_pence=True)}"
    )


def _next_step(run: PaymentRun) -> str:
    if run.status == "awaiting_approval":
        return "Someone else in the finance team must approve it before it can be sent."
    return "Check it, then send it."


# --- One run ------------------------------------------------------------------------------------


def _held(run: PaymentRun) -> list[dict[str, Any]]:
    ids = [h.get("user_id") for h in run.held or [] if isinstance(h.get("user_id"), int)]
    names = {}
    if ids:
        names = {
            u.id: u.full_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))
        }
    return [
        {
            "name": names.get(h.get("user_id"), "Unknown person"),
            "amount_pence": int(h.get("amount_pence") or 0),
            "reason": str(h.get("reason") or ""),
        }
        for h in run.held or []
    ]


def _show(run: PaymentRun, form: FlaskForm | None = None, status: int = 200) -> ResponseReturnValue:
    me = _me()
    built_by = db.session.get(User, run.created_by_id)
    approved_by = db.session.get(User, run.approved_by_id) if run.approved_by_id else None
    sent_pence = sum(p.amount_pence for p in run.payments if p.status in ("sent", "paid"))
    stopped = sending.is_stale(run)
    return render_template(
        "payments/run.html",
        run=run,
        form=form,
        action=forms.RunActionForm(seen=run.status),
        held=_held(run),
        built_by=built_by,
        approved_by=approved_by,
        threshold=run.approval_over_pence,  # as it was when the run was built
        sent_pence=sent_pence,
        may_approve=run.status == "awaiting_approval" and me.id != run.created_by_id,
        builder_waits=run.status == "awaiting_approval" and me.id == run.created_by_id,
        may_send=run.status == "approved",
        may_cancel=run.status in CANCELLABLE,
        may_download=bankfile.available(run),
        may_mark_paid=run.status == "sent" and run.provider == "bacs",
        progress=sending.progress(run) if run.status == "sending" else None,
        may_resume=stopped,
    ), status


@bp.route("/<int:run_id>")
@require_role("finance")
def show(run_id: int) -> ResponseReturnValue:
    return _show(_run(run_id))


def _as_seen(run: PaymentRun, form: forms.RunActionForm) -> None:
    """Make the run the version the person saw, so that the run's guard (a compare-and-set on
    its status) refuses if it has changed since."""
    seen = form.seen_status()
    if seen is not None and seen != run.status:
        set_committed_value(run, "status", seen)


def _refused(run_id: int, form: FlaskForm, exc: DomainError, page: str | None = None) -> Any:
    db.session.rollback()
    db.session.expire_all()
    show_errors(form, exc.errors)
    run = _run(run_id)
    if page is not None:
        return render_template(page, run=run, form=form)
    return _show(run, form)


@bp.route("/<int:run_id>/approve", methods=["POST"])
@require_role("finance")
def approve(run_id: int) -> ResponseReturnValue:
    run = _run(run_id)
    form = forms.RunActionForm()
    if not form.validate_on_submit():
        return _show(run, form, 400)
    _as_seen(run, form)
    try:
        runs.approve_run(run, _me())
    except DomainError as exc:
        return _refused(run_id, form, exc)
    flash(f"You approved {run.reference}. It can now be sent.", "success")
    return _run_page(run)


def _sending_outcome(run_id: int, still_sending: str, category: str) -> ResponseReturnValue:
    """After Send or Resume: the run as it is now (sent here, or still going elsewhere)."""
    db.session.expire_all()
    run = _run(run_id)
    if run.status == "sending":
        flash(f"{run.reference} {still_sending}. Reload this page to see its progress.", category)
    else:
        flash(f"{run.reference} has been sent.", "success")
    return _run_page(run)


@bp.route("/<int:run_id>/send", methods=["POST"])
@require_role("finance")
def send(run_id: int) -> ResponseReturnValue:
    run = _run(run_id)
    form = forms.RunActionForm()
    if not form.validate_on_submit():
        return _show(run, form, 400)
    _as_seen(run, form)
    try:
        runs.start_sending(run, _me())
    except DomainError as exc:
        return _refused(run_id, form, exc)
    except ProviderError as exc:
        # The run is sending; payments not yet confirmed are looked up before any is sent again.
        db.session.rollback()
        flash(
            f"{run.reference} started sending, but the payment provider did not answer: "
            f"{exc.message}. Payments not confirmed are checked before being sent again.",
            "error",
        )
        return _run_page(run)
    return _sending_outcome(run_id, "is being sent", "success")


@bp.route("/<int:run_id>/resume", methods=["POST"])
@require_role("finance")
def resume(run_id: int) -> ResponseReturnValue:
    """A run that stopped part-way: send what is still waiting (each payment once)."""
    run = _run(run_id)
    form = forms.RunActionForm()
    if not form.validate_on_submit():
        return _show(run, form, 400)
    _as_seen(run, form)
    try:
        sending.resume_run(run, _me())
    except DomainError as exc:
        return _refused(run_id, form, exc)
    except ProviderError as exc:
        db.session.rollback()
        flash(
            f"Sending {run.reference} again stopped: the payment provider did not answer "
            f"({exc.message}). Nobody has been paid twice. Try again later.",
            "error",
        )
        return _run_page(run)
    return _sending_outcome(run_id, "is being sent again", "message")


@bp.route("/<int:run_id>/cancel", methods=["GET", "POST"])
@require_role("finance")
def cancel(run_id: int) -> ResponseReturnValue:
    run = _run(run_id)
    if run.status not in CANCELLABLE and request.method == "GET":
        return _run_page(run)
    form = forms.RunActionForm(seen=run.status)
    if form.validate_on_submit():
        _as_seen(run, form)
        try:
            runs.cancel_run(run, _me())
        except DomainError as exc:
            return _refused(run_id, form, exc)
        flash(
            f"{run.reference} is cancelled. Its claims and fees will be in the next run.",
            "success",
        )
        return _run_page(run)
    if run.status not in CANCELLABLE:
        return _run_page(run)
    return render_template("payments/cancel.html", run=run, form=form)


@bp.route("/<int:run_id>/mark-paid", methods=["GET", "POST"])
@require_role("finance")
def mark_paid(run_id: int) -> ResponseReturnValue:
    run = _run(run_id)
    if run.provider != "bacs" or (run.status != "sent" and request.method == "GET"):
        return _run_page(run)
    form = forms.RunActionForm(seen=run.status)
    if form.validate_on_submit():
        _as_seen(run, form)
        try:
            runs.mark_run_paid(run, _me())
        except DomainError as exc:
            return _refused(run_id, form, exc)
        flash(
            f"{run.reference} is paid. Each person paid has been sent remittance advice.",
            "success",
        )
        return _run_page(run)
    if run.status != "sent":
        return _run_page(run)
    return render_template(
        "payments/mark_paid.html",
        run=run,
        form=form,
        sent_pence=sum(p.amount_pence for p in run.payments if p.status == "sent"),
        sent_count=sum(1 for p in run.payments if p.status == "sent"),
    )


@bp.route("/<int:run_id>/bank-file.csv")
@require_role("finance")
def bank_file(run_id: int) -> ResponseReturnValue:
    run = _run(run_id)
    try:
        made = bankfile.download(run, _me())
    except DomainError as exc:
        db.session.rollback()
        flash(next(iter(exc.errors.values())), "error")
        return _run_page(run)
    return Response(
        made.body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{made.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
