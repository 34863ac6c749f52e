"""GET /health for load balancers, and the request id on responses and log lines (jobs:
tests/jobs/test_request_id.py)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from lep import logs
from lep.extensions import db
from tests.notifications.conftest import free_port


def health(client: FlaskClient) -> tuple[int, dict]:
    response = client.get("/health")
    assert response.is_json
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def test_health_is_ok_with_the_database_at_the_migrations_head(
    app: Flask, client: FlaskClient
) -> None:
    status, body = health(client)

    assert status == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["migrations"]["detail"] == "at head"
    assert body["checks"]["redis"] == {"ok": True, "detail": "not configured"}


def test_health_says_nothing_secret(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://:hunter2-pw@127.0.0.1:{free_port()}/15")
    response = client.get("/health")
    assert response.is_json and response.get_json()["checks"]["redis"]["detail"] == "unreachable"
    text = response.get_data(as_text=True)

    for secret in (
        app.config["SECRET_KEY"],
        app.config["BANK_DETAILS_KEY"],
        app.config["SQLALCHEMY_DATABASE_URI"],
        "hunter2-pw",
        "127.0.0.1",
    ):
        assert secret not in text


def test_a_schema_behind_the_migrations_is_not_ready(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.extensions, "lep_migration_heads", {"0099_from_the_future"})

    status, body = health(client)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["detail"] == "not at head: run flask db upgrade"
    assert body["checks"]["migrations"]["head"] == ["0099_from_the_future"]


def test_an_unreachable_database_is_503(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gone(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "execute", gone)

    status, body = health(client)

    assert status == 503
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable"}


def test_redis_unreachable_is_reported_and_fails_only_when_required(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/15")

    status, body = health(client)
    assert status == 200  # the app still works without Redis (limits in memory, email inline)
    assert body["status"] == "degraded"
    assert body["checks"]["redis"] == {"ok": False, "detail": "unreachable"}

    monkeypatch.setitem(app.config, "HEALTH_REQUIRES_REDIS", True)
    status, body = health(client)
    assert status == 503
    assert body["status"] == "unavailable"


# -- The request id ------------------------------------------------------------------------------


def test_every_response_carries_a_request_id(client: FlaskClient) -> None:
    first = client.get("/").headers["X-Request-Id"]
    second = client.get("/no-such-page").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


def test_a_request_id_from_the_proxy_is_kept_and_a_bad_one_replaced(client: FlaskClient) -> None:
    given = client.get("/", headers={"X-Request-Id": "lb-7f3a9c01-42"})
    assert given.headers["X-Request-Id"] == "lb-7f3a9c01-42"

    for bad in ("x" * 200, "a b", "evil\u2028line", "<script>"):
        replaced = client.get("/", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{32}", replaced), bad


def test_log_lines_carry_the_request_id_as_json(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LOG_REQUESTS", True)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.make_formatter("json"))
    logger = logging.getLogger("lep.requests")
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "disabled", False)  # Alembic's fileConfig switches loggers off
    level = logger.level
    logger.setLevel(logging.INFO)  # and sets the root's level to WARNING
    try:
        client.get("/accessibility", headers={"X-Request-Id": "req-json-1"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)

    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["request_id"] == "req-json-1"
    assert line["message"] == "GET /accessibility 200"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/accessibility", 200)
    assert line["level"] == "INFO" and line["logger"] == "lep.requests"
    assert isinstance(line["ms"], float)
