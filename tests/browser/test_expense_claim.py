"""A partner claims expenses in a real browser: a mileage line and a line with a receipt, then
sends the claim. axe-core (WCAG 2.0 to 2.2, A and AA) finds nothing on any page on the way, nor on
the add-an-expense form's error state.

The partner is written into the live server's own database through its app; their claims are
removed after.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.db import utcnow
from lep.expenses.models import Claim
from lep.extensions import db
from lep.timeutil import LONDON
from tests.browser.helpers import (
    SUFFIX,
    BrowserLog,
    expect_error_state,
    expect_scripts_ran,
    page_problems,
)

pytestmark = pytest.mark.browser

PASSWORD = "a browser expenses password"
REFERENCE = re.compile(r"^EXP-20\d\d-\d{6}$")
# The smallest PNG: 1 x 1 pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture
def partner(live_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A partner's email address (password PASSWORD), receipts kept in a folder of our own."""
    saved_folder = live_app.config.get("UPLOAD_FOLDER")
    live_app.config["UPLOAD_FOLDER"] = str(tmp_path_factory.mktemp("expense-receipts"))
    live_app.extensions.pop("lep_storage", None)
    email = f"sam.partner.{uuid.uuid4().hex[:8]}@example.org"
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
        db.session.commit()
        user_id = user.id
        db.session.remove()
    yield email
    with live_app.app_context():
        for claim in db.session.scalars(select(Claim).where(Claim.claimant_id == user_id)):
            db.session.delete(claim)  # with its lines, receipts and approvals
        db.session.commit()
        db.session.remove()
    live_app.config["UPLOAD_FOLDER"] = saved_folder
    live_app.extensions.pop("lep_storage", None)


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


def button(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("main").get_by_role("button", name=name, exact=True)


def heading(page: Page, text: str) -> None:
    expect(page.locator("h1")).to_contain_text(text)


def fill_date(page: Page, day: dt.date) -> None:
    page.locator("#spent_on-day").fill(str(day.day))
    page.locator("#spent_on-month").fill(str(day.month))
    page.locator("#spent_on-year").fill(str(day.year))


def test_a_partner_claims_mileage_and_a_receipted_fare_and_sends_the_claim(
    page: Page, axe: Axe, log: BrowserLog, partner: str
) -> None:
    audit = Audit(page, axe, log)
    today = dt.datetime.now(LONDON).date()

    page.goto("/sign-in")
    page.locator("#email").fill(partner)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    heading(page, "Hello, Sam Partner")
    audit("dashboard")

    page.locator("#claims-link").click()
    heading(page, "Your expense claims")
    audit("claims, none yet")
    button(page, "Start a new claim").click()

    heading(page, "Which role are your expenses for?")
    audit("choose the role")
    page.get_by_label("Not for a particular role").check()
    button(page, "Start the claim").click()

    heading(page, "Draft claim")
    audit("empty draft claim")
    button(page, "Add an expense").click()

    # Nothing filled in: the error pattern, then a drive with a passenger.
    heading(page, "Add an expense")
    audit("add an expense")
    button(page, "Add the expense").click()
    expect_error_state(
        page,
        {
            "spent_on-day": "Enter the date of the expense",
            "category": "Select what kind of expense it is",
            "description": "Enter what the expense was for",
        },
        follow_first=False,
    )
    audit("add an expense, nothing filled in")
    fill_date(page, today)
    expect(page.locator("#amount")).to_be_visible()
    page.get_by_label("Mileage", exact=True).check()
    # Mileage is priced from the miles: no amount or receipt to give.
    expect(page.locator("#amount")).to_be_hidden()
    expect(page.locator("#receipt")).to_be_hidden()
    page.locator("#description").fill("Drove to the patient panel")
    page.get_by_label("Car or van", exact=True).check()
    page.locator("#miles").fill("12.5")
    page.locator("#passengers").fill("1")
    button(page, "Add the expense").click()

    heading(page, "Draft claim")
    lines = page.locator("#lines")
    expect(lines).to_contain_text("12.5 miles at 45p, plus 1 passenger at 5p a mile")
    expect(lines).to_contain_text("£6.25")
    audit("claim with a mileage line")

    # A bus fare, with a photo of the ticket.
    button(page, "Add an expense").click()
    fill_date(page, today)
    page.get_by_label("Public transport", exact=True).check()
    page.locator("#description").fill("Bus home from the hospital")
    page.locator("#amount").fill("2.80")
    page.locator("input[type=file]").set_input_files(
        {"name": "bus-ticket.png", "mimeType": "image/png", "buffer": PNG}
    )
    button(page, "Add the expense").click()

    heading(page, "Draft claim")
    expect(lines).to_contain_text("bus-ticket.png")
    expect(page.locator("#lines-total")).to_have_text("£9.05")
    audit("claim with two lines")

    button(page, "Send the claim").click()
    heading(page, "Send your claim")
    expect(page.locator("main")).to_contain_text("We aim to pay within 10 working days of approval")
    audit("send the claim")
    button(page, "Send the claim").click()

    heading(page, "Claim sent")
    reference = page.locator("#reference").inner_text()
    assert REFERENCE.match(reference), reference
    audit("claim sent")

    page.get_by_role("link", name="Go to your claims").click()
    expect(page.locator("#claims")).to_contain_text(reference)
    expect(page.locator("#claims")).to_contain_text("Sent: waiting for approval")
    audit("claims, one sent")
    audit.done()
