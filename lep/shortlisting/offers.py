"""Offers and the interview outcome, as functions with guards. Each owns its transaction and audits.

HR offers the role to an application that is shortlisted (or selected in a lottery) or at
interview: an employed role on a pay point of its band, with hours a week; a sessional role on a
rate card, with sessions a month; a voluntary role with no pay. The offer freezes the figures it
was made at (a later pay table or new rates change nothing already offered). The applicant
accepts (they become a partner, appointed to the role) or declines; HR may withdraw an offer
nobody has answered. Every change is a guarded UPDATE, so a double click or two tabs act once.
Why an offer was withdrawn or declined is kept on the offer (`reason`); the interview's outcome
("offer" or "unsuccessful", with the reason kept for feedback) on the interview.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from lep import audit
from lep.accounts.models import User
from lep.applications.models import Application
from lep.db import utcnow
from lep.extensions import db
from lep.money import format_pounds
from lep.notifications.models import OutboxMessage
from lep.notifications.services import queue_email
from lep.partners.services import appoint
from lep.roles import pay
from lep.roles.models import PayPoint, RateCard, Role
from lep.service import DomainError, commit
from lep.shortlisting.models import Interview, Offer
from lep.timeutil import LONDON, format_date
from lep.urls import external_url

OFFERABLE = ("shortlisted", "interview")  # a lottery's selection is "shortlisted"
PIPELINE = ("interview", "shortlisted", "offered", "appointed", "declined", "unsuccessful")
MAX_REASON = 2_000
MAX_SESSIONS = 31
FULL_TIME = pay.FULL_TIME_MINUTES


@dataclass(frozen=True)
class OfferTerms:
    """What HR chose. None means the role's own (hours, rate card, sessions)."""

    start_date: dt.date | None
    pay_point_id: int | None = None
    minutes_per_week: int | None = None
    rate_card_id: int | None = None
    sessions_per_month: int | None = None


def london_today() -> dt.date:
    return utcnow().astimezone(LONDON).date()


def pro_rata_pence(annual_pence: int, minutes_per_week: int) -> int:
    """annual x minutes / 2250, rounded half up to the penny, in whole numbers only."""
    return (annual_pence * minutes_per_week * 2 + FULL_TIME) // (2 * FULL_TIME)


# -- Reading -------------------------------------------------------------------------------------


def pay_points_for(role: Role, on: dt.date) -> list[PayPoint]:
    """The role's band's pay points in the table in force on a date (empty if none)."""
    if not role.band:
        return []
    band = pay.band_in_force(role.band, on)
    return list(band.points) if band else []


def rate_cards() -> list[RateCard]:
    return list(db.session.scalars(select(RateCard).order_by(RateCard.name)))


def latest_offer(application_id: int) -> Offer | None:
    """The most recent offer for an application, whatever its status."""
    return db.session.scalar(
        select(Offer).where(Offer.application_id == application_id).order_by(Offer.id.desc())
    )


def live_offer(application_id: int) -> Offer | None:
    """The offer waiting for a reply, if there is one."""
    return db.session.scalar(
        select(Offer).where(Offer.application_id == application_id, Offer.status == "made")
    )


def offers_awaiting_reply(user_id: int) -> list[Offer]:
    """A person's offers waiting for their reply (for their dashboard)."""
    return list(
        db.session.scalars(
            select(Offer)
            .join(Application, Application.id == Offer.application_id)
            .where(
                Application.applicant_id == user_id,
                Application.status == "offered",
                Offer.status == "made",
            )
            .order_by(Offer.id)
        )
    )


def may_answer(offer: Offer) -> bool:
    return offer.status == "made" and offer.application.status == "offered"


@dataclass(frozen=True)
class PipelineRow:
    application: Application
    offer: Offer | None  # the latest offer, whatever its status
    interview: Interview | None


def pipeline(role: Role) -> list[PipelineRow]:
    """A role's applications from shortlisting on, each with its latest offer and interview."""
    applications = list(
        db.session.scalars(
            select(Application)
            .where(Application.role_id == role.id, Application.status.in_(PIPELINE))
            .options(selectinload(Application.applicant))
            .order_by(Application.reference, Application.id)
        )
    )
    latest: dict[int, Offer] = {}
    interviews: dict[int, Interview] = {}
    if applications:
        ids = [a.id for a in applications]
        for offer in db.session.scalars(
            select(Offer)
            .where(Offer.application_id.in_(ids))
            .options(selectinload(Offer.pay_point))
            .order_by(Offer.id)
        ):
            latest[offer.application_id] = offer
        interviews = {
            i.application_id: i
            for i in db.session.scalars(select(Interview).where(Interview.application_id.in_(ids)))
        }
    return [PipelineRow(a, latest.get(a.id), interviews.get(a.id)) for a in applications]


def hours_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not rest:
        return pay.format_hours(minutes)
    if not hours:
        return f"{rest} minutes"
    return f"{hours} {'hour' if hours == 1 else 'hours'} {rest} minutes"


def pay_words(offer: Offer) -> str:
    """The frozen figures in plain words, as the applicant reads them."""
    if offer.engagement_type == "employed" and offer.annual_pence is not None:
        point = f", point {offer.pay_point.point}" if offer.pay_point is not None else ""
        year = (
            f" ({pay.pay_year_label(offer.pay_point.effective_from)} pay)"
            if offer.pay_point is not None
            else ""
        )
        text = (
            f"Band {offer.band}{point}: {format_pounds(offer.annual_pence)} a year full time{year}"
        )
        minutes = offer.minutes_per_week or FULL_TIME
        if minutes < FULL_TIME and offer.pro_rata_annual_pence is not None:
            text += (
                f"; for {hours_words(minutes)} a week that is "
                f"{format_pounds(offer.pro_rata_annual_pence)} a year."
            )
        else:
            text += ". This is a full-time post (37.5 hours a week)."
        return text
    if offer.engagement_type == "sessional":
        parts = []
        if offer.day_pence is not None:
            parts.append(f"{format_pounds(offer.day_pence)} for a day")
        if offer.half_day_pence is not None:
            parts.append(f"{format_pounds(offer.half_day_pence)} for half a day")
        if offer.hourly_pence is not None:
            parts.append(f"{format_pounds(offer.hourly_pence)} an hour")
        text = "You would be paid " + ", ".join(parts) + ", plus your expenses."
        if offer.sessions_per_month:
            many = "session" if offer.sessions_per_month == 1 else "sessions"
            text += f" About {offer.sessions_per_month} {many} a month."
        return text
    return pay.VOLUNTARY_STATEMENT


# -- Making an offer -----------------------------------------------------------------------------


def _terms_for(role: Role, terms: OfferTerms) -> tuple[dict[str, Any], dict[str, str]]:
    """The frozen figures for these terms, or the problems with them, by field."""
    errors: dict[str, str] = {}
    start = terms.start_date
    if start is None:
        errors["start_date"] = "Enter the start date"
    elif start < london_today():
        errors["start_date"] = "The start date must be today or in the future"
    values: dict[str, Any] = {"engagement_type": role.engagement_type}
    if role.engagement_type == "employed":
        minutes = terms.minutes_per_week
        if minutes is None:
            minutes = role.minutes_per_week or FULL_TIME
        if not 0 < minutes <= FULL_TIME:
            errors["hours"] = "Hours a week must be more than 0 and no more than 37.5"
        if not role.band:
            errors["pay_point_id"] = "The role has no pay band: set one on the role first"
        elif terms.pay_point_id is None:
            errors["pay_point_id"] = "Select a pay point"
        elif start is not None and "start_date" not in errors:
            points = {p.id: p for p in pay_points_for(role, start)}
            point = points.get(terms.pay_point_id)
            if not points:
                errors["pay_point_id"] = (
                    f"There is no Band {role.band} pay table in force on {format_date(start)}"
                )
            elif point is None:
                on = format_date(start)
                errors["pay_point_id"] = f"Choose a pay point from the pay table in force on {on}"
            else:
                values.update(
                    pay_point_id=point.id,
                    band=point.band,
                    annual_pence=point.annual_pence,
                    minutes_per_week=minutes,
                    pro_rata_annual_pence=pro_rata_pence(point.annual_pence, minutes),
                )
    elif role.engagement_type == "sessional":
        card_id = terms.rate_card_id or role.rate_card_id
        sessions = terms.sessions_per_month or role.sessions_per_month
        if sessions is not None and not 1 <= sessions <= MAX_SESSIONS:
            errors["sessions_per_month"] = "Sessions a month must be between 1 and 31"
        if card_id is None or db.session.get(RateCard, card_id) is None:
            errors["rate_card_id"] = "Select a rate card"
        elif start is not None and "start_date" not in errors:
            rate = pay.rate_in_force(card_id, start)
            if rate is None:
                errors["rate_card_id"] = (
                    f"That rate card has no rates in force on {format_date(start)}"
                )
            else:
                values.update(
                    rate_card_id=card_id,
                    sessions_per_month=sessions,
                    hourly_pence=rate.hourly_pence,
                    half_day_pence=rate.half_day_pence,
                    day_pence=rate.day_pence,
                )
    return values, errors


def _email_applicant(offer: Offer, subject: str, template: str, **context: Any) -> OutboxMessage:
    application = offer.application
    return queue_email(
        application.applicant.email,
        subject,
        template,
        offer=offer,
        application=application,
        role=offer.role,
        pay_words=pay_words(offer),
        start_date=format_date(offer.start_date),
        offer_url=external_url("offers.show", offer_id=offer.id),
        **context,
    )


def _hr_address(offer: Offer) -> str:
    if offer.role.contact_email:
        return offer.role.contact_email
    # The person who made the offer, when the role names no contact.
    maker = db.session.get(User, offer.made_by_id)
    return maker.email if maker is not None else ""


def _move_application(application: Application, expected: tuple[str, ...], status: str) -> None:
    """One guarded UPDATE: move on only if nobody moved it first (the row is locked till commit)."""
    result = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status.in_(expected))
        .values(status=status, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise DomainError(
            {"application": "This application has changed since you opened it. Reload the page"}
        )
    db.session.refresh(application)


def _interview(application: Application) -> Interview | None:
    return db.session.scalar(select(Interview).where(Interview.application_id == application.id))


def _move_offer(offer: Offer, status: str, reason: str = "") -> None:
    """One guarded UPDATE: answer or withdraw only an offer still waiting, keeping why."""
    result = db.session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == "made")
        .values(status=status, responded_at=utcnow(), reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise DomainError({"offer": "This offer has already been answered or withdrawn"})
    db.session.refresh(offer)


def make_offer(application: Application, terms: OfferTerms, by: Any) -> Offer:
    """Offer the role: the application moves to "offered" and the applicant is emailed a link."""
    if application.status not in OFFERABLE:
        raise DomainError(
            {"application": "Only a shortlisted application, or one at interview, can be offered"}
        )
    role = application.role
    values, errors = _terms_for(role, terms)
    if errors:
        raise DomainError(errors)
    assert terms.start_date is not None
    before = application.status
    _move_application(application, OFFERABLE, "offered")
    interview = _interview(application) if before == "interview" else None
    if interview is not None:
        interview_before = {
            "outcome": interview.outcome,
            "outcome_reason": interview.outcome_reason,
        }
        interview.outcome, interview.outcome_reason = "offer", ""
    offer = Offer(
        application_id=application.id,
        role_id=role.id,
        start_date=terms.start_date,
        status="made",
        made_by_id=by.id,
        **values,
    )
    db.session.add(offer)
    db.session.flush()
    frozen = {
        key: getattr(offer, key)
        for key in (
            "engagement_type",
            "pay_point_id",
            "band",
            "annual_pence",
            "minutes_per_week",
            "pro_rata_annual_pence",
            "rate_card_id",
            "sessions_per_month",
            "hourly_pence",
            "half_day_pence",
            "day_pence",
            "start_date",
        )
    }
    audit.record(
        "offer.made",
        "offer",
        offer.id,
        after={"application_id": application.id, "status": "made", **frozen},
        actor=by,
    )
    audit.record(
        "application.offered",
        "application",
        application.id,
        before={"status": before},
        after={"status": "offered", "offer_id": offer.id},
        actor=by,
    )
    if interview is not None:
        audit.record(
            "application.interview_outcome",
            "application",
            application.id,
            before=interview_before,
            after={"outcome": "offer", "offer_id": offer.id},
            actor=by,
        )
    _email_applicant(offer, f"We would like to offer you the role: {role.title}", "offer_made")
    commit()
    return offer


def withdraw_offer(offer: Offer, by: Any, reason: str) -> Offer:
    """HR takes back an offer nobody has answered, saying why. The application goes back to
    where it was (interview, or shortlisted), so a corrected offer can be made."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "Enter why the offer is being withdrawn"})
    if len(reason) > MAX_REASON:
        raise DomainError({"reason": "The reason must be 2,000 characters or fewer"})
    if offer.status != "made":
        raise DomainError({"offer": "Only an offer that has not been answered can be withdrawn"})
    application = offer.application
    back_to = "interview" if _interview(application) is not None else "shortlisted"
    _move_offer(offer, "withdrawn", reason)
    _move_application(application, ("offered",), back_to)
    audit.record(
        "offer.withdrawn",
        "offer",
        offer.id,
        before={"status": "made"},
        after={"status": "withdrawn", "reason": reason},
        actor=by,
    )
    audit.record(
        "application.offer_withdrawn",
        "application",
        application.id,
        before={"status": "offered"},
        after={"status": back_to, "offer_id": offer.id},
        actor=by,
    )
    _email_applicant(
        offer,
        f"Your offer for {offer.role.title} has been withdrawn",
        "offer_withdrawn",
        reason=reason,
    )
    commit()
    return offer


def _answerable(offer: Offer, user: Any) -> Application:
    application = offer.application
    if application.applicant_id != user.id:
        raise DomainError({"offer": "This is not your offer"})
    if not may_answer(offer):
        raise DomainError({"offer": "This offer has already been answered or withdrawn"})
    return application


def accept_offer(offer: Offer, user: Any) -> Offer:
    """The applicant accepts: appointed to the role, and a partner."""
    application = _answerable(offer, user)
    _move_offer(offer, "accepted")
    _move_application(application, ("offered",), "appointed")
    appointment = appoint(offer, user)
    audit.record(
        "offer.accepted",
        "offer",
        offer.id,
        before={"status": "made"},
        after={"status": "accepted", "appointment_id": appointment.id},
        actor=user,
    )
    audit.record(
        "application.appointed",
        "application",
        application.id,
        before={"status": "offered"},
        after={"status": "appointed", "offer_id": offer.id},
        actor=user,
    )
    _email_hr(offer, "accepted")
    _email_accepted(offer, user)
    commit()
    return offer


def payment_step() -> tuple[str, str]:
    """What a new partner does so that we can pay them: (words, endpoint)."""
    if current_app.config.get("PAYMENT_PROVIDER", "bacs") == "stripe":
        return "Set up how you are paid, so that we can pay you", "payment_onboarding.start"
    return "Add your bank details, so that we can pay you", "partners.bank_details"


def _email_accepted(offer: Offer, user: Any) -> OutboxMessage:
    """The applicant's own confirmation, with what happens next."""
    application = offer.application
    words, endpoint = payment_step()
    return queue_email(
        user.email,
        f"You have accepted the offer: {offer.role.title}",
        "offer_accepted",
        offer=offer,
        application=application,
        role=offer.role,
        pay_words=pay_words(offer),
        start_date=format_date(offer.start_date),
        payment_step=words,
        payment_url=external_url(endpoint),
        dashboard_url=external_url("main.dashboard"),
        offer_url=external_url("offers.show", offer_id=offer.id),
    )


def decline_offer(offer: Offer, user: Any, reason: str = "") -> Offer:
    """The applicant declines, with a reason if they would like to give one."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise DomainError({"reason": "Your reason must be 2,000 characters or fewer"})
    application = _answerable(offer, user)
    _move_offer(offer, "declined", reason)
    _move_application(application, ("offered",), "declined")
    audit.record(
        "offer.declined",
        "offer",
        offer.id,
        before={"status": "made"},
        after={"status": "declined", "reason": reason},
        actor=user,
    )
    audit.record(
        "application.declined",
        "application",
        application.id,
        before={"status": "offered"},
        after={"status": "declined", "offer_id": offer.id},
        actor=user,
    )
    _email_hr(offer, "declined", reason=reason)
    commit()
    return offer


def _email_hr(offer: Offer, answer: str, reason: str = "") -> OutboxMessage | None:
    to = _hr_address(offer)
    if not to:
        return None
    application = offer.application
    return queue_email(
        to,
        f"Offer {answer}: {offer.role.title}, {application.reference}",
        "offer_answered",
        offer=offer,
        application=application,
        role=offer.role,
        answer=answer,
        reason=reason,
        pay_words=pay_words(offer),
        start_date=format_date(offer.start_date),
        offers_url=external_url("offers.role_offers", role_id=offer.role_id),
    )


# -- The interview outcome -----------------------------------------------------------------------


def record_unsuccessful(application: Application, by: Any, reason: str) -> Application:
    """After interview, not this time: the reason is kept on the interview for feedback (not
    sent), and the applicant is told kindly, with a way to ask for feedback."""
    reason = (reason or "").strip()
    if application.status != "interview":
        raise DomainError(
            {"outcome": "An outcome can only be recorded for an application at interview"}
        )
    if not reason:
        raise DomainError({"reason": "Enter the reason, for feedback to the applicant"})
    if len(reason) > MAX_REASON:
        raise DomainError({"reason": "The reason must be 2,000 characters or fewer"})
    _move_application(application, ("interview",), "unsuccessful")
    interview = _interview(application)
    before: dict[str, Any] = {"status": "interview"}
    if interview is not None:
        before |= {"outcome": interview.outcome, "outcome_reason": interview.outcome_reason}
        interview.outcome, interview.outcome_reason = "unsuccessful", reason
    audit.record(
        "application.interview_outcome",
        "application",
        application.id,
        before=before,
        after={"status": "unsuccessful", "outcome": "unsuccessful", "reason": reason},
        actor=by,
    )
    role = application.role
    queue_email(
        application.applicant.email,
        f"Your interview for {role.title}",
        "interview_outcome_unsuccessful",
        application=application,
        role=role,
    )
    commit()
    return application
