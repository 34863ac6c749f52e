"""send_email(): render a message, store it in the outbox, and deliver it through a job."""

from __future__ import annotations

import logging

from flask import current_app, render_template

from lep import jobs
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.notifications.providers import Email, EmailError, provider_for

log = logging.getLogger(__name__)


def queue_email(to: str, subject: str, template: str, **context: object) -> OutboxMessage:
    """Add a message to the current transaction. Call deliver_queued() after committing."""
    body = render_template(f"email/{template}.txt", **context)
    message = OutboxMessage(
        to_address=to,
        subject=subject,
        body_text=body,
        template=template,
        provider=current_app.config["MAIL_PROVIDER"],
    )
    db.session.add(message)
    return message


def deliver_queued(*messages: OutboxMessage) -> None:
    """After commit: hand each message to the job queue for delivery."""
    for message in messages:
        jobs.enqueue("lep.notifications.services.deliver", message.id)


def send_email(to: str, subject: str, template: str, **context: object) -> OutboxMessage:
    """Store and deliver one message now (commits). For emails that go with no other change."""
    message = queue_email(to, subject, template, **context)
    db.session.commit()
    deliver_queued(message)
    return message


def deliver(message_id: int) -> None:
    """Job: send one stored message through the configured provider."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status == "sent":
        return  # already sent: a retried job must not send twice
    provider = provider_for(current_app)
    message.attempts += 1
    try:
        provider.send(
            Email(
                to=message.to_address,
                subject=message.subject,
                body_text=message.body_text,
                sender=current_app.config["MAIL_FROM"],
                message_id=f"<lep-{message.id}@{current_app.config['MAIL_FROM'].split('@')[-1]}>",
            )
        )
    except EmailError as exc:
        message.status = "failed"
        message.last_error = str(exc)
        db.session.commit()
        log.warning("email %s to %s failed: %s", message.id, message.to_address, exc)
        return
    message.status = "sent"
    message.sent_at = utcnow()
    message.last_error = None
    db.session.commit()
