"""The worker dies mid-run; running the job again pays nobody twice (Stripe, over localstripe).

A real worker process (tests/payments/crash_worker.py) sends a run of four payments and kills
itself right after Stripe made the third transfer, before the payment's status was saved. A fresh
worker then runs the job again. Every payment is sent exactly once, to the penny, and the one
left in `sending` is looked up at Stripe by its key instead of being sent again.

The worker is another process, so it cannot see the rolled-back transaction the other tests run
in: this test commits its data on a database of its own (suffix "_crash"), emptied afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.engine import make_url

from lep.accounts.models import User
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.expenses import services as expenses
from lep.expenses.models import ExpenseCategory
from lep.extensions import db
from lep.payments import runs
from lep.payments.models import Payee, Payment, PaymentRun
from lep.payments.providers import get_provider
from lep.payments.providers.base import PayeeDetails
from tests.dbutil import database_url, reset_schema
from tests.payments.conftest import LocalStripe
from tests.payments.crash_worker import ENV_DATABASE_URL, ROOT, make_app
from tests.payments.localstripe_connect import complete_onboarding

WORKER = Path(__file__).with_name("crash_worker.py")
AMOUNTS = {"Ada Partner": 1_234, "Ben Partner": 5_001, "Cal Partner": 999, "Dee Partner": 20_050}
CRASH_AFTER = 3


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    """Replaces tests/conftest.py's rolled-back transaction: this data must be committed."""
    yield


@pytest.fixture
def crash_app(stripe_config: dict[str, Any]) -> Iterator[Flask]:
    url = database_url(suffix="_crash")
    app = make_app(url, PAYMENT_PROVIDER="stripe", **stripe_config)
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
        if url.startswith("sqlite"):
            shutil.rmtree(Path(make_url(url).database or "").parent, ignore_errors=True)


class HeldQueue:
    """Keeps the send job for the worker process instead of running it here."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, tuple[Any, ...]]] = []

    def enqueue(self, path: str, *args: Any) -> None:
        self.jobs.append((path, args))


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


def onboard(user: User) -> str:
    registration = get_provider().register_payee(
        PayeeDetails(user.id, user.full_name, user.email), "http://localhost/return"
    )
    complete_onboarding(registration.onboarding_url)
    db.session.add(
        Payee(
            user_id=user.id, provider="stripe", reference=registration.reference, can_be_paid=True
        )
    )
    db.session.commit()
    return registration.reference


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


def worker(app: Flask, run_id: int, crash_after: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        ENV_DATABASE_URL: app.config["SQLALCHEMY_DATABASE_URI"],
        "STRIPE_API_KEY": app.config["STRIPE_API_KEY"],
        "STRIPE_WEBHOOK_SECRET": app.config["STRIPE_WEBHOOK_SECRET"],
        "STRIPE_API_BASE": app.config["STRIPE_API_BASE"],
    }
    return subprocess.run(
        [sys.executable, str(WORKER), str(run_id), str(crash_after)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def statuses(run_id: int) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Payment.status).where(Payment.run_id == run_id).order_by(Payment.id)
        )
    )


def test_a_worker_killed_mid_run_then_run_again_pays_everyone_exactly_once(
    crash_app: Flask, localstripe: LocalStripe
) -> None:
    with crash_app.app_context():
        finance = new_user("finance", "Fran Finance")
        accounts = {}
        for name, pence in AMOUNTS.items():
            partner = new_user("partner", name)
            accounts[partner.id] = onboard(partner)
            approve_claim(partner, finance, pence)
        run = runs.build_run(finance)
        assert run.status == "approved"
        queue = crash_app.extensions["lep_job_queue"] = HeldQueue()
        runs.start_sending(run, finance)
        assert queue.jobs == [("lep.payments.runs.send_run", (run.id,))]
        run_id, group = run.id, run.reference
        payments = [(p.id, p.key, p.amount_pence, p.user_id) for p in run.payments]
        assert sorted(p[2] for p in payments) == sorted(AMOUNTS.values())
        db.session.remove()  # nothing of ours open while the worker writes

    crashed = worker(crash_app, run_id, CRASH_AFTER)

    assert crashed.returncode == 1, crashed.stderr
    killed_id, killed_key = payments[CRASH_AFTER - 1][:2]
    assert f"crashed after {killed_key}" in crashed.stdout
    with crash_app.app_context():
        # Where it died: two sent, the third made at Stripe but still `sending` here, one left.
        assert statuses(run_id) == ["sent", "sent", "sending", "pending"]
        assert db.session.get(PaymentRun, run_id).status == "sending"
        db.session.remove()
    assert [len(localstripe.transfers(key)) for _, key, _, _ in payments] == [1, 1, 1, 0]

    time.sleep(1.2)  # the dead worker's lease on the run (1 s here) lapses
    again = worker(crash_app, run_id, 0)

    assert again.returncode == 0, again.stderr
    assert f"finished run {run_id}" in again.stdout
    with crash_app.app_context():
        assert statuses(run_id) == ["sent"] * len(AMOUNTS)
        assert db.session.get(PaymentRun, run_id).status == "sent"
        paid_to: dict[str, int] = defaultdict(int)
        for payment_id, key, amount, user_id in payments:
            [transfer] = localstripe.transfers(key)  # exactly one transfer per payment
            assert (transfer["amount"], transfer["currency"]) == (amount, "gbp")
            assert transfer["destination"] == accounts[user_id]
            assert transfer["transfer_group"] == group
            paid_to[transfer["destination"]] += transfer["amount"]
            payment = db.session.get(Payment, payment_id)
            assert payment.provider_reference == transfer["id"]
            moves = db.session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.subject_type == "payment", AuditEvent.subject_id == str(payment_id)
                )
                .order_by(AuditEvent.id)
            ).all()
            assert [m.action for m in moves] == ["payment.sending", "payment.sent"]
            via = moves[-1].after["via"]
            assert via == ("lookup" if payment_id == killed_id else "send"), payment_id
        # Nobody paid twice: each account got exactly its payment, and the run nothing more.
        assert paid_to == {accounts[user_id]: amount for _, _, amount, user_id in payments}
        for account in accounts.values():
            # (Run references repeat across this session's databases: look by account.)
            assert (
                len(localstripe.get("/v1/transfers", destination=account, limit=100)["data"]) == 1
            )
        db.session.remove()
