"""What leaves the system through the API, as marshmallow schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields


class SortedStrings(fields.List):
    """A list of strings from any iterable (a set of roles), sorted so the output is stable."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.String(), **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> list[Any] | None:
        if value is None:
            return None
        return super()._serialize(sorted(value), attr, obj, **kwargs)


class ErrorSchema(Schema):
    """Every API error: {"code": 404, "status": "Not Found", "message": "..."}."""

    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP status phrase"})
    message = fields.String(metadata={"description": "What went wrong, for a person"})
    errors = fields.Dict(
        metadata={"description": "Field by field problems, when the request did not validate"}
    )


class MeSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(dump_only=True)
    full_name = fields.String(dump_only=True)
    roles = SortedStrings(dump_only=True)


class AuditEventSchema(Schema):
    id = fields.Integer(dump_only=True)
    occurred_at = fields.AwareDateTime(dump_only=True)
    actor_id = fields.Integer(dump_only=True, allow_none=True)
    actor_label = fields.String(dump_only=True)
    action = fields.String(dump_only=True)
    subject_type = fields.String(dump_only=True)
    subject_id = fields.String(dump_only=True, allow_none=True)
    before = fields.Dict(dump_only=True, allow_none=True)
    after = fields.Dict(dump_only=True, allow_none=True)
    ip_address = fields.String(dump_only=True, allow_none=True)


class AuditQuerySchema(Schema):
    action = fields.String(load_default=None, metadata={"description": "Only this action"})
    subject_type = fields.String(
        load_default=None, metadata={"description": "Only subjects of this type, e.g. user"}
    )
    subject_id = fields.String(
        load_default=None, metadata={"description": "Only this subject (with subject_type)"}
    )
