"""Signed, expiring links for email (confirm, reset, invite) and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from lep.accounts.models import ApiToken, User
from lep.db import utcnow
from lep.extensions import db
from lep.service import commit

PURPOSES = {
    "confirm": "EMAIL_CONFIRM_MAX_AGE",
    "reset": "PASSWORD_RESET_MAX_AGE",
    "invite": "INVITE_MAX_AGE",
}


class LinkError(Exception):
    """A link that cannot be used. `reason` is one of: expired, invalid, used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"lep-{purpose}")


def _fingerprint(user: User, purpose: str) -> str:
    # A link is good once: what it fingerprints changes when it is used (the password is set,
    # the email confirmed), so a second use fails as "used".
    if purpose == "confirm":
        state = f"{user.email}|{user.email_confirmed_at is not None}"
    else:
        state = user.password_hash or "no-password"
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def make_link_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user, purpose)})


def read_link_token(token: str, purpose: str) -> User:
    max_age = current_app.config[PURPOSES[purpose]]
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkError("expired") from exc
    except BadSignature as exc:
        raise LinkError("invalid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise LinkError("invalid")
    user = db.session.get(User, data["u"])
    if user is None or not user.active:
        raise LinkError("invalid")
    if data.get("f") != _fingerprint(user, purpose):
        raise LinkError("used")
    return user


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str  # shown to the person once, never stored


TOKEN_PREFIX = "lep_"  # noqa: S105  (a label, not a secret)


def hash_api_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_api_token(user: User, name: str) -> NewApiToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=secret[:10], token_hash=hash_api_token(secret))
    db.session.add(token)
    return NewApiToken(token=token, secret=secret)


def _secret_from_header(header: str) -> str | None:
    """The token from "Bearer lep_...", or None for any other header."""
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(TOKEN_PREFIX) or " " in secret:
        return None
    return secret


def user_for_api_token(header: str) -> User | None:
    """The staff user an Authorization header signs in, or None; records when the token was used.

    check_access calls this before the view, when the request has done no database work yet: the
    session is not in a transaction, so this owns the one it starts and commits it (only
    last_used_at). Called anywhere else, with a transaction already under way, it must not commit
    someone else's half-done work: last_used_at then goes out with that transaction, or not at all.
    """
    secret = _secret_from_header(header)
    if secret is None:
        return None
    session = db.session()
    owns_transaction = not session.in_transaction()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_api_token(secret)))
    if token is None or token.revoked_at is not None:
        return None
    user = token.user
    if not user.active or not user.is_staff:
        return None
    token.last_used_at = utcnow()
    if owns_transaction:
        commit()
    return user
