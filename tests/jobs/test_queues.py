"""The job queue interface without Redis: inline jobs, choosing a queue, bad names."""

from __future__ import annotations

import pytest
from flask import Flask

from lep import jobs
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.notifications.services import send_email

CALLS: list[tuple[object, ...]] = []


def record(*args: object) -> None:
    """A job for these tests."""
    CALLS.append(args)


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


def test_the_test_app_runs_jobs_inline(app: Flask) -> None:
    assert app.config["JOB_QUEUE"] == "inline"
    assert isinstance(jobs.get_queue(), jobs.InlineQueue)


def test_inline_queue_runs_the_job_at_once(app: Flask) -> None:
    jobs.enqueue("tests.jobs.test_queues.record", 7, "seven")
    assert CALLS == [(7, "seven")]


def test_inline_email_is_sent_before_send_email_returns(app: Flask) -> None:
    message = send_email("a@example.org", "Subject", "confirm_email", link="http://x")
    row = db.session.get(OutboxMessage, message.id, populate_existing=True)
    assert row is not None and row.status == "sent"


def test_get_queue_is_made_once_per_app(app: Flask) -> None:
    assert jobs.get_queue() is jobs.get_queue()
    assert app.extensions["lep_job_queue"] is jobs.get_queue()


def test_an_unknown_job_queue_is_refused(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "JOB_QUEUE", "carrier-pigeon")
    app.extensions.pop("lep_job_queue", None)
    with pytest.raises(RuntimeError, match="unknown JOB_QUEUE 'carrier-pigeon'"):
        jobs.get_queue()


def test_rq_without_redis_url_is_refused_clearly(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "JOB_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    app.extensions.pop("lep_job_queue", None)
    with pytest.raises(RuntimeError, match="REDIS_URL is not set"):
        jobs.get_queue()


def test_a_job_that_does_not_exist_fails_in_the_caller_before_reaching_redis() -> None:
    # Nothing listens on this URL: the name is checked before Redis is asked anything.
    queue = jobs.RQQueue("redis://127.0.0.1:1/15", "lep-test-never-used")
    with pytest.raises(AttributeError):
        queue.enqueue("lep.notifications.services.no_such_job", 1)
    with pytest.raises(ModuleNotFoundError):
        queue.enqueue("lep.no_such_module.job", 1)
    with pytest.raises(ValueError, match="dotted path"):
        queue.enqueue("deliver", 1)


def test_run_in_app_runs_the_job_in_the_current_app(app: Flask) -> None:
    jobs.run_in_app("tests.jobs.test_queues.record", "x")
    assert CALLS == [("x",)]
