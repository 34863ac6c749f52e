"""Approvers' pages: the approval queue, deciding a claim, and finance's pages: cancelling an
approved claim, categories, policy, and each role's expense settings (cost code, budget holder).

Finance see and decide every sent claim; a role's budget holder gives first approvals for its
claims. Who may decide what is the services' rule (services.decision_problem): these pages show
it plainly and the services refuse anything else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lep.access import STAFF_ROLES, require_role
from lep.accounts.models import User
from lep.expenses import finance_forms as forms
from lep.expenses import policy_services, queue, services
from lep.expenses.models import (
    APPROVAL_DECISIONS,
    CLAIM_STATUSES,
    Claim,
    ClaimApproval,
    ClaimLine,
    ClaimReceipt,
    ExpenseCategory,
    ExpensePolicy,
)
from lep.extensions import db
from lep.forms import show_errors
from lep.money import format_pounds
from lep.roles.models import Role
from lep.service import DomainError
from lep.storage import send_private_file
from lep.timeutil import format_date

bp = Blueprint("expenses_finance", __name__, url_prefix="/finance")

QUEUE_ENDPOINTS = frozenset(
    {"expenses_finance.queue", "expenses_finance.claim", "expenses_finance.decide"}
)


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    def expense_approver() -> bool:
        # Asked once a request, and only by the header of a signed-in person's page. The error
        # page for a failed database still renders: without the link, not with a second error.
        if "lep_expense_approver" not in g:
            try:
                g.lep_expense_approver = services.is_approver(current_user)
            except SQLAlchemyError:
                g.lep_expense_approver = False
        return bool(g.lep_expense_approver)

    return {"expense_approver": expense_approver, "expense_queue_endpoints": QUEUE_ENDPOINTS}


@bp.context_processor
def labels() -> dict[str, Any]:
    return {
        "pounds": format_pounds,
        "flag_text": services.FLAG_TEXT,
        "claim_statuses": CLAIM_STATUSES,
        "decisions": APPROVAL_DECISIONS,
    }


def _by() -> Any:
    return current_user._get_current_object()


def _approver() -> Any:
    """The signed-in approver. Staff who neither work in finance nor hold a role's budget do
    not approve expenses: for them these pages do not exist."""
    user = _by()
    if not services.is_approver(user):
        abort(404)
    return user


def _claim(claim_id: int, *, page: bool = False) -> Claim:
    """The claim with what deciding on it reads (its role, claimant, lines and approvals), in
    one query: a claim has a few lines and approvals, so their product is a few rows. For its
    page, also each line's kind and receipts and each approver's name (one more query for the
    receipts), so that the page's queries do not grow with its lines."""
    lines = joinedload(Claim.lines)
    approvals = joinedload(Claim.approvals)
    options = [
        joinedload(Claim.role),
        joinedload(Claim.claimant).options(lazyload(User.role_rows)),
        lines,
        approvals,
    ]
    if page:
        options += [
            lines.joinedload(ClaimLine.category),
            lines.selectinload(ClaimLine.receipts),
            approvals.joinedload(ClaimApproval.approver).options(lazyload(User.role_rows)),
        ]
    claim = db.session.get(Claim, claim_id, options=options)
    if claim is None or not queue.may_see(_approver(), claim):
        abort(404)
    return claim


# --- The queue ------------------------------------------------------------------------------


@bp.route("/claims", endpoint="queue")
@require_role(*STAFF_ROLES)
def claims_queue() -> ResponseReturnValue:
    viewer = _approver()
    finance = viewer.has_role("finance")
    form = forms.QueueFilterForm(formdata=request.args, roles=queue.role_choices(viewer))
    if not request.args.get("status"):
        form.status.data = "submitted"
    pagination = rows = None
    if form.validate():
        page = request.args.get("page", 1, type=int) or 1
        pagination, rows = queue.queue_page(viewer, form.filters(), page)
    # Each row links to its claim: the address is built once, the id appended per row.
    claim_url = url_for("expenses_finance.claim", claim_id=0).removesuffix("0")
    return render_template(
        "expenses/finance/queue.html",
        form=form,
        pagination=pagination,
        rows=rows,
        finance=finance,
        status_filters=queue.STATUS_FILTERS,
        claim_url=claim_url,
    )


# --- Deciding a claim -----------------------------------------------------------------------


def _claim_page(
    claim: Claim, sent: str | None = None, form: FlaskForm | None = None
) -> ResponseReturnValue:
    viewer = _by()
    blank = forms.decision_forms(claim)
    if sent is not None and form is not None:
        blank[sent] = form
    problems = {
        decision: services.decision_problem(claim, viewer, decision)
        for decision in ("approve", "reject", "query")
    }
    first = services.first_approval(claim)
    return render_template(
        "expenses/finance/claim.html",
        claim=claim,
        forms=blank,
        form=form,
        problems=problems,
        first=first,
        awaiting_second=services.awaiting_second(claim),
        needs_two=claim.status == "submitted" and services.needs_two_approvals(claim),
        may_cancel=services.finance_may_cancel(viewer, claim),
    )


@bp.route("/claims/<int:claim_id>")
@require_role(*STAFF_ROLES)
def claim(claim_id: int) -> ResponseReturnValue:
    return _claim_page(_claim(claim_id, page=True))


def _load_as_seen(claim: Claim, seen_text: str | None) -> bool:
    """Make the claim the version the approver saw, so that the services' guard refuses the
    decision if anyone changed the claim since. False if the form carried no version."""
    seen = forms.parse_seen(seen_text)
    if seen is None:
        return False
    set_committed_value(claim, "updated_at", seen)
    return True


CHANGED = {"claim": "This claim has changed since you opened it. Reload it to see what changed"}


@bp.route("/claims/<int:claim_id>", methods=["POST"])
@require_role(*STAFF_ROLES)
def decide(claim_id: int) -> ResponseReturnValue:
    claim = _claim(claim_id)
    by = _by()
    sent: str
    form: FlaskForm
    if "approve" in request.form:
        sent, form = "approve", forms.approve_form(claim)
    elif "reject" in request.form:
        sent, form = "reject", forms.RejectForm()
    elif "query" in request.form:
        sent, form = "query", forms.QueryForm()
    elif "cancel" in request.form:
        sent, form = "cancel", forms.CancelClaimForm()
    else:
        abort(400)
    if form.validate_on_submit():
        try:
            if not _load_as_seen(claim, form.seen.data):  # type: ignore[attr-defined]
                raise DomainError(CHANGED)
            if sent == "approve":
                services.approve_claim(
                    claim,
                    by,
                    form.amounts(),  # type: ignore[attr-defined]
                    form.note.data or "",  # type: ignore[attr-defined]
                )
            elif sent == "reject":
                services.reject_claim(claim, by, form.reason.data or "")  # type: ignore[attr-defined]
            elif sent == "cancel":
                if not by.has_role("finance") or by.id == claim.claimant_id:
                    # Here finance cancel for the claimant; a claimant cancels from their pages.
                    raise DomainError(
                        {"approver": "Only the finance team can cancel a claim from this page"}
                    )
                services.cancel_claim(claim, by, form.reason.data or "")  # type: ignore[attr-defined]
            else:
                services.query_claim(claim, by, form.question.data or "")  # type: ignore[attr-defined]
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc.errors)
            claim = _claim(claim_id, page=True)
        else:
            flash(_done(claim, sent), "success")
            if sent == "cancel":
                return redirect(url_for("expenses_finance.claim", claim_id=claim.id))
            return redirect(url_for("expenses_finance.queue"))
    return _claim_page(claim, sent, form)


def _done(claim: Claim, sent: str) -> str:
    ref = claim.reference
    if sent == "query":
        return f"Your question about {ref} has been sent to the claimant."
    if sent == "reject":
        return f"{ref} is not approved. The claimant has been told why."
    if sent == "cancel":
        return f"{ref} is cancelled. It will not be paid, and the claimant has been told why."
    if claim.status == "submitted":
        return f"You gave the first approval on {ref}. It now needs a second approval by finance."
    claimed = format_pounds(claim.total_claimed_pence, always_pence=True)
    approved = format_pounds(claim.total_approved_pence or 0, always_pence=True)
    return f"{ref} is {claim.status_text.lower()}: {approved} of {claimed}."


@bp.route("/claims/<int:claim_id>/receipts/<int:receipt_id>")
@require_role(*STAFF_ROLES)
def receipt(claim_id: int, receipt_id: int) -> ResponseReturnValue:
    """A receipt, to those who may see the claim, as a download with its checked type."""
    claim = _claim(claim_id)
    record = db.session.get(ClaimReceipt, receipt_id)
    if record is None or record.line.claim_id != claim.id:
        abort(404)
    name = services.receipt_download_name(claim, record)
    return send_private_file(record.storage_key, record.content_type, name)


# --- Categories -----------------------------------------------------------------------------


@bp.route("/expense-categories")
@require_role("finance")
def categories() -> ResponseReturnValue:
    found = db.session.scalars(select(ExpenseCategory).order_by(ExpenseCategory.name)).all()
    return render_template("expenses/finance/categories.html", categories=found)


@bp.route("/expense-categories/new", methods=["GET", "POST"])
@require_role("finance")
def new_category() -> ResponseReturnValue:
    form = forms.NewCategoryForm()
    if form.validate_on_submit():
        try:
            category = policy_services.create_category(form.code.data or "", form.to_input(), _by())
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(f"{category.name} added.", "success")
            return redirect(url_for("expenses_finance.categories"))
    return render_template("expenses/finance/category_form.html", form=form, category=None)


@bp.route("/expense-categories/<int:category_id>/edit", methods=["GET", "POST"])
@require_role("finance")
def edit_category(category_id: int) -> ResponseReturnValue:
    category = db.session.get(ExpenseCategory, category_id)
    if category is None:
        abort(404)
    form = forms.CategoryForm() if request.method == "POST" else None
    form = form or forms.CategoryForm.for_category(category)
    if form.validate_on_submit():
        try:
            policy_services.update_category(category, form.to_input(), _by())
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(f"{category.name} saved.", "success")
            return redirect(url_for("expenses_finance.categories"))
    return render_template("expenses/finance/category_form.html", form=form, category=category)


# --- Policy ---------------------------------------------------------------------------------


def _policy_categories(policy: ExpensePolicy | None) -> list[ExpenseCategory]:
    """Categories claimants can choose, and any others the policy already sets limits for."""
    capped = {cap.category_id for cap in policy.caps} if policy is not None else set()
    found = db.session.scalars(select(ExpenseCategory).order_by(ExpenseCategory.name)).all()
    return [c for c in found if c.active or c.id in capped]


@bp.route("/expense-policy")
@require_role("finance")
def policies() -> ResponseReturnValue:
    found = db.session.scalars(
        select(ExpensePolicy).order_by(ExpensePolicy.effective_from.desc())
    ).all()
    today = services.london_today()
    return render_template(
        "expenses/finance/policies.html",
        policies=found,
        current=policy_services.in_force(today),
        today=today,
    )


@bp.route("/expense-policy/<int:policy_id>")
@require_role("finance")
def policy(policy_id: int) -> ResponseReturnValue:
    found = db.session.get(ExpensePolicy, policy_id)
    if found is None:
        abort(404)
    today = services.london_today()
    categories = {c.id: c for c in db.session.scalars(select(ExpenseCategory))}
    return render_template(
        "expenses/finance/policy.html",
        policy=found,
        categories=categories,
        current=policy_services.in_force(today),
        editable=policy_services.is_editable(found, today),
    )


@bp.route("/expense-policy/new", methods=["GET", "POST"])
@require_role("finance")
def new_policy() -> ResponseReturnValue:
    today = services.london_today()
    current = policy_services.in_force(today)
    form = forms.policy_form(_policy_categories(current), current, today + dt.timedelta(days=1))
    if form.validate_on_submit():
        try:
            created = policy_services.create_policy(form.to_input(), _by())
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(
                f"New policy saved. It applies from {format_date(created.effective_from)}.",
                "success",
            )
            return redirect(url_for("expenses_finance.policy", policy_id=created.id))
    return render_template("expenses/finance/policy_form.html", form=form, policy=None)


@bp.route("/expense-policy/<int:policy_id>/edit", methods=["GET", "POST"])
@require_role("finance")
def edit_policy(policy_id: int) -> ResponseReturnValue:
    found = db.session.get(ExpensePolicy, policy_id)
    if found is None:
        abort(404)
    if request.method == "GET" and not policy_services.is_editable(found):
        flash(
            "This policy is in force or was in force, so it cannot be changed. "
            "Add a new policy from today or a later date instead.",
            "error",
        )
        return redirect(url_for("expenses_finance.policy", policy_id=found.id))
    form = forms.policy_form(_policy_categories(found), found, found.effective_from)
    if form.validate_on_submit():
        try:
            policy_services.update_policy(found, form.to_input(), _by())
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc.errors)
        else:
            flash("Policy saved.", "success")
            return redirect(url_for("expenses_finance.policy", policy_id=found.id))
    return render_template("expenses/finance/policy_form.html", form=form, policy=found)


# --- Roles' expense settings ----------------------------------------------------------------

ROLES_PAGE_SIZE = 50


@bp.route("/roles")
@require_role("finance")
def roles() -> ResponseReturnValue:
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), queue.MAX_PAGE)
    pagination = db.paginate(
        select(Role)
        .options(selectinload(Role.budget_holder))
        .order_by(Role.created_at.desc(), Role.id.desc()),
        page=page,
        per_page=ROLES_PAGE_SIZE,
        error_out=False,
    )
    return render_template("expenses/finance/roles.html", pagination=pagination)


@bp.route("/roles/<int:role_id>/expenses", methods=["GET", "POST"])
@require_role("finance")
def role_expenses(role_id: int) -> ResponseReturnValue:
    role = db.session.get(Role, role_id)
    if role is None:
        abort(404)
    holders = policy_services.budget_holder_choices()
    if request.method == "POST":
        form = forms.RoleExpenseForm(holders=holders, current=role.budget_holder)
    else:
        form = forms.RoleExpenseForm.for_role(role, holders)
    if form.validate_on_submit():
        try:
            policy_services.set_role_expense_settings(
                role, form.cost_code.data or "", form.holder_id(), _by()
            )
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(f"Expense settings for {role.title} saved.", "success")
            return redirect(url_for("expenses_finance.roles"))
    return render_template("expenses/finance/role_expenses.html", form=form, role=role)
