"""The audit log's hash chain: each event carries the hash of the one before it, and
`flask lep verify-audit` names the first broken link, even when the tables' owner set the
append-only triggers aside to rewrite or remove events."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import delete, select, text, update

from lep import audit
from lep.audit.chain import GENESIS, event_hash, verify
from lep.audit.models import AuditChainHead, AuditEvent
from lep.extensions import db


def chained() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def some_events() -> list[AuditEvent]:
    audit.record("claim.approved", "claim", 7, after={"amount_pence": 1_250}, actor_label="f@x")
    audit.record_many(
        [audit.Event("payment.sent", "payment", n, {"status": "sending"}) for n in range(1, 4)]
    )
    audit.record("role.closed", "role", 3, before={"status": "open"}, actor_label="hr@x")
    db.session.commit()
    return chained()


def verify_audit(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["lep", "verify-audit"])


def owner_sets_the_triggers_aside() -> None:
    """What the tables' owner can do (the app's own role cannot: tests/audit/test_app_role.py)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
    else:
        db.session.execute(text("DROP TRIGGER audit_event_no_update"))
        db.session.execute(text("DROP TRIGGER audit_event_no_delete"))


def test_each_event_carries_the_hash_of_the_one_before(app):
    events = some_events()

    assert [e.action for e in events] == ["claim.approved"] + ["payment.sent"] * 3 + ["role.closed"]
    assert events[0].prev_hash == GENESIS
    for before, event in itertools.pairwise(events):
        assert event.prev_hash == before.hash
        assert event.id > before.id
    for event in events:
        row = db.session.execute(select(AuditEvent.__table__).where(AuditEvent.id == event.id))
        assert event_hash(row.mappings().one()) == event.hash
    head = db.session.get(AuditChainHead, 1)
    assert (head.last_event_id, head.last_hash) == (events[-1].id, events[-1].hash)

    result = verify_audit(app)
    assert result.exit_code == 0, result.output
    assert "5 audit events checked: the chain is intact" in result.output
    assert events[-1].hash in result.output


def test_record_returns_the_event_with_its_id_and_hash_once_committed():
    event = audit.record("user.invited", "user", 8, actor_label="admin@x")
    db.session.commit()
    stored = db.session.get(AuditEvent, event.id)
    assert (stored.action, stored.hash, stored.prev_hash) == (
        "user.invited",
        event.hash,
        event.prev_hash,
    )


def test_events_of_a_rolled_back_savepoint_or_transaction_are_never_written():
    audit.record("kept.before", "thing", 1, actor_label="t")
    savepoint = db.session.begin_nested()
    audit.record("dropped.inside", "thing", 2, actor_label="t")
    audit.record_many([audit.Event("dropped.many", "thing", 3)])
    savepoint.rollback()
    with db.session.begin_nested():
        audit.record("kept.released", "thing", 4, actor_label="t")
    db.session.commit()
    audit.record("dropped.rollback", "thing", 5, actor_label="t")
    db.session.rollback()
    db.session.commit()

    assert [e.action for e in chained()] == ["kept.before", "kept.released"]
    assert verify(db.session).intact


def test_an_event_edited_by_the_owner_is_named(app):
    events = some_events()
    owner_sets_the_triggers_aside()
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.id == events[1].id)
        .values(after={"status": "sent", "note": "nothing to see"})
    )

    verdict = verify(db.session)
    assert (verdict.intact, verdict.broken_id) == (False, events[1].id)
    result = verify_audit(app)
    assert result.exit_code == 1
    assert f"audit event {events[1].id} was changed after it was written" in result.output


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(app):
    events = some_events()
    owner_sets_the_triggers_aside()
    row = dict(
        db.session.execute(select(AuditEvent.__table__).where(AuditEvent.id == events[2].id))
        .mappings()
        .one()
    )
    row["actor_label"] = "someone else"
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.id == events[2].id)
        .values(actor_label="someone else", hash=event_hash(row))
    )

    verdict = verify(db.session)
    assert verdict.broken_id == events[3].id
    assert "does not follow the event before it" in verify_audit(app).output


@pytest.mark.parametrize("which", ["middle", "last"])
def test_an_event_removed_by_the_owner_is_found(app, which):
    events = some_events()
    owner_sets_the_triggers_aside()
    gone = events[2] if which == "middle" else events[-1]
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == gone.id))

    verdict = verify(db.session)
    assert not verdict.intact
    if which == "middle":
        assert verdict.broken_id == events[3].id
    else:
        assert verdict.broken_id == gone.id
        assert "events at the end were removed" in verdict.problem
    assert verify_audit(app).exit_code == 1


def test_a_payment_runs_worth_of_events_is_chained_in_one_go():
    audit.record_many([audit.Event("payment.sent", "payment", n) for n in range(2_000)])
    db.session.commit()
    events = chained()
    assert len(events) == 2_000
    assert [e.subject_id for e in events] == [str(n) for n in range(2_000)]
    assert verify(db.session, batch=300).intact
