"""Builders for the offer and fairness tests: roles of each kind of pay, applications at a stage
(with the Decision, Interview, Offer and Appointment rows a stage implies), written straight to the
database, and a later pay table."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import select

from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.applications.models import Application
from lep.db import utcnow
from lep.extensions import db
from lep.roles import paytables
from lep.roles.models import PayPoint, Role
from lep.shortlisting.models import Decision, Interview
from lep.shortlisting.offers import OfferTerms, london_today, make_offer
from tests.conftest import PASSWORD
from tests.roles.public_data import make_role, pay_setup

_numbers = itertools.count(1)


def person(*roles: str, full_name: str = "Alex Morgan", email: str | None = None) -> User:
    n = next(_numbers)
    user = User(
        email=email or f"offer-person-{n}@example.org",
        full_name=full_name,
        password_hash=hash_password(PASSWORD),
        email_confirmed_at=utcnow(),
        active=True,
    )
    user.set_roles(set(roles))
    db.session.add(user)
    db.session.commit()
    return user


def role_paid(engagement_type: str = "employed", **fields: Any) -> Role:
    """An open role (Band 7, 15 hours a week; or PPV sessional; or voluntary)."""
    pay_setup()
    fields.setdefault("contact_email", "priya.shah@example.org")
    return make_role(engagement_type, **fields)


def application_at(
    role: Role,
    status: str = "interview",
    *,
    applicant: User | None = None,
    by: User | None = None,
) -> Application:
    """A sent application at a status, with a shortlisting decision and an interview invitation
    where the status implies them."""
    applicant = applicant or person("applicant")
    n = next(_numbers)
    application = Application(
        role_id=role.id,
        applicant_id=applicant.id,
        status=status,
        submitted_at=utcnow() - dt.timedelta(days=20),
        reference=f"LEP-2026-{900000 + n:06d}",
    )
    db.session.add(application)
    db.session.flush()
    lead = by or person("hr", full_name="Harriet Lead")
    if status in ("shortlisted", "interview", "offered", "appointed", "declined", "unsuccessful"):
        db.session.add(
            Decision(
                application_id=application.id,
                outcome="shortlisted",
                reason="Meets every essential criterion",
                by_id=lead.id,
                outcome_sent_at=utcnow() - dt.timedelta(days=10),  # told, then on they went
            )
        )
    if status in ("interview", "offered", "appointed", "declined", "unsuccessful"):
        db.session.add(
            Interview(
                application_id=application.id,
                starts_at=utcnow() + dt.timedelta(days=3),
                location="Quarry House, Leeds",
                organiser_email="panel@example.org",
                invited_by_id=lead.id,
            )
        )
    db.session.commit()
    return application


def band7_point(point: int, on: dt.date | None = None) -> PayPoint:
    on = on or london_today()
    found = db.session.scalar(
        select(PayPoint)
        .where(PayPoint.band == "7", PayPoint.point == point, PayPoint.effective_from <= on)
        .order_by(PayPoint.effective_from.desc())
    )
    assert found is not None
    return found


def offer_for(
    application: Application,
    hr: User,
    *,
    point: int = 1,
    minutes: int | None = None,
    start: dt.date | None = None,
    **terms: Any,
):  # type: ignore[no-untyped-def]
    """Make an offer through the service, as HR would."""
    start = start or london_today() + dt.timedelta(days=28)
    if application.role.engagement_type == "employed":
        terms.setdefault("pay_point_id", band7_point(point, max(start, london_today())).id)
        terms.setdefault("minutes_per_week", minutes)
    return make_offer(application, OfferTerms(start_date=start, **terms), hr)


def later_band7_table(effective_from: dt.date, salaries: tuple[int, int, int]) -> None:
    """A later Agenda for Change table for Band 7 (whole pounds)."""
    lines = ["band,pay_point,years_from,annual_salary_gbp,effective_from"]
    for point, (years, pounds) in enumerate(zip((0, 2, 5), salaries, strict=True), start=1):
        lines.append(f"7,{point},{years},{pounds},{effective_from.isoformat()}")
    paytables.import_pay_table("\n".join(lines) + "\n", source="test")
