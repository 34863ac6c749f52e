"""Jobs carry the id of the request that queued them; /health sees a reachable Redis."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lep.accounts.models import User
from tests.conftest import csrf_from
from tests.jobs.conftest import RQ

pytestmark = pytest.mark.redis


def test_a_reachable_redis_is_ok(app: Flask, client: FlaskClient, rq: RQ) -> None:
    response = client.get("/health")
    status, body = response.status_code, response.get_json()
    assert (status, body["status"], body["checks"]["redis"]) == (200, "ok", {"ok": True})


def test_a_job_carries_the_id_of_the_request_that_queued_it(
    app: Flask,
    client: FlaskClient,
    rq: RQ,
    make_user: Callable[..., User],
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = make_user("applicant")
    email = user.email
    page = client.get("/forgot-password")
    client.post(
        "/forgot-password",
        data={"email": email, "csrf_token": csrf_from(page.get_data(as_text=True))},
        headers={"X-Request-Id": "req-reset-42"},
    )
    [job] = rq.queue.get_jobs()
    assert job.kwargs == {"request_id": "req-reset-42"}

    outbox = logging.getLogger("lep.outbox")
    with caplog.at_level(logging.INFO, logger="lep.outbox"):
        outbox.disabled = False
        rq.work()

    [record] = [r for r in caplog.records if r.name == "lep.outbox"]
    assert email in record.getMessage()
    assert getattr(record, "request_id", None) == "req-reset-42"
