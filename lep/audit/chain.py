"""The audit log's hash chain: each event carries the hash of the event before it.

An event's hash is SHA-256 over canonical JSON of its own columns (id, time, actor, action,
subject, before, after, address) and the previous event's hash. Only what the row itself holds is
hashed, so erasing a person's data from other tables never breaks the chain.

Events are chained as their transaction commits (`write`, called by lep.audit.services): the
writer takes its turn on the one audit_chain_head row (a row lock on PostgreSQL, the database's
write lock on SQLite), takes ids after every event already chained, hashes and inserts its events
in one statement, and moves the head, inside the committing transaction. The turn is taken after
everything else in the transaction has been written, so it is held only until the COMMIT and its
holder never waits on another lock. On PostgreSQL under REPEATABLE READ or SERIALIZABLE a
concurrent writer makes the head's UPDATE fail (the transaction is retried or refused), never fork
the chain.

`verify` walks the log in id order and reports the first event whose link is broken: one edited
in place, one removed or inserted, or events removed from the end (the head names a later one).
It cannot see a log rewritten from some point onwards with every hash recomputed: keep the last
hash it prints somewhere the database's owner cannot reach to catch that too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from lep.audit.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64  # the "previous hash" of the first event
VERSION = "lep-audit-1"  # part of every hash: a new way of hashing would be a new version
HASHED = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "before",
    "after",
    "ip_address",
    "prev_hash",
)

EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]
HEAD: Table = AuditChainHead.__table__  # type: ignore[assignment]


def _utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(row: Mapping[str, Any] | RowMapping) -> str:
    """The hash of one event as stored (its `prev_hash` included)."""
    document = {name: row[name] for name in HASHED}
    document["occurred_at"] = _utc_text(row["occurred_at"])
    document["v"] = VERSION
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _next_ids(session: Session, count: int) -> list[int]:
    if session.get_bind().dialect.name == "postgresql":
        # Taken while this writer holds the head, so they follow every chained event's id.
        drawn = session.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('audit_event', 'id')) "
                "FROM generate_series(1, :count)"
            ),
            {"count": count},
        ).scalars()
        return sorted(drawn)
    last = session.scalar(select(func.coalesce(func.max(EVENTS.c.id), 0))) or 0
    return list(range(last + 1, last + 1 + count))


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Chain and insert these events (their columns as stored, less id and hashes), in order."""
    if not rows:
        return
    # A no-change UPDATE takes the turn (and the write lock on SQLite) before the head is read.
    head = session.execute(
        update(HEAD)
        .where(HEAD.c.id == 1)
        .values(last_event_id=HEAD.c.last_event_id)
        .returning(HEAD.c.last_hash)
    ).first()
    if head is None:
        raise RuntimeError("audit_chain_head has no row: run the migrations (flask db upgrade)")
    previous = head.last_hash
    for row, event_id in zip(rows, _next_ids(session, len(rows)), strict=True):
        row["id"] = event_id
        row["prev_hash"] = previous
        row["hash"] = previous = event_hash(row)
    session.execute(insert(EVENTS), rows)
    session.execute(
        update(HEAD).where(HEAD.c.id == 1).values(last_event_id=rows[-1]["id"], last_hash=previous)
    )


@dataclass(frozen=True)
class Verdict:
    """What `verify` found: how many events it checked, and the first broken link if any."""

    events: int
    last_id: int | None
    last_hash: str
    broken_id: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _rows(session: Session, batch: int) -> Iterator[RowMapping]:
    after = 0
    while True:
        page = (
            session.execute(
                select(EVENTS).where(EVENTS.c.id > after).order_by(EVENTS.c.id).limit(batch)
            )
            .mappings()
            .all()
        )
        if not page:
            return
        yield from page
        after = page[-1]["id"]


def verify(session: Session, batch: int = 5000) -> Verdict:
    """Walk the whole log in id order, recomputing every hash."""
    previous, last_id, count = GENESIS, None, 0
    for row in _rows(session, batch):
        if row["prev_hash"] != previous:
            return Verdict(
                count,
                last_id,
                previous,
                row["id"],
                f"audit event {row['id']} does not follow the event before it "
                f"({'none' if last_id is None else last_id}): an event between them was "
                "removed or added, or the one before was rewritten",
            )
        if event_hash(row) != row["hash"]:
            return Verdict(
                count,
                last_id,
                previous,
                row["id"],
                f"audit event {row['id']} was changed after it was written: its columns do "
                "not match its hash",
            )
        previous, last_id, count = row["hash"], row["id"], count + 1
    head = session.execute(select(HEAD.c.last_event_id, HEAD.c.last_hash)).first()
    if head is None:
        return Verdict(count, last_id, previous, None, "the audit chain head row is missing")
    if (head.last_event_id, head.last_hash) != (last_id, previous):
        return Verdict(
            count,
            last_id,
            previous,
            head.last_event_id,
            f"the chain head names audit event {head.last_event_id} as the last, but the log "
            f"ends at {last_id}: events at the end were removed, or the head was changed",
        )
    return Verdict(count, last_id, previous)
