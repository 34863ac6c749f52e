"""The applicant's journey in a real browser (issue 4, accessibility acceptance):

- axe-core (WCAG 2.0, 2.1 and 2.2, A and AA) finds nothing on any page of the journey, nor on
  each form's error state;
- the whole journey can be done with the keyboard alone, focus is always visible, and after a
  page with errors focus is on the error summary;
- the journey works with JavaScript turned off;
- at 320 CSS pixels wide, no page of the journey scrolls sideways.

Roles, applicants and applications are written into the live server's own database through its
app; the roles and their applications are removed after. Each test has its own applicant (one
application per person per role), with an email address of its own.
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
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import delete, select

from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.applications.models import Application, OtherWayRequest
from lep.db import utcnow
from lep.equality.models import EqualityResponse
from lep.extensions import db
from lep.roles import services as role_services
from lep.roles.models import Role
from lep.roles.services import RoleInput
from tests.browser.helpers import (
    SUFFIX,
    BrowserLog,
    expect_error_state,
    expect_scripts_ran,
    page_problems,
)
from tests.roles.public_data import pay_setup

pytestmark = pytest.mark.browser

PASSWORD = "a browser journey password"
WORD_LIMIT = 10
GOOD = "I have used NHS services for ten years."  # 8 words
TOO_LONG = " ".join(["word"] * 13)  # 3 too many
TOO_LONG_MESSAGE = "Your answer must be 10 words or fewer. You have 13 words: 3 too many"
PHONE_NEEDED = "Enter a phone number so we can call or text you"
DECLARATION = "Confirm that the information you have given is true"
WRONG_TYPE = (
    "The selected file must be a PDF, a Word document, a picture (JPG, PNG, GIF) or a sound "
    "recording (MP3, WAV, M4A, OGG)"
)
REFERENCE = re.compile(r"^LEP-20\d\d-\d{6}$")
# The smallest PNG: 1 x 1 pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
NOT_ALLOWED = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Just some text\n"}
# Long things people type, for the 320px test: a link pasted into an answer, a file name.
LONG_LINK = "https://www.nhs.uk/mental-health/conditions/post-traumatic-stress-disorder-ptsd/"
LONG_FILE_NAME = "my_application_recording_final_version_2.png"
YELLOW = "rgb(255, 235, 59)"  # NHS.UK focus colour, #ffeb3b


# --- Data in the live server's database --------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    scored: int  # 2 questions of up to 10 words; chosen by scoring
    lottery: int  # 1 question; chosen by lottery, with one quota question
    quota: int  # the lottery role's quota category


def _role(title: str, questions: int, selection_method: str) -> Role:
    """A role made as HR makes one: criteria, questions (and a quota question), then published."""
    role = role_services.create_role(
        RoleInput(
            title=title,
            engagement_type="employed",
            band="7",
            minutes_per_week=900,
            location="Leeds",
            work_pattern="hybrid",
            summary="Help us change our services.",
            description="You will work with our teams.\n\nYou will be paid for your time.",
            closes_at=utcnow() + dt.timedelta(days=14),
            contact_name="Priya Shah",
            contact_email="priya.shah@example.org",
            selection_method=selection_method,
        ),
        None,
    )
    lived = role_services.add_criterion(
        role, "Lived experience of NHS services", True, "application", None
    )
    texts = ["Tell us about your experience of NHS services", "Tell us about working with others"]
    for text in texts[:questions]:
        role_services.add_question(
            role, text, "Think about what went well.", WORD_LIMIT, [lived.id], None
        )
    if selection_method == "lottery":
        # Quota questions can be added while the role is a draft (or open before anyone applies).
        role_services.add_quota_category(
            role,
            "Region",
            "Which region do you live in?",
            "So that people from every part of the county have a fair chance of a place.",
            ["North", "South", "Prefer not to say"],
            None,
        )
    return role_services.publish_role(role, None)


@pytest.fixture(scope="module")
def roles(live_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Roles]:
    """Two open roles in the live database, and supporting files kept in a folder of our own."""
    uploads = tmp_path_factory.mktemp("journey-uploads")
    saved_folder = live_app.config.get("UPLOAD_FOLDER")
    live_app.config["UPLOAD_FOLDER"] = str(uploads)
    live_app.extensions.pop("lep_storage", None)
    with live_app.app_context():
        pay_setup()
        scored = _role("Browser journey partner", 2, "scored")
        lottery = _role("Browser journey panel member", 1, "lottery")
        made = Roles(scored.id, lottery.id, lottery.quota_categories[0].id)
        db.session.remove()
    yield made
    with live_app.app_context():
        ids = [made.scored, made.lottery]
        db.session.execute(delete(EqualityResponse).where(EqualityResponse.role_id.in_(ids)))
        db.session.execute(delete(OtherWayRequest).where(OtherWayRequest.role_id.in_(ids)))
        for application in db.session.scalars(
            select(Application).where(Application.role_id.in_(ids))
        ):
            db.session.delete(application)  # with its answers, files and quota answers
        for role_id in ids:
            db.session.delete(db.session.get(Role, role_id))
        db.session.commit()
        db.session.remove()
    live_app.config["UPLOAD_FOLDER"] = saved_folder
    live_app.extensions.pop("lep_storage", None)


@pytest.fixture
def applicant(live_app: Flask) -> str:
    """A new applicant's email address (their email confirmed; password PASSWORD). Long, like
    many real ones, and with no hyphen: the browser finds nowhere in it to wrap a line."""
    email = f"alexandra.morganwhitfield.{uuid.uuid4().hex[:8]}@example.org"
    with live_app.app_context():
        user = User(
            email=email,
            full_name="Alexandra Morgan-Whitfield",
            password_hash=hash_password(PASSWORD),
            email_confirmed_at=utcnow(),
            active=True,
        )
        user.set_roles({"applicant"})
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    return email


def application_of(live_app: Flask, email: str, role_id: int) -> Application:
    with live_app.app_context():
        application = db.session.scalar(
            select(Application)
            .join(User, User.id == Application.applicant_id)
            .where(User.email == email, Application.role_id == role_id)
        )
        assert application is not None
        # Loaded now, read after the session has gone.
        _ = [application.files, application.answers, application.quota_answers]
        db.session.expunge_all()
        db.session.remove()
    return application


# --- Driving pages -----------------------------------------------------------------------------


def sign_in(page: Page, email: str) -> None:
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def button(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("main").get_by_role("button", name=name, exact=True)


def heading(page: Page, text: str) -> None:
    expect(page.locator("h1")).to_contain_text(text)


def start_now(page: Page) -> None:
    """The start page (signed in): "Start now" makes the draft and goes to question 1."""
    heading(page, "Before you start")
    button(page, "Start now").click()
    expect(page).to_have_url(re.compile(r"/applications/\d+/questions/1$"))


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


# --- 1. axe-core on every page and error state ------------------------------------------------


def test_every_page_of_the_journey_is_accessible(
    page: Page, axe: Axe, log: BrowserLog, roles: Roles, applicant: str, live_app: Flask
) -> None:
    audit = Audit(page, axe, log)

    page.goto(f"/roles/{roles.scored}")
    expect(page.locator("#start")).to_have_text("Start your application")
    audit("role page")
    page.locator("#start").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    sign_in(page, applicant)
    heading(page, "Before you start")
    audit("start page")
    start_now(page)

    # Question 1: empty, then over the word limit, then a good answer.
    expect(page.locator("#question-progress")).to_have_text("Question 1 of 2")
    audit("question 1")
    button(page, "Continue").click()
    expect_error_state(page, {"answer": "Enter your answer"}, follow_first=False)
    audit("question 1, empty")
    page.locator("#answer").fill(TOO_LONG)
    button(page, "Continue").click()
    expect_error_state(page, {"answer": TOO_LONG_MESSAGE}, follow_first=False)
    expect(page.locator("#answer")).to_have_value(TOO_LONG)
    audit("question 1, over the word limit")
    page.locator("#answer").fill(GOOD)
    button(page, "Continue").click()

    expect(page.locator("#question-progress")).to_have_text("Question 2 of 2")
    audit("question 2")
    page.locator("#answer").fill("I ran a group for carers.")
    button(page, "Continue").click()

    # The supporting file: one of the wrong type is refused, then a picture is added.
    heading(page, "Add a supporting file (optional)")
    audit("supporting file")
    page.locator("input[type=file]").set_input_files(NOT_ALLOWED)
    button(page, "Continue").click()
    expect_error_state(page, {"file": WRONG_TYPE}, follow_first=False)
    audit("supporting file, wrong type")
    page.locator("input[type=file]").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": PNG}
    )
    button(page, "Continue").click()

    # Support: a phone call needs a phone number.
    heading(page, "Support and how to contact you")
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text("me.png")
    audit("support, with the file added banner")
    page.locator("#adjustments_application").fill("Large print, please")
    page.get_by_label("Phone call").check()
    page.locator("#helped").check()  # Yes
    page.locator("#helped_by").fill("My sister")
    button(page, "Continue").click()
    expect_error_state(page, {"phone": PHONE_NEEDED}, follow_first=False)
    expect(page.locator("#adjustments_application")).to_have_value("Large print, please")
    audit("support, phone call without a number")
    page.locator("#phone").fill("07700 900123")
    button(page, "Continue").click()

    # Check your answers: the declaration is needed.
    heading(page, "Check your answers before sending your application")
    expect(page.locator("#file")).to_contain_text("me.png")
    audit("check your answers")
    button(page, "Send application").click()
    expect_error_state(page, {"declaration": DECLARATION}, follow_first=False)
    audit("check your answers, no declaration")
    page.locator("#declaration").check()
    button(page, "Send application").click()

    heading(page, "Application sent")
    reference = page.locator("#reference").inner_text()
    assert REFERENCE.match(reference), reference
    audit("confirmation")

    page.locator("#equality-link").click()
    heading(page, "Equality monitoring questions (optional)")
    audit("equality monitoring")

    page.locator("header").get_by_role("link", name="Dashboard").click()
    expect(page.locator("#applications")).to_contain_text(reference)
    audit("dashboard")

    page.locator("#applications").get_by_role("link", name="Browser journey partner").click()
    expect(page.locator("#application-facts")).to_contain_text(reference)
    audit("application status")

    page.get_by_role("link", name="Withdraw your application").click()
    heading(page, "Are you sure you want to withdraw your application?")
    audit("withdraw confirmation")

    assert application_of(live_app, applicant, roles.scored).status == "submitted"
    audit.done()


def test_quota_and_apply_another_way_pages_are_accessible(
    page: Page, axe: Axe, log: BrowserLog, roles: Roles, applicant: str
) -> None:
    audit = Audit(page, axe, log)
    page.goto("/sign-in")
    sign_in(page, applicant)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    audit("dashboard, no applications yet")

    # Apply another way: empty, then a phone call without a number, then sent.
    page.goto(f"/roles/{roles.lottery}")
    page.get_by_role("link", name=re.compile("^Apply another way")).click()
    heading(page, "Apply another way")
    audit("apply another way")
    button(page, "Send request").click()
    expect_error_state(
        page,
        {
            "method": "Select how you would like to apply",
            "contact_method": "Select how you would like us to contact you",
        },
        follow_first=False,
    )
    audit("apply another way, empty")
    page.get_by_label("By phone").check()
    page.locator("#details").fill("Mornings suit me best")
    page.get_by_label("Phone call").check()
    button(page, "Send request").click()
    expect_error_state(page, {"phone": PHONE_NEEDED}, follow_first=False)
    expect(page.locator("#details")).to_have_value("Mornings suit me best")
    page.locator("#phone").fill("07700 900123")
    button(page, "Send request").click()
    heading(page, "Request sent")
    audit("apply another way, request sent")

    # The lottery role's quota question, empty and then answered; check answers shows it.
    page.get_by_role("link", name="Back to the role").click()
    page.locator("#start").click()
    start_now(page)
    page.locator("#answer").fill(GOOD)
    button(page, "Continue").click()
    button(page, "Continue").click()  # no file
    page.get_by_label("Email").check()
    page.get_by_label("No", exact=True).check()
    button(page, "Continue").click()
    heading(page, "Questions for the lottery")
    audit("quota questions")
    button(page, "Continue").click()
    expect_error_state(page, {f"quota_{roles.quota}": "Select an answer for region"}, False)
    audit("quota questions, empty")
    page.get_by_label("South").check()
    button(page, "Continue").click()
    heading(page, "Check your answers before sending your application")
    expect(page.locator("#quota")).to_contain_text("South")
    audit("check your answers, with the quota question")
    audit.done()


# --- 2. The keyboard alone ---------------------------------------------------------------------

ACTIVE_JS = """([selector, text]) => {
  const el = document.activeElement;
  return !!el && el.matches(selector)
    && (text === null || el.textContent.replace(/\\s+/g, " ").trim() === text);
}"""

# How the focused element looks: a checkbox or radio is hidden, and its label's ::before (the
# box or circle drawn in its place) shows the focus.
FOCUS_STYLE_JS = """() => {
  const el = document.activeElement;
  const drawn = el.matches("input[type=checkbox], input[type=radio]");
  const style = getComputedStyle(drawn ? el.labels[0] : el, drawn ? "::before" : null);
  return {
    element: el.outerHTML.slice(0, 120),
    outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
    boxShadow: style.boxShadow,
    background: style.backgroundColor,
  };
}"""


def tab_to(page: Page, selector: str, text: str | None = None, back: bool = False) -> None:
    """Tab (or Shift+Tab) until the focused element matches; never more than 80 presses."""
    for _ in range(80):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(ACTIVE_JS, [selector, text]):
            return
    raise AssertionError(f"{page.url}: Tab never reached {selector} {text or ''}")


def expect_focus_visible(page: Page) -> None:
    """The focused element shows NHS.UK's yellow focus style (an outline, a shadow or a fill)."""
    style = page.evaluate(FOCUS_STYLE_JS)
    shown = [style["outline"], style["boxShadow"], style["background"]]
    assert any(YELLOW in part for part in shown), f"{page.url}: focus not visible: {style}"


def press_and_wait(page: Page, key: str, url: str) -> None:
    """Press a key that follows a link or sends a form, and wait for the next page to load."""
    with page.expect_navigation(url=re.compile(url)):
        page.keyboard.press(key)


def expect_focus_on_error_summary(page: Page) -> None:
    assert page.evaluate(
        "() => document.activeElement.classList.contains('nhsuk-error-summary')"
    ), f"{page.url}: focus is not on the error summary"
    expect_focus_visible(page)


def test_the_whole_journey_with_the_keyboard_alone(
    page: Page, roles: Roles, applicant: str, live_app: Flask
) -> None:
    keys = page.keyboard
    page.goto(f"/roles/{roles.scored}")  # the only goto: everything after is the keyboard

    tab_to(page, "a#start")
    expect_focus_visible(page)
    press_and_wait(page, "Enter", r"/sign-in\?next=")

    tab_to(page, "#email")
    expect_focus_visible(page)
    keys.type(applicant)
    tab_to(page, "#password")
    keys.type(PASSWORD)
    tab_to(page, "button", "Sign in")
    expect_focus_visible(page)
    press_and_wait(page, "Enter", r"/roles/\d+/apply$")

    heading(page, "Before you start")
    tab_to(page, "button", "Start now")
    expect_focus_visible(page)
    press_and_wait(page, "Enter", r"/questions/1$")

    # Question 1: sent empty, focus goes to the error summary; its link leads to the answer box.
    tab_to(page, "button[name=continue]")
    press_and_wait(page, "Enter", r"/questions/1$")
    expect_focus_on_error_summary(page)
    tab_to(page, ".nhsuk-error-summary a", "Enter your answer")
    expect_focus_visible(page)
    keys.press("Enter")
    expect(page.locator("#answer")).to_be_focused()
    expect_focus_visible(page)
    keys.type(GOOD)
    tab_to(page, "button[name=continue]")
    expect_focus_visible(page)
    press_and_wait(page, "Space", r"/questions/2$")

    tab_to(page, "#answer")
    keys.type("I ran a group for carers.")
    tab_to(page, "button[name=later]")
    tab_to(page, "button[name=continue]", back=True)  # Shift+Tab back to Continue
    press_and_wait(page, "Enter", r"/file$")

    # No file: straight past the file control to Continue.
    tab_to(page, "button", "Continue")
    press_and_wait(page, "Enter", r"/support$")

    # Support: a phone call (arrow keys move through radios) with no number is refused.
    tab_to(page, "#adjustments_application")
    keys.type("Large print, please")
    tab_to(page, "input[name=contact_method]")
    expect_focus_visible(page)
    keys.press("ArrowDown")  # Email -> Phone call
    expect(page.get_by_label("Phone call")).to_be_checked()
    tab_to(page, "input[name=helped]")
    keys.press("Space")  # Yes
    expect(page.locator("#helped")).to_be_checked()
    tab_to(page, "#helped_by")
    keys.type("My sister")
    tab_to(page, "button[name=continue]")
    press_and_wait(page, "Enter", r"/support$")
    expect_focus_on_error_summary(page)
    tab_to(page, ".nhsuk-error-summary a", PHONE_NEEDED)
    keys.press("Enter")
    expect(page.locator("#phone")).to_be_focused()
    keys.type("07700 900123")
    tab_to(page, "button[name=continue]")
    press_and_wait(page, "Enter", r"/check$")

    # Check answers: Shift+Tab from the end of the page to Send; no declaration, then Space.
    tab_to(page, "button", "Send application", back=True)
    expect_focus_visible(page)
    press_and_wait(page, "Enter", r"/check$")
    expect_focus_on_error_summary(page)
    tab_to(page, ".nhsuk-error-summary a", DECLARATION)
    keys.press("Enter")
    expect(page.locator("#declaration")).to_be_focused()
    keys.press("Space")
    expect(page.locator("#declaration")).to_be_checked()
    expect_focus_visible(page)
    tab_to(page, "button", "Send application")
    press_and_wait(page, "Enter", r"/confirmation$")

    heading(page, "Application sent")
    reference = page.locator("#reference").inner_text()
    assert REFERENCE.match(reference), reference
    application = application_of(live_app, applicant, roles.scored)
    assert application.status == "submitted" and application.reference == reference
    assert application.contact_method == "phone" and application.phone == "07700 900123"
    assert application.helped_by == "My sister"
    assert sorted(a.text for a in application.answers) == sorted(
        [GOOD, "I ran a group for carers."]
    )


# --- 3. Without JavaScript ---------------------------------------------------------------------


@pytest.fixture
def no_js(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    yield context
    context.close()


def test_the_journey_works_without_javascript(
    no_js: BrowserContext, roles: Roles, applicant: str, live_app: Flask
) -> None:
    page = no_js.new_page()
    page.goto(f"/roles/{roles.lottery}")
    page.locator("#start").click()
    sign_in(page, applicant)
    start_now(page)
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")

    # Errors are shown without JavaScript too (the summary is not focused: that needs it).
    page.locator("#answer").fill(TOO_LONG)
    button(page, "Continue").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(TOO_LONG_MESSAGE)
    page.locator("#answer").fill(GOOD)
    button(page, "Continue").click()

    page.locator("input[type=file]").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": PNG}
    )
    button(page, "Continue").click()
    heading(page, "Support and how to contact you")
    page.get_by_label("Text message").check()
    page.locator("#phone").fill("07700 900123")
    page.get_by_label("No", exact=True).check()
    page.get_by_label("I am disabled").check()
    button(page, "Continue").click()

    heading(page, "Questions for the lottery")
    page.get_by_label("North").check()
    button(page, "Continue").click()

    heading(page, "Check your answers before sending your application")
    expect(page.locator("#answers")).to_contain_text(GOOD)
    expect(page.locator("#file")).to_contain_text("me.png")
    page.locator("#declaration").check()
    button(page, "Send application").click()

    heading(page, "Application sent")
    reference = page.locator("#reference").inner_text()
    assert REFERENCE.match(reference), reference
    application = application_of(live_app, applicant, roles.lottery)
    assert application.status == "submitted" and application.reference == reference
    assert [f.original_name for f in application.files] == ["me.png"]
    assert [a.value for a in application.quota_answers] == ["North"]
    assert application.guaranteed_interview is True

    page.get_by_role("link", name="Go to your dashboard").click()
    expect(page.locator("#applications")).to_contain_text(reference)


# --- 4. At 320 pixels wide ---------------------------------------------------------------------

WIDTH = 320


@pytest.fixture
def narrow(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=base_url, viewport={"width": WIDTH, "height": 640})
    yield context
    context.close()


def test_no_page_of_the_journey_scrolls_sideways_at_320_pixels(
    narrow: BrowserContext, roles: Roles, applicant: str
) -> None:
    page = narrow.new_page()
    too_wide: list[str] = []

    def fits(what: str) -> None:
        page.wait_for_load_state("load")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > WIDTH + 1:  # 1px for rounding
            wide = page.evaluate(WIDEST_JS, WIDTH)
            too_wide.append(f"[{what}] {page.url}: {width}px wide; widest: {wide}")

    page.goto(f"/roles/{roles.lottery}")
    fits("role page")
    page.locator("#start").click()
    sign_in(page, applicant)
    fits("start page")
    start_now(page)

    button(page, "Continue").click()
    fits("question, empty")
    page.locator("#answer").fill(TOO_LONG)
    button(page, "Continue").click()
    fits("question, over the word limit")
    page.locator("#answer").fill(f"I read {LONG_LINK} first")
    button(page, "Continue").click()

    fits("supporting file")
    page.locator("input[type=file]").set_input_files(NOT_ALLOWED)
    button(page, "Continue").click()
    fits("supporting file, wrong type")
    page.locator("input[type=file]").set_input_files(
        {
            "name": LONG_FILE_NAME,
            "mimeType": "image/png",
            "buffer": PNG,
        }
    )
    button(page, "Continue").click()
    fits("support, with the file added banner")
    page.get_by_role("link", name="Back", exact=True).click()
    fits("supporting file, with a file")
    button(page, "Continue").click()

    fits("support")
    page.get_by_label("Phone call").check()
    page.get_by_label("No", exact=True).check()
    button(page, "Continue").click()
    fits("support, phone call without a number")
    page.locator("#phone").fill("07700 900123")
    button(page, "Continue").click()

    fits("quota questions")
    button(page, "Continue").click()
    fits("quota questions, empty")
    page.get_by_label("South").check()
    button(page, "Continue").click()

    fits("check your answers")
    button(page, "Send application").click()
    fits("check your answers, no declaration")
    page.locator("#declaration").check()
    button(page, "Send application").click()

    heading(page, "Application sent")
    fits("confirmation")
    page.locator("#equality-link").click()
    fits("equality monitoring")
    page.goto("/dashboard")
    fits("dashboard")
    page.locator("#applications a").first.click()
    fits("application status")
    page.get_by_role("link", name="Withdraw your application").click()
    fits("withdraw confirmation")

    page.goto(f"/roles/{roles.lottery}/apply-another-way")
    fits("apply another way")
    button(page, "Send request").click()
    fits("apply another way, empty")
    page.get_by_label("On paper").check()
    page.get_by_label("Post", exact=True).check()
    button(page, "Send request").click()
    # Post needs the address: its errors, then the address, fit the screen too.
    heading(page, "Apply another way")
    expect(page.locator("#address_postcode-error")).to_contain_text("Enter postcode")
    fits("apply another way, post without an address")
    page.locator("#address_line_1").fill("Flat 2, 14 Church Street")
    page.locator("#address_town").fill("Leeds")
    page.locator("#address_postcode").fill("ls6 3aa")
    button(page, "Send request").click()
    heading(page, "Request sent")
    expect(page.locator("#postal-address")).to_contain_text("LS6 3AA")
    fits("apply another way, request sent")

    assert not too_wide, "\n".join(too_wide)


# The text that reaches furthest past the right edge, and the element it is in: what to fix.
WIDEST_JS = """width => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const right = range.getBoundingClientRect().right;
    if (right > width + 1) found.push([right, node.parentElement]);
  }
  return found.sort((a, b) => b[0] - a[0]).slice(0, 3)
    .map(([right, el]) => `${Math.round(right)}px ${el.outerHTML.slice(0, 160)}`);
}"""
