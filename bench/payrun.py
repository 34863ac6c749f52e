"""A payment run timed end to end with the bank-file (bacs) provider, in-process.

Build the run from every approved claim, give the second finance approval when its total needs
one, press Send (JOB_QUEUE=inline: a large run is sent from a thread of this process), then
produce the bank file (audited, as finance's download is). Checks that every payment was sent
and audited and is in the file. Call it inside an app context whose database holds only the
payees it should pay.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, select

from lep.accounts.models import User
from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.payments import bankfile, runs, sending
from lep.payments.models import Payment


@dataclass(frozen=True)
class RunResult:
    payments: int
    audited: int
    file_rows: int
    build_seconds: float
    send_seconds: float  # from Send to the bank file
    seconds: float  # the whole: build, approve, send, file


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        raise RuntimeError(f"no user {email}")
    return user


def timed_run(finance_email: str, finance2_email: str) -> RunResult:
    by, second = _user(finance_email), _user(finance2_email)
    started = time.perf_counter()
    run = runs.build_run(by)
    built = time.perf_counter()
    if run.status == "awaiting_approval":
        run = runs.approve_run(run, second)
    send = time.perf_counter()
    run = runs.start_sending(run, by)
    # With no queue a large run is sent from a thread of this process (lep.payments.sending):
    # wait for it, as finance would wait for the page to say Sent.
    for thread in list(sending.threads):
        if thread.name == f"lep-send-run-{run.id}":
            thread.join()
    db.session.expire_all()
    db.session.refresh(run)
    if run.status != "sent":
        raise RuntimeError(f"{run.reference} is {run.status} after sending, not sent")
    made = bankfile.download(run, by)
    db.session.commit()
    done = time.perf_counter()
    ids = [str(i) for i in db.session.scalars(select(Payment.id).where(Payment.run_id == run.id))]
    audited = 0
    for start in range(0, len(ids), 5_000):
        audited += (
            db.session.scalar(
                select(func.count(func.distinct(AuditEvent.subject_id))).where(
                    AuditEvent.subject_type == "payment",
                    AuditEvent.action == "payment.sent",
                    AuditEvent.subject_id.in_(ids[start : start + 5_000]),
                )
            )
            or 0
        )
    return RunResult(
        payments=len(ids),
        audited=audited,
        file_rows=made.rows,
        build_seconds=built - started,
        send_seconds=done - send,
        seconds=done - started,
    )
