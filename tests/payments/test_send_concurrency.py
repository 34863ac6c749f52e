"""Two finance users press Send on the same run at the same moment: one run is sent, once.

Two real connections (two apps, each with its own engine and session) load the approved run,
wait at a barrier, and both call runs.start_sending. The guarded UPDATE of the run's status lets
exactly one through; the other is told "This run has changed", and the send job runs once.

PostgreSQL only: SQLite serialises writers with a whole-file lock, so the two connections would
never race on the row at all. The data is committed on a database of its own (suffix
"_concurrent"), emptied afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from lep.accounts.models import User
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.expenses import services as expenses
from lep.expenses.models import ExpenseCategory
from lep.extensions import db
from lep.partners import bank
from lep.partners.models import BankDetails
from lep.payments import runs
from lep.payments.models import BacsInstruction, Payment, PaymentRun
from lep.service import DomainError
from tests.dbutil import database_url, reset_schema
from tests.payments.crash_worker import make_app

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DATABASE_URL): two connections racing on one row; SQLite locks "
    "the whole file, so there is no race to test",
)


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    """Replaces tests/conftest.py's rolled-back transaction: two connections must see the data."""
    yield


@contextmanager
def two_apps_on(suffix: str) -> Iterator[tuple[Flask, Flask]]:
    """Two apps on one migrated PostgreSQL database of their own: two engines, two real
    connections. The database is emptied afterwards."""
    url = database_url(suffix=suffix)
    first, second = make_app(url), make_app(url)
    with first.app_context():
        reset_schema(db.engine)
        upgrade()
        db.session.remove()
    try:
        yield first, second
    finally:
        for app in (second, first):
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        with first.app_context():
            reset_schema(db.engine)
            db.engine.dispose()


@pytest.fixture
def two_apps() -> Iterator[tuple[Flask, Flask]]:
    with two_apps_on("_concurrent") as apps:
        yield apps


def new_user(role: str, name: str) -> User:
    user = User(
        email=f"{name.split()[0].lower()}@example.org",
        full_name=name,
        email_confirmed_at=utcnow(),
        active=True,
    )
    user.set_roles({role})
    db.session.add(user)
    db.session.commit()
    return user


def partner_with_bank(name: str) -> User:
    user = new_user("partner", name)
    account = bank.check_account("309430", "00733445", name)
    db.session.add(
        BankDetails(
            user_id=user.id,
            ciphertext=bank.encrypt(account),
            masked=account.masked,
            changed_at=utcnow() - dt.timedelta(days=10),
        )
    )
    db.session.commit()
    return user


def approve_claim(partner: User, finance: User, pence: int) -> None:
    claim = expenses.start_claim(partner)
    parking = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == "parking"))
    expenses.add_line(
        claim,
        category=parking,
        spent_on=expenses.london_today() - dt.timedelta(days=2),
        description="Parking for the panel",
        amount_pence=pence,
        no_receipt_reason="The machine gave no ticket",
    )
    expenses.submit_claim(claim)
    expenses.approve_claim(claim, finance, {line.id: line.amount_pence for line in claim.lines})


def test_two_finance_users_pressing_send_at_once_start_one_run(
    two_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_apps
    with first.app_context():
        fran = new_user("finance", "Fran Finance")
        femi = new_user("finance", "Femi Finance")
        for name, pence in (("Sam Partner", 850), ("Kit Partner", 12_345), ("Lee Partner", 1)):
            approve_claim(partner_with_bank(name), fran, pence)
        run = runs.build_run(fran)
        assert run.status == "approved"
        run_id, pressers = run.id, {"fran": fran.id, "femi": femi.id}
        db.session.remove()

    jobs: list[int] = []
    send_run = runs.send_run

    def counted_send_run(run_id: int) -> None:
        jobs.append(run_id)
        send_run(run_id)

    monkeypatch.setattr(runs, "send_run", counted_send_run)  # the job is found by its path
    barrier = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}
    failures: list[BaseException] = []

    def press_send(app: Flask, who: str) -> None:
        try:
            with app.app_context():
                try:
                    run = db.session.get(PaymentRun, run_id)
                    user = db.session.get(User, pressers[who])
                    # Both see the run ready to send before either presses.
                    assert run is not None and run.status == "approved"
                    assert user is not None and user.has_role("finance")
                    barrier.wait()
                    try:
                        runs.start_sending(run, user)
                        outcomes[who] = "started"
                    except DomainError as error:
                        outcomes[who] = error.errors["run"]
                finally:
                    db.session.remove()
        except BaseException as error:  # reported below, in the test's own thread
            failures.append(error)

    threads = [
        threading.Thread(target=press_send, args=(first, "fran")),
        threading.Thread(target=press_send, args=(second, "femi")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sorted(outcomes) == ["femi", "fran"]
    started = [who for who, outcome in outcomes.items() if outcome == "started"]
    assert len(started) == 1, outcomes
    [refused] = [outcome for outcome in outcomes.values() if outcome != "started"]
    assert refused.startswith("This run has changed: it is now ")

    assert jobs == [run_id]  # the send job ran once
    with first.app_context():
        run = db.session.get(PaymentRun, run_id)
        assert run is not None
        assert run.status == "sent"
        assert run.sent_by_id == pressers[started[0]]
        keys = list(db.session.scalars(select(Payment.key).where(Payment.run_id == run_id)))
        instructions = list(db.session.scalars(select(BacsInstruction.key)))
        assert sorted(instructions) == sorted(keys)  # one instruction per payment, no more
        sending = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "payment_run.sending")
        )
        assert sending == 1
        db.session.remove()
