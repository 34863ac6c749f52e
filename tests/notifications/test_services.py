"""send_email / deliver end to end: the outbox row and what the SMTP server receives."""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
from collections.abc import Callable

import pytest
from flask import Flask

from lep.accounts.models import User
from lep.accounts.services import request_password_reset
from lep.accounts.tokens import read_link_token
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.notifications.services import deliver, queue_email, send_email
from tests.notifications.conftest import SMTPServer


def reload(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    return message


def send_test_email(to: str = "person@example.org") -> OutboxMessage:
    return send_email(to, "Confirm your email address", "confirm_email", link="http://x/confirm")


def test_send_email_through_smtp_stores_and_sends(smtp_app: Flask, smtp_server: SMTPServer) -> None:
    message = send_test_email()
    message = reload(message.id)

    assert message.status == "sent"
    assert message.sent_at is not None
    assert message.attempts == 1
    assert message.last_error is None
    assert message.provider == "smtp"
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["person@example.org"]
    assert received.message["From"] == smtp_app.config["MAIL_FROM"]
    assert received.message["Subject"] == "Confirm your email address"
    assert received.message["Message-ID"] == f"<lep-{message.id}@example.org>"
    assert "http://x/confirm" in received.body
    assert received.body.strip() == message.body_text.strip()


def test_unreachable_smtp_server_leaves_the_message_to_try_again_without_raising(
    smtp_app: Flask,
    closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(smtp_app.config, "SMTP_PORT", closed_port)

    with caplog.at_level(logging.WARNING, logger="lep.notifications.services"):
        message = send_test_email()  # must not raise

    message = reload(message.id)
    assert message.status == "retrying"
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error and f"SMTP 127.0.0.1:{closed_port}" in message.last_error
    assert message.next_attempt_at is not None
    wait = message.next_attempt_at - utcnow()
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(seconds=60)  # the first backoff
    assert f"email {message.id} to person@example.org failed (attempt 1)" in caplog.text


def test_a_failed_message_is_sent_by_delivering_it_again(
    smtp_app: Flask, smtp_server: SMTPServer, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(smtp_app.config, "SMTP_PORT", closed_port)
    message_id = send_test_email().id
    deliver(message_id)  # still down: a second failed attempt
    failed = reload(message_id)
    assert (failed.status, failed.attempts) == ("retrying", 2)

    monkeypatch.setitem(smtp_app.config, "SMTP_PORT", smtp_server.port)  # the server is back
    deliver(message_id)

    message = reload(message_id)
    assert (message.status, message.attempts, message.last_error) == ("sent", 3, None)
    assert message.sent_at is not None
    assert len(smtp_server.messages) == 1


def test_deliver_twice_sends_once(smtp_app: Flask, smtp_server: SMTPServer) -> None:
    message_id = send_test_email().id
    deliver(message_id)
    deliver(message_id)

    assert len(smtp_server.messages) == 1
    assert reload(message_id).attempts == 1


def test_default_outbox_provider_stores_logs_and_sends_nothing(
    app: Flask,
    smtp_server: SMTPServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert app.config["MAIL_PROVIDER"] == "outbox"

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the outbox provider must not open an SMTP connection")

    monkeypatch.setattr(smtplib, "SMTP", no_network)
    monkeypatch.setattr(smtplib, "SMTP_SSL", no_network)
    # Even with SMTP settings pointing at a live server, "outbox" sends nothing there.
    monkeypatch.setitem(app.config, "SMTP_HOST", smtp_server.host)
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)

    with caplog.at_level(logging.INFO, logger="lep.outbox"):
        message = send_test_email("reader@example.org")

    message = reload(message.id)
    assert (message.status, message.provider, message.attempts) == ("sent", "outbox", 1)
    assert message.sent_at is not None
    [record] = [r for r in caplog.records if r.name == "lep.outbox"]
    assert "reader@example.org" in record.getMessage()
    assert "Confirm your email address" in record.getMessage()
    assert "http://x/confirm" in record.getMessage()
    assert smtp_server.messages == []


def test_queue_email_waits_for_deliver_queued(app: Flask, smtp_server: SMTPServer) -> None:
    message = queue_email("a@example.org", "Subject", "confirm_email", link="http://x")
    db.session.commit()

    assert (message.status, message.attempts, message.sent_at) == ("queued", 0, None)


def test_deliver_of_a_missing_message_does_nothing(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="lep.notifications.services"):
        deliver(987_654)
    assert "no such message" in caplog.text


def test_a_header_that_cannot_be_sent_fails_the_message_not_the_caller(
    smtp_app: Flask, smtp_server: SMTPServer
) -> None:
    message = send_email("a@example.org", "Hello\r\nBcc: x@example.org", "confirm_email", link="x")

    message = reload(message.id)
    assert message.status == "failed"
    assert message.last_error and "cannot build" in message.last_error
    assert smtp_server.messages == []


def test_an_unexpected_error_fails_the_message_not_the_caller(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(app.config, "MAIL_PROVIDER", "pigeon")

    with caplog.at_level(logging.ERROR, logger="lep.notifications.services"):
        message = send_test_email()

    message = reload(message.id)
    assert (message.status, message.attempts) == ("retrying", 1)  # tried again once fixed
    assert message.last_error and "unknown MAIL_PROVIDER 'pigeon'" in message.last_error
    assert "failed unexpectedly" in caplog.text


def test_when_the_job_queue_is_down_the_email_is_delivered_now(
    app: Flask,
    closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(app.config, "JOB_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{closed_port}/15")
    app.extensions.pop("lep_job_queue", None)

    with caplog.at_level(logging.ERROR, logger="lep.notifications.services"):
        message = send_test_email()

    assert reload(message.id).status == "sent"
    assert "could not queue email" in caplog.text
    app.extensions.pop("lep_job_queue", None)


def test_password_reset_email_reaches_the_smtp_server_with_a_working_link(
    smtp_app: Flask, smtp_server: SMTPServer, make_user: Callable[..., User]
) -> None:
    user = make_user("applicant", full_name="Ada Lovelace")

    with smtp_app.test_request_context():  # the link is built with url_for
        request_password_reset(user.email.upper())

    [received] = smtp_server.messages
    assert received.rcpt_tos == [user.email]
    assert received.message["Subject"] == "Reset your password"
    assert "Hello Ada Lovelace," in received.body
    match = re.search(r"http://localhost/reset-password/(\S+)", received.body)
    assert match, received.body
    assert read_link_token(match.group(1), "reset").id == user.id
    row = db.session.query(OutboxMessage).filter_by(to_address=user.email).one()
    assert (row.status, row.template) == ("sent", "reset_password")


def test_password_reset_for_an_unknown_address_sends_nothing(
    smtp_app: Flask, smtp_server: SMTPServer
) -> None:
    with smtp_app.test_request_context():
        request_password_reset("nobody-here@example.org")
    assert smtp_server.messages == []
