"""audit.record(): the one way to write an audit event."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert

from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


@dataclass(frozen=True)
class Event:
    """What happened to what: the columns every audit event has, whoever did it."""

    action: str
    subject_type: str
    subject_id: int | str | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def _columns(event: Event) -> dict[str, Any]:
    """The event's columns as stored, with the address it came from inside a request."""
    return {
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": None if event.subject_id is None else str(event.subject_id),
        "before": _jsonable(event.before) if event.before is not None else None,
        "after": _jsonable(event.after) if event.after is not None else None,
        "ip_address": request.remote_addr if has_request_context() else None,
    }


def record(
    action: str,
    subject_type: str,
    subject_id: int | str | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: Any = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    # The signed-in person acts unless the caller names the actor (or says it was the system).
    if (
        actor is None
        and actor_label is None
        and has_request_context()
        and current_user.is_authenticated
    ):
        actor = current_user
    if actor is not None and getattr(actor, "is_authenticated", True) and hasattr(actor, "id"):
        actor_id = actor.id
        label = actor_label or actor.email
    else:
        actor_id = None
        label = actor_label or ("anonymous" if has_request_context() else "system")
    event = AuditEvent(
        actor_id=actor_id,
        actor_label=label,
        **_columns(Event(action, subject_type, subject_id, before, after)),
    )
    db.session.add(event)
    return event


def record_many(events: list[Event], *, actor_label: str = "system") -> None:
    """Events done by the system (a job), added to the current transaction in one statement.

    For thousands at once (a payment run's payments): rows, not ORM objects, sent with the
    driver's executemany, which needs no ids back. The same columns as `record` writes.
    """
    if not events:
        return
    now = utcnow()
    db.session.execute(
        insert(AuditEvent),
        [
            {"occurred_at": now, "actor_id": None, "actor_label": actor_label, **_columns(e)}
            for e in events
        ],
    )
