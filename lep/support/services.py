"""Support services: induction checklists, checks with expiry, ending an appointment.

Who may act: HR on any appointment; a staff contact (staff whose email is the role's contact
email) on their own partners' appointments; finance and other partners never. Every change is
audited and ends with `commit()`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from lep import audit
from lep.extensions import db
from lep.forms import strip
from lep.partners.models import Appointment
from lep.partners.statements import waiting_expenses_pence, waiting_fees
from lep.service import DomainError, commit, london_today, utcnow
from lep.support.models import (
    CHECK_KINDS,
    DBS_LEVELS,
    END_REASONS,
    AppointmentEnding,
    InductionItem,
    InductionTick,
    SupportCheck,
)
from lep.timeutil import format_date

STAFF = ("hr", "admin", "coordinator")
MAX_LABEL = 200


def is_contact(appointment: Appointment, person: Any) -> bool:
    """The role's staff contact: a staff account whose email is the role's contact email."""
    email = (appointment.role.contact_email or "").strip().lower()
    return bool(email) and person.has_role(*STAFF) and person.email.lower() == email


def may_manage(appointment: Appointment, person: Any) -> bool:
    """HR see and change all support records; contacts their own partners'; nobody else."""
    return person.has_role("hr") or is_contact(appointment, person)


def may_see(appointment: Appointment, person: Any) -> bool:
    return appointment.user_id == person.id or may_manage(appointment, person)


def _manager(appointment: Appointment, person: Any) -> None:
    if not may_manage(appointment, person):
        raise DomainError({"form": "Only HR or this partner's contact can change this"})


# -- Induction ------------------------------------------------------------------------------------


def add_induction_item(engagement_type: str, label: str, actor: Any) -> InductionItem:
    if not actor.has_role("hr"):
        raise DomainError({"label": "Only HR can define induction checklists"})
    label = str(strip(label or ""))
    if not label:
        raise DomainError({"label": "Enter the step, for example “Met your contact”"})
    if len(label) > MAX_LABEL:
        raise DomainError({"label": f"The step must be {MAX_LABEL} characters or fewer"})
    last = db.session.scalar(
        select(func.max(InductionItem.position)).where(
            InductionItem.engagement_type == engagement_type
        )
    )
    item = InductionItem(engagement_type=engagement_type, label=label, position=(last or 0) + 1)
    db.session.add(item)
    db.session.flush()
    audit.record(
        "induction_item.added",
        "induction_item",
        item.id,
        after={"engagement_type": engagement_type, "label": label},
        actor=actor,
    )
    commit()
    return item


@dataclass(frozen=True)
class Step:
    item: InductionItem
    tick: InductionTick | None


def checklist(appointment: Appointment) -> list[Step]:
    items = db.session.scalars(
        select(InductionItem)
        .where(InductionItem.engagement_type == appointment.engagement_type)
        .order_by(InductionItem.position, InductionItem.id)
    )
    ticks = {
        t.item_id: t
        for t in db.session.scalars(
            select(InductionTick).where(InductionTick.appointment_id == appointment.id)
        )
    }
    return [Step(item, ticks.get(item.id)) for item in items]


def tick(appointment: Appointment, item_id: int, done_on: dt.date | None, actor: Any) -> None:
    _manager(appointment, actor)
    item = db.session.get(InductionItem, item_id)
    if item is None or item.engagement_type != appointment.engagement_type:
        raise DomainError({"item_id": "Select a step of this role's induction"})
    if done_on is None:
        raise DomainError({"done_on": "Enter the date it was done"})
    if done_on > london_today():
        raise DomainError({"done_on": "The date it was done must be today or in the past"})
    if done_on < appointment.starts_on:
        start = format_date(appointment.starts_on)
        raise DomainError({"done_on": f"The date must be on or after the start, {start}"})
    existing = db.session.scalar(
        select(InductionTick).where(
            InductionTick.appointment_id == appointment.id, InductionTick.item_id == item.id
        )
    )
    if existing is not None:
        raise DomainError({"item_id": f"“{item.label}” is already ticked"})
    done = InductionTick(
        appointment_id=appointment.id, item_id=item.id, done_on=done_on, ticked_by_id=actor.id
    )
    db.session.add(done)
    db.session.flush()
    audit.record(
        "induction.ticked",
        "appointment",
        appointment.id,
        after={"item_id": item.id, "label": item.label, "done_on": done_on},
        actor=actor,
    )
    commit()


# -- Checks with expiry ---------------------------------------------------------------------------


def record_check(
    appointment: Appointment,
    *,
    kind: str,
    level: str,
    done_on: dt.date | None,
    expires_on: dt.date | None,
    actor: Any,
) -> SupportCheck:
    _manager(appointment, actor)
    errors: dict[str, str] = {}
    if kind not in CHECK_KINDS:
        errors["kind"] = "Select the kind of check"
    elif kind == "dbs" and level not in DBS_LEVELS:
        errors["level"] = "Select the level of the DBS check"
    elif kind == "right_to_work" and appointment.engagement_type != "employed":
        errors["kind"] = "Right to work is checked for employed roles only"
    if kind != "dbs":
        level = ""
    if done_on is None:
        errors["done_on"] = "Enter the date the check was done"
    elif done_on > london_today():
        errors["done_on"] = "The date the check was done must be today or in the past"
    elif expires_on is not None and expires_on < done_on:
        errors["expires_on"] = "The expiry date must be on or after the date the check was done"
    if errors:
        raise DomainError(errors)
    assert done_on is not None
    check = SupportCheck(
        appointment_id=appointment.id,
        kind=kind,
        level=level,
        done_on=done_on,
        expires_on=expires_on,
        recorded_by_id=actor.id,
    )
    db.session.add(check)
    db.session.flush()
    audit.record(
        "support_check.recorded",
        "support_check",
        check.id,
        after={
            "appointment_id": appointment.id,
            "kind": kind,
            "level": level,
            "done_on": done_on,
            "expires_on": expires_on,
        },
        actor=actor,
    )
    commit()
    return check


def checks_for(appointment: Appointment) -> list[SupportCheck]:
    return list(
        db.session.scalars(
            select(SupportCheck)
            .where(SupportCheck.appointment_id == appointment.id)
            .order_by(SupportCheck.kind, SupportCheck.done_on.desc())
        )
    )


def expired_checks(user_id: int, today: dt.date | None = None) -> list[SupportCheck]:
    """This person's checks that have expired and have no later check of the same kind: for an
    opportunity that needs a check to warn the coordinator."""
    today = today or london_today()
    mine = list(
        db.session.scalars(
            select(SupportCheck)
            .join(Appointment, Appointment.id == SupportCheck.appointment_id)
            .where(Appointment.user_id == user_id)
            .order_by(SupportCheck.done_on)
        )
    )
    latest: dict[tuple[str, str], SupportCheck] = {}
    for check in mine:
        latest[(check.kind, check.level)] = check
    return [c for c in latest.values() if c.expires_on is not None and c.expires_on <= today]


# -- Ending an appointment -------------------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    fees_pence: int
    expenses_pence: int

    @property
    def total_pence(self) -> int:
        return self.fees_pence + self.expenses_pence


def still_owed(user_id: int) -> Owed:
    """Approved fees and claims not yet paid: still paid after the appointment ends."""
    fees = sum(i.fee_pence for i in waiting_fees(user_id))
    return Owed(fees, waiting_expenses_pence(user_id))


def ending_of(appointment: Appointment) -> AppointmentEnding | None:
    return db.session.scalar(
        select(AppointmentEnding).where(AppointmentEnding.appointment_id == appointment.id)
    )


def end_appointment(
    appointment: Appointment,
    *,
    reason: str,
    last_day: dt.date | None,
    note: str,
    exit_conversation_offered: bool,
    stay_in_pool: bool,
    actor: Any,
) -> AppointmentEnding:
    """End an appointment: no new involvement after this, what is owed is still paid."""
    _manager(appointment, actor)
    errors: dict[str, str] = {}
    if appointment.ended_at is not None:
        raise DomainError({"form": "This appointment has already ended"})
    if reason not in END_REASONS:
        errors["reason"] = "Select why the appointment is ending"
    if last_day is None:
        errors["last_day"] = "Enter the last day"
    elif last_day < appointment.starts_on:
        errors["last_day"] = (
            f"The last day must be on or after the start, {format_date(appointment.starts_on)}"
        )
    note = str(strip(note or ""))
    if len(note) > 2000:
        errors["note"] = "The note must be 2,000 characters or fewer"
    if errors:
        raise DomainError(errors)
    assert last_day is not None
    owed = still_owed(appointment.user_id)
    ending = AppointmentEnding(
        appointment_id=appointment.id,
        reason=reason,
        last_day=last_day,
        note=note,
        exit_conversation_offered=exit_conversation_offered,
        stay_in_pool=stay_in_pool,
        ended_by_id=actor.id,
    )
    db.session.add(ending)
    appointment.ended_at = utcnow()
    db.session.flush()
    audit.record(
        "appointment.ended",
        "appointment",
        appointment.id,
        before={"ended_at": None},
        after={
            "reason": reason,
            "last_day": last_day,
            "exit_conversation_offered": exit_conversation_offered,
            "stay_in_pool": stay_in_pool,
            "owed_fees_pence": owed.fees_pence,
            "owed_expenses_pence": owed.expenses_pence,
        },
        actor=actor,
    )
    commit()
    return ending
