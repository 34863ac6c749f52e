"""An applicant accepts an offer in a real browser: from their application's status page to the
offer, a missed answer (the NHS.UK error pattern), then accepting. axe-core (WCAG 2.0 to 2.2, A
and AA) finds nothing on any page on the way.

The role, the applicant, their application at interview and HR's offer are written into the live
server's own database through its app; they are removed after (the audit log keeps its rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from lep.accounts.models import User
from lep.applications.models import Application
from lep.extensions import db
from lep.partners.models import Appointment
from lep.roles.models import Role
from lep.shortlisting.models import Decision, Interview, Offer
from tests.browser.helpers import (
    SUFFIX,
    BrowserLog,
    expect_error_state,
    expect_scripts_ran,
    page_problems,
)
from tests.conftest import PASSWORD
from tests.shortlisting.offer_support import application_at, offer_for, person, role_paid

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Made:
    email: str
    application_id: int
    offer_id: int
    role_id: int
    user_id: int


@pytest.fixture
def offered(live_app: Flask) -> Iterator[Made]:
    with live_app.app_context():
        role = role_paid("employed", title="Browser offer partner")
        hr = person("hr", full_name="Harriet Lead")
        applicant = person("applicant", full_name="Sam Okafor")
        application = application_at(role, "interview", applicant=applicant, by=hr)
        offer = offer_for(application, hr, point=1)
        made = Made(applicant.email, application.id, offer.id, role.id, applicant.id)
        db.session.remove()
    yield made
    with live_app.app_context():
        db.session.execute(delete(Appointment).where(Appointment.role_id == made.role_id))
        db.session.execute(delete(Offer).where(Offer.role_id == made.role_id))
        db.session.execute(delete(Interview).where(Interview.application_id == made.application_id))
        db.session.execute(delete(Decision).where(Decision.application_id == made.application_id))
        db.session.execute(delete(Application).where(Application.id == made.application_id))
        db.session.execute(delete(Role).where(Role.id == made.role_id))
        db.session.commit()
        db.session.remove()


@dataclass
class Audit:
    """Checks each page as the journey reaches it; every problem is reported at the end."""

    page: Page
    axe: Axe
    log: BrowserLog
    problems: list[str] = field(default_factory=list)

    def __call__(self, what: str) -> None:
        expect(self.page).to_have_title(re.compile(re.escape(SUFFIX) + "$"))
        expect_scripts_ran(self.page)
        self.problems += [f"[{what}] {p}" for p in page_problems(self.page, self.axe, self.log)]

    def done(self) -> None:
        assert not self.problems, "\n\n".join(self.problems)


def test_an_applicant_accepts_an_offer(
    page: Page, axe: Axe, log: BrowserLog, offered: Made, live_app: Flask
) -> None:
    audit = Audit(page, axe, log)
    page.goto("/sign-in")
    page.locator("#email").fill(offered.email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_contain_text("Hello, Sam Okafor")

    page.goto(f"/applications/{offered.application_id}")
    offer_card = page.locator("#offer")
    expect(offer_card).to_contain_text("£47,810 a year full time")
    expect(offer_card).to_contain_text("for 15 hours a week that is £19,124 a year")
    audit("status page with the offer")

    offer_card.get_by_role("link", name="Accept or decline the offer").click()
    expect(page.locator("h1")).to_have_text("Your offer: Browser offer partner")
    expect(page.locator("#offer-pay")).to_contain_text(
        "Band 7, point 1: £47,810 a year full time (2025/26 pay); "
        "for 15 hours a week that is £19,124 a year."
    )
    audit("the offer")

    page.locator("main").get_by_role("button", name="Send your answer").click()
    expect_error_state(page, {"answer": "Select whether you accept the offer"})
    audit("the offer, no answer chosen")

    page.get_by_label("Yes, I accept the offer").check()
    page.locator("main").get_by_role("button", name="Send your answer").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "You have accepted the offer"
    )
    expect(page.locator("#next-steps")).to_have_text("What happens next")
    audit("the offer after accepting, with what happens next")
    page.goto(f"/applications/{offered.application_id}")
    expect(page.locator("#application-facts")).to_contain_text("Appointed")
    expect(page.locator("#offer")).to_contain_text("Accepted")
    audit("status page after accepting")
    audit.done()

    with live_app.app_context():
        user = db.session.get(User, offered.user_id)
        assert user is not None and "partner" in user.roles
        assert db.session.scalar(
            select(Appointment.id).where(Appointment.offer_id == offered.offer_id)
        )
        db.session.remove()
