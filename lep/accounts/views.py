"""Sign in and out, register, confirm email, reset password, accept an invite, my account."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from flask_login import current_user, logout_user

from lep.access import public, signed_in
from lep.accounts import forms, limits, services, sessions
from lep.accounts.sessions import SIGNED_IN_AT  # noqa: F401  (read by the bank details pages)
from lep.accounts.tokens import LinkError, read_link_token
from lep.extensions import limiter

bp = Blueprint("accounts", __name__)
bp.before_app_request(sessions.check_lifetime)
bp.app_errorhandler(RateLimitExceeded)(limits.too_many)


def _sign_in(user: object) -> None:
    sessions.start(user)


def _safe_next(target: str | None) -> str | None:
    """Only local paths: never send someone to another site after signing in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _home_for(user) -> str:  # type: ignore[no-untyped-def]
    return url_for("main.dashboard")


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limits.sign_in_limits
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            limits.record_failure()
            form.email.errors = [*form.email.errors, "Enter a correct email address and password"]
        else:
            session.clear()
            _sign_in(user)
            target = _safe_next(request.args.get("next")) or _home_for(user)
            from lep.accounts.two_factor_views import second_step_url

            return redirect(second_step_url(user, target) or target)
    return render_template(
        "accounts/login.html", form=form, next=_safe_next(request.args.get("next"))
    )


@bp.route("/sign-out", methods=["POST"])
@public
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        # On the server: a copy of this session's cookie no longer signs anyone in.
        services.sign_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You have signed out on this device and any other you were signed in on.", "success")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        try:
            with limits.answer_no_sooner_than_floor():
                services.register_applicant(
                    form.full_name.data or "", form.email.data or "", form.password.data or ""
                )
        except services.AccountError as exc:
            getattr(form, exc.field or "password").errors = [exc.message]
            return render_template(
                "accounts/register.html", form=form, next=_safe_next(request.args.get("next"))
            )
        return render_template(
            "accounts/check_email.html",
            email=form.email.data,
            purpose="register",
            next=_safe_next(request.args.get("next")),
        )
    return render_template(
        "accounts/register.html", form=form, next=_safe_next(request.args.get("next"))
    )


@bp.route("/confirm-email/<token>")
@public
def confirm_email(token: str) -> ResponseReturnValue:
    try:
        services.confirm_email(token)
    except LinkError as exc:
        return render_template(
            "accounts/link_problem.html", reason=exc.reason, purpose="confirm"
        ), 400
    flash("Your email address is confirmed.", "success")
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    return redirect(url_for("accounts.login"))


@bp.route("/confirm-email/send", methods=["POST"])
@signed_in
@limiter.limit("5 per hour", methods=["POST"])
def resend_confirmation() -> ResponseReturnValue:
    form = forms.ResendConfirmationForm()
    if form.validate_on_submit():
        services.resend_confirmation(current_user._get_current_object())
        flash(f"We have sent a new link to {current_user.email}.", "success")
    return redirect(url_for("main.dashboard"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
@limiter.limit(_login_rate_limit, methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        with limits.answer_no_sooner_than_floor():
            sent = services.request_password_reset(form.email.data or "")
        if sent:
            return render_template(
                "accounts/check_email.html", email=form.email.data, purpose="reset"
            )
        form.email.errors = [
            *form.email.errors,
            "We could not send the email just now. Try again in a few minutes",
        ]
    return render_template("accounts/forgot_password.html", form=form)


def _set_password_page(token: str, purpose: str) -> ResponseReturnValue:
    try:
        user = read_link_token(token, purpose)
    except LinkError as exc:
        return render_template(
            "accounts/link_problem.html", reason=exc.reason, purpose=purpose
        ), 400
    form = forms.ResetPasswordForm(account=user)
    if form.validate_on_submit():
        try:
            if purpose == "invite":
                user = services.accept_invite(token, form.password.data or "")
            else:
                user = services.reset_password(token, form.password.data or "")
        except LinkError as exc:
            return render_template(
                "accounts/link_problem.html", reason=exc.reason, purpose=purpose
            ), 400
        except services.AccountError as exc:
            form.password.errors = [exc.message]
            return render_template(
                "accounts/set_password.html", form=form, purpose=purpose, user=user
            )
        session.clear()
        _sign_in(user)
        flash("Your password has been saved.", "success")
        return redirect(_home_for(user))
    return render_template("accounts/set_password.html", form=form, purpose=purpose, user=user)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    return _set_password_page(token, "reset")


@bp.route("/accept-invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str) -> ResponseReturnValue:
    return _set_password_page(token, "invite")


@bp.route("/account")
@signed_in
def account() -> ResponseReturnValue:
    from lep.accounts import two_factor

    tokens = services.user_tokens(current_user) if current_user.is_staff else []
    return render_template(
        "accounts/account.html",
        tokens=tokens,
        token_form=forms.ApiTokenForm(),
        revoke_form=forms.ConfirmForm(),
        app_credential=two_factor.credential(current_user),
        recovery_codes_left=two_factor.recovery_codes_left(current_user),
    )


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password() -> ResponseReturnValue:
    form = forms.ChangePasswordForm(account=current_user._get_current_object())
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user._get_current_object(),
                form.current_password.data or "",
                form.password.data or "",
            )
        except services.AccountError as exc:
            getattr(form, exc.field or "current_password").errors = [exc.message]
        else:
            # The session version moved on: sign this session in again so it stays.
            _sign_in(current_user._get_current_object())
            flash("Your password has been changed.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/api-tokens", methods=["POST"])
@signed_in
def create_api_token() -> ResponseReturnValue:
    form = forms.ApiTokenForm()
    if not current_user.is_staff:
        return redirect(url_for("accounts.account"))
    if form.validate_on_submit():
        new = services.create_api_token(current_user._get_current_object(), form.name.data or "")
        return render_template("accounts/api_token_created.html", new=new)
    tokens = services.user_tokens(current_user)
    return render_template(
        "accounts/account.html", tokens=tokens, token_form=form, revoke_form=forms.ConfirmForm()
    ), 400


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke_api_token(token_id: int) -> ResponseReturnValue:
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        try:
            services.revoke_api_token(current_user._get_current_object(), token_id)
        except services.AccountError as exc:
            flash(exc.message, "error")
        else:
            flash("The token has been revoked. Anything using it can no longer sign in.", "success")
    return redirect(url_for("accounts.account"))
