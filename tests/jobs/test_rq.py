"""RQ for real: jobs go onto Redis, and an in-process SimpleWorker runs them in the app."""

from __future__ import annotations

import pytest
from flask import Flask

from lep import jobs
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.notifications.services import DELIVER_JOB, send_email
from tests.jobs.conftest import RQ

pytestmark = pytest.mark.redis


def reload(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    return message


def broken_job() -> None:
    """A job that leaves the session needing a rollback (NOT NULL violated on flush)."""
    db.session.add(
        OutboxMessage(to_address=None, subject="x", body_text="x", template="x", provider="x")
    )
    db.session.flush()


def test_the_app_uses_an_rq_queue(app: Flask, rq: RQ) -> None:
    queue = jobs.get_queue()
    assert isinstance(queue, jobs.RQQueue)
    assert queue.queue.name == rq.name


def test_send_email_is_queued_on_redis_and_sent_by_the_worker(app: Flask, rq: RQ) -> None:
    message_id = send_email("a@example.org", "Confirm", "confirm_email", link="http://x").id

    # Nothing has happened yet: the job waits on Redis.
    queued = reload(message_id)
    assert (queued.status, queued.attempts, queued.sent_at) == ("queued", 0, None)
    assert rq.queue.count == 1
    [job] = rq.queue.get_jobs()
    assert job.func_name == "lep.jobs.run_in_app"
    assert job.args == (DELIVER_JOB, message_id)

    assert rq.work() is True

    sent = reload(message_id)
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert sent.sent_at is not None
    assert rq.queue.count == 0
    assert job.id in rq.queue.finished_job_registry.get_job_ids()


def test_a_failing_job_does_not_spoil_the_next_one(app: Flask, rq: RQ) -> None:
    jobs.enqueue("tests.jobs.test_rq.broken_job")
    message_id = send_email("a@example.org", "Confirm", "confirm_email", link="http://x").id
    assert rq.queue.count == 2

    rq.work()

    assert len(rq.queue.failed_job_registry) == 1
    assert len(rq.queue.finished_job_registry) == 1
    assert reload(message_id).status == "sent"


def test_a_job_queued_twice_sends_once(app: Flask, rq: RQ) -> None:
    message_id = send_email("a@example.org", "Confirm", "confirm_email", link="http://x").id
    jobs.enqueue(DELIVER_JOB, message_id)  # a duplicate, as a manual retry might make

    rq.work()

    message = reload(message_id)
    assert (message.status, message.attempts) == ("sent", 1)
    assert len(rq.queue.finished_job_registry) == 2


def test_flask_lep_worker_burst_runs_the_queue(app: Flask, rq: RQ) -> None:
    from tests.jobs.conftest import kept_signal_handlers

    message_id = send_email("a@example.org", "Confirm", "confirm_email", link="http://x").id
    assert reload(message_id).status == "queued"

    with kept_signal_handlers():
        result = app.test_cli_runner().invoke(args=["lep", "worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert reload(message_id).status == "sent"
    assert rq.queue.count == 0
