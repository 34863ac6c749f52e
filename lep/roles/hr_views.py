"""HR pages for roles: write, edit, criteria and questions, preview, publish, close; rate cards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select

from lep.access import require_role
from lep.applications.models import OtherWayRequest
from lep.db import utcnow
from lep.extensions import db
from lep.forms import show_errors
from lep.money import format_pounds
from lep.roles import forms, pay, paytables, readability, services
from lep.roles.models import (
    CRITERION_STAGES,
    ENGAGEMENT_TYPES,
    ROLE_STATUSES,
    SELECTION_METHODS,
    WORK_PATTERNS,
    RateCard,
    Role,
)
from lep.service import DomainError

bp = Blueprint("hr_roles", __name__, url_prefix="/hr")

PAGE_SIZE = 50
STATUS_COLOURS = {
    "draft": "nhsuk-tag--grey",
    "open": "nhsuk-tag--green",
    "closed": "nhsuk-tag--yellow",
    "filled": "nhsuk-tag--blue",
}


@bp.context_processor
def labels() -> dict[str, Any]:
    return {
        "statuses": ROLE_STATUSES,
        "status_colours": STATUS_COLOURS,
        "engagement_types": ENGAGEMENT_TYPES,
        "work_patterns": WORK_PATTERNS,
        "selection_methods": SELECTION_METHODS,
        "stages": CRITERION_STAGES,
        "pounds": format_pounds,
        "hourly": pay.hourly_pence,
        "pay_year": pay.pay_year_label,
        "format_hours": pay.format_hours,
    }


def _by() -> Any:
    return current_user._get_current_object()


def _get(model: type[Role] | type[RateCard], item_id: int) -> Any:
    item = db.session.get(model, item_id)
    if item is None:
        abort(404)
    return item


# --- Roles ----------------------------------------------------------------------------------


@bp.route("/roles")
@require_role("hr")
def list_roles() -> ResponseReturnValue:
    status = request.args.get("status") or ""
    if status not in ROLE_STATUSES:
        status = ""
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    stmt = select(Role).order_by(Role.id.desc())
    if status:
        stmt = stmt.where(Role.status == status)
    roles = db.paginate(stmt, page=page, per_page=PAGE_SIZE, error_out=False)
    open_tasks = db.session.scalar(
        select(func.count(OtherWayRequest.id)).where(OtherWayRequest.done_at.is_(None))
    )
    return render_template(
        "roles/hr/list.html", roles=roles, status=status, now=utcnow(), open_tasks=open_tasks or 0
    )


@bp.route("/roles/new", methods=["GET", "POST"])
@require_role("hr")
def new_role() -> ResponseReturnValue:
    form = forms.RoleForm(today=services.today_in_london())
    if form.validate_on_submit():
        try:
            role = services.create_role(form.to_input(), _by())
        except DomainError as exc:
            show_errors(form, exc.errors, forms.ROLE_ERROR_FIELDS)
        else:
            flash("Role saved as a draft.", "success")
            return redirect(url_for("hr_roles.role", role_id=role.id))
    return render_template("roles/hr/form.html", form=form, role=None)


@bp.route("/roles/<int:role_id>/edit", methods=["GET", "POST"])
@require_role("hr")
def edit_role(role_id: int) -> ResponseReturnValue:
    role: Role = _get(Role, role_id)
    today = services.today_in_london()
    form = forms.RoleForm(today=today) if request.method == "POST" else None
    form = form or forms.RoleForm.for_role(role, today)
    if form.validate_on_submit():
        try:
            services.update_role(role, form.to_input(existing=role), _by())
        except DomainError as exc:
            show_errors(form, exc.errors, forms.ROLE_ERROR_FIELDS)
        else:
            flash("Role saved.", "success")
            return redirect(url_for("hr_roles.role", role_id=role.id))
    return render_template("roles/hr/form.html", form=form, role=role)


def _role_page(
    role: Role,
    *,
    criterion_form: forms.CriterionForm | None = None,
    question_form: forms.QuestionForm | None = None,
    quota_form: forms.QuotaCategoryForm | None = None,
    action_errors: dict[str, str] | None = None,
) -> ResponseReturnValue:
    """The role's page for HR. A form that was just sent comes back with its errors."""
    today = services.today_in_london()
    checks = {
        "Summary": readability.check(role.summary),
        "Full description": readability.check(role.description),
    }
    problems = services.publishing_problems(role) if role.status in {"draft", "closed"} else {}
    sent = (criterion_form, question_form, quota_form)
    failed = next((f for f in sent if f is not None and f.errors), None)
    show_quotas = role.selection_method == "lottery" or bool(role.quota_categories)
    return render_template(
        "roles/hr/role.html",
        role=role,
        pay_statement=pay.pay_statement(role, today),
        checks=checks,
        problems=problems,
        criterion_form=criterion_form or forms.CriterionForm(formdata=None),
        question_form=question_form or forms.QuestionForm(formdata=None, role=role),
        quota_form=quota_form or forms.QuotaCategoryForm(formdata=None),
        show_quotas=show_quotas,
        quota_lock=services.quota_lock(role) if show_quotas else None,
        item_form=forms.ItemForm(formdata=None),
        action_form=forms.ActionForm(formdata=None),
        action_errors=action_errors or {},
        form=failed,
        readable_below=readability.HARD_TO_READ_BELOW,
        now=utcnow(),
    )


@bp.route("/roles/<int:role_id>")
@require_role("hr")
def role(role_id: int) -> ResponseReturnValue:
    return _role_page(_get(Role, role_id))


@bp.route("/roles/<int:role_id>/criteria", methods=["POST"])
@require_role("hr")
def add_criterion(role_id: int) -> ResponseReturnValue:
    role: Role = _get(Role, role_id)
    form = forms.CriterionForm()
    if form.validate_on_submit():
        try:
            services.add_criterion(
                role,
                form.text.data or "",
                form.essential.data == "yes",
                form.stage.data or "",
                _by(),
            )
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash("Criterion added.", "success")
            return redirect(url_for("hr_roles.role", role_id=role.id, _anchor="criteria"))
    return _role_page(role, criterion_form=form)


@bp.route("/roles/<int:role_id>/criteria/remove", methods=["POST"])
@require_role("hr")
def remove_criterion(role_id: int) -> ResponseReturnValue:
    role: Role = _get(Role, role_id)
    form = forms.ItemForm()
    if form.validate_on_submit():
        try:
            services.remove_criterion(role, form.item(), _by())
        except DomainError as exc:
            return _role_page(role, action_errors=exc.errors)
        flash("Criterion removed.", "success")
    return redirect(url_for("hr_roles.role", role_id=role.id, _anchor="criteria"))


@bp.route("/roles/<int:role_id>/questions", methods=["POST"])
@require_role("hr")
def add_question(role_id: int) -> ResponseReturnValue:
    role: Role = _get(Role, role_id)
    form = forms.QuestionForm(role=role)
    if form.validate_on_submit():
        try:
            services.add_question(
                role,
                form.text.data or "",
                form.hint.data or "",
                form.word_limit.data,
                form.criterion_ids(),
                _by(),
            )
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash("Question added.", "success")
            return redirect(url_for("hr_roles.role", role_id=role.id, _anchor="questions"))
    return _role_page(role, question_form=form)


@bp.route("/roles/<int:role_id>/questions/remove", methods=["POST"])
@require_role("hr")
def remove_question(role_id: int) -> ResponseReturnValue:
    role: Role = _get(Role, role_id)
    form = forms.ItemForm()
    if form.validate_on_submit():
        try:
            services.remove_question(role, form.item(), _by())
        except DomainError as exc:
            return _role_page(role, action_errors=exc.errors)
        flash("Question removed.", "success")
    return redirect(url_for("hr_roles.role", role_id=role.id, _anchor="questions"))


@bp.route("/roles/<int:role_id>/quotas", methods=["POST"])
@require_role("hr")
def add_quota(role_id: int) -> ResponseReturnValue:
    role: Role = _get(Role, role_id)
    form = forms.QuotaCategoryForm()
    if form.validate_on_submit():
        try:
            services.add_quota_category(
                role,
                form.name.data or "",
                form.question.data or "",
                form.why.data or "",
                form.options.data or "",
                _by(),
            )
        except DomainError as exc:
            if "quota" in exc.errors:  # the role's quotas cannot change: the form is not shown
                return _role_page(role, action_errors=exc.errors)
            show_errors(form, exc.errors)
        else:
            flash("Quota question added.", "success")
            return redirect(url_for("hr_roles.role", role_id=role.id, _anchor="quotas"))
    return _role_page(role, quota_form=form)


@bp.route("/roles/<int:role_id>/quotas/remove", methods=["POST"])
@require_role("hr")
def remove_quota(role_id: int) -> ResponseReturnValue:
    role: Role = _get(Role, role_id)
    form = forms.ItemForm()
    if form.validate_on_submit():
        try:
            services.remove_quota_category(role, form.item(), _by())
        except DomainError as exc:
            return _role_page(role, action_errors=exc.errors)
        flash("Quota question removed.", "success")
    return redirect(url_for("hr_roles.role", role_id=role.id, _anchor="quotas"))


def _change_status(
    role_id: int, change: Callable[[Role, Any], Role], done: str
) -> ResponseReturnValue:
    role: Role = _get(Role, role_id)
    form = forms.ActionForm()
    if form.validate_on_submit():
        try:
            change(role, _by())
        except DomainError as exc:
            return _role_page(role, action_errors=exc.errors)
        flash(done, "success")
    return redirect(url_for("hr_roles.role", role_id=role.id))


@bp.route("/roles/<int:role_id>/publish", methods=["POST"])
@require_role("hr")
def publish(role_id: int) -> ResponseReturnValue:
    return _change_status(role_id, services.publish_role, "Role published: it is open.")


@bp.route("/roles/<int:role_id>/close", methods=["POST"])
@require_role("hr")
def close(role_id: int) -> ResponseReturnValue:
    return _change_status(role_id, services.close_role, "Role closed to new applications.")


@bp.route("/roles/<int:role_id>/filled", methods=["POST"])
@require_role("hr")
def filled(role_id: int) -> ResponseReturnValue:
    return _change_status(role_id, services.mark_filled, "Role marked as filled.")


@bp.route("/roles/<int:role_id>/preview")
@require_role("hr")
def preview(role_id: int) -> ResponseReturnValue:
    role: Role = _get(Role, role_id)
    return render_template(
        "roles/hr/preview.html",
        role=role,
        pay_statement=pay.pay_statement(role, services.today_in_london()),
        hours=pay.format_hours(role.minutes_per_week) if role.minutes_per_week else None,
    )


# --- Rate cards and pay tables --------------------------------------------------------------


@bp.route("/rate-cards")
@require_role("hr", "finance")
def rate_cards() -> ResponseReturnValue:
    cards = db.session.scalars(select(RateCard).order_by(RateCard.name)).all()
    today = services.today_in_london()
    in_force = {card.id: pay.rate_in_force(card, today) for card in cards}
    return render_template("roles/hr/rate_cards.html", cards=cards, in_force=in_force, today=today)


@bp.route("/rate-cards/new", methods=["GET", "POST"])
@require_role("hr", "finance")
def new_rate_card() -> ResponseReturnValue:
    form = forms.RateCardForm()
    if form.validate_on_submit():
        try:
            card = paytables.create_rate_card(form.name.data or "", form.description.data or "")
        except paytables.RateCardError as exc:
            show_errors(form, {exc.field or "": exc.message})
        else:
            flash("Rate card created. Now add its rates.", "success")
            return redirect(url_for("hr_roles.rate_card", card_id=card.id))
    return render_template("roles/hr/rate_card_new.html", form=form)


@bp.route("/rate-cards/<int:card_id>", methods=["GET", "POST"])
@require_role("hr", "finance")
def rate_card(card_id: int) -> ResponseReturnValue:
    card: RateCard = _get(RateCard, card_id)
    today = services.today_in_london()
    form = forms.RatesForm(data={"effective_from": today})
    if form.validate_on_submit():
        assert form.effective_from.data is not None
        try:
            paytables.add_rates(
                card,
                form.effective_from.data,
                **form.rates(),
                half_day_max_hours=form.half_day_max_hours.data or 0,
            )
        except paytables.RateCardError as exc:
            show_errors(form, {exc.field or "": exc.message})
        else:
            flash("Rates added.", "success")
            return redirect(url_for("hr_roles.rate_card", card_id=card.id))
    return render_template(
        "roles/hr/rate_card.html",
        card=card,
        form=form,
        in_force=pay.rate_in_force(card, today),
        today=today,
    )


@bp.route("/pay-tables")
@require_role("hr", "finance")
def pay_tables() -> ResponseReturnValue:
    today = services.today_in_london()
    return render_template(
        "roles/hr/pay_tables.html", bands=forms.bands_in_force(today), today=today
    )
