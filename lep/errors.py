"""Error pages in the site's style (JSON for API clients), never a stack trace."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from lep.security import api_error, is_api_request

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 413, 429, 500}


def _page(status: int, description: str | None = None) -> ResponseReturnValue:
    if is_api_request():
        return api_error(status, description or "")
    template = f"errors/{status}.html" if status in PAGES else "errors/generic.html"
    return render_template(template, status=status, description=description), status


def handle_http(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    response = make_response(
        api_error(status, exc.description or "") if is_api_request() else _page(status)
    )
    # Keep what the error says about itself (Allow on a 405, Retry-After on a 429).
    for key, value in exc.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def handle_csrf(exc: CSRFError) -> ResponseReturnValue:
    return _page(400, "csrf")


def handle_unexpected(exc: Exception) -> ResponseReturnValue:
    if isinstance(exc, HTTPException):
        return handle_http(exc)
    log.exception("unhandled error", exc_info=exc)
    if is_api_request():
        return api_error(500, "Something went wrong on our side. Try again later.")
    return render_template("errors/500.html", status=500), 500


def handle_database_error(exc: DBAPIError) -> ResponseReturnValue:
    """A database error: a lost connection says what to check; anything else is a 500."""
    from lep.dbfaults import SAFE_METHODS, connection_lost
    from lep.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the session is reset either way
        log.warning("rollback after a database error failed", exc_info=True)
    if not connection_lost(exc):
        return handle_unexpected(exc)
    write = request.method not in SAFE_METHODS
    log.warning(
        "database connection lost during %s %s%s",
        request.method,
        request.path,
        ": the change may or may not have been saved" if write else "",
        exc_info=exc,
    )
    if is_api_request():
        message = (
            "The connection to the database was lost while saving. The change may have been "
            "saved: read it back before sending it again."
            if write
            else "The database could not be reached. Try again in a moment."
        )
        return api_error(503, message)
    back = _same_site_referrer()
    try:
        html = render_template(
            "errors/interrupted.html" if write else "errors/database.html", status=503, back=back
        )
    except Exception:  # the page itself needs the database (the signed-in person): plain text
        log.warning("could not render the database error page", exc_info=True)
        html = (
            "<!doctype html><title>Sorry, there is a problem with the service</title>"
            "<h1>Sorry, there is a problem with the service</h1><p>"
            + (
                "We lost the connection to our database while saving your change. The change "
                "may have been saved: reload the page you were on to see it before you try again."
                if write
                else "We could not reach our database. Try again in a moment."
            )
            + "</p>"
        )
    return html, 503, {"Retry-After": "5"}


def _same_site_referrer() -> str | None:
    """The page the person came from, if it is on this site (never a link to elsewhere)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def register(app: Flask) -> None:
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
