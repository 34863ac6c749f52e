"""Applications as they leave the system, one schema per audience.

An applicant's answers are not the same document for everyone who may read them:

- `ApplicationSchema` is the applicant's own view (the API's /applications and the "download
  everything we hold about you" file): their answers, supporting file's details, support and
  adjustments, contact preferences, the guaranteed interview request and quota answers.
- A panel member's view (shortlisting, later) will be its own schema: answers only, with no support
  needs, contact details, guaranteed interview request or quota answers.

Nothing here reaches beyond the one application or person it is given: never another person's data,
and never a supporting file's storage key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.utils import missing

from lep.applications.models import CONTACT_METHODS, OTHER_WAYS, Application
from lep.applications.services import word_count


class Derived(fields.Nested):
    """A nested schema dumped from what `getter` makes of the parent object.

    Groups some of an object's own fields (Derived(SupportSchema, lambda a: a)) or orders a list,
    and is still documented in OpenAPI as the nested schema."""

    def __init__(self, nested: Any, getter: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(nested, **kwargs)
        self.getter = getter

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = missing) -> Any:
        return self.getter(obj)


def _same(obj: Any) -> Any:
    return obj


def _answers_in_question_order(application: Application) -> list[Any]:
    return sorted(application.answers, key=lambda a: (a.question.position, a.question_id))


def _address_lines(obj: Any) -> list[str]:
    address = obj.postal_address
    return address.lines if address is not None else []


def application_ref(application: Application) -> str:
    """What /api/v1/applications/{ref} takes: the reference, or draft-<id> for a draft."""
    return application.reference or f"draft-{application.id}"


class ApplicationRoleSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    closes_at = fields.AwareDateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "When the role stops taking applications"},
    )


class ApplicationAnswerSchema(Schema):
    question = fields.String(attribute="question.text", dump_only=True)
    word_limit = fields.Integer(attribute="question.word_limit", dump_only=True)
    answer = fields.String(attribute="text", dump_only=True)
    word_count = fields.Method("get_word_count", dump_only=True)

    def get_word_count(self, answer: Any) -> int:
        return word_count(answer.text)


class SupportingFileSchema(Schema):
    """What the person sent, described: never where it is kept."""

    original_name = fields.String(
        dump_only=True, metadata={"description": "The file's name as sent"}
    )
    kind = fields.String(dump_only=True, metadata={"description": "pdf, word, image or audio"})
    content_type = fields.String(dump_only=True)
    size_bytes = fields.Integer(dump_only=True)
    uploaded_at = fields.AwareDateTime(attribute="created_at", dump_only=True, allow_none=True)


class SupportSchema(Schema):
    adjustments_application = fields.String(
        dump_only=True, metadata={"description": "Adjustments asked for to apply"}
    )
    adjustments_interview = fields.String(
        dump_only=True, metadata={"description": "Adjustments asked for at an interview"}
    )
    helped_by = fields.String(
        dump_only=True, metadata={"description": "Who is helping them apply, if anyone"}
    )


class ContactPreferencesSchema(Schema):
    method = fields.String(
        attribute="contact_method",
        dump_only=True,
        allow_none=True,
        metadata={"description": "email, phone, text or post"},
    )
    method_text = fields.Method("get_method_text", dump_only=True, allow_none=True)
    times = fields.String(
        attribute="contact_times", dump_only=True, metadata={"description": "Good times to call"}
    )
    phone = fields.String(dump_only=True)
    address = fields.Function(
        _address_lines,
        dump_only=True,
        metadata={"description": "The postal address for letters (when post was chosen), as lines"},
    )

    def get_method_text(self, application: Any) -> str | None:
        return CONTACT_METHODS.get(application.contact_method or "")


class QuotaAnswerSchema(Schema):
    category = fields.String(attribute="category.name", dump_only=True)
    question = fields.String(attribute="category.question", dump_only=True)
    answer = fields.String(attribute="value", dump_only=True)


class ApplicationSchema(Schema):
    """One application, for the applicant themself."""

    id = fields.Integer(dump_only=True)
    ref = fields.Function(
        application_ref,
        dump_only=True,
        metadata={
            "description": "Where to find it: GET /api/v1/applications/{ref}. The reference, or "
            "draft-<id> for an application not sent yet"
        },
    )
    reference = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "e.g. LEP-2026-000123; none until the application is sent"},
    )
    status = fields.String(
        dump_only=True,
        metadata={
            "description": "draft, submitted, under_review, shortlisted, not_shortlisted, "
            "interview, offered, appointed, unsuccessful or withdrawn"
        },
    )
    status_text = fields.String(dump_only=True, metadata={"description": "The status in words"})
    role = fields.Nested(ApplicationRoleSchema, dump_only=True)
    started_at = fields.AwareDateTime(attribute="created_at", dump_only=True, allow_none=True)
    updated_at = fields.AwareDateTime(dump_only=True)
    submitted_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    withdrawn_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    declaration_at = fields.AwareDateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "When they confirmed the information given is true"},
    )
    answers = Derived(
        ApplicationAnswerSchema,
        _answers_in_question_order,
        many=True,
        dump_only=True,
        metadata={"description": "In the order the role asks its questions"},
    )
    files = fields.List(fields.Nested(SupportingFileSchema), dump_only=True)
    support = Derived(SupportSchema, _same, dump_only=True)
    contact = Derived(ContactPreferencesSchema, _same, dump_only=True)
    guaranteed_interview = fields.Boolean(
        dump_only=True,
        metadata={
            "description": "They told us they are disabled and asked to be considered under the "
            "guaranteed interview scheme"
        },
    )
    quota_answers = fields.List(
        fields.Nested(QuotaAnswerSchema),
        dump_only=True,
        metadata={"description": "Answers to a lottery role's quota questions"},
    )


class OtherWayRequestSchema(Schema):
    """A request to apply another way, for the person who made it."""

    role = fields.Nested(ApplicationRoleSchema, dump_only=True)
    method = fields.String(dump_only=True)
    method_text = fields.Function(lambda r: OTHER_WAYS.get(r.method, r.method), dump_only=True)
    details = fields.String(dump_only=True)
    contact_method = fields.String(dump_only=True)
    phone = fields.String(dump_only=True)
    address = fields.Function(
        _address_lines,
        dump_only=True,
        metadata={"description": "The postal address for letters (when post was chosen), as lines"},
    )
    requested_at = fields.AwareDateTime(attribute="created_at", dump_only=True, allow_none=True)
    dealt_with_at = fields.AwareDateTime(attribute="done_at", dump_only=True, allow_none=True)
    outcome = fields.String(dump_only=True)
