"""Sending a run to its end: one sender at a time, stopped runs resumed, sends out of the request.

- A sender (the send job, runs.send_run) takes the run with a guarded UPDATE: the run is sending
  and no other sender holds a lease on it that has not lapsed. It renews the lease (another
  guarded UPDATE, on its own token) first thing in every transaction that moves a payment; if the
  renewal finds the token gone, another sender took over after this one's lease lapsed, and this
  one stops at once with that transaction rolled back.
- A run is stale when it is sending and its lease has lapsed, or no sender took it in time (the
  sender was killed, the request timed out, the job was lost, the connection ended). Resuming
  reserves a stale run with a guarded UPDATE, so of two resumers at once (two crons, the worker
  and finance's button) one goes on and the other leaves it. Nothing is paid twice by resuming:
  a payment left `sending` is looked up at the provider by its idempotency key first (runs.py).
- Where a send runs: with RQ, a job on the payments queue, which the worker takes before any
  email. With no queue, a run of up to PAYMENT_SEND_INLINE_MAX payments is sent in the request;
  a larger one in a thread of this process started by the request. A thread dies with its
  process, so a run it leaves part-way goes stale, and `flask lep resume-payments` (cron), the
  worker or the run page's "Resume sending" finishes it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, or_, select, update

from lep import audit, jobs
from lep.db import utcnow
from lep.extensions import db
from lep.payments.models import Payment, PaymentRun
from lep.service import commit

log = logging.getLogger(__name__)

SEND_JOB = "lep.payments.runs.send_run"
DEFAULT_LEASE_SECONDS = 120
DEFAULT_INLINE_MAX = 20
WAITING = ("pending", "sending")
# Threads this process started to send runs (tests join them).
threads: list[threading.Thread] = []


class LeaseLost(Exception):
    """Another sender took the run over: this one must stop without writing anything more."""


@dataclass(frozen=True)
class Lease:
    run_id: int
    token: str


def lease_seconds() -> int:
    return max(int(current_app.config.get("PAYMENT_SEND_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)), 1)


def _until(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=lease_seconds())


def stale(now: dt.datetime) -> ColumnElement[bool]:
    """SQL: the run is sending and nobody is (a lapsed lease, or none)."""
    return and_(
        PaymentRun.status == "sending",
        or_(PaymentRun.sender_lease_until.is_(None), PaymentRun.sender_lease_until < now),
    )


def is_stale(run: PaymentRun, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return run.status == "sending" and (
        run.sender_lease_until is None or run.sender_lease_until < now
    )


# -- The sender's lease ---------------------------------------------------------------------------


def take(run_id: int) -> Lease | None:
    """Become the run's sender (committed), or None if another sender holds it."""
    now = utcnow()
    token = secrets.token_hex(16)
    before = db.session.execute(
        select(PaymentRun.sender, PaymentRun.sender_lease_until).where(PaymentRun.id == run_id)
    ).first()
    result = db.session.execute(
        update(PaymentRun)
        .where(
            PaymentRun.id == run_id,
            PaymentRun.status == "sending",
            or_(
                PaymentRun.sender.is_(None),  # reserved for the next sender, or never taken
                PaymentRun.sender_lease_until.is_(None),
                PaymentRun.sender_lease_until < now,
            ),
        )
        .values(sender=token, sender_lease_until=_until(now))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return None
    if before is not None and before.sender is not None:
        # The sender before this one stopped part-way (its lease lapsed): say so.
        audit.record(
            "payment_run.sender_took_over",
            "payment_run",
            run_id,
            before={"sender": before.sender[:8], "lease_until": before.sender_lease_until},
            after={"sender": token[:8]},
            actor_label="system",
        )
    commit()
    return Lease(run_id, token)


def renew(lease: Lease) -> None:
    """Still this run's sender, for another lease: call first in each transaction that moves a
    payment (on PostgreSQL it also locks the run's row until that transaction ends)."""
    result = db.session.execute(
        update(PaymentRun)
        .where(
            PaymentRun.id == lease.run_id,
            PaymentRun.status == "sending",
            PaymentRun.sender == lease.token,
        )
        .values(sender_lease_until=_until(utcnow()))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        log.warning("run %s: another sender took over; this one stops", lease.run_id)
        raise LeaseLost(lease.run_id)


def finish(lease: Lease, **values: Any) -> bool:
    """Sent: the run leaves `sending` and the lease goes, in the caller's transaction."""
    result = db.session.execute(
        update(PaymentRun)
        .where(
            PaymentRun.id == lease.run_id,
            PaymentRun.status == "sending",
            PaymentRun.sender == lease.token,
        )
        .values(sender=None, sender_lease_until=None, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def let_go(lease: Lease) -> None:
    """Stop sending for now (a provider that did not answer): the run is stale at once, so the
    next resumer retries it rather than waiting for the lease to lapse."""
    db.session.rollback()
    db.session.execute(
        update(PaymentRun)
        .where(PaymentRun.id == lease.run_id, PaymentRun.sender == lease.token)
        .values(sender_lease_until=utcnow() - dt.timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    commit()


# -- Progress, and resuming -----------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    payments: int  # one per payee
    sent: int  # sent or paid
    failed: int
    last_moved_at: dt.datetime | None

    @property
    def waiting(self) -> int:
        return self.payments - self.sent - self.failed


def progress(run: PaymentRun) -> Progress:
    counts = dict(
        db.session.execute(
            select(Payment.status, func.count(Payment.id))
            .where(Payment.run_id == run.id)
            .group_by(Payment.status)
        ).all()
    )
    last = db.session.scalar(
        select(func.max(Payment.updated_at)).where(
            Payment.run_id == run.id, Payment.status.not_in(("pending",))
        )
    )
    return Progress(
        sum(counts.values()),
        counts.get("sent", 0) + counts.get("paid", 0),
        counts.get("failed", 0),
        last,
    )


def reserve(run_id: int, now: dt.datetime | None = None) -> bool:
    """Claim a stale run for the next sender (not committed). False: it is not stale (any
    more): another resumer or sender has it."""
    now = now or utcnow()
    result = db.session.execute(
        update(PaymentRun)
        .where(PaymentRun.id == run_id, stale(now))
        .values(sender=None, sender_lease_until=_until(now))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _resumed(run: PaymentRun, progress_now: Progress, **who: Any) -> None:
    audit.record(
        "payment_run.resumed",
        "payment_run",
        run.id,
        before={
            "status": "sending",
            "lease_until": run.sender_lease_until,
            "payments_waiting": progress_now.waiting,
        },
        after={"status": "sending", "payments": progress_now.payments},
        **who,
    )


def resume_run(run: PaymentRun, by: Any) -> str:
    """Finance presses "Resume sending" on a run that stopped part-way. Returns where it runs."""
    from lep.payments.runs import DomainError, _finance

    _finance(by)
    if run.status != "sending":
        raise DomainError({"run": f"This run cannot be resumed: it is {run.status_text.lower()}"})
    if not is_stale(run):
        raise DomainError(
            {"run": "This run is still being sent. Reload the page to see its progress"}
        )
    now_progress = progress(run)
    if not reserve(run.id):
        db.session.rollback()
        db.session.refresh(run)
        if run.status != "sending":
            now_is = run.status_text.lower()
            raise DomainError({"run": f"This run has changed: it is now {now_is}. Reload the page"})
        raise DomainError(
            {"run": "Someone else has just resumed this run. Reload the page to see its progress"}
        )
    _resumed(run, now_progress, actor=by)
    commit()
    return dispatch(run.id)


@dataclass(frozen=True)
class Resumed:
    reference: str
    outcome: str


def resume_stale_runs(via: str, send_here: bool = True) -> list[Resumed]:
    """Every stale run, resumed once: sent here (cron) or queued (the worker). A run another
    resumer reserved first is left to it."""
    from lep.payments.providers.base import ProviderError

    ids = list(
        db.session.scalars(select(PaymentRun.id).where(stale(utcnow())).order_by(PaymentRun.id))
    )
    db.session.rollback()
    done: list[Resumed] = []
    for run_id in ids:
        run = db.session.get(PaymentRun, run_id)
        if run is None or not reserve(run_id):
            db.session.rollback()
            continue
        reference = run.reference or str(run_id)
        _resumed(run, progress(run), actor_label=via)
        commit()
        if not send_here:
            jobs.enqueue_priority(SEND_JOB, run_id)
            done.append(Resumed(reference, "queued"))
            continue
        try:
            jobs.resolve(SEND_JOB)(run_id)
        except ProviderError as exc:
            db.session.rollback()
            done.append(Resumed(reference, f"stopped: {exc.message}"))
            continue
        db.session.expire_all()
        run = db.session.get(PaymentRun, run_id)
        done.append(Resumed(reference, run.status_text.lower() if run else "gone"))
    return done


# -- Where a send runs ----------------------------------------------------------------------------


def dispatch(run_id: int) -> str:
    """Start the sender for a run that is sending: "queued" (RQ), "sent" (here, small) or
    "background" (a thread of this process)."""
    try:
        queue = jobs.get_queue()
        if not isinstance(queue, jobs.InlineQueue):
            jobs.enqueue_priority(SEND_JOB, run_id)
            return "queued"
    except Exception:
        # The run is committed as sending: it must still go. Send it from this process.
        log.exception("could not queue the send of run %s; sending it from this process", run_id)
    waiting = db.session.scalar(
        select(func.count(Payment.id)).where(Payment.run_id == run_id, Payment.status.in_(WAITING))
    )
    limit = int(current_app.config.get("PAYMENT_SEND_INLINE_MAX", DEFAULT_INLINE_MAX))
    if (waiting or 0) <= limit:
        jobs.resolve(SEND_JOB)(run_id)
        return "sent"
    in_background(run_id)
    return "background"


def in_background(run_id: int) -> threading.Thread:
    """Send the run from a thread of this process, outside the request. Not a daemon: a process
    asked to stop waits for it (and one killed leaves a stale run that is resumed)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            try:
                jobs.resolve(SEND_JOB)(run_id)
            except Exception:
                log.exception("sending run %s stopped; it resumes once it is stale", run_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=f"lep-send-run-{run_id}")
    threads[:] = [t for t in threads if t.is_alive()]
    threads.append(thread)
    thread.start()
    return thread


def watch(app: Any, interval: float, stop: threading.Event) -> threading.Thread:
    """For `flask lep worker`: every `interval` seconds, queue each stale run again."""

    def loop() -> None:
        while not stop.wait(interval):
            with app.app_context():
                try:
                    for resumed in resume_stale_runs("worker", send_here=False):
                        log.warning("resumed %s: %s", resumed.reference, resumed.outcome)
                except Exception:
                    log.exception("could not look for stopped payment runs")
                finally:
                    db.session.remove()

    thread = threading.Thread(target=loop, name="lep-resume-payments", daemon=True)
    thread.start()
    return thread
