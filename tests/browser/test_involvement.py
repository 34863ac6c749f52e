"""A partner logs involvement in a real browser, meets the error pattern on the way, sees the fee
worked out, changes how they want it paid, and looks at their payments page. axe-core finds
nothing on any page.

The partner, their role and appointment are written into the live server's own database through
its app, and removed after (audit events stay: they are append-only).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.applications.models import Application
from lep.db import utcnow
from lep.extensions import db
from lep.partners.models import Appointment, Involvement
from lep.roles import paytables
from lep.roles.models import Role
from lep.shortlisting.models import Offer
from lep.timeutil import LONDON
from tests.browser.helpers import BrowserLog, expect_error_state
from tests.browser.test_expense_claim import PASSWORD, Audit, button, heading

pytestmark = pytest.mark.browser


@pytest.fixture
def partner(live_app: Flask) -> Iterator[str]:
    tag = uuid.uuid4().hex[:8]
    email = f"sam.involved.{tag}@example.org"
    with live_app.app_context():
        user = User(
            email=email,
            full_name="Sam Partner",
            password_hash=hash_password(PASSWORD),
            email_confirmed_at=utcnow(),
            active=True,
        )
        user.set_roles({"partner"})
        db.session.add(user)
        card = paytables.create_rate_card(f"Browser card {tag}")
        paytables.add_rates(card, dt.date(2020, 4, 1), hourly_pence=2000)
        role = Role(
            title=f"Patient panel member {tag}",
            engagement_type="sessional",
            sessions_per_month=2,
            rate_card_id=card.id,
            status="open",
            contact_email="contact@example.org",
        )
        db.session.add(role)
        db.session.flush()
        application = Application(
            role_id=role.id, applicant_id=user.id, status="appointed", reference=f"LEP-B-{tag}"
        )
        db.session.add(application)
        db.session.flush()
        offer = Offer(
            application_id=application.id,
            role_id=role.id,
            engagement_type="sessional",
            rate_card_id=card.id,
            start_date=dt.date(2020, 5, 1),
            status="accepted",
            made_by_id=user.id,
        )
        db.session.add(offer)
        db.session.flush()
        appointment = Appointment(
            user_id=user.id,
            role_id=role.id,
            offer_id=offer.id,
            engagement_type="sessional",
            starts_on=dt.date(2020, 5, 1),
        )
        db.session.add(appointment)
        db.session.commit()
        ids = (user.id, appointment.id, offer.id, application.id)
        db.session.remove()
    yield email
    with live_app.app_context():
        user_id, appointment_id, offer_id, application_id = ids
        db.session.execute(delete(Involvement).where(Involvement.user_id == user_id))
        db.session.execute(delete(Appointment).where(Appointment.id == appointment_id))
        db.session.execute(delete(Offer).where(Offer.id == offer_id))
        db.session.execute(delete(Application).where(Application.id == application_id))
        db.session.commit()
        db.session.remove()


def test_a_partner_logs_involvement_and_chooses_how_to_be_paid(
    page: Page, axe: Axe, log: BrowserLog, partner: str
) -> None:
    audit = Audit(page, axe, log)
    today = dt.datetime.now(LONDON).date()

    page.goto("/sign-in")
    page.locator("#email").fill(partner)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    heading(page, "Hello, Sam Partner")

    page.goto("/involvement")
    heading(page, "Your involvement")
    audit("involvement, none yet")
    button(page, "Log involvement").click()

    heading(page, "Log involvement")
    expect(page.locator("#benefits")).to_contain_text("We never ask which benefits you receive")
    audit("log involvement")
    page.locator("#hours").fill("two")
    button(page, "Log involvement").click()
    expect_error_state(
        page,
        {
            "happened_on-day": "Enter the date of the involvement",
            "description": "Enter what the involvement was",
            "duration_kind": "Select how long it took",
            "hours": "Hours must be a whole number, like 2",
            "fee_choice": "Select how you want to be paid for this",
        },
        follow_first=False,
    )
    expect(page.locator("#hours")).to_have_value("two")
    audit("log involvement, with errors")

    page.locator("#happened_on-day").fill(str(today.day))
    page.locator("#happened_on-month").fill(str(today.month))
    page.locator("#happened_on-year").fill(str(today.year))
    page.locator("#description").fill("Patient safety panel")
    page.get_by_label("Hours and minutes", exact=True).check()
    page.locator("#hours").fill("2")
    page.locator("#minutes").fill("30")
    page.locator("#prep_hours").fill("1")
    page.get_by_label("Pay me", exact=True).check()
    button(page, "Log involvement").click()

    heading(page, "Your involvement")
    table = page.locator("#involvement")
    expect(table).to_contain_text("2.5 hours at £20.00 an hour, plus 1 hour's preparation: £70.00")
    expect(table).to_contain_text("Waiting for approval")
    audit("involvement, one logged")

    table.get_by_role("link", name="Change").click()
    heading(page, "How do you want to be paid for this?")
    audit("change the choice")
    page.get_by_label("I do not want to be paid for this (my expenses are still paid)").check()
    button(page, "Save your choice").click()
    heading(page, "Your involvement")
    expect(table).to_contain_text("I do not want to be paid for this")

    page.get_by_role("link", name="What you have been paid").click()
    heading(page, "Your payments")
    audit("payments")
    page.locator("#amount").fill("a lot")
    button(page, "Save the amount").click()
    expect_error_state(page, {"amount": "Enter the amount in pounds and pence, like 150 or 150.50"})
    audit("payments, with an error")
    audit.done()
