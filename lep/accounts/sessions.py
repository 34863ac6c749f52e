"""How long a signed-in session lasts: an idle limit (shorter for staff) and an absolute limit
from sign-in. Sign-out ends the session on the server (services.sign_out moves the account's
session version on), so a copy of the cookie is worth nothing afterwards."""

from __future__ import annotations

import datetime as dt

from flask import current_app, flash, session
from flask_login import current_user, login_user, logout_user

from lep.db import utcnow

# When this session's person last typed their password: sensitive changes (bank details) ask
# for a recent one. Kept per session, so another session's sign-in does not count.
SIGNED_IN_AT = "signed_in_at"
# When this session was signed in: the absolute lifetime counts from it.
STARTED_AT = "session_started_at"
# When this session last made a request (written at most once a minute): the idle lifetime.
LAST_SEEN_AT = "last_seen_at"
SEEN_EVERY = dt.timedelta(minutes=1)


def start(user: object) -> None:
    login_user(user)
    now = utcnow().isoformat()
    session[SIGNED_IN_AT] = now
    session[STARTED_AT] = now
    session[LAST_SEEN_AT] = now


def session_time(key: str) -> dt.datetime | None:
    """An aware time this session recorded under key (ISO text); None if absent or not one."""
    recorded = session.get(key)
    if not isinstance(recorded, str):
        return None
    try:
        when = dt.datetime.fromisoformat(recorded)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def idle_limit(user: object) -> dt.timedelta:
    config = current_app.config
    minutes = (
        config["SESSION_IDLE_MINUTES_STAFF"]
        if getattr(user, "is_staff", False)
        else config["SESSION_IDLE_MINUTES_PUBLIC"]
    )
    return dt.timedelta(minutes=minutes)


def _minutes(limit: dt.timedelta) -> str:
    minutes = int(limit.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def check_lifetime() -> None:
    """Before every request: end a session idle too long or signed in too long ago."""
    if "_user_id" not in session:
        return
    if not current_user.is_authenticated:  # signed out elsewhere, or the account was closed
        return
    now = utcnow()
    started, seen = session_time(STARTED_AT), session_time(LAST_SEEN_AT)
    if started is None or seen is None:
        # A session signed in before these limits existed: they count from now.
        session[STARTED_AT] = session[LAST_SEEN_AT] = now.isoformat()
        return
    absolute = dt.timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    idle = idle_limit(current_user)
    reason = ""
    if now - started > absolute:
        reason = f"you signed in more than {_minutes(absolute)} ago"
    elif now - seen > idle:
        reason = f"you had not used the service for {_minutes(idle)}"
    if reason:
        logout_user()
        session.clear()
        flash(f"You were signed out because {reason}. Sign in again to continue.", "info")
        return
    if now - seen >= SEEN_EVERY:
        session[LAST_SEEN_AT] = now.isoformat()
