"""A run left sending part-way is finished: by finance's "Resume sending" on the run page, by
`flask lep resume-payments` (cron), and never by two senders at once.

The bank-file provider, in the test's own transaction: a lost job is a queue that keeps the send
job and never runs it; a sender killed part-way is a payment left `sending` with its instruction
recorded. (A real process killed with SIGKILL mid-send, and two resumers at once, are in
test_send_resume_crash.py.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from lep.audit.models import AuditEvent
from lep.commands import lep_cli
from lep.db import utcnow
from lep.extensions import db
from lep.payments import runs, sending
from lep.payments.models import BacsInstruction, Payment, PaymentRun
from lep.service import DomainError
from tests.conftest import csrf_from
from tests.payments.test_run_pages import RUNS, client_for, main, press, text
from tests.payments.test_runs import approved_claim, partner_with_bank

NAMES = {"Sam Partner": 850, "Kit Partner": 1_234, "Lee Partner": 99}


class LostQueue:
    """A queue whose jobs are never run (Redis lost them, the worker died before taking them)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, tuple[Any, ...]]] = []

    def enqueue(self, path: str, *args: Any) -> None:
        self.jobs.append((path, args))


@pytest.fixture(autouse=True)
def provider(app):
    app.extensions.pop("lep_payment_provider", None)
    yield
    app.extensions.pop("lep_payment_provider", None)
    app.extensions.pop("lep_job_queue", None)


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


def a_run(make_user, finance) -> PaymentRun:
    for name, pence in NAMES.items():
        approved_claim(partner_with_bank(make_user, name), finance, pence)
    return runs.build_run(finance)


def lapse(run_id: int) -> None:
    """Time passes: the run's lease (the sender's, or the one kept for a job) runs out."""
    run = db.session.get(PaymentRun, run_id)
    run.sender_lease_until = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()


def instructions() -> dict[str, int]:
    return dict(db.session.execute(select(BacsInstruction.key, BacsInstruction.amount_pence)).all())


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_run_whose_send_job_was_lost_is_resumed_from_the_run_page(app, make_user, finance):
    run = a_run(make_user, finance)
    queue = app.extensions["lep_job_queue"] = LostQueue()
    client = client_for(app, finance)
    url = f"{RUNS}/{run.id}"
    assert press(client, f"{url}/send").status_code == 302
    assert queue.jobs == [("lep.payments.runs.send_run", (run.id,))]  # and never run
    page = main(text(client.get(url)))
    assert "Status Sending" in page
    assert "Sent to 0 of 3 payees, 3 waiting." in page
    assert "The payments are being sent." in page
    assert "Resume sending" not in page  # a job may still take it: not stale yet

    assert "stopped part-way" not in main(text(client.get(RUNS)))
    lapse(run.id)
    assert "Sending stopped part-way: open it to resume" in main(text(client.get(RUNS)))
    page = main(text(client.get(url)))
    assert "Sending stopped before it finished" in page
    assert "Sent to 0 of 3 payees, 3 waiting." in page
    assert "Resume it to send the 3 still waiting. Nobody is paid twice" in page
    app.extensions.pop("lep_job_queue")  # no queue now: the resume sends from here
    response = press(client, f"{url}/resume")
    assert response.status_code == 302
    page = main(text(client.get(url)))
    assert f"{run.reference} has been sent." in page
    assert "Status Sent" in page
    assert "Resume sending" not in page
    db.session.expire_all()
    keys = {p.key: p.amount_pence for p in db.session.get(PaymentRun, run.id).payments}
    assert instructions() == keys  # each payment once, to the penny
    assert sorted(keys.values()) == sorted(NAMES.values())
    [resumed] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "payment_run.resumed")
    )
    assert resumed.actor_id == finance.id
    assert resumed.before["payments_waiting"] == 3
    # Pressed again from a page left open: refused plainly, nothing sent again.
    response = client.post(
        f"{url}/resume", data={"csrf_token": csrf_from(text(client.get(url))), "seen": "sending"}
    )
    assert response.status_code == 200
    assert "This run has changed: it is now sent. Reload the page" in text(response)
    assert instructions() == keys


def test_a_run_still_being_sent_cannot_be_resumed(app, make_user, finance):
    run = a_run(make_user, finance)
    app.extensions["lep_job_queue"] = LostQueue()
    runs.start_sending(run, finance)
    lease = sending.take(run.id)  # a sender is at work on it
    assert lease is not None
    with pytest.raises(DomainError) as refused:
        sending.resume_run(db.session.get(PaymentRun, run.id), finance)
    assert refused.value.errors == {
        "run": "This run is still being sent. Reload the page to see its progress"
    }
    assert sending.resume_stale_runs("resume-payments") == []
    assert sending.take(run.id) is None  # nor can a second sender start on it
    assert instructions() == {}


def test_resume_payments_finishes_a_run_a_killed_sender_left_part_way(app, make_user, finance):
    run = a_run(make_user, finance)
    app.extensions["lep_job_queue"] = LostQueue()
    runs.start_sending(run, finance)
    first, second, _third = db.session.get(PaymentRun, run.id).payments
    # The sender recorded the first payment, then the second's instruction, and was killed
    # before the second's status was saved: its lease then ran out.
    lease = sending.take(run.id)
    assert lease is not None
    first.status = "sent"
    second.status = "sending"
    for payment in (first, second):
        db.session.add(
            BacsInstruction(
                key=payment.key,
                group=run.reference,
                payee_reference=str(payment.user_id),
                amount_pence=payment.amount_pence,
                reference=payment.reference,
                state="sent",
            )
        )
    db.session.commit()
    lapse(run.id)
    app.extensions.pop("lep_job_queue")

    result = app.test_cli_runner().invoke(lep_cli, ["resume-payments"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{run.reference}: sent", "Resumed 1 payment run."]
    db.session.expire_all()
    run = db.session.get(PaymentRun, run.id)
    assert run.status == "sent"
    assert (run.sender, run.sender_lease_until) == (None, None)
    assert [p.status for p in run.payments] == ["sent", "sent", "sent"]
    assert instructions() == {p.key: p.amount_pence for p in run.payments}  # once each
    assert "payment_run.resumed" in actions()
    # Nothing left to do: cron running it again changes nothing.
    again = app.test_cli_runner().invoke(lep_cli, ["resume-payments"])
    assert again.output.splitlines() == ["Resumed 0 payment runs."]


def test_a_sender_whose_lease_another_took_writes_nothing_more(app, make_user, finance):
    run = a_run(make_user, finance)
    app.extensions["lep_job_queue"] = LostQueue()
    runs.start_sending(run, finance)
    slow = sending.take(run.id)
    assert slow is not None
    lapse(run.id)  # the slow sender did not renew in time
    assert sending.reserve(run.id)
    db.session.commit()
    fresh = sending.take(run.id)
    assert fresh is not None and fresh.token != slow.token
    with pytest.raises(sending.LeaseLost):
        sending.renew(slow)
    sending.renew(fresh)  # the one that took over goes on
    db.session.commit()


def test_two_resumers_one_run_one_of_them_takes_it(app, make_user, finance):
    run = a_run(make_user, finance)
    app.extensions["lep_job_queue"] = LostQueue()
    runs.start_sending(run, finance)
    lapse(run.id)
    assert sending.reserve(run.id) is True
    db.session.commit()
    assert sending.reserve(run.id) is False  # the second finds it taken
    db.session.rollback()


def test_a_large_run_without_a_queue_is_not_sent_in_the_request(
    app, make_user, finance, monkeypatch
):
    """PAYMENT_SEND_INLINE_MAX: with no queue, a larger run goes to a thread of the process
    (which cannot see this test's own transaction: the thread itself is checked in
    test_send_resume_crash.py). Here: the request does not send it."""
    monkeypatch.setitem(app.config, "PAYMENT_SEND_INLINE_MAX", 2)
    started: list[int] = []
    monkeypatch.setattr(sending, "in_background", started.append)
    run = a_run(make_user, finance)
    runs.start_sending(run, finance)
    assert started == [run.id]
    db.session.expire_all()
    assert db.session.get(PaymentRun, run.id).status == "sending"
    assert db.session.scalar(select(func.count(BacsInstruction.id))) == 0
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.status == "pending")) == 3
