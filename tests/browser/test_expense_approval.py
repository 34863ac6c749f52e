"""Finance approve a claim line by line in a real browser (one line reduced), and axe-core
(WCAG 2.0-2.2 A/AA) finds nothing on the queue, the claim page, or its error state.

The claimant, the approver and the claim are written into the live server's own database through
its app and its services, each with an email address of its own.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.db import utcnow
from lep.expenses import services
from lep.expenses.models import Claim, ExpenseCategory
from lep.extensions import db
from tests.browser.helpers import (
    SUFFIX,
    BrowserLog,
    check_page,
    expect_error_state,
    set_up_authenticator_app,
)

pytestmark = pytest.mark.browser

PASSWORD = "a browser approval password"


def _person(email: str, name: str, role: str) -> User:
    user = User(
        email=email,
        full_name=name,
        password_hash=hash_password(PASSWORD),
        email_confirmed_at=utcnow(),
        active=True,
    )
    user.set_roles({role})
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def claim(live_app: Flask) -> dict[str, object]:
    """A partner's claim of two parking lines, sent; and a finance approver."""
    tag = uuid.uuid4().hex[:8]
    with live_app.app_context():
        partner = _person(f"pat.{tag}@example.org", "Pat Claimant", "partner")
        finance = _person(f"fin.{tag}@example.org", "Fin Approver", "finance")
        parking = db.session.scalar(
            select(ExpenseCategory).where(ExpenseCategory.code == "parking")
        )
        made = services.start_claim(partner)
        yesterday = services.london_today() - dt.timedelta(days=1)
        lines = [
            services.add_line(
                made,
                category=parking,
                spent_on=yesterday,
                description=description,
                amount_pence=pence,
                no_receipt_reason="The machine gave no ticket",
            )
            for description, pence in (("Hospital car park", 850), ("Station car park", 1234))
        ]
        services.submit_claim(made)
        found = {
            "id": made.id,
            "reference": made.reference,
            "lines": [line.id for line in lines],
            "partner": partner.email,
            "finance": finance.email,
        }
        db.session.remove()
    return found


def test_finance_approve_a_claim_line_by_line(
    page: Page, axe: Axe, log: BrowserLog, live_app: Flask, claim: dict
) -> None:
    page.goto("/sign-in")
    page.locator("#email").fill(str(claim["finance"]))
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    set_up_authenticator_app(page, axe, log)

    page.get_by_role("link", name="Claims", exact=True).click()
    expect(page).to_have_title("Expense claims to approve" + SUFFIX)
    page.locator("#claimant").fill(str(claim["partner"]))
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=str(claim["reference"]))).to_be_visible()
    expect(page.locator("table")).to_contain_text("£20.84")
    check_page(page, axe, log)

    page.get_by_role("link", name=str(claim["reference"])).click()
    expect(page).to_have_title(f"Claim {claim['reference']}{SUFFIX}")
    first, second = claim["lines"]
    expect(page.locator(f"#line_{first}")).to_have_value("8.50")
    expect(page.locator(f"#line_{second}")).to_have_value("12.34")
    check_page(page, axe, log)

    # More than was claimed: refused at the line, with the NHS.UK error pattern.
    page.locator(f"#line_{second}").fill("13")
    page.get_by_role("button", name="Approve these amounts").click()
    expect_error_state(page, {f"line_{second}": "You cannot approve more than the £12.34 claimed"})
    check_page(page, axe, log)

    page.locator(f"#line_{second}").fill("10.00")
    page.locator("#note").fill("Station parking is paid up to £10")
    page.get_by_role("button", name="Approve these amounts").click()
    expect(page).to_have_title("Expense claims to approve" + SUFFIX)
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        f"{claim['reference']} is partly approved: £18.50 of £20.84."
    )
    check_page(page, axe, log)

    with live_app.app_context():
        done = db.session.get(Claim, claim["id"])
        assert done is not None
        assert (done.status, done.total_approved_pence) == ("partly_approved", 1850)
        assert [line.approved_pence for line in done.lines] == [850, 1000]
        db.session.remove()

    page.goto(f"/finance/claims/{claim['id']}")
    expect(page.locator("main")).to_contain_text("Station parking is paid up to £10")
    expect(page.locator("main")).to_contain_text(re.compile(r"there is nothing to decide"))
    check_page(page, axe, log)
