"""The panel's lead moderates a flagged criterion and shortlists, in a real browser. axe-core
(WCAG 2.0 to 2.2, A and AA) finds nothing on the matrix, on the application page, nor on the
moderation form's error state.

The role, its panel and one scored application are written into the live server's own database
through its app; the role and its applications are removed after (audit events stay: the log is
append-only).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.applications.models import Answer, Application
from lep.db import utcnow
from lep.extensions import db
from lep.roles.models import Role
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.models import Panel, PanelMember, Score, Scorecard
from tests.applications.conftest import open_role
from tests.browser.helpers import (
    SUFFIX,
    BrowserLog,
    expect_error_state,
    expect_scripts_ran,
    page_problems,
    set_up_authenticator_app,
)

pytestmark = pytest.mark.browser

PASSWORD = "a browser moderation password"


@dataclass(frozen=True)
class Setting:
    role_id: int
    application_id: int
    reference: str
    team_criterion_id: int
    lead_email: str


def _user(email: str, name: str, role: str) -> User:
    user = User(
        email=email,
        full_name=name,
        password_hash=hash_password(PASSWORD),
        email_confirmed_at=utcnow(),
        active=True,
    )
    user.set_roles({role})
    db.session.add(user)
    return user


@pytest.fixture
def setting(live_app: Flask) -> Iterator[Setting]:
    tag = uuid.uuid4().hex[:8]
    with live_app.app_context():
        role = open_role(f"Moderation partner {tag}", questions=2)
        lead = _user(f"lee.lead.{tag}@example.org", "Lee Lead", "hr")
        scorers = [_user(f"scorer{n}.{tag}@example.org", f"Scorer {n}", "panel") for n in (1, 2)]
        applicant = _user(f"alex.{tag}@example.org", "Alex Hidden", "applicant")
        db.session.flush()
        panel = Panel(role_id=role.id, lead_id=lead.id, scoring_closed_at=utcnow())
        panel.members = [PanelMember(user_id=s.id) for s in scorers]
        application = Application(
            role_id=role.id,
            applicant_id=applicant.id,
            status="submitted",
            reference=f"LEP-2099-{tag[:6]}",
            submitted_at=utcnow(),
            answers=[
                Answer(question_id=q.id, text=f"An answer about question {n}")
                for n, q in enumerate(role.questions, 1)
            ],
        )
        db.session.add_all([panel, application])
        db.session.flush()
        lived, team = scored_criteria(role)
        for scorer, values in zip(scorers, ([2, 3], [2, 1]), strict=True):
            db.session.add(
                Scorecard(
                    application_id=application.id,
                    scorer_id=scorer.id,
                    role_id=role.id,
                    status="submitted",
                    submitted_at=utcnow(),
                    scores=[
                        Score(criterion_id=c.id, value=v, comment=f"Comment {v}")
                        for c, v in zip((lived, team), values, strict=True)
                    ],
                )
            )
        db.session.commit()
        made = Setting(role.id, application.id, application.reference or "", team.id, lead.email)
        db.session.remove()
    yield made
    with live_app.app_context():
        db.session.execute(delete(Application).where(Application.role_id == made.role_id))
        db.session.delete(db.session.get(Role, made.role_id))  # its panel goes with it
        db.session.commit()
        db.session.remove()


def test_the_lead_moderates_a_flagged_criterion_and_shortlists(
    page: Page, axe: Axe, log: BrowserLog, setting: Setting
) -> None:
    problems: list[str] = []

    def audit(what: str) -> None:
        expect(page).to_have_title(re.compile(re.escape(SUFFIX) + "$"))
        expect_scripts_ran(page)
        problems.extend(f"[{what}] {p}" for p in page_problems(page, axe, log))

    page.goto("/sign-in")
    page.locator("#email").fill(setting.lead_email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    set_up_authenticator_app(page)
    expect(page.locator("h1")).to_contain_text("Hello")

    page.goto(f"/hr/roles/{setting.role_id}/shortlisting")
    expect(page.locator("h1")).to_have_text("Shortlisting")
    row = page.locator("tr", has=page.get_by_role("link", name=setting.reference))
    expect(row).to_contain_text("Needs moderation")
    expect(row).to_contain_text("Scorers differ by 2 or more")
    expect(page.locator("main")).not_to_contain_text("Alex Hidden")
    audit("matrix")

    page.get_by_role("link", name=setting.reference).click()
    expect(page.locator("h1")).to_have_text(f"Application {setting.reference}")
    audit("application")

    prefix = f"criterion{setting.team_criterion_id}"
    form = page.locator("form", has=page.locator(f"#{prefix}-value"))
    form.get_by_label("2: Good evidence").check()
    form.get_by_role("button", name="Save moderated score").click()
    expect_error_state(
        page, {f"{prefix}-reason": "Enter the reason for the moderated score"}, follow_first=False
    )
    audit("moderation without a reason")

    form = page.locator("form", has=page.locator(f"#{prefix}-value"))
    expect(form.get_by_label("2: Good evidence")).to_be_checked()  # nothing typed is lost
    form.locator(f"#{prefix}-reason").fill("A clear example of working with others")
    form.get_by_role("button", name="Save moderated score").click()
    expect(page.locator("main")).to_contain_text("Moderated score saved.")
    expect(page.locator("main")).to_contain_text("A clear example of working with others")

    page.get_by_label("Shortlisted", exact=True).check()
    page.locator("#reason").fill("Clear evidence on both criteria")
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator("main")).to_contain_text("Decision saved: Shortlisted.")
    audit("application, decided")

    page.get_by_role("link", name="Back to shortlisting").click()
    row = page.locator("tr", has=page.get_by_role("link", name=setting.reference))
    expect(row).to_contain_text("Shortlisted")
    expect(row).not_to_contain_text("Needs moderation")
    audit("matrix, decided")
    assert not problems, "\n\n".join(problems)
