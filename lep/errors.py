"""Error pages in the site's style (JSON for API clients), never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, make_response, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
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


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
