"""Failed emails: tried again with backoff a bounded number of times, never sent twice, shown to
admins with "Try again"; a reset email that cannot be sent says to try again later."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from lep.accounts.models import User
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.notifications.services import deliver, retry_due, send_email
from tests.conftest import csrf_from
from tests.notifications.conftest import SMTPServer


def reload(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    return message


def send_test_email(to: str = "person@example.org") -> int:
    return send_email(to, "Confirm your email address", "confirm_email", link="http://x/c").id


def stored_message(status: str, attempts: int, **columns: object) -> OutboxMessage:
    """An SMTP message already in the outbox in this state (as a worker left it)."""
    values: dict[str, object] = {
        "to_address": "a@example.org",
        "subject": "S",
        "body_text": "B",
        "template": "confirm_email",
        "provider": "smtp",
        "status": status,
        "attempts": attempts,
        **columns,
    }
    message = OutboxMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


def make_due(message_id: int) -> None:
    """Move the next try into the past, as time passing would."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
    )
    db.session.commit()


@pytest.fixture
def smtp_down(smtp_app: Flask, closed_port: int, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setitem(smtp_app.config, "SMTP_PORT", closed_port)
    return smtp_app


def test_a_refused_email_is_tried_again_with_longer_waits_then_failed(
    smtp_down: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(smtp_down.config, "MAIL_MAX_ATTEMPTS", 3)
    message_id = send_test_email()
    first = reload(message_id)
    assert (first.status, first.attempts) == ("retrying", 1)
    assert first.next_attempt_at is not None

    # Not due yet: nothing is tried.
    assert retry_due()["tried"] == 0
    assert reload(message_id).attempts == 1

    make_due(message_id)
    assert retry_due() == {"tried": 1, "sent": 0, "waiting": 1, "failed": 0, "held": 0}
    second = reload(message_id)
    assert (second.status, second.attempts) == ("retrying", 2)
    assert second.next_attempt_at is not None
    wait = second.next_attempt_at - utcnow()
    assert dt.timedelta(minutes=4) < wait <= dt.timedelta(minutes=5)  # longer than the first

    make_due(message_id)
    assert retry_due()["failed"] == 1
    last = reload(message_id)
    assert (last.status, last.attempts, last.next_attempt_at) == ("failed", 3, None)

    # Failed is the end of automatic tries.
    make_due(message_id)
    assert retry_due()["tried"] == 0
    assert reload(message_id).attempts == 3


def test_the_retry_sends_the_email_exactly_once_when_the_server_is_back(
    smtp_app: Flask, smtp_server: SMTPServer, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(smtp_app.config, "SMTP_PORT", closed_port)
    message_id = send_test_email()
    assert reload(message_id).status == "retrying"
    monkeypatch.setitem(smtp_app.config, "SMTP_PORT", smtp_server.port)  # the server is back
    make_due(message_id)

    runner = smtp_app.test_cli_runner()
    first = runner.invoke(args=["lep", "send-emails"])
    again = runner.invoke(args=["lep", "send-emails"])  # cron runs again, or twice at once
    deliver(message_id)  # and a duplicated job

    assert first.exit_code == 0, first.output
    assert "Emails tried: 1; sent: 1;" in first.output
    assert "Emails tried: 0;" in again.output
    assert len(smtp_server.messages) == 1
    [received] = smtp_server.messages
    assert received.message["Message-ID"] == f"<lep-{message_id}@example.org>"
    sent = reload(message_id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)


def test_a_message_being_sent_is_not_sent_by_a_second_delivery(
    smtp_app: Flask, smtp_server: SMTPServer
) -> None:
    # Another delivery has claimed it and is talking to the server.
    message = stored_message("sending", 1, claimed_at=utcnow())

    deliver(message.id)
    retry_due()

    assert smtp_server.messages == []
    assert (reload(message.id).status, reload(message.id).attempts) == ("sending", 1)


def test_a_delivery_that_stopped_part_way_is_held_not_sent_again(
    smtp_app: Flask, smtp_server: SMTPServer
) -> None:
    # Its worker died mid-send.
    message = stored_message("sending", 1, claimed_at=utcnow() - dt.timedelta(hours=1))

    assert retry_due()["held"] == 1
    retry_due()
    deliver(message.id)

    held = reload(message.id)
    assert held.status == "held"
    assert held.last_error and "may have been sent" in held.last_error
    assert smtp_server.messages == []


def test_a_queued_email_whose_job_was_lost_is_sent_by_the_retry(
    smtp_app: Flask, smtp_server: SMTPServer
) -> None:
    stored_message("queued", 0, created_at=utcnow() - dt.timedelta(hours=1))

    assert retry_due()["sent"] == 1
    assert retry_due()["tried"] == 0
    assert len(smtp_server.messages) == 1


# -- The admins' page ---------------------------------------------------------------------------


def admin_page(client: FlaskClient) -> str:
    response = client.get("/admin/emails/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admins_see_failed_and_held_emails_and_try_them_again_once(
    smtp_app: Flask,
    smtp_server: SMTPServer,
    closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    monkeypatch.setitem(smtp_app.config, "SMTP_PORT", closed_port)
    monkeypatch.setitem(smtp_app.config, "MAIL_MAX_ATTEMPTS", 1)
    failed_id = send_test_email("failed@example.org")
    stored_message(
        "held",
        1,
        to_address="held@example.org",
        subject="Your claim was approved",
        template="claim_approved",
        last_error="Delivery stopped part-way, so it may have been sent.",
    )
    sent_id = send_email("fine@example.org", "Sent fine", "confirm_email", link="x").id
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == sent_id).values(status="sent")
    )
    db.session.commit()
    admin = make_user("admin")
    client = login(admin)

    html = admin_page(client)
    assert "2 emails not sent" in html
    assert "failed@example.org" in html and "Failed" in html
    assert f"SMTP 127.0.0.1:{closed_port}" in html
    assert "held@example.org" in html and "Held: may have been sent" in html
    assert "fine@example.org" not in html
    assert html.count('/try-again" novalidate>') == 2  # a "Try again" button for each

    monkeypatch.setitem(smtp_app.config, "SMTP_PORT", smtp_server.port)  # the server is back
    url = f"/admin/emails/{failed_id}/try-again"
    response = client.post(url, data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    page = client.get("/admin/emails/").get_data(as_text=True)
    assert "The email has been tried again" in page
    assert "failed@example.org" not in page
    assert [m.rcpt_tos for m in smtp_server.messages] == [["failed@example.org"]]
    assert reload(failed_id).status == "sent"

    # Pressed again (a second tab): refused, nothing sent twice.
    client.post(url, data={"csrf_token": csrf_from(page)})
    again = client.get("/admin/emails/").get_data(as_text=True)
    assert "no longer waiting" in again
    assert len(smtp_server.messages) == 1

    [event] = db.session.query(AuditEvent).filter_by(action="email.try_again").all()
    assert (event.subject_type, event.subject_id, event.actor_id) == (
        "outbox_message",
        str(failed_id),
        admin.id,
    )
    assert event.before == {"status": "failed", "attempts": 1}
    assert event.after is not None and event.after["to"] == "failed@example.org"


def test_only_admins_see_the_emails_page(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    assert client.get("/admin/emails/").status_code == 302  # to sign in
    login(make_user("finance", "hr"))
    assert client.get("/admin/emails/").status_code == 403


# -- A password reset that cannot be sent --------------------------------------------------------


def ask_for_reset(client: FlaskClient, email: str) -> str:
    page = client.get("/forgot-password")
    response = client.post(
        "/forgot-password",
        data={"email": email, "csrf_token": csrf_from(page.get_data(as_text=True))},
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


TRY_LATER = "We could not send the email just now. Try again in a few minutes"


def test_a_reset_email_that_cannot_be_sent_says_to_try_again_later(
    smtp_down: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user("applicant")

    html = ask_for_reset(client, user.email)

    assert TRY_LATER in html
    assert "Check your email" not in html
    assert f'value="{user.email}"' in html  # what they typed is kept


def test_without_an_account_the_answer_is_the_same_while_mail_is_down(
    smtp_down: Flask, client: FlaskClient
) -> None:
    html = ask_for_reset(client, "nobody-here@example.org")
    assert TRY_LATER in html


def test_a_reset_email_that_is_sent_says_check_your_email(
    smtp_app: Flask, smtp_server: SMTPServer, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user("applicant")
    assert "Check your email" in ask_for_reset(client, user.email)
    assert "Check your email" in ask_for_reset(client, "nobody-here@example.org")
    assert [m.rcpt_tos for m in smtp_server.messages] == [[user.email]]
