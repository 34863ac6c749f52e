"""A sender killed with SIGKILL mid-send, then two `flask lep resume-payments` at once: every
payee is paid exactly once (Stripe, over localstripe). And a large run sent, with no job queue,
from a thread of the app's process rather than in the request.

Real processes (tests/payments/crash_worker.py): the sender stops right after Stripe made the
third transfer, before the payment's status is saved, and the test kills it there with SIGKILL
(no clean-up, its connection dropped). Its lease on the run (1 s here) lapses; two resumers start
together; one reserves the run and finishes it, looking up the payment left `sending` by its
key; the other finds nothing to resume. The data is committed on a database of its own (suffix
"_resume"), emptied afterwards; the crash test's own module supplies the fixtures.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from lep.accounts.models import User
from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.payments import runs, sending
from lep.payments.models import BacsInstruction, Payment, PaymentRun
from lep.payments.providers.bacs import BacsProvider
from tests.dbutil import database_url, reset_schema
from tests.payments.conftest import LocalStripe
from tests.payments.crash_worker import ENV_DATABASE_URL, ROOT, make_app
from tests.payments.test_send_concurrency import partner_with_bank
from tests.payments.test_send_crash import (
    AMOUNTS,
    WORKER,
    HeldQueue,
    approve_claim,
    new_user,
    onboard,
    statuses,
)


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    """Replaces tests/conftest.py's rolled-back transaction: this data must be committed."""
    yield


def committed_app(suffix: str, **config: Any) -> Iterator[Flask]:
    url = database_url(suffix=suffix)
    app = make_app(url, **config)
    with app.app_context():
        reset_schema(db.engine)
        upgrade()
        db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            reset_schema(db.engine)
            db.engine.dispose()


@pytest.fixture
def stripe_app(stripe_config: dict[str, Any]) -> Iterator[Flask]:
    yield from committed_app("_resume", PAYMENT_PROVIDER="stripe", **stripe_config)


@pytest.fixture
def bacs_app() -> Iterator[Flask]:
    yield from committed_app("_thread", PAYMENT_SEND_INLINE_MAX=1)


def environment(app: Flask) -> dict[str, str]:
    return {
        **os.environ,
        ENV_DATABASE_URL: app.config["SQLALCHEMY_DATABASE_URI"],
        "STRIPE_API_KEY": app.config["STRIPE_API_KEY"],
        "STRIPE_WEBHOOK_SECRET": app.config["STRIPE_WEBHOOK_SECRET"],
        "STRIPE_API_BASE": app.config["STRIPE_API_BASE"],
        "LEP_CRASH_LEASE_SECONDS": "1",
    }


def test_a_sender_killed_mid_send_then_two_resumers_at_once_pay_everyone_once(
    stripe_app: Flask, localstripe: LocalStripe
) -> None:
    with stripe_app.app_context():
        finance = new_user("finance", "Fran Finance")
        accounts = {}
        for name, pence in AMOUNTS.items():
            partner = new_user("partner", name)
            accounts[partner.id] = onboard(partner)
            approve_claim(partner, finance, pence)
        run = runs.build_run(finance)
        stripe_app.extensions["lep_job_queue"] = HeldQueue()
        runs.start_sending(run, finance)
        run_id, reference = run.id, run.reference
        payments = [(p.id, p.key, p.amount_pence, p.user_id) for p in run.payments]
        db.session.remove()

    sender = subprocess.Popen(
        [sys.executable, str(WORKER), str(run_id), "-3"],
        cwd=ROOT,
        env=environment(stripe_app),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sender.stdout is not None
        line = sender.stdout.readline()  # blocks until the third transfer is made
        assert line.startswith(f"hanging after {payments[2][1]}"), sender.stderr
        os.kill(sender.pid, signal.SIGKILL)
        assert sender.wait(30) == -signal.SIGKILL
    finally:
        if sender.poll() is None:
            sender.kill()
        sender.communicate()
    with stripe_app.app_context():
        assert statuses(run_id) == ["sent", "sent", "sending", "pending"]
        run = db.session.get(PaymentRun, run_id)
        assert run.status == "sending" and run.sender is not None
        db.session.remove()
    assert [len(localstripe.transfers(key)) for _, key, _, _ in payments] == [1, 1, 1, 0]

    time.sleep(1.2)  # the killed sender's lease lapses: the run is stale
    resumers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "resume"],
            cwd=ROOT,
            env=environment(stripe_app),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=120) for r in resumers]
    assert [r.returncode for r in resumers] == [0, 0], outputs
    said = sorted(out for out, _ in outputs)
    assert said == sorted(
        [f"{reference}: sent\nResumed 1 payment run.\n\n", "Resumed 0 payment runs.\n\n"]
    ), said

    with stripe_app.app_context():
        assert statuses(run_id) == ["sent"] * len(AMOUNTS)
        assert db.session.get(PaymentRun, run_id).status == "sent"
        for _payment_id, key, amount, user_id in payments:
            [transfer] = localstripe.transfers(key)  # exactly one transfer per payment
            assert (transfer["amount"], transfer["destination"]) == (amount, accounts[user_id])
        resumed = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "payment_run.resumed")
        )
        assert resumed == 1
        killed = db.session.scalars(
            select(AuditEvent.after)
            .where(
                AuditEvent.subject_type == "payment", AuditEvent.subject_id == str(payments[2][0])
            )
            .order_by(AuditEvent.id)
        ).all()
        assert [a["status"] for a in killed] == ["sending", "sent"]
        assert killed[-1]["via"] == "lookup"  # found at Stripe by its key, not sent again
        db.session.remove()


def test_without_a_queue_a_large_run_is_sent_from_a_thread_after_the_request(
    bacs_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with bacs_app.app_context():
        finance = new_user("finance", "Fran Finance")
        for name, pence in (("Sam Partner", 850), ("Kit Partner", 1_234)):
            approve_claim(partner_with_bank(name), finance, pence)
        run = runs.build_run(finance)
        run_id, finance_id = run.id, finance.id
        db.session.remove()

    release = threading.Event()
    send_many = BacsProvider.send_many

    def held_send_many(self, requests):  # type: ignore[no-untyped-def]
        assert release.wait(30)
        return send_many(self, requests)

    monkeypatch.setattr(BacsProvider, "send_many", held_send_many)
    with bacs_app.app_context():
        run = db.session.get(PaymentRun, run_id)
        runs.start_sending(run, db.session.get(User, finance_id))  # returns; the thread waits
        db.session.expire_all()
        assert db.session.get(PaymentRun, run_id).status == "sending"
        db.session.remove()
    [thread] = [t for t in sending.threads if t.name == f"lep-send-run-{run_id}"]
    release.set()
    thread.join(30)
    assert not thread.is_alive()
    with bacs_app.app_context():
        run = db.session.get(PaymentRun, run_id)
        assert run.status == "sent"
        keys = {p.key: p.amount_pence for p in run.payments}
        found = dict(
            db.session.execute(select(BacsInstruction.key, BacsInstruction.amount_pence)).all()
        )
        assert found == keys and sorted(keys.values()) == [850, 1_234]
        assert (
            db.session.scalar(select(func.count(Payment.id)).where(Payment.status == "sent")) == 2
        )
        db.session.remove()


def test_the_workers_watch_queues_a_stopped_run_again(bacs_app: Flask) -> None:
    """`flask lep worker` runs sending.watch: every interval it queues each stale run's send job
    again (here the job is lost the first time, and held the second so the test can see it)."""
    with bacs_app.app_context():
        finance = new_user("finance", "Fran Finance")
        approve_claim(partner_with_bank("Sam Partner"), finance, 850)
        run = runs.build_run(finance)
        lost = bacs_app.extensions["lep_job_queue"] = HeldQueue()
        runs.start_sending(run, finance)
        assert lost.jobs == [("lep.payments.runs.send_run", (run.id,))]  # never run
        held = bacs_app.extensions["lep_job_queue"] = HeldQueue()
        run = db.session.get(PaymentRun, run.id)
        run.sender_lease_until = run.sender_lease_until - dt.timedelta(hours=1)
        db.session.commit()
        run_id = run.id
        db.session.remove()

    stop = threading.Event()
    watcher = sending.watch(bacs_app, 0.05, stop)
    try:
        deadline = time.monotonic() + 20
        while not held.jobs and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.join(10)
    assert held.jobs == [("lep.payments.runs.send_run", (run_id,))]  # once, then reserved
    with bacs_app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "payment_run.resumed")
        )
        assert event is not None and event.actor_label == "worker"
        runs.send_run(run_id)  # the worker runs the queued job
        assert db.session.get(PaymentRun, run_id).status == "sent"
        db.session.remove()
