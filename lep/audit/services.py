"""audit.record(): the one way to write an audit event.

An event is kept with the session until its transaction commits, then chained and inserted with
the rest of the transaction's events (lep/audit/chain.py), so no two writers ever hold the chain
for longer than a COMMIT. Events recorded inside a savepoint that rolls back are dropped with it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from lep.audit import chain
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
    row = {
        "occurred_at": utcnow(),
        "actor_id": actor_id,
        "actor_label": label,
        **_columns(Event(action, subject_type, subject_id, before, after)),
    }
    event = AuditEvent(**row)
    _keep([row], [event])
    return event


def record_many(events: list[Event], *, actor_label: str = "system") -> None:
    """Events done by the system (a job), added to the current transaction.

    For thousands at once (a payment run's payments): rows, not ORM objects, written at the
    commit in one statement with the driver's executemany. The same columns as `record` writes.
    """
    if not events:
        return
    now = utcnow()
    _keep(
        [
            {"occurred_at": now, "actor_id": None, "actor_label": actor_label, **_columns(e)}
            for e in events
        ],
        [None] * len(events),
    )


# -- kept until the commit ------------------------------------------------------------------------

PENDING_KEY = "lep_audit_pending"


@dataclass
class _Pending:
    transaction: SessionTransaction | None  # the innermost one when recorded
    rows: list[dict[str, Any]]
    events: list[AuditEvent | None]  # what `record` returned: given its id and hashes


def _keep(rows: list[dict[str, Any]], events: list[AuditEvent | None]) -> None:
    session = db.session()
    # Begun now if not yet (as the first query would), so a rollback before any query drops it.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(PENDING_KEY, []).append(_Pending(transaction, rows, events))


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@sa_event.listens_for(Session, "before_commit")
def _write_kept(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its events wait for the real commit
    pending: list[_Pending] = session.info.pop(PENDING_KEY, None) or []
    if not pending:
        return
    session.flush()  # the transaction's other changes first: the chain's turn is taken last
    chain.write(session, [row for kept in pending for row in kept.rows])
    for kept in pending:
        for row, event in zip(kept.rows, kept.events, strict=True):
            if event is not None:
                event.id, event.prev_hash, event.hash = row["id"], row["prev_hash"], row["hash"]


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[_Pending] | None = session.info.get(PENDING_KEY)
    if not pending:
        return
    if previous_transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
        return
    session.info[PENDING_KEY] = [
        kept for kept in pending if not _within(kept.transaction, previous_transaction)
    ]


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)  # closed without a commit: nothing was written
