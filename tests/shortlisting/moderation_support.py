"""Builders for the moderation and decision tests: a scored role with a panel, sent
applications with answers, scorecards made directly, and signed-in clients."""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lep.accounts.models import User
from lep.applications.models import Answer, Application
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.roles.models import Role
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.models import Panel, PanelMember, Score, Scorecard
from tests.applications.conftest import open_role
from tests.conftest import csrf_from, sign_in

_references = itertools.count(1)


def scored_role(title: str = "Lived Experience Partner", **kwargs: Any) -> Role:
    """A role with two essential criteria (lived experience, teamwork), one question each."""
    return open_role(title, questions=2, **kwargs)


def make_panel(role: Role, lead: User | None, scorers: list[User], closed: bool = True) -> Panel:
    panel = Panel(role_id=role.id, lead_id=lead.id if lead else None)
    panel.members = [PanelMember(user_id=s.id) for s in scorers]
    if closed:
        panel.scoring_closed_at = utcnow()
    db.session.add(panel)
    db.session.commit()
    return panel


def sent_application(role: Role, make_user: Any, **values: Any) -> Application:
    """A sent application with an answer to every question, by a new applicant."""
    applicant = make_user(
        "applicant",
        full_name=values.pop("full_name", "Robin Applicant"),
        email=values.pop("email", None),
    )
    n = next(_references)
    application = Application(
        role_id=role.id,
        applicant_id=applicant.id,
        status=values.pop("status", "submitted"),
        reference=f"LEP-2026-{n:06d}",
        submitted_at=utcnow(),
        **values,
    )
    application.answers = [
        Answer(question_id=q.id, text=f"My answer to question {i} about working together")
        for i, q in enumerate(role.questions, 1)
    ]
    db.session.add(application)
    db.session.commit()
    return application


def card(
    application: Application,
    scorer: User,
    values: list[int | None],
    status: str = "submitted",
    comments: list[str] | None = None,
) -> Scorecard:
    """A scorer's card with a score per scored criterion, in the role's order."""
    criteria = scored_criteria(application.role)
    comments = comments or ["" for _ in criteria]
    card = Scorecard(
        application_id=application.id,
        scorer_id=scorer.id,
        role_id=application.role_id,
        status=status,
        submitted_at=utcnow() if status == "submitted" else None,
    )
    card.scores = [
        Score(criterion_id=c.id, value=v, comment=text)
        for c, v, text in zip(criteria, values, comments, strict=True)
    ]
    db.session.add(card)
    db.session.commit()
    return card


def client_for(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    response = sign_in(client, user.email)
    assert response.status_code == 302, response.status_code
    return client


def post_form(client: FlaskClient, page_url: str, url: str, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Post to `url` with the CSRF token of the page at `page_url` (as a browser would)."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    token = csrf_from(page.get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def audits(action: str, subject_id: int | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == str(subject_id))
    return list(db.session.scalars(stmt))


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def matrix_url(role: Role, **args: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/hr/roles/{role.id}/shortlisting" + (f"?{query}" if query else "")


def application_url(application: Application) -> str:
    return f"/hr/roles/{application.role_id}/shortlisting/applications/{application.id}"
