"""Fixtures for the applicant's journey: private file storage in a temporary folder, roles to
apply for, a signed-in applicant, and helpers to read what pages say."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lep.applications.models import Application
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.roles.models import QuotaCategory, Role
from lep.roles.services import (
    RoleInput,
    add_criterion,
    add_question,
    create_role,
    publish_role,
)
from tests.conftest import csrf_from
from tests.roles.public_data import main_text, pay_setup

__all__ = ["main_text"]

SUPPORT = {"contact_method": "email", "helped": "no"}  # the least the support page needs


@pytest.fixture(autouse=True)
def uploads(app: Flask, tmp_path, monkeypatch) -> Iterator[Any]:
    """Files go to a folder of this test's own, never the instance folder."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(folder))
    app.extensions.pop("lep_storage", None)
    yield folder
    app.extensions.pop("lep_storage", None)


def open_role(
    title: str = "Lived Experience Partner",
    *,
    questions: int = 2,
    word_limit: int = 10,
    selection_method: str = "scored",
    closes_in: dt.timedelta = dt.timedelta(days=14),
) -> Role:
    """A role made as HR makes one (criteria, questions, published), with `questions`
    questions of `word_limit` words each."""
    pay_setup()
    role = create_role(
        RoleInput(
            title=title,
            engagement_type="employed",
            band="7",
            minutes_per_week=900,
            closes_at=utcnow() + closes_in,
            contact_name="Priya Shah",
            contact_email="priya.shah@example.org",
            selection_method=selection_method,
        ),
        by=None,
    )
    lived = add_criterion(role, "Lived experience of NHS services", True, "application", None)
    # Essential only when a question covers it (a role cannot be published otherwise).
    team = add_criterion(role, "You can work well in a team", questions > 1, "application", None)
    texts = [
        ("Tell us about your experience of NHS services", "Think about what went well.", lived),
        ("Tell us about a time you worked with others", "", team),
        ("What would you bring to the role?", "", lived),
    ]
    for text, hint, criterion in texts[:questions]:
        add_question(role, text, hint, word_limit, [criterion.id], None)
    return publish_role(role, by=None)


def lottery_role() -> Role:
    role = open_role("Community panel member", questions=1, selection_method="lottery")
    role.quota_categories = [
        QuotaCategory(
            name="Region",
            question="Which region do you live in?",
            why="So that people from every part of the county have a fair chance of a place.",
            options=["North", "South", "Prefer not to say"],
            position=1,
        ),
        QuotaCategory(
            name="Age band",
            question="How old are you?",
            why="So that younger and older people are both on the panel.",
            options=["Under 25", "25 to 64", "65 or over"],
            position=2,
        ),
    ]
    db.session.commit()
    return role


@pytest.fixture
def role() -> Role:
    return open_role()


@pytest.fixture
def applicant(make_user, login):
    user = make_user("applicant", full_name="Alex Morgan")
    login(user)
    return user


def token(client) -> str:  # type: ignore[no-untyped-def]
    return csrf_from(client.get("/dashboard").get_data(as_text=True))


def post(client, url: str, data: dict[str, Any] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    return client.post(url, data={**(data or {}), "csrf_token": token(client)}, **kwargs)


def start(client, role: Role) -> Application:  # type: ignore[no-untyped-def]
    page = client.get(f"/roles/{role.id}/apply")
    assert page.status_code == 200, page.status_code
    assert "Before you start" in page.get_data(as_text=True)
    response = client.post(
        f"/roles/{role.id}/apply", data={"csrf_token": csrf_from(page.get_data(as_text=True))}
    )
    assert response.status_code == 302, response.status_code
    application = db.session.scalar(
        select(Application).where(Application.role_id == role.id).order_by(Application.id.desc())
    )
    assert application is not None
    return application


def location(response) -> str:  # type: ignore[no-untyped-def]
    return response.headers.get("Location", "")


def audit_actions(subject_id: int | str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_id == str(subject_id))
            .order_by(AuditEvent.id)
        )
    )


def fresh(application: Application) -> Application | None:
    """The application as the database has it now (None once deleted)."""
    application_id = application.id
    db.session.expire_all()
    return db.session.get(Application, application_id)
