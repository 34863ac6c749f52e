"""Accessibility in a real browser: axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on every
public page and every form error state, the NHS.UK error summary, our scripts under the CSP, and
one journey: create an account, then sign in with it.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lep.accounts.models import User
from lep.extensions import db
from tests.browser.helpers import SUFFIX, BrowserLog, check_page, expect_error_state

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "title", "heading"),
    [
        ("/", "Home", "Lived experience roles"),
        ("/sign-in", "Sign in", "Sign in"),
        ("/register", "Create an account", "Create an account"),
        ("/accessibility", "Accessibility statement", "Accessibility statement for"),
    ],
)
def test_page_is_accessible(
    page: Page, axe: Axe, log: BrowserLog, path: str, title: str, heading: str
) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200
    expect(page).to_have_title(title + SUFFIX)
    expect(page.locator("h1")).to_contain_text(heading)
    check_page(page, axe, log)


def test_not_found_page_is_accessible(page: Page, axe: Axe, log: BrowserLog) -> None:
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(page).to_have_title("Page not found" + SUFFIX)
    expect(page.locator("h1")).to_have_text("Page not found")
    # The browser reports the page's own 404 status in the console; nothing else may appear.
    own_404 = f"at {page.url}: Failed to load resource: the server responded with a status of 404"
    check_page(page, axe, log, allowed_errors=(own_404,))


SIGN_IN_EMPTY = {"email": "Enter your email address", "password": "Enter your password"}
REGISTER_EMPTY = {
    "full_name": "Enter your full name",
    "email": "Enter your email address",
    "password": "Enter a password",
    "confirm_password": "Enter your password again",
}


def test_sign_in_empty_shows_errors_accessibly(page: Page, axe: Axe, log: BrowserLog) -> None:
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect_error_state(page, SIGN_IN_EMPTY)
    check_page(page, axe, log)


def test_register_empty_shows_errors_accessibly(page: Page, axe: Axe, log: BrowserLog) -> None:
    page.goto("/register")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/register$"))
    expect_error_state(page, REGISTER_EMPTY)
    check_page(page, axe, log)


def test_register_bad_email_and_mismatched_passwords(page: Page, axe: Axe, log: BrowserLog) -> None:
    page.goto("/register")
    page.locator("#full_name").fill("Ada Lovelace")
    page.locator("#email").fill("not-an-email")
    page.locator("#password").fill("a long enough password")
    page.locator("#confirm_password").fill("a different password")
    page.get_by_role("button", name="Create account").click()
    expect_error_state(
        page,
        {
            "email": "Enter an email address in the correct format, like name@example.com",
            "confirm_password": "The passwords do not match",
        },
    )
    # What was typed is kept, except the passwords.
    expect(page.locator("#full_name")).to_have_value("Ada Lovelace")
    expect(page.locator("#email")).to_have_value("not-an-email")
    expect(page.locator("#password")).to_have_value("")
    check_page(page, axe, log)


def test_register_then_sign_in(page: Page, axe: Axe, log: BrowserLog, live_app: Flask) -> None:
    name, email, password = "Grace Hopper", "grace.hopper@example.org", "compilers are friends"

    page.goto("/register")
    page.locator("#full_name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#confirm_password").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    expect(page).to_have_title("Check your email" + SUFFIX)
    expect(page.locator("main")).to_contain_text(email)
    check_page(page, axe, log)

    # The account is in the live server's own database (read through its engine, not through
    # db.session, which tests may swap), and its email address is not confirmed yet.
    with live_app.app_context(), db.engine.connect() as connection:
        row = connection.execute(
            select(User.full_name, User.email_confirmed_at).where(User.email == email)
        ).one()
    assert row.full_name == name
    assert row.email_confirmed_at is None

    page.get_by_role("link", name="sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("h1")).to_have_text(f"Hello, {name}")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    check_page(page, axe, log)
