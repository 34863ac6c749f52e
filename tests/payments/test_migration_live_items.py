"""Migration 0010_payrace on data from before it: items of failed payments and cancelled runs are
released; a claim already in two live payments (two runs built at once, before the fix) keeps
its first item live and the later one released, so the one-live-payment index can be made, and
reconciliation still flags both payments."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from lep.extensions import db
from tests.dbutil import database_url, reset_schema
from tests.payments.crash_worker import make_app

_n = itertools.count(1)


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    yield


@pytest.fixture
def old_app() -> Iterator[Flask]:
    app = make_app(database_url(suffix="_mig0010"))
    with app.app_context():
        reset_schema(db.engine)
        upgrade(revision="0009")
        db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            reset_schema(db.engine)
            db.engine.dispose()


def insert(conn: sa.Connection, table: str, **values: Any) -> int:
    """A row with the given values, and a plain value for every other NOT NULL column."""
    meta = sa.MetaData()
    found = sa.Table(table, meta, autoload_with=conn)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None if conn.dialect.name == "sqlite" else dt.UTC)
    for column in found.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        try:
            kind = column.type.python_type
        except NotImplementedError:
            kind = str
        values[column.name] = {
            int: 0,
            bool: False,
            dt.datetime: now,
            dict: {},
            list: [],
        }.get(kind, f"x{next(_n)}")
    return int(conn.execute(found.insert().values(**values).returning(found.c.id)).scalar_one())


def test_old_runs_are_released_and_doubles_kept_visible(old_app: Flask) -> None:
    with old_app.app_context():
        with db.engine.begin() as conn:
            user = insert(conn, "user_account", email="sam@example.org", active=True)
            claims = [
                insert(
                    conn,
                    "claim",
                    claimant_id=user,
                    status="paid",
                    reference=f"EXP-2026-{n:06d}",
                    total_claimed_pence=1000,
                    total_approved_pence=1000,
                )
                for n in range(3)
            ]
            doubled, failed_once, cancelled_once = claims

            def payment(run_status: str, status: str, claim: int) -> int:
                run = insert(
                    conn,
                    "payment_run",
                    provider="bacs",
                    status=run_status,
                    total_pence=1000,
                    created_by_id=user,
                    held=[],
                )
                made = insert(
                    conn,
                    "payment",
                    run_id=run,
                    user_id=user,
                    amount_pence=1000,
                    key=f"k{next(_n)}",
                    reference="LEP PAY",
                    status=status,
                )
                return insert(
                    conn, "payment_item", payment_id=made, claim_id=claim, amount_pence=1000
                )

            first = payment("paid", "paid", doubled)
            second = payment("paid", "paid", doubled)  # the same claim paid twice
            failed = payment("sent", "failed", failed_once)
            later = payment("paid", "paid", failed_once)
            cancelled = payment("cancelled", "pending", cancelled_once)
            again = payment("paid", "paid", cancelled_once)

        upgrade(revision="0010_payrace")

        with db.engine.connect() as conn:
            released = dict(
                conn.execute(sa.text("SELECT id, released_at IS NOT NULL FROM payment_item")).all()
            )
        assert released == {
            first: False,
            second: True,
            failed: True,
            later: False,
            cancelled: True,
            again: False,
        }
        from lep.payments import reconciliation

        summary = reconciliation.summary(
            reconciliation.Period(dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
            dt.datetime.now(dt.UTC),
            5,
        )
        assert summary.in_two_payments == 2  # both payments of the doubled claim
        db.session.remove()
