"""Saving a person's equality monitoring answers: optional, replaceable, audited without them.

Only the applicant may answer, and only for an application they have sent. Every question may be
left blank or answered "Prefer not to say"; anything else must be one of the listed answers.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select

from lep import audit
from lep.applications.models import Application
from lep.equality.models import PREFER_NOT, QUESTIONS, EqualityResponse
from lep.extensions import db
from lep.service import DomainError, commit

PREFER_NOT_TEXT = "Prefer not to say"


def choices(key: str) -> dict[str, str]:
    """A question's answers, in order, ending with "Prefer not to say"."""
    return {**QUESTIONS[key][1], PREFER_NOT: PREFER_NOT_TEXT}


def response_for(application: Application) -> EqualityResponse | None:
    """The answers given for this application, for the applicant's own form only."""
    return db.session.scalar(
        select(EqualityResponse).where(EqualityResponse.application_id == application.id)
    )


def may_answer(application: Application, user: Any) -> bool:
    """Only the applicant, and only once the application has been sent."""
    return (
        user is not None
        and getattr(user, "id", None) == application.applicant_id
        and application.status != "draft"
    )


def _acting(application: Application, by: Any) -> Any:
    if by is not None:
        return by
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return application.applicant  # a script or the demo seed, acting for the applicant


def save_equality(
    application: Application, answers: dict[str, Any], by: Any = None
) -> EqualityResponse:
    """Save (or replace) the answers for this application. A question left out is unanswered."""
    person = _acting(application, by)
    if not may_answer(application, person):
        raise DomainError(
            {"application": "You can only answer these questions for an application you have sent"}
        )
    errors: dict[str, str] = {}
    for key in answers:
        if key not in QUESTIONS:
            errors[key] = "That is not one of the questions"
    cleaned: dict[str, str | None] = {}
    for key in QUESTIONS:
        value = answers.get(key)
        if value is None or value == "":
            cleaned[key] = None
        elif isinstance(value, str) and value in choices(key):
            cleaned[key] = value
        else:
            errors[key] = "Select one of the answers, or “Prefer not to say”, or leave it blank"
    if errors:
        raise DomainError(errors)

    response = response_for(application)
    replaced = response is not None
    if response is None:
        response = EqualityResponse(application_id=application.id, role_id=application.role_id)
        db.session.add(response)
    for key, value in cleaned.items():
        setattr(response, key, value)
    db.session.flush()
    # The audit row says that answers were saved, never what they were.
    audit.record(
        "equality.saved",
        "equality_response",
        response.id,
        after={"application_id": application.id, "replaced": replaced},
        actor=person,
    )
    commit()
    return response
