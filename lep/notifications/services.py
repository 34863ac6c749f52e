"""send_email(): render a message, store it in the outbox, and deliver it through a job.

Delivery is at least once and never raises into the caller: a message is "queued" until a
provider takes it ("sent") or refuses it ("failed", with last_error). A failed message is tried
again by delivering it again; a sent one is never sent twice. Every attempt is counted.
"""

from __future__ import annotations

import logging

from flask import current_app, render_template
from sqlalchemy import inspect, select

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
    if len(messages) > 1 and _record_all_now(messages):
        return
    session = db.session()
    expire = session.expire_on_commit
    # Delivering here commits once per message; each commit must not expire every object the
    # caller holds (a payment run queues thousands of messages: that would be quadratic).
    session.expire_on_commit = False
    try:
        for message_id in [message.id for message in messages]:
            try:
                queue = jobs.get_queue()
                if not isinstance(queue, jobs.InlineQueue):
                    queue.enqueue(DELIVER_JOB, message_id)
                    continue
            except Exception:
                log.exception("could not queue email %s; delivering it now", message_id)
            deliver(message_id)
    finally:
        session.expire_on_commit = expire


def _record_all_now(messages: tuple[OutboxMessage, ...]) -> bool:
    """With the outbox provider and no queue, "delivering" only records and logs: do it for all
    the messages in one transaction. False (nothing done) otherwise."""
    try:
        if not isinstance(jobs.get_queue(), jobs.InlineQueue):
            return False
    except Exception:  # the queue is misconfigured: deliver_queued deals with it one by one
        return False
    provider = provider_for(current_app)
    if provider.sends_outside:
        return False
    sender = current_app.config["MAIL_FROM"]
    now = utcnow()
    # The caller has committed, so the messages are expired: load them again in a few queries,
    # not one by one.
    ids: list[int] = [inspect(message).identity[0] for message in messages]
    fresh: list[OutboxMessage] = []
    for start in range(0, len(ids), 1_000):
        fresh.extend(
            db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(ids[start : start + 1_000]))
                .execution_options(populate_existing=True)
            )
        )
    for message in fresh:
        if message.status == "sent":
            continue
        message.attempts += 1
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
        message.status = "sent"
        message.sent_at = now
        message.last_error = None
    db.session.commit()
    return True


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
