"""Password hashing (argon2) and the Flask-Login user loader."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy.orm import joinedload

from lep.accounts.models import User
from lep.extensions import db, login_manager


def _hasher() -> PasswordHasher:
    """argon2id with the library's recommended cost; tests turn the cost down (ARGON2_FAST)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    hasher = app.extensions.get("lep_argon2")
    if hasher is None:
        if app.config.get("ARGON2_FAST"):
            hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        else:
            hasher = PasswordHasher()
        # Checked when the email is unknown: a wrong email costs what a wrong password does.
        app.extensions["lep_argon2_dummy"] = hasher.hash("not-a-real-password")
        app.extensions["lep_argon2"] = hasher
    return hasher


login_manager.login_view = "accounts.login"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"
login_manager.refresh_view = "accounts.login"
login_manager.needs_refresh_message = "Sign in again to continue."
login_manager.session_protection = "basic"


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """True if the password is right for this user; constant work when user is None."""
    hasher = _hasher()
    dummy = current_app.extensions["lep_argon2_dummy"]
    stored = user.password_hash if user is not None and user.password_hash else dummy
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None or not user.password_hash:
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    # The roles in the same query: every signed-in page asks what the person may do.
    user = db.session.get(User, int(user_id), options=[joinedload(User.role_rows)])
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user
