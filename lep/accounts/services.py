"""Account workflows. Each function owns its transaction and audits what it decides."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from lep import audit
from lep.access import ROLES
from lep.accounts.auth import hash_password, verify_password
from lep.accounts.models import ApiToken, User
from lep.accounts.passwords import password_problem
from lep.accounts.tokens import NewApiToken, generate_api_token, make_link_token, read_link_token
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.services import (
    could_deliver_now,
    delivery_failed,
    queue_email,
)
from lep.service import commit
from lep.urls import external_url


class AccountError(Exception):
    """A request about an account that cannot be done; the message is for the person."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def check_new_password(password: str, roles: set[str], full_name: str, email: str) -> None:
    """Refuse a new password that breaks the rules (lep.accounts.passwords); forms check first."""
    problem = password_problem(password, roles=roles, full_name=full_name, email=email)
    if problem:
        raise AccountError(problem, field="password")


def register_applicant(full_name: str, email: str, password: str) -> User | None:
    """Create an applicant and send the confirmation link.

    If the email already has an account, nothing is created and the owner is told by email
    instead: the page looks the same either way, so nobody can probe who has an account.
    """
    email = normalise_email(email)
    check_new_password(password, {"applicant"}, full_name, email)
    existing = find_user_by_email(email)
    if existing is not None:
        # The hash a new account costs, thrown away: the answer must not come sooner when the
        # address already has an account (the view also answers no sooner than a floor).
        hash_password(password)
        queue_email(
            email,
            "Someone tried to register with your email address",
            "already_registered",
            user=existing,
            login_url=external_url("accounts.login"),
            reset_url=external_url("accounts.forgot_password"),
        )
        commit()
        return None
    user = User(email=email, full_name=full_name.strip(), password_hash=hash_password(password))
    user.set_roles({"applicant"})
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.registered",
        "user",
        user.id,
        after={"email": email, "roles": ["applicant"]},
        actor=user,
    )
    _queue_confirmation(user)
    commit()
    return user


def _queue_confirmation(user: User):  # type: ignore[no-untyped-def]
    link = external_url("accounts.confirm_email", token=make_link_token(user, "confirm"))
    return queue_email(
        user.email, "Confirm your email address", "confirm_email", user=user, link=link
    )


def resend_confirmation(user: User) -> None:
    if user.email_confirmed_at is not None:
        return
    _queue_confirmation(user)
    commit()


def confirm_email(token: str) -> User:
    user = read_link_token(token, "confirm")
    user.email_confirmed_at = utcnow()
    audit.record("user.email_confirmed", "user", user.id, after={"email": user.email}, actor=user)
    commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if email and password match an active account; None otherwise (one answer)."""
    user = find_user_by_email(email)
    if not verify_password(user, password) or user is None or not user.active:
        if user is not None:
            # Someone tried a known account: worth seeing in the audit log, and nothing else.
            audit.record("user.sign_in_failed", "user", user.id, actor_label="anonymous")
            commit()
        return None
    user.last_login_at = utcnow()
    audit.record("user.signed_in", "user", user.id, actor=user)
    commit()
    return user


def sign_out(user: User) -> None:
    """End every session of this account on the server: each cookie carries the session
    version it was signed in with, and the user loader refuses any other."""
    user.session_version += 1
    audit.record("user.signed_out", "user", user.id, actor=user)
    commit()


def request_password_reset(email: str) -> bool:
    """Email a reset link if the account exists; say nothing either way.

    False when the email could not be sent now (the mail server is unreachable), so the person
    can be told to try again later. Without an account the answer is whether an email could
    have been sent, so the two cases still look the same.
    """
    user = find_user_by_email(email)
    if user is None or not user.active:
        return could_deliver_now()
    link = external_url("accounts.reset_password", token=make_link_token(user, "reset"))
    msg = queue_email(user.email, "Reset your password", "reset_password", user=user, link=link)
    audit.record("user.password_reset_requested", "user", user.id, actor=user)
    commit()
    return not delivery_failed(msg)


def _set_password(user: User, password: str, action: str) -> None:
    check_new_password(password, user.roles, user.full_name, user.email)
    user.password_hash = hash_password(password)
    user.session_version += 1  # every other session signs out
    if user.email_confirmed_at is None and action in {
        "user.invite_accepted",
        "user.password_reset",
    }:
        # They proved they read this inbox by following the link.
        user.email_confirmed_at = utcnow()
    audit.record(action, "user", user.id, actor=user)
    queue_email(user.email, "Your password has been changed", "password_changed", user=user)
    commit()


def reset_password(token: str, password: str) -> User:
    user = read_link_token(token, "reset")
    _set_password(user, password, "user.password_reset")
    return user


def accept_invite(token: str, password: str) -> User:
    user = read_link_token(token, "invite")
    _set_password(user, password, "user.invite_accepted")
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user, current):
        raise AccountError("Your current password is not right", field="current_password")
    _set_password(user, new, "user.password_changed")


def invite_staff(full_name: str, email: str, roles: set[str], invited_by: User) -> User:
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError("An account with this email address already exists", field="email")
    if not roles or not roles <= set(ROLES):
        raise AccountError("Select at least one role", field="roles")
    user = User(email=email, full_name=full_name.strip(), password_hash=None)
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.invited",
        "user",
        user.id,
        after={"email": email, "roles": sorted(roles)},
        actor=invited_by,
    )
    link = external_url("accounts.accept_invite", token=make_link_token(user, "invite"))
    queue_email(
        email,
        f"You have been invited to {current_app.config['SERVICE_NAME']}",
        "invite",
        user=user,
        link=link,
        invited_by=invited_by,
    )
    commit()
    return user


def resend_invite(user: User, by: User) -> None:
    if user.password_hash is not None:
        raise AccountError("This person has already set a password")
    link = external_url("accounts.accept_invite", token=make_link_token(user, "invite"))
    queue_email(
        user.email,
        f"You have been invited to {current_app.config['SERVICE_NAME']}",
        "invite",
        user=user,
        link=link,
        invited_by=by,
    )
    audit.record("user.invite_resent", "user", user.id, actor=by)
    commit()


def _active_admins() -> int:
    from lep.accounts.models import UserRole

    return (
        db.session.scalar(
            select(func.count())
            .select_from(User)
            .join(UserRole)
            .where(UserRole.role == "admin", User.active.is_(True))
        )
        or 0
    )


def change_roles(user: User, roles: set[str], by: User) -> None:
    if not roles:
        raise AccountError("Select at least one role", field="roles")
    before = sorted(user.roles)
    if "admin" in before and "admin" not in roles and _active_admins() <= 1:
        raise AccountError("There must be at least one administrator", field="roles")
    if user.id == by.id and "admin" not in roles:
        raise AccountError("You cannot remove your own administrator role", field="roles")
    user.set_roles(roles)
    audit.record(
        "user.roles_changed",
        "user",
        user.id,
        before={"roles": before},
        after={"roles": sorted(roles)},
        actor=by,
    )
    commit()


def set_active(user: User, active: bool, by: User) -> None:
    if user.id == by.id:
        raise AccountError("You cannot deactivate your own account")
    if not active and user.has_role("admin") and _active_admins() <= 1:
        raise AccountError("There must be at least one administrator")
    if user.active == active:
        return
    user.active = active
    user.session_version += 1
    for token in user_tokens(user):
        if not active and token.revoked_at is None:
            token.revoked_at = utcnow()
    audit.record(
        "user.reactivated" if active else "user.deactivated",
        "user",
        user.id,
        before={"active": not active},
        after={"active": active},
        actor=by,
    )
    commit()


def create_admin(full_name: str, email: str, password: str) -> User:
    """For `flask lep create-admin`: the first administrator, with a password, confirmed."""
    email = normalise_email(email)
    user = find_user_by_email(email)
    if user is not None:
        raise AccountError("An account with this email address already exists", field="email")
    check_new_password(password, {"admin"}, full_name, email)
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        email_confirmed_at=utcnow(),
    )
    user.set_roles({"admin"})
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.admin_created",
        "user",
        user.id,
        after={"email": email, "roles": ["admin"]},
        actor_label="cli",
    )
    commit()
    return user


def user_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
        )
    )


def create_api_token(user: User, name: str) -> NewApiToken:
    if not user.is_staff:
        raise AccountError("Only staff accounts can have API tokens")
    new = generate_api_token(user, name.strip())
    db.session.flush()
    audit.record(
        "api_token.created",
        "api_token",
        new.token.id,
        after={"name": new.token.name, "prefix": new.token.prefix},
    )
    commit()
    return new


def revoke_api_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise AccountError("That token was not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api_token.revoked", "api_token", token.id, after={"name": token.name})
        commit()
