"""Demo involvement: partners on each fee choice and fees in each status, made through the
services (priced by the PPV rate card, approved by the demo HR user). Idempotent.

- partner@example.org (sessional, PPV): fees submitted, approved, rejected, scheduled and paid,
  with a weekly amount set low enough to show the warning.
- decliner@example.org: declines fees (expenses still repaid).
- vouchers@example.org: asks to be paid another way; one recorded as paid by finance.
- employed@example.org: an employed partner whose approved hours go to payroll.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update

from lep.accounts.models import User
from lep.applications.models import Application
from lep.db import utcnow
from lep.extensions import db
from lep.partners import involvement as services
from lep.partners.models import Appointment, Involvement, PartnerSettings
from lep.roles.models import PayPoint, Role
from lep.service import commit
from lep.shortlisting.models import Offer

SESSIONAL_ROLE = "Patient panel member"
EMPLOYED_ROLE = "Lived Experience Partner"


@dataclass(frozen=True)
class DemoFee:
    days_ago: int
    description: str
    kind: str
    minutes: int
    prep: int
    choice: str
    outcome: str  # submitted, approve, reject, scheduled, paid, paid_other_way


PARTNERS: dict[str, tuple[str, str, list[DemoFee]]] = {
    "partner@example.org": (
        "Priya Partner",
        SESSIONAL_ROLE,
        [
            DemoFee(40, "Patient safety panel: March reports", "half_day", 0, 60, "pay", "paid"),
            DemoFee(20, "Reading group on the discharge leaflet", "hours", 150, 0, "pay", "paid"),
            DemoFee(12, "Patient safety panel: April reports", "day", 0, 120, "pay", "scheduled"),
            DemoFee(6, "Co-design workshop for the new clinic", "hours", 300, 0, "pay", "approve"),
            DemoFee(5, "Interview panel for a ward manager", "hours", 180, 30, "pay", "reject"),
            DemoFee(2, "Patient safety panel: May reports", "half_day", 0, 0, "pay", "submitted"),
        ],
    ),
    "decliner@example.org": (
        "Dev Decliner",
        SESSIONAL_ROLE,
        [
            DemoFee(9, "Patient safety panel: April reports", "day", 0, 0, "decline", "approve"),
            DemoFee(3, "Survey testing session", "hours", 90, 0, "decline", "submitted"),
        ],
    ),
    "vouchers@example.org": (
        "Olu Otherway",
        SESSIONAL_ROLE,
        [
            DemoFee(25, "Patient safety panel: March reports", "day", 0, 0, "other_way", "paid_ow"),
            DemoFee(8, "Patient safety panel: April reports", "day", 0, 0, "other_way", "approve"),
        ],
    ),
    "employed@example.org": (
        "Ellis Employed",
        EMPLOYED_ROLE,
        [
            DemoFee(10, "Strategy group and write-up", "hours", 210, 45, "pay", "approve"),
            DemoFee(4, "Training for new panel members", "hours", 120, 0, "pay", "approve"),
            DemoFee(1, "Team meeting", "hours", 60, 0, "pay", "submitted"),
        ],
    ),
}


def _appoint(user: User, role: Role, hr: User) -> Appointment:
    found = db.session.scalar(
        select(Appointment).where(Appointment.user_id == user.id, Appointment.role_id == role.id)
    )
    if found is not None:
        return found
    application = db.session.scalar(
        select(Application).where(
            Application.applicant_id == user.id, Application.role_id == role.id
        )
    )
    if application is None:
        application = Application(
            role_id=role.id,
            applicant_id=user.id,
            status="appointed",
            submitted_at=utcnow() - dt.timedelta(days=150),
            reference=f"LEP-DEMO-{user.id:06d}",
        )
        db.session.add(application)
        db.session.flush()
    start = services.london_today() - dt.timedelta(days=120)
    offer = Offer(
        application_id=application.id,
        role_id=role.id,
        engagement_type=role.engagement_type,
        start_date=start,
        status="accepted",
        made_by_id=hr.id,
        responded_at=utcnow() - dt.timedelta(days=125),
    )
    if role.engagement_type == "employed":
        point = db.session.scalar(
            select(PayPoint)
            .where(PayPoint.band == (role.band or "7"), PayPoint.effective_from <= start)
            .order_by(PayPoint.effective_from.desc(), PayPoint.point)
            .limit(1)
        )
        offer.pay_point_id = point.id if point else None
        offer.band = role.band
        offer.annual_pence = point.annual_pence if point else None
        offer.minutes_per_week = role.minutes_per_week
    else:
        offer.rate_card_id = role.rate_card_id
        offer.sessions_per_month = role.sessions_per_month
    db.session.add(offer)
    db.session.flush()
    appointment = Appointment(
        user_id=user.id,
        role_id=role.id,
        offer_id=offer.id,
        engagement_type=role.engagement_type,
        starts_on=start,
    )
    db.session.add(appointment)
    commit()
    return appointment


def _set_status(inv: Involvement, status: str) -> None:
    db.session.execute(
        update(Involvement)
        .where(Involvement.id == inv.id)
        .values(status=status, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    commit()


def seed_demo_involvement() -> list[tuple[str, list[str]]]:
    """Returns the demo accounts it made (email, roles)."""
    from lep.demo import demo_user

    hr = demo_user("hr@example.org", "Harriet HR", {"hr"})
    finance = demo_user("finance@example.org", "Fin Finance", {"finance"})
    commit()
    made: list[tuple[str, list[str]]] = []
    for email, (name, title, fees) in PARTNERS.items():
        role = db.session.scalar(select(Role).where(Role.title == title))
        if role is None:
            continue
        user = demo_user(email, name, {"partner"})
        commit()
        if email != "partner@example.org":
            made.append((email, ["partner"]))
        _appoint(user, role, hr)
        if db.session.scalar(select(Involvement.id).where(Involvement.user_id == user.id)):
            continue
        for fee in fees:
            inv = services.log_involvement(
                user,
                role_id=role.id,
                happened_on=services.london_today() - dt.timedelta(days=fee.days_ago),
                description=fee.description,
                duration_kind=fee.kind,
                minutes=fee.minutes,
                prep_minutes=fee.prep,
                fee_choice=fee.choice,
            )
            if fee.outcome == "submitted":
                continue
            if fee.outcome == "reject":
                services.reject(inv, hr, "This panel was cancelled: it did not go ahead")
                continue
            services.approve(inv, hr, "Thank you")
            if fee.outcome in ("scheduled", "paid"):
                _set_status(inv, fee.outcome)
            elif fee.outcome == "paid_ow":
                services.record_paid_other_way(inv, finance, "£150 in high street gift vouchers")
    partner = db.session.scalar(select(User).where(User.email == "partner@example.org"))
    if partner is not None:
        settings = db.session.scalar(
            select(PartnerSettings).where(PartnerSettings.user_id == partner.id)
        )
        if settings is None:
            db.session.add(PartnerSettings(user_id=partner.id, weekly_warning_pence=20000))
            commit()
    return made
