"""Request-wide protections: access checks, API token sign-in, security headers."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lep.access import PUBLIC, SIGNED_IN, access_for, allows_session_reads

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, message: str) -> ResponseReturnValue:
    return jsonify({"code": status, "status": _phrase(status), "message": message}), status


def _phrase(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def check_access() -> ResponseReturnValue | None:
    endpoint = request.endpoint
    if endpoint is None:  # no rule matched: let routing answer 404 or 405
        return None
    declared = access_for(current_app, endpoint)
    if declared is None:
        # Deny by default: a view that declares nobody serves nobody.
        current_app.logger.error("view %s declares no access; refusing", endpoint)
        abort(403)
    if declared == PUBLIC:
        return None
    if is_api_request():
        from lep.accounts.tokens import user_for_api_token

        header = request.headers.get("Authorization", "")
        session_read = (
            not header
            and request.method in ("GET", "HEAD")
            and allows_session_reads(current_app, endpoint)
            and current_user.is_authenticated
        )
        if not session_read:
            user = user_for_api_token(header)
            if user is None:
                return api_error(
                    401, "Send a valid personal API token: Authorization: Bearer <token>"
                )
            # Flask-Login reads the current user from g; the session cookie is not used.
            g._login_user = user
    if not current_user.is_authenticated:
        if is_api_request():
            return api_error(401, "Authentication required")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if declared == SIGNED_IN:
        return None
    assert isinstance(declared, frozenset)
    if not current_user.has_role(*declared):
        if is_api_request():
            return api_error(403, "Your account does not have permission for this")
        abort(403)
    return None


def set_headers(response):  # type: ignore[no-untyped-def]
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if current_user and getattr(current_user, "is_authenticated", False):
        # Pages for a signed-in person are theirs alone: never cached by a shared proxy.
        headers.setdefault("Cache-Control", "no-store")
    return response


def register(app: Flask) -> None:
    from lep.accounts.two_factor_views import check_session

    app.before_request(check_access)
    app.before_request(check_session)  # after the access check: a second step owed comes next
    app.after_request(set_headers)
