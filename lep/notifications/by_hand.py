"""Messages to people who have no email address: kept "by_hand" in the outbox (see
`services.BY_HAND_DOMAIN`) until HR have sent each as a letter, a call or a text and say so."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from lep import audit
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.notifications.services import BY_HAND, DONE_BY_HAND
from lep.service import DomainError, commit, utcnow

SHOWN = 200
MAX_NOTE = 2_000


def waiting(limit: int = SHOWN) -> list[OutboxMessage]:
    """Messages still to send by hand, oldest first."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == BY_HAND)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def waiting_count() -> int:
    stmt = select(func.count(OutboxMessage.id)).where(OutboxMessage.status == BY_HAND)
    return db.session.scalar(stmt) or 0


def mark_sent_by_hand(message_id: int, note: str, by: Any) -> None:
    """HR sent this message themselves (posted a letter, phoned, texted): once, audited."""
    note = (note or "").strip()
    if not note:
        raise DomainError({"note": "Say how it was sent, for example: posted a letter on 3 March"})
    if len(note) > MAX_NOTE:
        raise DomainError({"note": f"This must be {MAX_NOTE:,} characters or fewer"})
    now = utcnow()
    result: Any = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == BY_HAND)
        .values(status=DONE_BY_HAND, sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError({"note": "That message was already marked as sent"})
    audit.record(
        "notification.sent_by_hand",
        "outbox_message",
        message_id,
        before={"status": BY_HAND},
        after={"status": DONE_BY_HAND, "note": note},
        actor=by,
    )
    commit()
