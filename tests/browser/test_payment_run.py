"""Finance preview, build and send a payment run in a real browser, download the bank file, and
mark the run paid; axe-core (WCAG 2.0-2.2 A/AA) finds nothing on any page on the way.

The partner (with bank details), their approved claim and the finance user are written into the
live server's own database through its app and services, each with an email address of its own.
Other browser tests may leave approved claims behind: they show as other rows, and this test
looks only at its own partner's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from pathlib import Path

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
from lep.partners import bank
from lep.partners.models import BankDetails
from lep.payments.models import PaymentRun
from tests.browser.helpers import SUFFIX, BrowserLog, check_page, set_up_authenticator_app

pytestmark = pytest.mark.browser

PASSWORD = "a browser payments password"


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
def payable(live_app: Flask) -> dict[str, object]:
    """A partner with bank details (changed long ago) and an approved claim of £20.84."""
    tag = uuid.uuid4().hex[:8]
    with live_app.app_context():
        live_app.extensions.pop("lep_payment_provider", None)
        partner = _person(f"pay.{tag}@example.org", f"Pat Payee {tag}", "partner")
        finance = _person(f"fin.{tag}@example.org", "Fin Payer", "finance")
        account = bank.check_account("309430", "00733445", f"Pat Payee {tag}")
        db.session.add(
            BankDetails(
                user_id=partner.id,
                ciphertext=bank.encrypt(account),
                masked=account.masked,
                changed_at=utcnow() - dt.timedelta(days=10),
            )
        )
        db.session.commit()
        parking = db.session.scalar(
            select(ExpenseCategory).where(ExpenseCategory.code == "parking")
        )
        claim = services.start_claim(partner)
        yesterday = services.london_today() - dt.timedelta(days=1)
        for description, pence in (("Hospital car park", 850), ("Station car park", 1234)):
            services.add_line(
                claim,
                category=parking,
                spent_on=yesterday,
                description=description,
                amount_pence=pence,
                no_receipt_reason="The machine gave no ticket",
            )
        services.submit_claim(claim)
        services.approve_claim(claim, finance, {line.id: line.amount_pence for line in claim.lines})
        found = {
            "tag": tag,
            "name": partner.full_name,
            "claim_id": claim.id,
            "claim": claim.reference,
            "finance": finance.email,
        }
        db.session.remove()
    return found


def test_finance_build_send_and_download_a_payment_run(
    page: Page, axe: Axe, log: BrowserLog, live_app: Flask, payable: dict, tmp_path: Path
) -> None:
    name = str(payable["name"])
    page.goto("/sign-in")
    page.locator("#email").fill(str(payable["finance"]))
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    set_up_authenticator_app(page)

    page.goto("/finance/payments")
    expect(page).to_have_title("Payment runs" + SUFFIX)
    check_page(page, axe, log)

    page.get_by_role("button", name="Prepare a payment run").click()
    expect(page).to_have_title("Prepare a payment run" + SUFFIX)
    row = page.locator("#payable tr", has_text=name)
    expect(row).to_contain_text(f"Expenses claim {payable['claim']}: £20.84")
    check_page(page, axe, log)

    page.get_by_role("button", name="Build the payment run").click()
    expect(page).to_have_title(re.compile(r"^Payment run RUN-\d{4}-\d{6}" + re.escape(SUFFIX)))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("built:")
    payment = page.locator("#payments tr", has_text=name)
    expect(payment).to_contain_text("Waiting to be sent")
    expect(payment).to_contain_text("£20.84")
    check_page(page, axe, log)
    reference = page.locator("h1").inner_text().removeprefix("Payment run ")

    page.get_by_role("button", name="Send this run").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        f"{reference} has been sent."
    )
    expect(payment).to_contain_text("Sent")
    check_page(page, axe, log)

    with page.expect_download() as info:
        page.get_by_role("link", name=f"Download the bank file (CSV) for {reference}").click()
    download = info.value
    assert download.suggested_filename == f"{reference}-bank-file.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text())))
    assert rows[0] == ["Sort code", "Account number", "Account name", "Amount", "Reference"]
    mine = [r for r in rows[1:] if r[2] == f"PAT PAYEE {payable['tag'].upper()}"]
    assert len(mine) == 1
    assert mine[0][:4] == ["309430", "00733445", f"PAT PAYEE {payable['tag'].upper()}", "20.84"]

    page.get_by_role("button", name="Mark this run paid").click()
    expect(page).to_have_title(f"Has your bank paid the file for {reference}?" + SUFFIX)
    expect(page.locator("main")).to_contain_text(
        "Only mark the run paid when your bank has paid the file."
    )
    check_page(page, axe, log)
    page.get_by_role("button", name="Yes, the bank has paid it").click()
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(f"{reference} is paid.")
    check_page(page, axe, log)

    with live_app.app_context():
        run = db.session.scalar(select(PaymentRun).where(PaymentRun.reference == reference))
        assert run is not None and run.status == "paid"
        claim = db.session.get(Claim, payable["claim_id"])
        assert claim is not None and claim.status == "paid"
        db.session.remove()
