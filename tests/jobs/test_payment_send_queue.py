"""On RQ, the send job goes on the priority queue: the emails a run's build queued (one per
payee) never wait ahead of sending it, and `flask lep worker` takes the priority queue first.
The worker's watch queues a stale run's send job again."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.payments import runs, sending
from lep.payments.models import PaymentRun
from tests.jobs.conftest import RQ, kept_signal_handlers
from tests.payments.test_runs import approved_claim, partner_with_bank

pytestmark = pytest.mark.redis

NAMES = ("Sam Partner", "Kit Partner", "Lee Partner", "Ola Partner")


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


def test_the_send_job_is_taken_before_the_build_emails(
    app: Flask, rq: RQ, make_user, finance
) -> None:
    for n, name in enumerate(NAMES, start=1):
        approved_claim(partner_with_bank(make_user, name), finance, 100 * n)
    emails_before = rq.queue.count
    run = runs.build_run(finance)
    assert rq.queue.count == emails_before + len(NAMES)  # "we are paying you", one each
    runs.start_sending(run, finance)
    priority = Queue(f"{rq.name}-priority", connection=rq.connection)
    assert priority.count == 1
    [send_id] = priority.job_ids
    email_ids = rq.queue.job_ids

    with kept_signal_handlers():
        result = app.test_cli_runner().invoke(args=["lep", "worker", "--burst"])
    assert result.exit_code == 0, result.output

    db.session.expire_all()
    assert db.session.get(PaymentRun, run.id).status == "sent"
    send = Job.fetch(send_id, connection=rq.connection)
    first_email = min(
        Job.fetch(i, connection=rq.connection).started_at for i in email_ids[-len(NAMES) :]
    )
    assert send.ended_at is not None and send.ended_at <= first_email


def test_the_worker_queues_a_stale_run_again(app: Flask, rq: RQ, make_user, finance) -> None:
    approved_claim(partner_with_bank(make_user, "Sam Partner"), finance, 850)
    run = runs.build_run(finance)
    runs.start_sending(run, finance)
    priority = Queue(f"{rq.name}-priority", connection=rq.connection)
    priority.empty()  # the job was lost
    run = db.session.get(PaymentRun, run.id)
    run.sender_lease_until = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()

    resumed = sending.resume_stale_runs("worker", send_here=False)

    assert [(r.reference, r.outcome) for r in resumed] == [(run.reference, "queued")]
    assert priority.count == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment_run.resumed"))
    assert event is not None and event.actor_label == "worker"
    assert sending.resume_stale_runs("worker", send_here=False) == []  # reserved: not twice
    with kept_signal_handlers():
        result = app.test_cli_runner().invoke(args=["lep", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(PaymentRun, run.id).status == "sent"
