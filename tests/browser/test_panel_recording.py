"""A scorer plays an applicant's recording on the scoring page in a real browser: the page warns
that a recording may show who the person is, the <audio> player loads the sound from our own
site, the download link works, and axe-core finds nothing on the page."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect

from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.applications.models import Answer, Application, SupportingFile
from lep.applications.services import reference_for
from lep.db import utcnow
from lep.extensions import db
from lep.roles import services as role_services
from lep.roles.models import Role
from lep.roles.services import RoleInput
from lep.shortlisting.models import Panel, PanelMember
from lep.storage import get_storage
from tests.applications import media
from tests.browser.helpers import BrowserLog, check_page
from tests.roles.public_data import pay_setup

pytestmark = pytest.mark.browser

PASSWORD = "a browser recording password"


@dataclass(frozen=True)
class Setup:
    role_id: int
    application_id: int
    reference: str
    scorer_email: str


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
def setup(live_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    saved_folder = live_app.config.get("UPLOAD_FOLDER")
    live_app.config["UPLOAD_FOLDER"] = str(tmp_path_factory.mktemp("recordings"))
    live_app.extensions.pop("lep_storage", None)
    tag = uuid.uuid4().hex[:8]
    with live_app.app_context():
        pay_setup()
        role = role_services.create_role(
            RoleInput(
                title=f"Browser recording partner {tag}",
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
        role_services.add_question(role, "Tell us about your experience", "", 200, [lived.id], None)
        role_services.publish_role(role, None)
        applicant = _user(f"applicant.{tag}@example.org", "Sol Speaker", {"applicant"})
        scorer = _user(f"scorer.{tag}@example.org", "Rae Reviewer", {"panel"})
        application = Application(
            role_id=role.id, applicant_id=applicant.id, status="submitted", submitted_at=utcnow()
        )
        db.session.add(application)
        db.session.flush()
        application.reference = reference_for(application)
        db.session.add(
            Answer(
                application_id=application.id,
                question_id=role.questions[0].id,
                text="My answer is in my recording.",
            )
        )
        sound = media.wav()
        db.session.add(
            SupportingFile(
                application_id=application.id,
                storage_key=get_storage().save(sound),
                original_name="Sol Speaker answers.wav",
                content_type="audio/wav",
                kind="audio",
                size_bytes=len(sound),
            )
        )
        panel = Panel(role_id=role.id)
        panel.members = [PanelMember(user_id=scorer.id)]
        db.session.add(panel)
        db.session.commit()
        made = Setup(role.id, application.id, application.reference, scorer.email)
        db.session.remove()
    yield made
    with live_app.app_context():
        db.session.delete(db.session.get(Application, made.application_id))
        db.session.delete(db.session.get(Role, made.role_id))
        db.session.commit()
        db.session.remove()
    live_app.config["UPLOAD_FOLDER"] = saved_folder
    live_app.extensions.pop("lep_storage", None)


def test_a_scorer_plays_and_downloads_the_recording(
    page: Page, axe: Axe, log: BrowserLog, setup: Setup
) -> None:
    page.goto(f"/sign-in?next=/panel/roles/{setup.role_id}/applications/{setup.application_id}")
    page.locator("#email").fill(setup.scorer_email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text(f"Application {setup.reference}")

    expect(page.locator("#file-warning")).to_contain_text(
        "A file or recording may show who the applicant is"
    )
    body = page.locator("main").inner_text()
    assert "Sol" not in body and "Speaker" not in body  # not even in the file's name
    check_page(page, axe, log)

    # The player loads the recording (one second of sound) from our site.
    audio = page.locator("audio")
    expect(audio).to_have_count(1)
    audio.evaluate("a => { a.preload = 'auto'; a.load(); }")
    page.wait_for_function(
        "() => { const a = document.querySelector('audio'); return a.readyState >= 1; }"
    )
    duration = audio.evaluate("a => a.duration")
    assert 0.9 < duration < 1.1, duration
    assert audio.evaluate("a => a.error") is None

    with page.expect_download() as downloaded:
        page.get_by_role("link", name="Download the recording").click()
    assert downloaded.value.suggested_filename == f"application-{setup.reference}-file.wav"
    check_page(page, axe, log)
