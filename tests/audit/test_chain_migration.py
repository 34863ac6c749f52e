"""Migration 0010 chains the events a database already holds, and the log stays append-only.

A database of its own (suffix "_chainmig", SQLite or PostgreSQL), migrated to 0009, given events
the way the old code wrote them, then upgraded to head (and down and up again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lep import create_app
from lep.audit.chain import GENESIS, verify
from lep.extensions import db
from tests.dbutil import database_url, reset_schema


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    """Replaces tests/conftest.py's rolled-back transaction: migrations commit."""
    yield


@pytest.fixture
def old_app() -> Iterator[Flask]:
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url(suffix="_chainmig"))
    with app.app_context():
        reset_schema(db.engine)
        upgrade(revision="0009")
        yield app
        db.session.remove()
        reset_schema(db.engine)
        db.engine.dispose()


def refused(statement: str) -> bool:
    try:
        with db.engine.begin() as conn:
            conn.execute(text(statement))
    except DBAPIError as error:
        return "append-only" in str(error)
    return False


def test_events_already_held_are_chained_and_stay_append_only(old_app):
    with db.engine.begin() as conn:
        for n in range(3):
            conn.execute(
                text(
                    "INSERT INTO audit_event (occurred_at, actor_label, action, subject_type, "
                    "subject_id, after) VALUES (:at, 'system', 'role.closed', 'role', :n, :after)"
                ),
                {
                    "at": dt.datetime(2026, 3, 1, 9, n, 0, 123_456, tzinfo=dt.UTC),
                    "n": str(n),
                    "after": '{"status": "closed"}',
                },
            )

    upgrade()
    verdict = verify(db.session())
    db.session.remove()
    assert (verdict.intact, verdict.events, verdict.last_id) == (True, 3, 3)
    first = db.session.execute(text("SELECT prev_hash FROM audit_event WHERE id = 1")).scalar()
    assert first == GENESIS
    db.session.remove()  # SQLite: the session's transaction holds the write lock until it ends
    assert refused("UPDATE audit_event SET action = 'tampered'")
    assert refused("DELETE FROM audit_event")
    db.session.remove()

    downgrade(revision="0009")
    assert refused("UPDATE audit_event SET action = 'tampered'")
    upgrade()
    assert verify(db.session()).intact
    db.session.remove()
