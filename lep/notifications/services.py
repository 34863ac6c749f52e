"""send_email(): render a message, store it in the outbox, and deliver it through a job.

Delivery never raises into the caller and never sends one message twice: each delivery first
claims the row with one guarded UPDATE (queued or retrying -> sending, row count checked), so
two deliveries of one message (a duplicated job, a retry racing the worker, two cron runs) send
it once. A refused message is tried again with backoff (`retry_due`, `flask lep send-emails`
from cron) up to MAIL_MAX_ATTEMPTS times, then it is "failed". A claim that never finished (the
process died while sending) is "held": it may have gone, so only an admin's "Try again"
(`try_again`, audited) sends it again. Every attempt is counted.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app, render_template
from sqlalchemy import and_, func, inspect, or_, select, update

from lep import audit, jobs
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.notifications.providers import Email, EmailError, provider_for
from lep.notifications.providers.smtp import sender_domain
from lep.service import after_commit, after_commit_batch, commit

log = logging.getLogger(__name__)

DELIVER_JOB = "lep.notifications.services.deliver"
# People without an email address (an application entered for them from a phone call or a
# paper form) have an address on this reserved domain, which no mail server answers. A message
# to one is kept "by_hand": HR send it as a letter, a call or a text, and mark it done.
BY_HAND_DOMAIN = "no-email.invalid"
BY_HAND = "by_hand"
DONE_BY_HAND = "sent_by_hand"


def is_by_hand(address: str) -> bool:
    return address.lower().endswith("@" + BY_HAND_DOMAIN)


def queue_email(to: str, subject: str, template: str, **context: object) -> OutboxMessage:
    """Add a message to the current transaction; `commit()` delivers it (with every other
    message the transaction queued, in one `deliver_queued`), and a rollback drops it."""
    body = render_template(f"email/{template}.txt", **context)
    message = OutboxMessage(
        to_address=to,
        subject=subject,
        body_text=body,
        template=template,
        provider=current_app.config["MAIL_PROVIDER"],
        status=BY_HAND if is_by_hand(to) else "queued",
        attempts=0,
    )
    db.session.add(message)
    after_commit_batch(_deliver_all, message)
    return message


def _deliver_all(messages: list[OutboxMessage]) -> None:
    deliver_queued(*messages)


def deliver_queued(*messages: OutboxMessage) -> None:
    """After commit: hand each message to the job queue for delivery.

    If the queue cannot take the job (Redis is down or misconfigured), one message (a password
    reset, a confirmation) is delivered now instead: the caller's work is already committed, and
    the email still has to go. Many messages (a payment run's) are held as queued, not sent
    from this request: `flask lep send-emails` sends them (retry_due) without asking Redis
    again for each one.
    """
    if len(messages) > 1 and _record_all_now(messages):
        return
    ids = [message.id for message in messages]
    for index, message_id in enumerate(ids):
        try:
            queue = jobs.get_queue()
            if not isinstance(queue, jobs.InlineQueue):
                queue.enqueue(DELIVER_JOB, message_id)
                continue
        except Exception:
            if len(ids) > 1:
                log.exception(
                    "could not queue email %s: %s emails held as queued for "
                    "`flask lep send-emails`",
                    message_id,
                    len(ids) - index,
                )
                return
            log.exception("could not queue email %s; delivering it now", message_id)
        # Delivering here commits once per message; each commit must not expire every object
        # the caller holds (a payment run queues thousands of messages: that would be quadratic).
        deliver(message_id, keep_loaded=True)


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
        if message.status not in CLAIMABLE:
            continue  # sent, or another delivery holds it
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
    commit()
    return True


def send_email(to: str, subject: str, template: str, **context: object) -> OutboxMessage:
    """Store and deliver one message now (commits). For emails that go with no other change."""
    message = queue_email(to, subject, template, **context)
    commit()
    return message


def message_id_header(message: OutboxMessage, sender: str) -> str:
    """One Message-ID per stored message, the same on every attempt, so a retry is recognisable."""
    return f"<lep-{message.id}@{sender_domain(sender)}>"


# The states a delivery may claim a message from, and where a try may end.
CLAIMABLE = ("queued", "retrying")
# Shown to admins with "Try again" (lep/notifications/admin_views.py).
NEEDS_ATTENTION = ("retrying", "failed", "held")
HELD_ERROR = "Delivery stopped part-way, so it may have been sent. Check before trying again."


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the attempts-th failed try: 1 minute, 5, 25, about 2 hours, then at
    most 6 hours."""
    return dt.timedelta(seconds=min(60 * 5 ** max(attempts - 1, 0), 6 * 3600))


def _claim(message_id: int, now: dt.datetime, keep_loaded: bool) -> bool:
    """One guarded UPDATE: only one delivery may hold a message (committed before sending)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(CLAIMABLE))
        .values(
            status="sending",
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    commit(keep_loaded=keep_loaded)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _finish(
    message_id: int, claimed_at: dt.datetime, keep_loaded: bool = False, **values: object
) -> None:
    """End this delivery's claim (and only this one's)."""
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "sending",
            OutboxMessage.claimed_at == claimed_at,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    commit(keep_loaded=keep_loaded)


def deliver(message_id: int, keep_loaded: bool = False) -> None:
    """Job: send one stored message through the configured provider.

    Safe to run more than once and at once from two places: the guarded claim lets one delivery
    send it. A refusal is recorded on the row and logged, and the message waits for its next try
    (or is failed after MAIL_MAX_ATTEMPTS). `keep_loaded`: its commits do not expire what the
    session holds (delivering after the caller's commit).
    """
    now = utcnow()
    if not _claim(message_id, now, keep_loaded):
        commit(keep_loaded=keep_loaded)
        if db.session.get(OutboxMessage, message_id) is None:
            log.warning("email %s: no such message, nothing to deliver", message_id)
        return  # already sent, being sent, held or failed: a retried job must not send twice
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert message is not None
    to, attempts = message.to_address, message.attempts
    sender = current_app.config["MAIL_FROM"]
    try:
        provider = provider_for(current_app)
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
        _failed(
            message_id, now, attempts, str(exc), permanent=exc.permanent, keep_loaded=keep_loaded
        )
        log.warning("email %s to %s failed (attempt %s): %s", message_id, to, attempts, exc)
        return
    except Exception as exc:  # a bug or bad configuration: record it, do not break the caller
        _failed(message_id, now, attempts, f"{type(exc).__name__}: {exc}", keep_loaded=keep_loaded)
        log.exception("email %s to %s failed unexpectedly", message_id, to)
        return
    _finish(
        message_id,
        now,
        keep_loaded,
        status="sent",
        sent_at=utcnow(),
        last_error=None,
        provider=provider.name,
    )


def _failed(
    message_id: int,
    claimed_at: dt.datetime,
    attempts: int,
    error: str,
    permanent: bool = False,
    keep_loaded: bool = False,
) -> None:
    db.session.rollback()
    if permanent or attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        values: dict[str, object] = {"status": "failed", "next_attempt_at": None}
    else:
        values = {"status": "retrying", "next_attempt_at": utcnow() + backoff(attempts)}
    _finish(message_id, claimed_at, keep_loaded, last_error=error[:2000], **values)


def retry_due(now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """For cron (`flask lep send-emails`): try again the messages whose next try is due, and
    deliver queued ones whose job never ran (lost with Redis); mark claims older than
    MAIL_CLAIM_TIMEOUT_SECONDS held. Returns counts by what happened."""
    now = now or utcnow()
    stale = now - dt.timedelta(seconds=current_app.config["MAIL_CLAIM_TIMEOUT_SECONDS"])
    held = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < stale)
        .values(status="held", last_error=HELD_ERROR)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    commit()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            or_(
                and_(OutboxMessage.status == "retrying", OutboxMessage.next_attempt_at <= now),
                and_(OutboxMessage.status == "queued", OutboxMessage.created_at < stale),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    commit()
    for message_id in due:
        deliver(message_id)
    statuses = (
        dict(
            db.session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.id.in_(due))
                .group_by(OutboxMessage.status)
            ).all()
        )
        if due
        else {}
    )
    commit()
    return {
        "tried": len(due),
        "sent": int(statuses.get("sent", 0)),
        "waiting": int(statuses.get("retrying", 0)),
        "failed": int(statuses.get("failed", 0)),
        "held": int(held),
    }


def needing_attention(limit: int = 200) -> list[OutboxMessage]:
    """Messages an admin should see: waiting for another try, failed, or held."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_(NEEDS_ATTENTION))
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


class NotRetryable(Exception):
    """The message is not waiting, failed or held (it was sent, or is being sent)."""


def try_again(message_id: int, by: Any) -> None:
    """An admin's "Try again": back to queued with one guarded UPDATE (audited), then delivered.

    Two admins pressing at once queue it once; a message sent meanwhile is refused.
    """
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotRetryable("There is no such email")
    before = message.status
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status.in_(NEEDS_ATTENTION))
        .values(status="queued", next_attempt_at=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        db.session.rollback()
        raise NotRetryable("This email is no longer waiting: it has been sent or is being sent")
    audit.record(
        "email.try_again",
        "outbox_message",
        message_id,
        before={"status": before, "attempts": message.attempts},
        after={"status": "queued", "to": message.to_address, "subject": message.subject},
        actor=by,
    )
    after_commit(lambda: deliver_queued(message))
    commit()


def delivery_failed(message: OutboxMessage) -> bool:
    """After the commit that delivered it: did this message's delivery fail (so the person
    should be told to try again later)? False while it waits on the queue or is being sent."""
    status = db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message.id))
    return status in NEEDS_ATTENTION


def could_deliver_now() -> bool:
    """Would a message sent now be handed on? For answers that must not differ between an
    address with an account and one without (the password reset page): with jobs on a queue
    the message would wait there; in-process, ask the provider whether it can be reached."""
    try:
        if not isinstance(jobs.get_queue(), jobs.InlineQueue):
            return True
        provider_for(current_app).check()
    except Exception:
        return False
    return True
