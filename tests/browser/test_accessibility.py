"""Accessibility in a real browser: axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on every
public page and every form error state, the NHS.UK error summary, our scripts under the CSP, and
one journey: create an account, then sign in with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import ConsoleMessage, Error, Page, expect
from sqlalchemy import select

from lep.accounts.models import User
from lep.extensions import db

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
SUFFIX = " - Lived experience roles - Example NHS Trust"

# NHS.UK frontend's CSS loads the Frutiger font from assets.nhs.uk; our CSP (font-src 'self')
# blocks it on purpose and the browser falls back to Arial. Those messages are expected.
# Chromium words it "Loading the font 'https://assets.nhs.uk/fonts/...' violates the following
# Content Security Policy directive: "font-src 'self'"" (older versions: "Refused to load ...").
BLOCKED_NHS_FONT = re.compile(
    r"font 'https://assets\.nhs\.uk/fonts/[^']+'.* Content Security Policy directive: \"font-src "
)


@dataclass
class BrowserLog:
    """Console errors and uncaught exceptions, collected across navigations."""

    errors: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not BLOCKED_NHS_FONT.search(message.text):
            where = message.location.get("url", "")
            self.errors.append(f"console error at {where}: {message.text}")

    def page_error(self, error: Error) -> None:
        self.errors.append(f"uncaught exception: {error.message}")

    def take(self) -> list[str]:
        found, self.errors = self.errors, []
        return found


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def log(page: Page) -> BrowserLog:
    browser_log = BrowserLog()
    page.on("console", browser_log.console)
    page.on("pageerror", browser_log.page_error)
    return browser_log


def axe_report(violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} WCAG A/AA violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:200]}")
    return "\n".join(lines)


def check_page(page: Page, axe: Axe, log: BrowserLog, allowed_errors: tuple[str, ...] = ()) -> None:
    """The page as it is now: no axe violations, a clean console, and our scripts ran."""
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{page.url}\n{axe_report(violations)}"

    # A CSP violation by our own scripts, or an exception in them, shows here.
    errors = [e for e in log.take() if not any(allowed in e for allowed in allowed_errors)]
    assert not errors, f"{page.url}: browser console errors:\n" + "\n".join(errors)

    # js-enabled.js ran (a classic script) and lep.js ran as a module and started NHS.UK frontend
    # (the header marks itself initialised): neither was blocked by the CSP.
    body = page.locator("body")
    expect(body).to_have_class(re.compile(r"\bjs-enabled\b.*\bnhsuk-frontend-supported\b"))
    expect(page.locator("header.nhsuk-header[data-nhsuk-header-init]")).to_have_count(1)


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


# The text of the NHS.UK error messages that a control's aria-describedby points to.
DESCRIBED_ERRORS_JS = """control => (control.getAttribute("aria-describedby") || "")
  .split(/\\s+/).filter(Boolean).map(id => document.getElementById(id))
  .filter(el => el && el.classList.contains("nhsuk-error-message") && el.checkVisibility())
  .map(el => el.textContent.replace(/\\s+/g, " ").trim())"""


def expect_error_state(page: Page, errors: dict[str, str]) -> None:
    """GOV.UK/NHS.UK error pattern: 'Error: ' title, a summary linking to each field in error."""
    assert page.title().startswith("Error: "), page.title()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # NHS.UK frontend moves focus to it on page load
    expect(summary.locator("h2")).to_have_text("There is a problem")
    links = summary.locator(".nhsuk-error-summary__list a")
    expect(links).to_have_count(len(errors))
    for link, (field_id, message) in zip(links.all(), errors.items(), strict=True):
        expect(link).to_have_text(message)
        expect(link).to_have_attribute("href", f"#{field_id}")
        control = page.locator(f"#{field_id}")
        expect(control).to_have_count(1)
        # The message is shown by the field and tied to it for screen readers (aria-describedby).
        expect(page.locator(".nhsuk-form-group--error", has=control)).to_be_visible()
        described = control.evaluate(DESCRIBED_ERRORS_JS)
        assert any(message in text for text in described), (field_id, described)
    # Following a link in the summary takes you to the field.
    first_id = next(iter(errors))
    links.first.click()
    expect(page.locator(f"#{first_id}")).to_be_focused()


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
