"""Involvement fees: logged by the partner, priced by their rate card on the day, approved by the
role's staff contact, with the partner's choice of how (or whether) to be paid.

- `price_fee` is pure: the figures of one rate card rate in, the fee and a plain working out.
  Integer pence, one half-up rounding for the hourly part.
- The rate card is the one on the partner's offer (else the role's). A lived-experience reviewer on
  the role's panel, with no appointment, is paid for panel time by the role's rate card.
- Employed partners are paid through payroll: their approved time goes to the payroll export, not
  to a payment run.
- Approvers are staff (hr, finance, admin) whose email is the role's contact email, or any hr user
  when none is; never the partner themselves.
- A fee choice can be changed until the fee is scheduled for payment (or sent to payroll).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from lep import audit
from lep.accounts.models import User, UserRole
from lep.db import utcnow
from lep.extensions import db
from lep.forms import strip
from lep.money import format_pounds
from lep.notifications.models import OutboxMessage
from lep.notifications.services import queue_email
from lep.partners.models import FEE_CHOICES, Appointment, Involvement
from lep.roles.models import RateCard, Role
from lep.roles.pay import format_hours, rate_in_force
from lep.service import DomainError, commit
from lep.shortlisting.models import Panel, PanelMember
from lep.timeutil import LONDON, format_date
from lep.urls import external_url

CLAIM_WINDOW_DAYS = 90
MAX_TEXT = 2_000
MAX_MINUTES = 24 * 60
STAFF = ("hr", "finance", "admin")
# The choice can change until the fee is on its way (scheduled, paid, sent to payroll).
CHOICE_OPEN = ("submitted", "approved", "declined", "other_way")


def london_today() -> dt.date:
    return utcnow().astimezone(LONDON).date()


# -- Pricing (pure) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    """The figures of one rate card rate, as frozen on the involvement."""

    hourly_pence: int | None
    half_day_pence: int | None
    day_pence: int | None
    half_day_max_hours: int = 4


@dataclass(frozen=True)
class Priced:
    fee_pence: int
    working: str


def _pounds(pence: int) -> str:
    return format_pounds(pence, always_pence=True)


def _hourly(rate_pence: int, minutes: int) -> int:
    """rate x minutes / 60, halves rounded up, in whole pence (integer arithmetic)."""
    return (rate_pence * minutes + 30) // 60


def _prep_words(minutes: int) -> str:
    hours = format_hours(minutes)
    return f"{hours}'s" if minutes == 60 else f"{hours}'"


def price_fee(rates: Rates, duration_kind: str, minutes: int, prep_minutes: int) -> Priced:
    """The fee for some involvement at these rates, and how it was worked out, in words.

    Raises DomainError (at `duration_kind`) when the card has no rate for this kind of time.
    """
    hourly = rates.hourly_pence
    if duration_kind == "hours":
        if hourly is not None:
            fee = _hourly(hourly, minutes + prep_minutes)
            text = f"{format_hours(minutes)} at {_pounds(hourly)} an hour"
            if prep_minutes:
                text += f", plus {_prep_words(prep_minutes)} preparation"
            return Priced(fee, f"{text}: {_pounds(fee)}")
        limit = rates.half_day_max_hours * 60
        if minutes <= limit and rates.half_day_pence is not None:
            session = rates.half_day_pence
            text = (
                f"{format_hours(minutes)} is a half day (up to {format_hours(limit)}) "
                f"at {_pounds(session)}"
            )
        elif rates.day_pence is not None:
            session = rates.day_pence
            if minutes <= limit:
                text = f"{format_hours(minutes)} at the day rate of {_pounds(session)}"
            else:
                text = (
                    f"{format_hours(minutes)} is more than half a day ({format_hours(limit)}), "
                    f"so a day at {_pounds(session)}"
                )
        else:
            raise DomainError(
                {
                    "duration_kind": "The rate card has no day rate for more than "
                    f"{format_hours(limit)}: log each half day separately"
                }
            )
    elif duration_kind in ("half_day", "day"):
        session_or_none = rates.half_day_pence if duration_kind == "half_day" else rates.day_pence
        name = "Half a day" if duration_kind == "half_day" else "A day"
        if session_or_none is None:
            rate_name = "half-day" if duration_kind == "half_day" else "day"
            raise DomainError(
                {
                    "duration_kind": f"The rate card has no {rate_name} rate: "
                    "enter the time in hours instead"
                }
            )
        session = session_or_none
        text = f"{name} at {_pounds(session)}"
    else:
        raise DomainError({"duration_kind": "Select how long it took"})
    if prep_minutes and hourly is not None:
        prep = _hourly(hourly, prep_minutes)
        fee = session + prep
        text += f", plus {_prep_words(prep_minutes)} preparation at {_pounds(hourly)} an hour"
        return Priced(fee, f"{text}: {_pounds(fee)}")
    working = f"{text}: {_pounds(session)}"
    if prep_minutes:
        working += ". Preparation time is included in the session rate"
    return Priced(session, working)


def payroll_working(minutes: int, prep_minutes: int) -> str:
    text = f"Paid through payroll at your salary: {format_hours(minutes)}"
    if prep_minutes:
        text += f", plus {_prep_words(prep_minutes)} preparation"
    return text


# -- Who logs what --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A role someone may log involvement for: through an appointment, or as a panel reviewer."""

    role: Role
    appointment: Appointment | None

    @property
    def employed(self) -> bool:
        return self.appointment is not None and self.appointment.engagement_type == "employed"

    @property
    def label(self) -> str:
        return self.role.title if self.appointment else f"{self.role.title} (selection panel)"


def is_reviewer(user: Any) -> bool:
    """A lived-experience reviewer: sits on panels and is not staff (staff are salaried)."""
    return not user.has_role(*STAFF)


def places(user: Any) -> list[Place]:
    """The roles this person may log involvement for."""
    if not getattr(user, "is_authenticated", False):
        return []
    found: dict[int, Place] = {}
    for appointment in db.session.scalars(
        # An ended appointment takes no new involvement; what is owed is still paid.
        select(Appointment)
        .where(Appointment.user_id == user.id, Appointment.ended_at.is_(None))
        .order_by(Appointment.id)
    ):
        found[appointment.role_id] = Place(appointment.role, appointment)
    if is_reviewer(user):
        for role in db.session.scalars(
            select(Role)
            .join(Panel, Panel.role_id == Role.id)
            .join(PanelMember, PanelMember.panel_id == Panel.id)
            .where(PanelMember.user_id == user.id)
            .order_by(Role.title, Role.id)
        ):
            found.setdefault(role.id, Place(role, None))
    return sorted(found.values(), key=lambda p: (p.role.title, p.role.id))


def may_log(user: Any) -> bool:
    return bool(places(user))


def card_for(place: Place) -> RateCard | None:
    if place.appointment is not None and place.appointment.offer.rate_card is not None:
        return place.appointment.offer.rate_card
    return place.role.rate_card


def _check_date(place: Place, happened_on: dt.date | None, today: dt.date) -> str:
    if happened_on is None:
        return "Enter the date of the involvement"
    earliest = today - dt.timedelta(days=CLAIM_WINDOW_DAYS)
    if happened_on > today:
        return "The date must be today or in the past"
    if happened_on < earliest:
        return (
            f"Involvement must be logged within {CLAIM_WINDOW_DAYS} days: "
            f"the date must be on or after {format_date(earliest)}"
        )
    appointment = place.appointment
    if appointment is not None and happened_on < appointment.starts_on:
        return (
            f"You started in this role on {format_date(appointment.starts_on)}: "
            "the date must be on or after that"
        )
    if appointment is not None and appointment.ended_at is not None:
        ended = appointment.ended_at.astimezone(LONDON).date()
        if happened_on > ended:
            return f"Your time in this role ended on {format_date(ended)}"
    return ""


def price_for(place: Place, happened_on: dt.date, kind: str, minutes: int, prep: int) -> Any:
    """(Rates | None, RateCard | None, Priced) for this place on this date; DomainError."""
    if place.employed:
        if kind != "hours":
            raise DomainError(
                {"duration_kind": "Enter the time in hours: your hours go to payroll"}
            )
        return None, None, Priced(0, payroll_working(minutes, prep))
    card = card_for(place)
    if card is None:
        what = "Panel time for this role" if place.appointment is None else "This role"
        raise DomainError(
            {
                "role_id": f"{what} has no rate card, so no fee can be paid for it. "
                "Ask the role's contact if you think this is wrong"
            }
        )
    rate = rate_in_force(card, happened_on)
    if rate is None:
        raise DomainError(
            {
                "happened_on": f"No rate on the {card.name} rate card was in force on "
                f"{format_date(happened_on)}, so this cannot be priced. "
                "Ask the role's contact"
            }
        )
    rates = Rates(rate.hourly_pence, rate.half_day_pence, rate.day_pence, rate.half_day_max_hours)
    return rates, card, price_fee(rates, kind, minutes, prep)


def log_involvement(
    user: Any,
    *,
    role_id: int | None,
    happened_on: dt.date | None,
    description: str,
    duration_kind: str,
    minutes: int,
    prep_minutes: int,
    fee_choice: str,
) -> Involvement:
    """Log involvement, priced and frozen. Every problem is reported at its field at once."""
    errors: dict[str, str] = {}
    options = places(user)
    if not options:
        raise DomainError({"role_id": "Only partners and panel reviewers can log involvement"})
    if role_id is None and len(options) == 1:
        role_id = options[0].role.id
    place = next((p for p in options if p.role.id == role_id), None)
    if place is None:
        errors["role_id"] = "Select the role the involvement was for"
    description = str(strip(description or ""))
    if not description:
        errors["description"] = "Enter what the involvement was"
    elif len(description) > MAX_TEXT:
        errors["description"] = f"What it was must be {MAX_TEXT:,} characters or fewer"
    if duration_kind not in ("hours", "half_day", "day"):
        errors["duration_kind"] = "Select how long it took"
    elif duration_kind == "hours":
        if minutes <= 0:
            errors["minutes"] = "Enter how long it took, in hours and minutes"
        elif minutes > MAX_MINUTES:
            errors["minutes"] = "The time must be 24 hours or less: log each day separately"
    if prep_minutes < 0 or prep_minutes > MAX_MINUTES:
        errors["prep_minutes"] = "Preparation time must be 24 hours or less"
    if fee_choice not in FEE_CHOICES:
        errors["fee_choice"] = "Select how you want to be paid for this"
    elif place is not None and place.employed and fee_choice == "other_way":
        errors["fee_choice"] = (
            "Your pay for this role goes through payroll: choose to be paid or not to be paid"
        )
    if place is not None:
        problem = _check_date(place, happened_on, london_today())
        if not problem and happened_on is not None:
            from lep.pool.services import registered_on

            session = registered_on(user.id, happened_on)
            if session is not None:
                problem = (
                    f"You were on the register of {session.title} that day: its fee is made "
                    "from the register, so it is not logged here"
                )
        if problem:
            errors["happened_on"] = problem
    if errors:
        raise DomainError(errors)
    assert place is not None and happened_on is not None
    minutes = minutes if duration_kind == "hours" else 0
    rates, card, priced = price_for(place, happened_on, duration_kind, minutes, prep_minutes)
    involvement = Involvement(
        user_id=user.id,
        role_id=place.role.id,
        appointment_id=place.appointment.id if place.appointment else None,
        happened_on=happened_on,
        description=description,
        duration_kind=duration_kind,
        minutes=minutes,
        prep_minutes=prep_minutes,
        rate_card_id=card.id if card is not None else None,
        hourly_pence=rates.hourly_pence if rates else None,
        half_day_pence=rates.half_day_pence if rates else None,
        day_pence=rates.day_pence if rates else None,
        fee_pence=priced.fee_pence,
        fee_working=priced.working,
        fee_choice=fee_choice,
        status="submitted",
        decision_note="",
    )
    db.session.add(involvement)
    db.session.flush()
    audit.record(
        "involvement.logged",
        "involvement",
        involvement.id,
        after=_summary(involvement),
        actor=user,
    )
    commit()
    return involvement


def _summary(inv: Involvement) -> dict[str, Any]:
    return {
        "user_id": inv.user_id,
        "role_id": inv.role_id,
        "happened_on": inv.happened_on,
        "duration_kind": inv.duration_kind,
        "minutes": inv.minutes,
        "prep_minutes": inv.prep_minutes,
        "rate_card_id": inv.rate_card_id,
        "fee_pence": inv.fee_pence,
        "fee_working": inv.fee_working,
        "fee_choice": inv.fee_choice,
        "status": inv.status,
    }


def is_employed(inv: Involvement) -> bool:
    if inv.appointment_id is None:
        return False
    appointment = db.session.get(Appointment, inv.appointment_id)
    return appointment is not None and appointment.engagement_type == "employed"


def _guard(inv: Involvement, expected: tuple[str, ...], **values: Any) -> None:
    """Move the fee on only if nobody (a payment run, another approver) moved it first."""
    result = db.session.execute(
        update(Involvement)
        .where(
            Involvement.id == inv.id,
            Involvement.status.in_(expected),
            Involvement.updated_at == inv.updated_at,
        )
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise DomainError(
            {"involvement": "This has changed since you opened it. Reload the page to see why"}
        )
    db.session.refresh(inv)


def _approved_status(choice: str, employed: bool) -> str:
    if choice == "decline":
        return "declined"
    if choice == "other_way":
        return "other_way"
    return "payroll" if employed else "approved"


def change_choice(inv: Involvement, user: Any, choice: str) -> Involvement:
    """The partner changes how they want this fee handled, until it is on its way."""
    if inv.user_id != user.id:
        raise DomainError({"involvement": "This is not your involvement"})
    if choice not in FEE_CHOICES:
        raise DomainError({"fee_choice": "Select how you want to be paid for this"})
    employed = is_employed(inv)
    if employed and choice == "other_way":
        raise DomainError(
            {
                "fee_choice": "Your pay for this role goes through payroll: "
                "choose to be paid or not to be paid"
            }
        )
    if inv.status not in CHOICE_OPEN:
        raise DomainError(
            {"involvement": f"This can no longer be changed: it is {inv.status_text.lower()}"}
        )
    before = {"fee_choice": inv.fee_choice, "status": inv.status}
    status = inv.status if inv.status == "submitted" else _approved_status(choice, employed)
    _guard(inv, CHOICE_OPEN, fee_choice=choice, status=status)
    audit.record(
        "involvement.choice_changed",
        "involvement",
        inv.id,
        before=before,
        after={"fee_choice": choice, "status": status, "fee_pence": inv.fee_pence},
        actor=user,
    )
    commit()
    return inv


# -- Approval -------------------------------------------------------------------------------------


def _staff_with_emails(emails: set[str]) -> dict[str, list[User]]:
    if not emails:
        return {}
    users = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            func.lower(User.email).in_(emails),
            UserRole.role.in_(STAFF),
            User.active.is_(True),
        )
        .distinct()
    )
    found: dict[str, list[User]] = {}
    for user in users:
        found.setdefault(user.email.lower(), []).append(user)
    return found


def _contact(role: Role) -> str:
    return (role.contact_email or "").strip().lower()


def approval_problem(inv: Involvement, user: Any, contacts: list[User] | None = None) -> str:
    """Why this person may not decide on this involvement ("" when they may)."""
    if inv.user_id == user.id:
        return "You cannot approve your own involvement"
    if not user.has_role(*STAFF):
        return "Only the role's staff contact can approve involvement"
    from lep.pool.services import approval_problem as register_problem

    problem = register_problem(inv, user)
    if problem:
        return problem
    if contacts is None:
        email = _contact(inv.role)
        contacts = _staff_with_emails({email}).get(email, []) if email else []
    contacts = [c for c in contacts if c.id != inv.user_id]
    if any(c.id == user.id for c in contacts):
        return ""
    if not contacts and user.has_role("hr"):
        return ""
    return "Only the role's staff contact can approve involvement for this role"


def approval_queue(user: Any) -> list[Involvement]:
    """Involvement waiting for this person's decision, oldest first."""
    if not user.has_role(*STAFF):
        return []
    waiting = list(
        db.session.scalars(
            select(Involvement)
            .join(Role, Role.id == Involvement.role_id)
            .where(Involvement.status == "submitted", Involvement.user_id != user.id)
            .order_by(Involvement.created_at, Involvement.id)
        )
    )
    contacts = _staff_with_emails({_contact(i.role) for i in waiting if _contact(i.role)})
    return [
        inv
        for inv in waiting
        if not approval_problem(inv, user, contacts.get(_contact(inv.role), []))
    ]


def _email(inv: Involvement, subject: str, template: str, **context: Any) -> OutboxMessage:
    return queue_email(
        inv.user.email,
        subject,
        template,
        involvement=inv,
        partner=inv.user,
        pounds=_pounds,
        format_date=format_date,
        involvement_url=external_url("involvement.index"),
        **context,
    )


def approve(inv: Involvement, by: Any, note: str = "") -> Involvement:
    problem = approval_problem(inv, by)
    if problem:
        raise DomainError({"decision": problem})
    if inv.status != "submitted":
        raise DomainError(
            {"involvement": f"This has already been decided: it is {inv.status_text.lower()}"}
        )
    note = str(strip(note or ""))[:MAX_TEXT]
    status = _approved_status(inv.fee_choice, is_employed(inv))
    _guard(
        inv,
        ("submitted",),
        status=status,
        decided_by_id=by.id,
        approved_at=utcnow(),
        decision_note=note,
    )
    audit.record(
        "involvement.approved",
        "involvement",
        inv.id,
        before={"status": "submitted"},
        after={
            "status": status,
            "fee_choice": inv.fee_choice,
            "fee_pence": inv.fee_pence,
            "note": note,
        },
        actor=by,
    )
    _email(inv, "Your involvement has been approved", "involvement_approved")
    commit()
    return inv


def reject(inv: Involvement, by: Any, reason: str) -> Involvement:
    problem = approval_problem(inv, by)
    if problem:
        raise DomainError({"decision": problem})
    reason = str(strip(reason or ""))
    if not reason:
        raise DomainError({"note": "Enter why it is not approved: the partner will see this"})
    if len(reason) > MAX_TEXT:
        raise DomainError({"note": f"The reason must be {MAX_TEXT:,} characters or fewer"})
    if inv.status != "submitted":
        raise DomainError(
            {"involvement": f"This has already been decided: it is {inv.status_text.lower()}"}
        )
    _guard(inv, ("submitted",), status="rejected", decided_by_id=by.id, decision_note=reason)
    audit.record(
        "involvement.rejected",
        "involvement",
        inv.id,
        before={"status": "submitted"},
        after={"status": "rejected", "reason": reason, "fee_pence": inv.fee_pence},
        actor=by,
    )
    _email(inv, "Your involvement was not approved", "involvement_rejected")
    commit()
    return inv


# -- Paid another way (finance) -------------------------------------------------------------------


def other_way_waiting() -> list[Involvement]:
    return list(
        db.session.scalars(
            select(Involvement)
            .where(Involvement.status == "other_way")
            .order_by(Involvement.approved_at, Involvement.id)
        )
    )


def record_paid_other_way(inv: Involvement, by: Any, note: str) -> Involvement:
    """Finance records how a fee was paid another way (vouchers, say): the fee is paid."""
    if not by.has_role("finance"):
        raise DomainError({"note": "Only the finance team can record how a fee was paid"})
    if inv.user_id == by.id:
        raise DomainError({"note": "You cannot record a payment of your own fee"})
    if inv.status != "other_way":
        raise DomainError(
            {"involvement": f"This cannot be recorded: it is {inv.status_text.lower()}"}
        )
    note = str(strip(note or ""))
    if not note:
        raise DomainError({"note": "Enter how it was paid, for example the voucher's value"})
    if len(note) > MAX_TEXT:
        raise DomainError({"note": f"How it was paid must be {MAX_TEXT:,} characters or fewer"})
    recorded = f"Paid another way on {format_date(london_today())}: {note}"
    combined = f"{inv.decision_note}\n\n{recorded}" if inv.decision_note else recorded
    _guard(inv, ("other_way",), status="paid", decision_note=combined)
    audit.record(
        "involvement.paid_other_way",
        "involvement",
        inv.id,
        before={"status": "other_way"},
        after={"status": "paid", "note": note, "fee_pence": inv.fee_pence},
        actor=by,
    )
    _email(inv, "Your fee has been paid", "involvement_paid_other_way", note=note)
    commit()
    return inv
