"""The second step of signing in, setting up an authenticator app, and recovery codes."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lep.access import PUBLIC, access_for, signed_in
from lep.accounts import forms, two_factor
from lep.accounts.two_factor import TwoFactorError
from lep.extensions import limiter
from lep.security import api_error, is_api_request

bp = Blueprint("two_factor", __name__)

# What a session still at the second step may reach (two_factor.check_session).
SECOND_STEP_ENDPOINTS = {
    "static",
    "accounts.logout",
    "two_factor.verify",
    "two_factor.recovery",
    "two_factor.enrol",
}


def _safe_next(target: str | None) -> str | None:
    from lep.accounts.views import _safe_next as safe

    return safe(target)


def _next() -> str:
    return _safe_next(request.args.get("next")) or url_for("main.dashboard")


def second_step_url(user, target: str | None) -> str | None:  # type: ignore[no-untyped-def]
    """Where this session goes after the password if it needs a second step; else None."""
    step = two_factor.next_step(user)
    if step is None:
        return None
    endpoint = "two_factor.verify" if step == "verify" else "two_factor.enrol"
    return url_for(endpoint, next=_safe_next(target))


def check_session() -> ResponseReturnValue | None:
    """Before every request: a session still owing its second step reaches only that step
    (and public pages, which show nothing of the account)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in SECOND_STEP_ENDPOINTS:
        return None
    if access_for(current_app, endpoint) == PUBLIC:
        return None  # public pages show nothing of the account: its links still work
    if is_api_request() and request.headers.get("Authorization"):
        return None  # a personal API token, checked by security.check_access
    if not current_user.is_authenticated:
        return None
    step = two_factor.next_step(current_user)
    if step is None:
        return None
    if is_api_request():
        return api_error(401, "Finish signing in with the code from your authenticator app")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    step_endpoint = "two_factor.verify" if step == "verify" else "two_factor.enrol"
    return redirect(url_for(step_endpoint, next=_safe_next(target)))


def _second_step_limit() -> str:
    return current_app.config["SECOND_FACTOR_RATE_LIMIT"]


def _per_account() -> str:
    # The account, not the session: signing out and in again must not start a new count.
    return f"second-factor:{current_user.id}"


# One count for the account across its three pages; a code that works does not count.
second_step_limit = limiter.shared_limit(
    _second_step_limit,
    scope="second-factor",
    key_func=_per_account,
    methods=["POST"],
    deduct_when=lambda response: response.status_code != 302,
)


@bp.route("/sign-in/security-code", methods=["GET", "POST"])
@signed_in
@second_step_limit
def verify() -> ResponseReturnValue:
    user = current_user._get_current_object()
    step = two_factor.next_step(user)
    if step == "enrol":
        return redirect(url_for("two_factor.enrol", next=_safe_next(request.args.get("next"))))
    if step is None:
        return redirect(_next())
    form = forms.SecurityCodeForm()
    if form.validate_on_submit():
        try:
            two_factor.verify(user, form.code.data or "")
        except TwoFactorError as exc:
            form.code.errors = [exc.message]
        else:
            two_factor.mark_passed(user)
            return redirect(_next())
    return render_template(
        "accounts/security_code.html", form=form, next=_safe_next(request.args.get("next"))
    )


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@signed_in
@second_step_limit
def recovery() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if two_factor.next_step(user) != "verify":
        return redirect(_next())
    form = forms.RecoveryCodeForm()
    if form.validate_on_submit():
        try:
            left = two_factor.use_recovery_code(user, form.code.data or "")
        except TwoFactorError as exc:
            form.code.errors = [exc.message]
        else:
            two_factor.mark_passed(user)
            if left <= 3:
                flash(
                    f"You have {left} recovery codes left. Make new ones from your account page.",
                    "info",
                )
            return redirect(_next())
    return render_template(
        "accounts/recovery_code.html", form=form, next=_safe_next(request.args.get("next"))
    )


@bp.route("/account/authenticator-app", methods=["GET", "POST"])
@signed_in
@second_step_limit
def enrol() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if two_factor.is_enrolled(user):
        if not two_factor.has_passed(user):
            return redirect(url_for("two_factor.verify", next=_safe_next(request.args.get("next"))))
        flash("Your authenticator app is already set up.", "info")
        return redirect(url_for("accounts.account"))
    cred = two_factor.start_enrolment(user)
    form = forms.SecurityCodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, form.code.data or "")
        except TwoFactorError as exc:
            form.code.errors = [exc.message]
        else:
            two_factor.mark_passed(user)
            # Shown once, now; 200 rather than a redirect so they are never kept anywhere.
            return render_template("accounts/recovery_codes.html", codes=codes, next=_next())
    uri = two_factor.provisioning_uri(user, cred)
    return render_template(
        "accounts/set_up_authenticator.html",
        form=form,
        qr=two_factor.qr_svg(uri),
        secret=two_factor.spaced(cred.secret),
        issuer=two_factor.issuer(),
        required=two_factor.is_required(user),
    )


@bp.route("/account/authenticator-app/recovery-codes", methods=["POST"])
@signed_in
def new_recovery_codes() -> ResponseReturnValue:
    form = forms.ConfirmForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            codes = two_factor.replace_recovery_codes(user)
        except TwoFactorError as exc:
            flash(exc.message, "error")
        else:
            return render_template(
                "accounts/recovery_codes.html", codes=codes, next=url_for("accounts.account")
            )
    return redirect(url_for("accounts.account"))
