"""The application journey as functions with guards. Each owns its transaction and audits.

A draft is saved on every Continue, so it survives a lost session or a closed browser. Submitting
is a guarded transition (draft -> submitted) that happens once, however often it is asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lep import audit
from lep.applications.address import PostalAddress, address_problems, read_address
from lep.applications.files import ALLOWED_DESCRIPTION, MAX_FILE_BYTES, extension_for, sniff
from lep.applications.models import (
    CONTACT_METHODS,
    OTHER_WAYS,
    Answer,
    Application,
    OtherWayRequest,
    QuotaAnswer,
    SupportingFile,
)
from lep.db import utcnow
from lep.extensions import db
from lep.notifications.services import queue_email
from lep.roles.models import Question, Role
from lep.service import DomainError, commit
from lep.storage import clean_file_name, download_name, get_storage
from lep.timeutil import LONDON, format_datetime
from lep.urls import external_url

WITHDRAWABLE = {"submitted", "under_review", "shortlisted", "interview", "offered"}
MAX_TEXT = 20_000  # characters in any one answer: far beyond any word limit
MAX_FIELD = 2_000  # characters in a support field


def word_count(text: str) -> int:
    return len(text.split())


def role_is_open(role: Role) -> bool:
    return role.status == "open" and role.closes_at is not None and role.closes_at > utcnow()


def reference_for(application: Application) -> str:
    year = (application.submitted_at or utcnow()).astimezone(LONDON).year
    return f"LEP-{year}-{application.id:06d}"


def find_application(user_id: int, role_id: int) -> Application | None:
    return db.session.scalar(
        select(Application).where(
            Application.applicant_id == user_id, Application.role_id == role_id
        )
    )


def start_application(role: Role, user: Any) -> Application:
    """The person's application for this role: the one they have, or a new draft."""
    existing = find_application(user.id, role.id)
    if existing is not None:
        return existing
    if not role_is_open(role):
        raise DomainError({"role": "This role has closed, so you cannot start an application"})
    if "applicant" not in user.roles:
        # Applying makes anyone an applicant: a partner or a reviewer may apply for a new role.
        before = sorted(user.roles)
        user.set_roles(user.roles | {"applicant"})
        audit.record(
            "user.roles_changed",
            "user",
            user.id,
            before={"roles": before},
            after={"roles": sorted(user.roles), "reason": "started an application"},
        )
    application = Application(role_id=role.id, applicant_id=user.id, status="draft")
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError:  # the same person started in another tab a moment ago
        db.session.rollback()
        found = find_application(user.id, role.id)
        assert found is not None
        return found
    audit.record("application.started", "application", application.id, after={"role_id": role.id})
    commit()
    return application


def _draft(application: Application) -> None:
    if application.status != "draft":
        raise DomainError({"application": "This application has been sent and cannot be changed"})
    if not role_is_open(application.role):
        closed = "This role has closed. Your draft is kept, but it can no longer be sent"
        raise DomainError({"application": closed})


def save_answer(
    application: Application, question: Question, text: str, *, draft: bool = False
) -> dict[str, str]:
    """Save what was typed, always (nothing typed is lost). Returns problems to show, if any.

    `draft`: saved to come back to later, so not finished yet (resuming starts there)."""
    _draft(application)
    if question.role_id != application.role_id:
        raise DomainError({"question": "That question is not part of this application"})
    text = text.strip()
    problems = answer_problems(question, text)  # counted on all that was typed
    text = text[:MAX_TEXT]
    answer = application.answer_for(question.id)
    if answer is None:
        answer = Answer(application=application, question_id=question.id, text=text, draft=draft)
        db.session.add(answer)
    else:
        answer.text = text
        answer.draft = draft
    application.updated_at = utcnow()
    commit()
    return problems


def answer_finished(question: Question, answer: Answer | None) -> bool:
    """Continued past with nothing to put right: not missing, not over the limit, not a draft."""
    if answer is None or answer.draft:
        return False
    return not answer_problems(question, answer.text)


def answer_problems(question: Question, text: str) -> dict[str, str]:
    words = word_count(text)
    if words == 0:
        return {"answer": "Enter your answer"}
    if words > question.word_limit:
        over = words - question.word_limit
        return {
            "answer": f"Your answer must be {question.word_limit} words or fewer. "
            f"You have {words} words: {over} too many"
        }
    return {}


def save_support(application: Application, **fields: Any) -> None:
    """Adjustments, contact preferences, help, and the guaranteed interview scheme."""
    _draft(application)
    errors = {}
    method = fields.get("contact_method") or None
    if method is not None and method not in CONTACT_METHODS:
        errors["contact_method"] = "Select how you would like us to contact you"
    phone = (fields.get("phone") or "").strip()
    if method in {"phone", "text"} and not phone:
        errors["phone"] = "Enter a phone number so we can call or text you"
    if method == "post":
        errors.update(address_problems(fields))
    for name in ("adjustments_application", "adjustments_interview", "contact_times", "helped_by"):
        if len(fields.get(name) or "") > MAX_FIELD:
            errors[name] = f"This must be {MAX_FIELD:,} characters or fewer"
    if errors:
        raise DomainError(errors)
    application.adjustments_application = (fields.get("adjustments_application") or "").strip()
    application.adjustments_interview = (fields.get("adjustments_interview") or "").strip()
    application.contact_method = method
    application.contact_times = (fields.get("contact_times") or "").strip()
    application.phone = phone
    _keep_address(application, fields if method == "post" else None)
    application.helped_by = (fields.get("helped_by") or "").strip()
    application.guaranteed_interview = bool(fields.get("guaranteed_interview"))
    application.support_saved = True
    application.updated_at = utcnow()
    commit()


def _keep_address(obj: Application | OtherWayRequest, fields: Mapping[str, Any] | None) -> None:
    """The address for letters, when they chose post; otherwise none is kept."""
    address = read_address(fields) if fields is not None else PostalAddress("", "", "", "")
    for name, value in address.as_fields().items():
        setattr(obj, name, value)


def save_quota_answers(application: Application, answers: dict[int, str]) -> None:
    _draft(application)
    categories = {c.id: c for c in application.role.quota_categories}
    errors = {}
    for category in categories.values():
        value = answers.get(category.id)
        if value not in category.options:
            errors[f"quota_{category.id}"] = f"Select an answer for {category.name.lower()}"
    if errors:
        raise DomainError(errors)
    existing = {a.category_id: a for a in application.quota_answers}
    for category_id, value in answers.items():
        if category_id not in categories:
            continue
        if category_id in existing:
            existing[category_id].value = value
        else:
            db.session.add(
                QuotaAnswer(application=application, category_id=category_id, value=value)
            )
    application.updated_at = utcnow()
    commit()


def attach_file(application: Application, filename: str, data: bytes) -> SupportingFile:
    """Keep one supporting file (a new one replaces the old). Checked by content, not name."""
    _draft(application)
    if not data:
        raise DomainError({"file": "The selected file is empty"})
    if len(data) > MAX_FILE_BYTES:
        raise DomainError({"file": "The selected file must be smaller than 10MB"})
    kind = sniff(data)
    if kind is None:
        raise DomainError({"file": f"The selected file must be {ALLOWED_DESCRIPTION}"})
    storage = get_storage()
    key = storage.save(data)
    for old in list(application.files):
        storage.delete(old.storage_key)
        application.files.remove(old)
    # Shown to the applicant and HR, never used to serve the file (file_download_name is).
    name = clean_file_name(filename)
    record = SupportingFile(
        application=application,
        storage_key=key,
        original_name=name,
        content_type=kind.content_type,
        kind=kind.kind,
        size_bytes=len(data),
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        "application.file_attached",
        "application",
        application.id,
        after={"file_id": record.id, "kind": kind.kind, "size_bytes": len(data)},
    )
    commit()
    return record


def file_download_name(application: Application, record: SupportingFile) -> str:
    """The name a supporting file is served under, whoever downloads it: made from the reference
    and the detected type (application-LEP-2026-000054-file.pdf), never the name it came with,
    which may name the person or pretend to be another type."""
    reference = application.reference or f"draft-{application.id}"
    return download_name(
        "application", reference, "file", extension=extension_for(record.content_type)
    )


def record_file_download(
    application: Application, record: SupportingFile, by: Any, *, audience: str, played: bool
) -> None:
    """Audit that someone took (or played) a supporting file: the applicant, hr or the panel."""
    audit.record(
        "application.file_downloaded",
        "application",
        application.id,
        after={"file_id": record.id, "audience": audience, "played": played},
        actor=by,
    )
    commit()


def remove_file(application: Application, file_id: int) -> None:
    _draft(application)
    record = next((f for f in application.files if f.id == file_id), None)
    if record is None:
        raise DomainError({"file": "That file is not part of this application"})
    get_storage().delete(record.storage_key)
    application.files.remove(record)
    audit.record(
        "application.file_removed", "application", application.id, before={"file_id": file_id}
    )
    commit()


def submit_problems(application: Application) -> dict[str, str]:
    """What must be done before the application can be sent, keyed by where to fix it."""
    problems: dict[str, str] = {}
    for position, question in enumerate(application.role.questions, start=1):
        answer = application.answer_for(question.id)
        found = answer_problems(question, answer.text if answer else "")
        if found:
            problems[f"question_{position}"] = f"Question {position}: {found['answer']}"
    answered = {a.category_id for a in application.quota_answers}
    for category in application.role.quota_categories:
        if category.id not in answered:
            problems[f"quota_{category.id}"] = f"Answer the question about {category.name.lower()}"
    return problems


def submit(application: Application, declaration: bool) -> tuple[Application, bool]:
    """Send the application. Returns (application, True if this call sent it).

    Asking again (double click, back button, a second tab) sends nothing more."""
    if application.status != "draft":
        return application, False
    _draft(application)
    problems = submit_problems(application)
    if not declaration:
        problems["declaration"] = "Confirm that the information you have given is true"
    if problems:
        raise DomainError(problems)
    now = utcnow()
    # Only one request can move this row out of draft; the others see rowcount 0.
    result: Any = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == "draft")
        .values(status="submitted", submitted_at=now, declaration_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(application)
        return application, False
    db.session.refresh(application)
    application.reference = reference_for(application)
    audit.record(
        "application.submitted",
        "application",
        application.id,
        before={"status": "draft"},
        after={"status": "submitted", "reference": application.reference},
    )
    queue_email(
        application.applicant.email,
        f"We have your application: {application.reference}",
        "application_submitted",
        application=application,
        role=application.role,
        closes=format_datetime(application.role.closes_at),
        dashboard_url=external_url("main.dashboard"),
    )
    commit()
    return application, True


def withdraw(application: Application) -> Application:
    if application.status not in WITHDRAWABLE:
        raise DomainError({"application": "This application cannot be withdrawn"})
    before = application.status
    application.status = "withdrawn"
    application.withdrawn_at = utcnow()
    if before == "offered":
        _withdraw_live_offer(application)
    audit.record(
        "application.withdrawn",
        "application",
        application.id,
        before={"status": before},
        after={"status": "withdrawn"},
    )
    queue_email(
        application.applicant.email,
        f"You have withdrawn your application {application.reference}",
        "application_withdrawn",
        application=application,
        role=application.role,
    )
    commit()
    return application


def _withdraw_live_offer(application: Application) -> None:
    """An applicant who withdraws while an offer waits for them has answered it too."""
    from lep.shortlisting.models import Offer  # a later step of the journey

    for offer in db.session.scalars(
        select(Offer).where(Offer.application_id == application.id, Offer.status == "made")
    ):
        offer.status = "withdrawn"
        offer.reason = "The applicant withdrew their application"
        offer.responded_at = utcnow()
        audit.record(
            "offer.withdrawn",
            "offer",
            offer.id,
            before={"status": "made"},
            after={"status": "withdrawn", "reason": "The applicant withdrew their application"},
        )


def delete_draft(application: Application) -> None:
    if application.status != "draft":
        raise DomainError({"application": "Only an application you have not sent can be deleted"})
    storage = get_storage()
    for record in application.files:
        storage.delete(record.storage_key)
    audit.record(
        "application.draft_deleted",
        "application",
        application.id,
        before={"role_id": application.role_id},
    )
    db.session.delete(application)
    commit()


def request_other_way(
    role: Role,
    user: Any,
    method: str,
    details: str,
    contact_method: str,
    phone: str,
    address: Mapping[str, Any] | None = None,
) -> OtherWayRequest:
    """Ask HR to help someone apply another way. `address`: the address fields, needed when
    they chose to be contacted by post."""
    errors = {}
    if method not in OTHER_WAYS:
        errors["method"] = "Select how you would like to apply"
    if contact_method not in CONTACT_METHODS:
        errors["contact_method"] = "Select how you would like us to contact you"
    if contact_method in {"phone", "text"} and not phone.strip():
        errors["phone"] = "Enter a phone number so we can call or text you"
    if contact_method == "post":
        errors.update(address_problems(address or {}))
    if len(details) > MAX_FIELD:
        errors["details"] = f"This must be {MAX_FIELD:,} characters or fewer"
    if errors:
        raise DomainError(errors)
    request_ = OtherWayRequest(
        role_id=role.id,
        user_id=user.id,
        method=method,
        details=details.strip(),
        contact_method=contact_method,
        phone=phone.strip(),
    )
    _keep_address(request_, (address or {}) if contact_method == "post" else None)
    db.session.add(request_)
    db.session.flush()
    audit.record(
        "application.other_way_requested",
        "other_way_request",
        request_.id,
        after={"role_id": role.id, "method": method, "contact_method": contact_method},
    )
    queue_email(
        user.email,
        f"We have your request to apply another way: {role.title}",
        "other_way_requested",
        user=user,
        role=role,
        method=OTHER_WAYS[method],
    )
    commit()
    return request_


def complete_other_way(request_: OtherWayRequest, outcome: str, by: Any) -> None:
    if request_.done_at is not None:
        return
    request_.done_at = utcnow()
    request_.done_by_id = by.id
    request_.outcome = outcome.strip()[:MAX_FIELD]
    audit.record(
        "application.other_way_done",
        "other_way_request",
        request_.id,
        after={"outcome": request_.outcome},
        actor=by,
    )
    commit()


def applications_for(user_id: int) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.applicant_id == user_id)
            .order_by(Application.updated_at.desc())
        )
    )


def other_way_requests_for(user_id: int) -> list[OtherWayRequest]:
    """The person's requests to apply another way, newest first, with their roles."""
    return list(
        db.session.scalars(
            select(OtherWayRequest)
            .where(OtherWayRequest.user_id == user_id)
            .options(selectinload(OtherWayRequest.role))
            .order_by(OtherWayRequest.created_at.desc(), OtherWayRequest.id.desc())
        )
    )


def closing_soon(role: Role, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return role.closes_at is not None and now < role.closes_at <= now + dt.timedelta(days=3)
