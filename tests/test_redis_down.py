"""Redis unreachable (REDIS_URL at a closed port): people still sign in and reset passwords, limits
are counted in memory with a logged warning, and the job queue says clearly that it cannot take a
job instead of failing somewhere later."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from lep import create_app, jobs
from lep.accounts.models import User
from lep.extensions import db, limiter
from lep.notifications.models import OutboxMessage
from tests.conftest import PASSWORD
from tests.notifications.conftest import free_port

CALLS: list[object] = []


def record(value: object) -> None:
    """A job for these tests."""
    CALLS.append(value)


@pytest.fixture
def redis_down_app(app: Flask) -> Iterator[Flask]:
    """An app whose REDIS_URL (limits and jobs) points at a port nothing listens on."""
    url = f"redis://127.0.0.1:{free_port()}/15"
    down = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SERVER_NAME_FOR_EMAIL="http://localhost",
        REDIS_URL=url,
        RATELIMIT_STORAGE_URI=url,
        JOB_QUEUE="rq",
        WTF_CSRF_ENABLED=False,
        LOGIN_RATE_LIMIT="3 per minute",
        LOGIN_FAILURES_PER_ACCOUNT="3 per minute",
    )
    try:
        yield down
    finally:
        # The limiter is one object per process: put the suite back on in-memory counting.
        create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
        limiter._storage_dead = False
        limiter.reset()


def test_sign_in_works_while_redis_is_unreachable(
    redis_down_app: Flask, make_user: Callable[..., User], caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user("partner")
    client = redis_down_app.test_client()

    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith("/dashboard")
    assert user.full_name in client.get("/dashboard").get_data(as_text=True)
    assert "Rate limit storage unreachable - falling back to in-memory storage" in caplog.text


def test_limits_still_count_in_memory_while_redis_is_unreachable(
    redis_down_app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user("hr")
    client = redis_down_app.test_client()
    data = {"email": user.email, "password": "wrong password!"}

    statuses = [client.post("/sign-in", data=data).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_forgot_password_sends_the_email_while_redis_is_unreachable(
    redis_down_app: Flask, make_user: Callable[..., User], caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user("applicant")
    client = redis_down_app.test_client()

    with caplog.at_level(logging.WARNING):
        response = client.post("/forgot-password", data={"email": user.email})

    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    # The job queue is Redis too: the email is delivered in this process instead.
    message = db.session.query(OutboxMessage).filter_by(to_address=user.email).one()
    assert (message.template, message.status) == ("reset_password", "sent")
    assert "could not queue email" in caplog.text


def test_the_job_queue_says_clearly_that_it_cannot_take_a_job(redis_down_app: Flask) -> None:
    with redis_down_app.app_context():
        with pytest.raises(jobs.QueueUnavailable, match="unreachable"):
            jobs.ensure_available()
        with pytest.raises(
            jobs.QueueUnavailable, match=r"cannot take tests\.test_redis_down\.record"
        ):
            jobs.enqueue("tests.test_redis_down.record", 1)
        assert CALLS == []


def test_a_job_that_must_happen_runs_here_when_the_queue_is_unreachable(
    redis_down_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    CALLS.clear()
    with redis_down_app.app_context(), caplog.at_level(logging.WARNING, logger="lep.jobs"):
        jobs.enqueue("tests.test_redis_down.record", 2, fallback=True)

    assert CALLS == [2]
    assert "job queue unreachable: running tests.test_redis_down.record" in caplog.text


def test_the_inline_queue_is_always_available(app: Flask) -> None:
    jobs.ensure_available()  # does not raise


def test_many_emails_are_held_for_send_emails_while_the_queue_is_unreachable(
    redis_down_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    import datetime as dt

    from lep.db import utcnow
    from lep.notifications.services import deliver_queued, queue_email, retry_due

    with redis_down_app.test_request_context(), caplog.at_level(logging.ERROR):
        messages = [
            queue_email(f"payee{n}@example.org", "Remittance advice", "confirm_email", link="x")
            for n in range(3)
        ]
        db.session.commit()
        deliver_queued(*messages)  # a payment run's emails, with Redis down: not sent here
        ids = [message.id for message in messages]
        rows = db.session.query(OutboxMessage).filter(OutboxMessage.id.in_(ids)).all()
        assert [row.status for row in rows] == ["queued"] * 3
        assert "3 emails held as queued for `flask lep send-emails`" in caplog.text

        # The cron command sends them once they have waited past the claim timeout.
        assert retry_due(now=utcnow() + dt.timedelta(minutes=11))["sent"] == 3
        rows = db.session.query(OutboxMessage).filter(OutboxMessage.id.in_(ids)).all()
        assert [row.status for row in rows] == ["sent"] * 3
