"""Two resumers at the same moment (two crons, or cron and the worker) on one stopped run: one
reserves it and sends it; the other leaves it. Every payment is sent once.

Two real connections (two apps, two engines) find the same stale run, wait at a barrier, then
both try the guarded UPDATE that reserves it. PostgreSQL only; the data is committed on a
database of its own (suffix "_resumerace"), emptied afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.payments import runs, sending
from lep.payments.models import BacsInstruction, PaymentRun
from tests.payments.test_send_concurrency import (
    approve_claim,
    new_user,
    partner_with_bank,
    two_apps_on,
)
from tests.payments.test_send_crash import HeldQueue

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DATABASE_URL): two connections racing on one row",
)


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    yield


@pytest.fixture
def two_apps() -> Iterator[tuple[Flask, Flask]]:
    with two_apps_on("_resumerace") as apps:
        yield apps


def test_two_resumers_at_once_send_a_stopped_run_once(
    two_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_apps
    with first.app_context():
        fran = new_user("finance", "Fran Finance")
        for name, pence in (("Sam Partner", 850), ("Kit Partner", 12_345), ("Lee Partner", 1)):
            approve_claim(partner_with_bank(name), fran, pence)
        run = runs.build_run(fran)
        first.extensions["lep_job_queue"] = HeldQueue()  # the send job is lost
        runs.start_sending(run, fran)
        first.extensions.pop("lep_job_queue")
        run = db.session.get(PaymentRun, run.id)
        run.sender_lease_until = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
        run_id, reference = run.id, run.reference
        db.session.remove()

    barrier = threading.Barrier(2, timeout=30)
    reserve = sending.reserve

    def reserve_together(*args: Any, **kwargs: Any) -> bool:
        barrier.wait()  # both found the run stale before either reserves it
        return reserve(*args, **kwargs)

    monkeypatch.setattr(sending, "reserve", reserve_together)
    outcomes: dict[str, list[tuple[str, str]]] = {}
    failures: list[BaseException] = []

    def resume(app: Flask, who: str) -> None:
        try:
            with app.app_context():
                try:
                    done = sending.resume_stale_runs(who)
                    outcomes[who] = [(r.reference, r.outcome) for r in done]
                finally:
                    db.session.remove()
        except BaseException as error:
            failures.append(error)

    threads = [
        threading.Thread(target=resume, args=(first, "cron-a")),
        threading.Thread(target=resume, args=(second, "cron-b")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sorted(outcomes.values()) == [[], [(reference, "sent")]], outcomes

    with first.app_context():
        run = db.session.get(PaymentRun, run_id)
        assert run.status == "sent"
        keys = sorted(p.key for p in run.payments)
        assert sorted(db.session.scalars(select(BacsInstruction.key))) == keys  # once each
        resumed = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "payment_run.resumed")
        )
        assert resumed == 1
        db.session.remove()
