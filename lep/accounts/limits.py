"""Sign-in limits: failed attempts are counted per account and per address, apart, and only
failures count, so a whole organisation signing in through one proxy is never locked out by
its own successful sign-ins. The counting is Flask-Limiter's (Redis when REDIS_URL is set)."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from lep.extensions import limiter

FAILED = "lep_sign_in_failed"


def per_account() -> str:
    return current_app.config["LOGIN_FAILURES_PER_ACCOUNT"]


def per_address() -> str:
    return current_app.config["LOGIN_FAILURES_PER_ADDRESS"]


def account_key() -> str:
    """The email typed, normalised and keyed with SECRET_KEY (the limiter's keys, in Redis, never
    hold an email address). Unknown emails are counted the same way: the answer must not tell
    them apart."""
    email = (request.form.get("email") or "").strip().lower()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return "account:" + hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()[:32]


def address_key() -> str:
    """The client's address: behind proxies, the one TRUSTED_PROXY_COUNT lets ProxyFix read."""
    return "address:" + (get_remote_address() or "unknown")


def record_failure() -> None:
    """This request was a failed sign-in: count it against the account and the address."""
    g.setdefault(FAILED, True)


def failed(response: Response) -> bool:
    return bool(g.get(FAILED))


def sign_in_limits(view):  # type: ignore[no-untyped-def]
    """Both limits on a view; each refuses (429) once its count of failures is used up."""
    view = limiter.limit(per_account, key_func=account_key, deduct_when=failed, methods=["POST"])(
        view
    )
    return limiter.limit(per_address, key_func=address_key, deduct_when=failed, methods=["POST"])(
        view
    )


def _wait(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))  # the window ends a second or so past its length
    if minutes < 60:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = math.ceil(minutes / 60)
    return "1 hour" if hours == 1 else f"{hours} hours"


def too_many(exc: RateLimitExceeded) -> ResponseReturnValue:
    """The 429 page, saying how long the wait really is and what is paused."""
    from lep.errors import handle_http
    from lep.security import is_api_request

    current = limiter.current_limit
    if is_api_request() or current is None:
        return handle_http(exc)
    wait = _wait(current.reset_at - time.time())
    if getattr(exc.limit, "key_func", None) is account_key:
        paused = "account"
    elif getattr(exc.limit, "scope", None) == "second-factor":  # two_factor_views
        paused = "code"
    else:
        paused = "connection"
    return render_template("errors/429.html", status=429, wait=wait, paused=paused), 429


@contextmanager
def answer_no_sooner_than_floor() -> Iterator[None]:
    """Register and forgot-password answer no sooner than ACCOUNT_ANSWER_MIN_SECONDS, so how
    long the answer takes does not tell whether the address has an account (the work either
    way is made alike too: a hash each way, one email each way on register)."""
    floor = float(current_app.config.get("ACCOUNT_ANSWER_MIN_SECONDS") or 0)
    started = time.monotonic()
    try:
        yield
    finally:
        left = floor - (time.monotonic() - started)
        if left > 0:
            time.sleep(left)


def trust_proxies(app: Flask) -> None:
    """Read the client's address from X-Forwarded-For only when TRUSTED_PROXY_COUNT says how
    many proxies in front of us add to it; otherwise anyone could pick their own address."""
    count = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count)  # type: ignore[method-assign]


def warn_if_per_worker(app: Flask) -> None:
    """In production without Redis, each worker counts on its own: say so at start-up."""
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if app.config.get("ENV_NAME") == "production" and storage.startswith("memory"):
        app.logger.warning(
            "REDIS_URL is not set: sign-in limits are counted in each worker's memory, so with "
            "N workers someone gets N times the attempts. Set REDIS_URL to share them."
        )
