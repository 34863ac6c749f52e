"""Logs with a request id: taken from X-Request-Id (a proxy or load balancer sets it) or made
here, returned on the response, put on every log line and carried into the jobs a request queues.

LOG_FORMAT=json writes one JSON object a line (python-json-logger) for a log collector; "text"
(the default) is for people reading a terminal. LOG_REQUESTS logs one line per request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request

HEADER = "X-Request-Id"
# What we accept from outside: short, and nothing that could forge a log line or a header.
ACCEPTED = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(name)s] [%(request_id)s] %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id"]

# Outside a request (a job on the worker): the id of the request that queued it.
_job_request_id: ContextVar[str | None] = ContextVar("lep_job_request_id", default=None)

log = logging.getLogger("lep.requests")


def current_request_id() -> str | None:
    if has_request_context():
        rid = g.get("request_id")
        if rid:
            return str(rid)
    return _job_request_id.get()


def _safe_request_id() -> str:
    try:
        return current_request_id() or "-"
    except RuntimeError:  # no app context to read g from
        return "-"


_factory_installed = False


def _install_record_factory() -> None:
    """Every log record, from any logger and for every handler (a test's capture too), gets
    `request_id` when it is made."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _safe_request_id()
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def make_formatter(kind: str) -> logging.Formatter:
    """ "json": one JSON object a line (time, level, logger, message, request_id and any extra
    fields); anything else: a line of text with the request id in brackets."""
    if kind == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}
        )
    return logging.Formatter(TEXT_FORMAT)


def run_with_request_id(request_id: str | None, fn: Any, *args: Any) -> Any:
    """Run a job with the id of the request that queued it on its log lines."""
    token = _job_request_id.set(request_id)
    try:
        return fn(*args)
    finally:
        _job_request_id.reset(token)


def configure(app: Flask) -> None:
    """Root logging: INFO, the request id on every line, text or JSON (LOG_FORMAT)."""
    _install_record_factory()
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    root.setLevel(logging.INFO)
    formatter = make_formatter(app.config.get("LOG_FORMAT", "text"))
    for handler in root.handlers:
        if type(handler) is logging.StreamHandler:  # ours, not a test's capture handler
            handler.setFormatter(formatter)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if ACCEPTED.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    rid = g.get("request_id")
    if rid:
        response.headers[HEADER] = rid
    if current_app.config.get("LOG_REQUESTS") and request.endpoint != "health.health":
        started = g.get("request_started")
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            },
        )
    return response
