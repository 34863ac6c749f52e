"""Administrators manage staff accounts: invite, roles, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import or_, select

from lep.access import require_role
from lep.accounts import forms, services, two_factor
from lep.accounts.models import User, UserRole
from lep.extensions import db

bp = Blueprint("staff", __name__, url_prefix="/admin/users")

PAGE_SIZE = 50


@bp.route("/")
@require_role("admin")
def list_users() -> ResponseReturnValue:
    q = (request.args.get("q") or "").strip()[:200]
    role = request.args.get("role") or ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stmt = select(User).order_by(User.full_name, User.id)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(User.email.like(like), User.full_name.ilike(like)))
    if role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    users = db.paginate(stmt, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/users.html", users=users, q=q, role=role)


@bp.route("/invite", methods=["GET", "POST"])
@require_role("admin")
def invite() -> ResponseReturnValue:
    form = forms.InviteForm()
    if form.validate_on_submit():
        try:
            user = services.invite_staff(
                form.full_name.data or "",
                form.email.data or "",
                set(form.roles.data or []),
                current_user._get_current_object(),
            )
        except services.AccountError as exc:
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("staff.user_detail", user_id=user.id))
    return render_template("admin/invite.html", form=form)


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@require_role("admin")
def user_detail(user_id: int) -> ResponseReturnValue:
    user = _get_user(user_id)
    form = forms.RolesForm(data={"roles": sorted(user.roles)})
    if form.validate_on_submit():
        try:
            services.change_roles(
                user, set(form.roles.data or []), current_user._get_current_object()
            )
        except services.AccountError as exc:
            form.roles.errors.append(exc.message)
        else:
            flash("Roles saved.", "success")
            return redirect(url_for("staff.user_detail", user_id=user.id))
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        confirm_form=forms.ConfirmForm(),
        app_set_up=two_factor.is_enrolled(user),
        app_required=two_factor.is_required(user),
    )


@bp.route("/<int:user_id>/active", methods=["POST"])
@require_role("admin")
def set_active(user_id: int) -> ResponseReturnValue:
    user = _get_user(user_id)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        make_active = request.form.get("active") == "1"
        try:
            services.set_active(user, make_active, current_user._get_current_object())
        except services.AccountError as exc:
            flash(exc.message, "error")
        else:
            flash("Account reactivated." if make_active else "Account deactivated.", "success")
    return redirect(url_for("staff.user_detail", user_id=user.id))


@bp.route("/<int:user_id>/resend-invite", methods=["POST"])
@require_role("admin")
def resend_invite(user_id: int) -> ResponseReturnValue:
    user = _get_user(user_id)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        try:
            services.resend_invite(user, current_user._get_current_object())
        except services.AccountError as exc:
            flash(exc.message, "error")
        else:
            flash(f"Invitation sent again to {user.email}.", "success")
    return redirect(url_for("staff.user_detail", user_id=user.id))


@bp.route("/<int:user_id>/reset-authenticator-app", methods=["POST"])
@require_role("admin")
def reset_second_factor(user_id: int) -> ResponseReturnValue:
    user = _get_user(user_id)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        try:
            two_factor.reset(user, current_user._get_current_object())
        except two_factor.TwoFactorError as exc:
            flash(exc.message, "error")
        else:
            flash(
                f"Authenticator app reset. {user.full_name} has been signed out and will set up "
                "a new app when they next sign in.",
                "success",
            )
    return redirect(url_for("staff.user_detail", user_id=user.id))
