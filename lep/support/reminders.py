"""Reminders before a check expires: 30 days, 7 days, and on or after the day it expires.

Each (check, threshold) is sent once: the reminder row is inserted in a savepoint, and the
unique constraint refuses a second, so two runs at once (cron twice, cron and the RQ job) send
one email. The emails are queued in the same transaction and delivered after the commit.
`flask lep reminders` runs `send_due` (daily, cron); with RQ, `lep.support.reminders.send_due`
is the job.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lep import audit
from lep.accounts.models import User
from lep.extensions import db
from lep.notifications.services import deliver_queued, queue_email
from lep.partners.models import Appointment
from lep.service import after_commit, commit, london_today, utcnow
from lep.support.models import THRESHOLDS, CheckReminder, SupportCheck
from lep.timeutil import format_date


def _due_threshold(expires_on: dt.date, today: dt.date) -> str | None:
    """The nearest threshold reached (only the latest is sent: a check found 5 days before
    expiry gets the 7-day reminder, not the 30-day one too)."""
    days = (expires_on - today).days
    reached = [t for t in THRESHOLDS if days <= int(t)]
    return reached[-1] if reached else None


def send_due(today_iso: str | None = None) -> int:
    """Send the reminders due today; returns how many were sent by this run."""
    today = dt.date.fromisoformat(today_iso) if today_iso else london_today()
    horizon = today + dt.timedelta(days=int(THRESHOLDS[0]))
    rows = db.session.execute(
        select(SupportCheck, Appointment)
        .join(Appointment, Appointment.id == SupportCheck.appointment_id)
        .where(
            SupportCheck.expires_on.is_not(None),
            SupportCheck.expires_on <= horizon,
            Appointment.ended_at.is_(None),
        )
        .order_by(SupportCheck.id)
    ).all()
    sent = 0
    for check, appointment in rows:
        assert check.expires_on is not None
        threshold = _due_threshold(check.expires_on, today)
        if threshold is None:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(
                    CheckReminder(check_id=check.id, threshold=threshold, sent_at=utcnow())
                )
                db.session.flush()
        except IntegrityError:
            continue  # sent already, by an earlier run or one running now
        partner = db.session.get(User, appointment.user_id)
        assert partner is not None
        to = [partner.email]
        contact = (appointment.role.contact_email or "").strip()
        if contact and contact.lower() != partner.email.lower():
            to.append(contact)
        expired = check.expires_on <= today
        subject = (
            f"Your {check.kind_text} has expired"
            if expired
            else f"Your {check.kind_text} expires on {format_date(check.expires_on)}"
        )
        for address in to:
            message = queue_email(
                address,
                subject,
                "check_reminder",
                check=check,
                partner=partner,
                role=appointment.role,
                expired=expired,
                expires=format_date(check.expires_on),
            )
            after_commit(partial(deliver_queued, message))
        audit.record(
            "support_check.reminded",
            "support_check",
            check.id,
            after={"threshold": threshold, "to": to},
            actor_label="system",
        )
        sent += 1
    commit()
    return sent
