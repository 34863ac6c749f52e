"""A scorer scores an application in a real browser and submits: axe-core (WCAG 2.0 to 2.2, A and
AA) finds nothing on the pages on the way, nor on the scoring form's error state, and the page
never shows who the applicant is.

The role, application, scorer and panel are written into the live server's own database through
its app, and removed after.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect

from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.applications.models import Answer, Application
from lep.applications.services import reference_for
from lep.db import utcnow
from lep.extensions import db
from lep.roles import services as role_services
from lep.roles.models import Role
from lep.roles.services import RoleInput
from lep.shortlisting.models import Panel, PanelMember
from tests.browser.helpers import SUFFIX, BrowserLog, check_page, expect_error_state
from tests.roles.public_data import pay_setup

pytestmark = pytest.mark.browser

PASSWORD = "a browser scoring password"
APPLICANT = "Anne-Marie O'Neil"


@dataclass(frozen=True)
class Setup:
    role_id: int
    application_id: int
    reference: str
    scorer_email: str
    criteria: tuple[int, int]


def _user(email: str, name: str, roles: set[str]) -> User:
    user = User(
        email=email,
        full_name=name,
        password_hash=hash_password(PASSWORD),
        email_confirmed_at=utcnow(),
        active=True,
    )
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def setup(live_app: Flask) -> Iterator[Setup]:
    tag = uuid.uuid4().hex[:8]
    with live_app.app_context():
        pay_setup()
        role = role_services.create_role(
            RoleInput(
                title=f"Browser scoring partner {tag}",
                engagement_type="employed",
                band="7",
                minutes_per_week=900,
                closes_at=utcnow() + dt.timedelta(days=14),
                contact_name="Priya Shah",
                contact_email="priya.shah@example.org",
            ),
            None,
        )
        lived = role_services.add_criterion(role, "Lived experience", True, "application", None)
        team = role_services.add_criterion(role, "Works well in a team", False, "application", None)
        role_services.add_question(role, "Tell us about your experience", "", 200, [lived.id], None)
        role_services.add_question(role, "Tell us about teamwork", "", 200, [team.id], None)
        role_services.publish_role(role, None)
        applicant = _user(f"applicant.{tag}@example.org", APPLICANT, {"applicant"})
        scorer = _user(f"scorer.{tag}@example.org", "Rae Reviewer", {"panel"})
        application = Application(
            role_id=role.id,
            applicant_id=applicant.id,
            status="submitted",
            submitted_at=utcnow(),
            phone="07700 900123",
            adjustments_application="Large print",
        )
        db.session.add(application)
        db.session.flush()
        application.reference = reference_for(application)
        for question, text in zip(
            role.questions,
            [f"I am {APPLICANT}; I used NHS services for years.", "Call 07700 900123."],
            strict=True,
        ):
            db.session.add(
                Answer(application_id=application.id, question_id=question.id, text=text)
            )
        panel = Panel(role_id=role.id)
        panel.members = [PanelMember(user_id=scorer.id)]
        db.session.add(panel)
        db.session.commit()
        made = Setup(
            role.id, application.id, application.reference, scorer.email, (lived.id, team.id)
        )
        db.session.remove()
    yield made
    with live_app.app_context():
        db.session.delete(db.session.get(Application, made.application_id))
        db.session.delete(db.session.get(Role, made.role_id))  # with its panel and scorecards
        db.session.commit()
        db.session.remove()


def test_a_scorer_scores_and_submits_an_application(
    page: Page, axe: Axe, log: BrowserLog, setup: Setup
) -> None:
    lived, team = setup.criteria
    page.goto("/sign-in?next=/panel")
    page.locator("#email").fill(setup.scorer_email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("h1")).to_have_text("Your shortlisting panels")
    check_page(page, axe, log)
    page.locator("#panels a").first.click()

    expect(page.locator("h1")).to_have_text("Applications to score")
    check_page(page, axe, log)
    page.get_by_role("link", name=setup.reference).click()

    expect(page.locator("h1")).to_have_text(f"Application {setup.reference}")
    expect(page).to_have_title(re.compile(re.escape(SUFFIX) + "$"))
    body = page.locator("main").inner_text()
    assert "O'Neil" not in body and "Anne" not in body and "900123" not in body
    assert "Large print" not in body
    expect(page.locator("#answer-1")).to_contain_text("I am [name]; I used NHS services")
    check_page(page, axe, log)

    # Submitting with a criterion unscored: the error state, then the score is given.
    page.get_by_label("3: Strong evidence").first.check()
    page.locator(f"#comment_{lived}").fill("A clear example with reflection.")
    page.get_by_role("button", name="Submit scores").click()
    expect_error_state(page, {f"score_{team}": "Select a score for “Works well in a team”"})
    expect(page.locator(f"#comment_{lived}")).to_have_value("A clear example with reflection.")
    check_page(page, axe, log)

    page.locator(f"#score_{team}-3").check()  # 2: Good evidence
    page.get_by_role("button", name="Submit scores").click()

    expect(page.locator("h1")).to_have_text("Applications to score")
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        f"Scores for {setup.reference} submitted."
    )
    expect(page.locator("#applications")).to_contain_text("Submitted")
    expect(page.locator("#others-link")).to_be_visible()
    check_page(page, axe, log)

    page.get_by_role("link", name=setup.reference).click()
    expect(page.locator("#your-scores")).to_contain_text("3: Strong evidence")
    expect(page.locator("#your-scores")).to_contain_text("2: Good evidence")
    check_page(page, axe, log)
