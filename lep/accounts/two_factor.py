"""The second factor: an authenticator app (TOTP, pyotp) and one-time recovery codes.

Required for hr, finance and admin; anyone else may turn it on from their account page, and is
then asked for it too. After the password, a signed-in session is held at the second step until
this session's person has typed a code (`passed`), or set up their app: `check_session` runs
before every request and lets such a session reach only the second-step pages and sign-out.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

import pyotp
import segno
from flask import current_app, session
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from lep import audit
from lep.accounts.models import User
from lep.accounts.two_factor_models import RecoveryCode, TotpCredential
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.services import queue_email
from lep.service import commit

REQUIRED_ROLES = ("coordinator", "hr", "finance", "admin")
# In the session: [user id, "passed"] once this session's person gave a code (or set up their
# app here), [user id, "none"] when they had none to give and need none.
SESSION_KEY = "second_factor"
RECOVERY_CODE_COUNT = 10
VALID_WINDOW = 1  # a code from the step before or after is taken: phone clocks drift
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class TwoFactorError(Exception):
    def __init__(self, message: str, field: str | None = "code") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def is_required(user: User) -> bool:
    return user.has_role(*REQUIRED_ROLES)


def credential(user: User) -> TotpCredential | None:
    return db.session.get(TotpCredential, user.id)


def is_enrolled(user: User) -> bool:
    cred = credential(user)
    return cred is not None and cred.confirmed_at is not None


def recovery_codes_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


# -- This session -----------------------------------------------------------------------------


def mark_passed(user: User) -> None:
    session[SESSION_KEY] = [user.id, "passed"]


def has_passed(user: User) -> bool:
    return session.get(SESSION_KEY) == [user.id, "passed"]


def next_step(user: User) -> str | None:
    """What this session must do before anything else: "verify", "enrol" or None."""
    mark = session.get(SESSION_KEY)
    if mark == [user.id, "passed"]:
        return None
    if mark == [user.id, "none"] and not is_required(user):
        return None  # checked once this session; a role given since is caught above
    if is_enrolled(user):
        return "verify"
    if is_required(user):
        return "enrol"
    session[SESSION_KEY] = [user.id, "none"]
    return None


# -- Codes ------------------------------------------------------------------------------------


def _clean_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).lower()


def _claim_step(cred: TotpCredential, code: str) -> bool:
    """True if the code is right now and its step was not used before (guarded UPDATE)."""
    code = _clean_code(code)
    if len(code) != 6 or not code.isdigit():
        return False
    try:
        step = pyotp.TOTP(cred.secret).verify_and_get_timecode(
            code, for_time=utcnow(), valid_window=VALID_WINDOW
        )
    except pyotp.exceptions.OTPVerificationError:
        return False
    result = db.session.execute(
        update(TotpCredential)
        .where(
            TotpCredential.user_id == cred.user_id,
            or_(TotpCredential.last_used_step.is_(None), TotpCredential.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    db.session.expire(cred, ["last_used_step"])
    return True


def _hash(code: str) -> str:
    return hashlib.sha256(_clean_code(code).encode()).hexdigest()


def _make_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return codes


# -- Setting up -------------------------------------------------------------------------------


def start_enrolment(user: User) -> TotpCredential:
    """The secret being set up: the same one until it is confirmed, so a reload shows one QR."""
    cred = credential(user)
    if cred is not None and cred.confirmed_at is not None:
        raise TwoFactorError("Your authenticator app is already set up", field=None)
    if cred is None:
        cred = TotpCredential(user_id=user.id, secret=pyotp.random_base32())
        db.session.add(cred)
        commit()
    return cred


def issuer() -> str:
    return current_app.config["SERVICE_NAME"]


def provisioning_uri(user: User, cred: TotpCredential) -> str:
    return pyotp.TOTP(cred.secret).provisioning_uri(name=user.email, issuer_name=issuer())


def qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG, drawn here: no image is fetched from anywhere."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title="QR code for your authenticator app"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code" ', 1))  # noqa: S704


def spaced(secret: str) -> str:
    """The secret in groups of 4, easier to type from the page."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn the app on with a code from it; returns the recovery codes, shown once."""
    cred = credential(user)
    if cred is None or cred.confirmed_at is not None:
        raise TwoFactorError("Start again: open the set-up page and scan the new code", field=None)
    if not _claim_step(cred, code):
        raise TwoFactorError(
            "The code is not right. Enter the 6-digit code your app shows now for this account"
        )
    cred.confirmed_at = utcnow()
    codes = _make_recovery_codes(user)
    audit.record(
        "user.second_factor_enrolled",
        "user",
        user.id,
        after={"method": "authenticator app", "recovery_codes": len(codes)},
        actor=user,
    )
    commit()
    return codes


def replace_recovery_codes(user: User) -> list[str]:
    if not is_enrolled(user):
        raise TwoFactorError("Set up your authenticator app first", field=None)
    codes = _make_recovery_codes(user)
    audit.record(
        "user.recovery_codes_replaced", "user", user.id, after={"recovery_codes": len(codes)}
    )
    commit()
    return codes


# -- Signing in -------------------------------------------------------------------------------


def verify(user: User, code: str) -> None:
    """The second step with the app's code; raises TwoFactorError if it is wrong or used."""
    cred = credential(user)
    if cred is None or cred.confirmed_at is None or not _claim_step(cred, code):
        audit.record("user.second_factor_failed", "user", user.id, actor=user)
        commit()
        raise TwoFactorError(
            "The code is not right, or was used already. Enter the code your app shows now"
        )
    commit()


def use_recovery_code(user: User, code: str) -> int:
    """The second step with a recovery code, which then never works again; returns how many
    are left. A guarded UPDATE: two requests with the same code cannot both use it."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1 or not is_enrolled(user):  # type: ignore[attr-defined]
        db.session.rollback()
        audit.record("user.recovery_code_failed", "user", user.id, actor=user)
        commit()
        raise TwoFactorError("The recovery code is not right, or was used already")
    left = recovery_codes_left(user)
    audit.record("user.recovery_code_used", "user", user.id, after={"left": left}, actor=user)
    commit()
    return left


# -- Administrators ---------------------------------------------------------------------------


def reset(user: User, by: User) -> None:
    """An administrator removes someone's app and recovery codes (a lost phone): they are
    signed out everywhere and set up a new app at their next sign-in."""
    if user.id == by.id:
        raise TwoFactorError(
            "You cannot reset your own authenticator app. Ask another administrator", field=None
        )
    had = is_enrolled(user)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    user.session_version += 1
    audit.record(
        "user.second_factor_reset",
        "user",
        user.id,
        before={"enrolled": had},
        after={"enrolled": False},
        actor=by,
    )
    queue_email(
        user.email, "Your authenticator app was reset", "second_factor_reset", user=user, by=by
    )
    commit()


def enrol_with_secret(user: User, secret: str, codes: Iterable[str] = ()) -> None:
    """Set up an app with a known secret, already confirmed: for the demo accounts (whose
    secret is printed by `flask lep demo`) and the tests. The caller commits."""
    cred = credential(user)
    if cred is None:
        cred = TotpCredential(user_id=user.id, secret=secret)
        db.session.add(cred)
    cred.secret = secret
    cred.confirmed_at = cred.confirmed_at or utcnow()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
