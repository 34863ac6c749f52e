"""Applications entered on someone's behalf: from a phone call, a paper form, a recording or a
helper, by HR or a coordinator.

The same questions as the web form, answered in the person's own words (typed up, or a recording
attached, checked like any supporting file, with its transcript typed as the answers); how it was
taken and that the person agreed; how they want to be contacted. An account is made for them
only if they want one (an invitation to set a password, by email). Without one they have an
address on `BY_HAND_DOMAIN`, so every message the journey sends them later (the confirmation,
the outcome, an offer) waits for HR as a letter, a call or a text (lep.notifications.by_hand).

Once sent the application is like any other: scored blind, drawn, reported. `assisted_how` and
`entered_by_id` are shown to HR only; nothing the panel reads (lep.shortlisting.scoring) looks at
them. The audit says who entered it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from lep import audit
from lep.accounts.models import User
from lep.accounts.services import find_user_by_email, normalise_email
from lep.accounts.tokens import make_link_token
from lep.applications.address import address_problems
from lep.applications.files import ALLOWED_DESCRIPTION, MAX_FILE_BYTES, sniff
from lep.applications.models import (
    CONTACT_METHODS,
    OTHER_WAYS,
    Answer,
    Application,
    OtherWayRequest,
    QuotaAnswer,
    SupportingFile,
)
from lep.applications.services import (
    MAX_FIELD,
    _keep_address,
    answer_problems,
    reference_for,
    role_is_open,
)
from lep.extensions import db
from lep.notifications.services import BY_HAND_DOMAIN, deliver_queued, queue_email
from lep.roles.models import Role
from lep.service import DomainError, after_commit, commit, utcnow
from lep.storage import clean_file_name, get_storage
from lep.timeutil import format_datetime
from lep.urls import external_url

MAX_NAME = 200


@dataclass
class AssistedInput:
    """What HR took down. `answers`: question id -> the person's words; `quota_answers`:
    category id -> option; `recording`: (file name, bytes) when they gave a recording."""

    full_name: str
    taken_how: str
    consent: bool
    consent_note: str = ""
    email: str = ""
    wants_account: bool = False
    contact_method: str = ""
    phone: str = ""
    address: Mapping[str, Any] = field(default_factory=dict)
    helped_by: str = ""
    adjustments_interview: str = ""
    answers: Mapping[int, str] = field(default_factory=dict)
    quota_answers: Mapping[int, str] = field(default_factory=dict)
    recording: tuple[str, bytes] | None = None


def by_hand_address() -> str:
    """An address for someone without email: unguessable, on a domain no mail server answers."""
    return f"person-{secrets.token_hex(10)}@{BY_HAND_DOMAIN}"


def answer_field(question_id: int) -> str:
    return f"answer_{question_id}"


def quota_field(category_id: int) -> str:
    return f"quota_{category_id}"


def _problems(role: Role, data: AssistedInput, person: User | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if person is None:
        if not data.full_name.strip():
            errors["full_name"] = "Enter the person's full name"
        elif len(data.full_name.strip()) > MAX_NAME:
            errors["full_name"] = f"The name must be {MAX_NAME} characters or fewer"
        email = data.email.strip()
        if data.wants_account and not email:
            errors["email"] = (
                "Enter their email address, so we can send them a link to set up an account"
            )
        elif email and "@" not in email:
            errors["email"] = "Enter an email address in the correct format, like name@example.com"
        elif email and not data.wants_account:
            errors["wants_account"] = (
                "Say that they want an account, or leave the email address empty"
            )
        elif email and find_user_by_email(email) is not None:
            errors["email"] = (
                "This person already has an account: start from their request to apply another "
                "way, or ask them to apply with it"
            )
    if data.taken_how not in OTHER_WAYS:
        errors["taken_how"] = "Select how the application was taken"
    if not data.consent:
        errors["consent"] = (
            "Confirm that the person agreed to us entering this application for them"
        )
    if len(data.consent_note) > MAX_FIELD:
        errors["consent_note"] = f"This must be {MAX_FIELD:,} characters or fewer"
    method = data.contact_method
    if method not in CONTACT_METHODS:
        errors["contact_method"] = "Select how they would like us to contact them"
    elif method == "email" and not (data.email.strip() or person is not None):
        errors["contact_method"] = "They have no email address: choose post, phone or text"
    if method in {"phone", "text"} and not data.phone.strip():
        errors["phone"] = "Enter a phone number so we can call or text them"
    if method == "post":
        errors.update(address_problems(data.address))
    for name in ("helped_by", "adjustments_interview"):
        if len(getattr(data, name)) > MAX_FIELD:
            errors[name] = f"This must be {MAX_FIELD:,} characters or fewer"
    for question in role.questions:
        found = answer_problems(question, (data.answers.get(question.id) or "").strip())
        if found:
            message = found["answer"].replace("Enter your answer", "Enter their answer")
            errors[answer_field(question.id)] = message.replace("Your answer", "Their answer")
    for category in role.quota_categories:
        if data.quota_answers.get(category.id) not in category.options:
            errors[quota_field(category.id)] = f"Select their answer for {category.name.lower()}"
    if data.recording is not None:
        _, blob = data.recording
        if not blob:
            errors["recording"] = "The selected file is empty"
        elif len(blob) > MAX_FILE_BYTES:
            errors["recording"] = "The selected file must be smaller than 10MB"
        elif sniff(blob) is None:
            errors["recording"] = f"The selected file must be {ALLOWED_DESCRIPTION}"
    return errors


def _person_for(data: AssistedInput, actor: Any) -> User:
    """A new person: with an account if they want one (an invitation by email), else without."""
    wants = data.wants_account and bool(data.email.strip())
    email = normalise_email(data.email) if wants else by_hand_address()
    person = User(email=email, full_name=data.full_name.strip(), password_hash=None)
    person.set_roles({"applicant"})
    db.session.add(person)
    db.session.flush()
    audit.record(
        "user.created_for_assisted_application",
        "user",
        person.id,
        after={"account": wants, "roles": ["applicant"]},
        actor=actor,
    )
    if wants:
        link = external_url("accounts.accept_invite", token=make_link_token(person, "invite"))
        message = queue_email(
            email,
            f"Set up your account with {current_app.config['SERVICE_NAME']}",
            "invite",
            user=person,
            link=link,
            invited_by=actor,
        )
        after_commit(lambda: deliver_queued(message))
    return person


def enter_application(
    role: Role,
    data: AssistedInput,
    actor: Any,
    *,
    request_: OtherWayRequest | None = None,
) -> Application:
    """Enter and send an application for someone, from what HR took down. All or nothing: any
    problem is raised by field and nothing is kept."""
    person: User | None = request_.user if request_ is not None else None
    if request_ is not None and request_.role_id != role.id:
        raise DomainError({"form": "That request is for another role"})
    if not role_is_open(role):
        raise DomainError({"form": "This role has closed, so no application can be entered"})
    errors = _problems(role, data, person)
    if person is not None and db.session.scalar(
        select(Application.id).where(
            Application.role_id == role.id, Application.applicant_id == person.id
        )
    ):
        errors["form"] = f"{person.full_name} already has an application for this role"
    if errors:
        raise DomainError(errors)
    if person is None:
        person = _person_for(data, actor)
    elif "applicant" not in person.roles:
        person.set_roles(person.roles | {"applicant"})
    now = utcnow()
    application = Application(
        role_id=role.id,
        applicant_id=person.id,
        status="submitted",
        submitted_at=now,
        declaration_at=now,
        support_saved=True,
        contact_method=data.contact_method,
        phone=data.phone.strip(),
        helped_by=data.helped_by.strip(),
        adjustments_interview=data.adjustments_interview.strip(),
        assisted_how=data.taken_how,
        entered_by_id=actor.id,
        consent_at=now,
        consent_note=data.consent_note.strip(),
    )
    _keep_address(application, data.address if data.contact_method == "post" else None)
    db.session.add(application)
    db.session.flush()
    application.reference = reference_for(application)
    for question in role.questions:
        text = (data.answers.get(question.id) or "").strip()
        db.session.add(Answer(application_id=application.id, question_id=question.id, text=text))
    for category in role.quota_categories:
        value = data.quota_answers[category.id]
        db.session.add(
            QuotaAnswer(application_id=application.id, category_id=category.id, value=value)
        )
    file_id = None
    if data.recording is not None:
        name, blob = data.recording
        kind = sniff(blob)
        assert kind is not None  # checked above
        storage = get_storage()
        key = storage.save(blob)
        record = SupportingFile(
            application_id=application.id,
            storage_key=key,
            original_name=clean_file_name(name),
            content_type=kind.content_type,
            kind=kind.kind,
            size_bytes=len(blob),
        )
        db.session.add(record)
        db.session.flush()
        file_id = record.id
    audit.record(
        "application.submitted",
        "application",
        application.id,
        before={"status": "draft"},
        after={
            "status": "submitted",
            "reference": application.reference,
            "assisted_how": data.taken_how,
            "entered_by_id": actor.id,
            "consent": True,
            "file_id": file_id,
        },
        actor=actor,
    )
    if request_ is not None:
        request_.application_id = application.id
        if request_.done_at is None:
            request_.done_at = now
            request_.done_by_id = actor.id
            request_.outcome = (
                f"Application {application.reference} entered {OTHER_WAYS[data.taken_how].lower()}"
            )
            audit.record(
                "application.other_way_done",
                "other_way_request",
                request_.id,
                after={"outcome": request_.outcome, "application_id": application.id},
                actor=actor,
            )
    message = queue_email(
        person.email,
        f"We have your application: {application.reference}",
        "application_submitted",
        application=application,
        role=role,
        closes=format_datetime(role.closes_at),
        dashboard_url=external_url("main.dashboard"),
    )
    after_commit(lambda: deliver_queued(message))
    commit()
    return application
