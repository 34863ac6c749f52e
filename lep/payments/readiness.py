"""Whether a person can be paid yet, in their own words, and what they can do about it.

A payment run holds back a person it cannot pay (no bank details, Stripe set-up unfinished,
details changed in the last PAYMENT_HOLD_DAYS days: `runs.hold_reasons` says why, for finance).
The person hears the same thing here, with a link to what to do, and no date is promised
them until they can be paid: `can_be_paid_from` is the London date from which they can be (today,
the day a hold ends), or None while nobody knows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for

from lep.db import utcnow
from lep.money import format_pounds
from lep.timeutil import format_date, to_london
from lep.urls import external_url


@dataclass(frozen=True)
class Blocker:
    """Why we cannot pay someone yet, and the one thing they can do about it."""

    reason: str
    action_text: str
    action_endpoint: str  # a url_for endpoint, or "" with action_href set
    action_href: str = ""
    paid_from: dt.date | None = None  # a hold that ends by itself: payable from this date

    @property
    def url(self) -> str:
        return url_for(self.action_endpoint) if self.action_endpoint else self.action_href

    @property
    def email_url(self) -> str:
        return external_url(self.action_endpoint) if self.action_endpoint else self.action_href


def finance_contact() -> str:
    return str(current_app.config.get("FINANCE_CONTACT_EMAIL") or current_app.config["MAIL_FROM"])


def _not_a_partner() -> Blocker:
    contact = finance_contact()
    return Blocker(
        "We do not have your bank details, and only lived experience partners can add them here.",
        f"Email the finance team at {contact} to arrange how you are paid",
        "",
        f"mailto:{contact}",
    )


def blocker(user: Any, now: dt.datetime | None = None) -> Blocker | None:
    """Why `user` cannot be paid in a run now, or None when they can."""
    from lep.partners import bank_services
    from lep.payments import runs
    from lep.payments.providers import get_provider

    now = now or utcnow()
    provider = get_provider()
    if provider.name == "bacs":
        details = bank_services.details_for(user.id)
        if details is None:
            if not bank_services.may_give_bank_details(user):
                return _not_a_partner()
            return Blocker(
                "We do not have your bank details yet, so we cannot pay you.",
                "Add your bank details",
                "partners.bank_details",
            )
        until = details.changed_at + dt.timedelta(days=bank_services.hold_days())
        if until > now:
            return Blocker(
                f"Your bank details changed on {format_date(details.changed_at)}. To keep your "
                f"money safe, we do not pay into new details until {format_date(until)}.",
                "Check your bank details",
                "partners.bank_details",
                paid_from=to_london(until).date(),
            )
        return None
    reference = runs.payee_reference(user.id, provider)
    if reference is not None and provider.payee_statuses([reference])[reference].can_be_paid:
        return None
    if not user.has_role("partner"):
        return _not_a_partner()
    return Blocker(
        "You have not finished setting up how you are paid, so we cannot pay you yet.",
        "Set up how you are paid",
        "payment_onboarding.start",
    )


def can_be_paid_from(user: Any, now: dt.datetime | None = None) -> dt.date | None:
    """The London date from which `user` can be paid: today, the day a hold ends, or None while
    they cannot be and nobody knows when they will."""
    now = now or utcnow()
    found = blocker(user, now)
    if found is None:
        return to_london(now).date()
    return found.paid_from


@dataclass(frozen=True)
class Waiting:
    """Money approved for someone that we cannot pay yet, and why."""

    pence: int
    blocker: Blocker

    @property
    def amount_text(self) -> str:
        return format_pounds(self.pence, always_pence=True)


def money_waiting(user: Any, now: dt.datetime | None = None) -> Waiting | None:
    """Approved claims and fees owed to `user` that a run would hold back, or None."""
    from sqlalchemy import func, select

    from lep.expenses.models import Claim
    from lep.extensions import db
    from lep.partners.models import Appointment, Involvement

    claims = db.session.scalar(
        select(func.coalesce(func.sum(Claim.total_approved_pence), 0)).where(
            Claim.claimant_id == user.id, Claim.status.in_(("approved", "partly_approved"))
        )
    )
    employed = (
        select(Appointment.id)
        .where(Appointment.id == Involvement.appointment_id)
        .where(Appointment.engagement_type == "employed")
        .exists()
    )
    fees = db.session.scalar(
        select(func.coalesce(func.sum(Involvement.fee_pence), 0)).where(
            Involvement.user_id == user.id,
            Involvement.status == "approved",
            Involvement.fee_choice == "pay",
            Involvement.fee_pence > 0,
            ~employed,
        )
    )
    owed = int(claims or 0) + int(fees or 0)
    if not owed:
        return None
    found = blocker(user, now)
    return Waiting(owed, found) if found is not None else None
