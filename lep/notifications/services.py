"""send_email(): render a message, store it in the outbox, and deliver it through a job.

Delivery is at least once and never raises into the caller: a message is "queued" until a
provider takes it ("sent") or refuses it ("failed", with last_error). A failed message is tried
again by delivering it again; a sent one is never sent twice. Every attempt is counted.
"""

from __future__ import annotations

import logging

from flask import current_app, render_template

from lep import jobs
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.notifications.providers import Email, EmailError, provider_for
from lep.notifications.providers.smtp import sender_domain

log = logging.getLogger(__name__)

DELIVER_JOB = "lep.notifications.services.deliver"


def queue_email(to: str, subject: str, template: str, **context: object) -> OutboxMessage:
    """Add a message to the current transaction. Call deliver_queued() after committing."""
    body = render_template(f"email/{template}.txt", **context)
    message = OutboxMessage(
        to_address=to,
        subject=subject,
        body_text=body,
        template=template,
        provider=current_app.config["MAIL_PROVIDER"],
        status="queued",
        attempts=0,
    )
    db.session.add(message)
    return message


def deliver_queued(*messages: OutboxMessage) -> None:
    """After commit: hand each message to the job queue for delivery.

    If the queue cannot take the job (Redis is down or misconfigured), the message is
    delivered now instead: the caller's work is already committed, and the email still has to go.
    """
    for message_id in [message.id for message in messages]:
        try:
            queue = jobs.get_queue()
            if not isinstance(queue, jobs.InlineQueue):
                queue.enqueue(DELIVER_JOB, message_id)
                continue
        except Exception:
            log.exception("could not queue email %s for delivery; delivering it now", message_id)
        deliver(message_id)


def send_email(to: str, subject: str, template: str, **context: object) -> OutboxMessage:
    """Store and deliver one message now (commits). For emails that go with no other change."""
    message = queue_email(to, subject, template, **context)
    db.session.commit()
    deliver_queued(message)
    return message


def message_id_header(message: OutboxMessage, sender: str) -> str:
    """One Message-ID per stored message, the same on every attempt, so a retry is recognisable."""
    return f"<lep-{message.id}@{sender_domain(sender)}>"


def deliver(message_id: int) -> None:
    """Job: send one stored message through the configured provider.

    Safe to run more than once: the row is locked while it is sent (PostgreSQL), so two
    deliveries of one message send it once. Failures are recorded on the row and logged.
    """
    message = db.session.get(
        OutboxMessage, message_id, populate_existing=True, with_for_update=True
    )
    if message is None:
        log.warning("email %s: no such message, nothing to deliver", message_id)
        return
    if message.status == "sent":
        db.session.commit()  # ends the transaction and releases the row lock
        return  # already sent: a retried job must not send twice
    message.attempts += 1
    sender = current_app.config["MAIL_FROM"]
    try:
        provider = provider_for(current_app)
        message.provider = provider.name
        provider.send(
            Email(
                to=message.to_address,
                subject=message.subject,
                body_text=message.body_text,
                sender=sender,
                message_id=message_id_header(message, sender),
            )
        )
    except EmailError as exc:
        _failed(message, str(exc))
        log.warning("email %s to %s failed: %s", message.id, message.to_address, exc)
        return
    except Exception as exc:  # a bug or bad configuration: record it, do not break the caller
        _failed(message, f"{type(exc).__name__}: {exc}")
        log.exception("email %s to %s failed unexpectedly", message.id, message.to_address)
        return
    message.status = "sent"
    message.sent_at = utcnow()
    message.last_error = None
    db.session.commit()


def _failed(message: OutboxMessage, error: str) -> None:
    message.status = "failed"
    message.last_error = error[:2000]
    db.session.commit()
