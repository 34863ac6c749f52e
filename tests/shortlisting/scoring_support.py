"""Builders for the panel and scoring tests: sent applications with answers, panels, and posting
the scorer's forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from lep.accounts.models import User
from lep.applications.models import Answer, Application
from lep.applications.services import reference_for
from lep.db import utcnow
from lep.extensions import db
from lep.roles.models import Role
from lep.shortlisting.assessment import scored_criteria
from lep.shortlisting.models import Panel, PanelMember
from tests.conftest import csrf_from

ANSWERS = [
    "I have used community mental health services for ten years.",
    "I ran a carers group with the ward team.",
    "I would bring patience and listening.",
]


def sent_application(
    role: Role,
    make_user: Callable[..., User],
    *,
    full_name: str = "Test Applicant",
    email: str | None = None,
    answers: list[str] | None = None,
    status: str = "submitted",
    **fields: Any,
) -> Application:
    """A sent application with an answer to each question (the role need not be open)."""
    applicant = make_user("applicant", full_name=full_name, email=email)
    application = Application(
        role_id=role.id,
        applicant_id=applicant.id,
        status=status,
        submitted_at=utcnow() if status != "draft" else None,
        **fields,
    )
    db.session.add(application)
    db.session.flush()
    if status != "draft":
        application.reference = reference_for(application)
    texts = answers if answers is not None else ANSWERS
    for question, text in zip(role.questions, texts, strict=False):
        db.session.add(Answer(application_id=application.id, question_id=question.id, text=text))
    db.session.commit()
    return application


def seat_panel(role: Role, *scorers: User, lead: User | None = None) -> Panel:
    """A panel set up directly (the services are tested on their own)."""
    panel = Panel(role_id=role.id, lead_id=lead.id if lead else None)
    panel.members = [PanelMember(user_id=s.id) for s in scorers]
    db.session.add(panel)
    db.session.commit()
    return panel


def criteria_ids(role: Role) -> list[int]:
    return [c.id for c in scored_criteria(role)]


def scores_for(role: Role, *values: int | str | None) -> dict[int, Any]:
    return dict(zip(criteria_ids(role), values, strict=True))


def token(client: FlaskClient) -> str:
    return csrf_from(client.get("/dashboard").get_data(as_text=True))


def application_url(application: Application) -> str:
    return f"/panel/roles/{application.role_id}/applications/{application.id}"


def post_scores(
    client: FlaskClient,
    application: Application,
    values: dict[int, Any],
    comments: dict[int, str] | None = None,
    *,
    submit: bool = False,
) -> Any:
    """Post the scoring form as a browser would: the radios chosen, the comments typed."""
    url = application_url(application)
    data: dict[str, Any] = {"csrf_token": token(client)}
    for criterion_id, value in values.items():
        if value is not None:
            data[f"score_{criterion_id}"] = str(value)
    for criterion_id, text in (comments or {}).items():
        data[f"comment_{criterion_id}"] = text
    data["submit_scores" if submit else "save_draft"] = ""
    return client.post(url, data=data)


def audited(subject_type: str, subject_id: int) -> list[str]:
    """The audit actions recorded about one thing, oldest first."""
    from lep.audit.models import AuditEvent

    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.subject_type == subject_type,
                AuditEvent.subject_id == str(subject_id),
            )
            .order_by(AuditEvent.id)
        )
    )
