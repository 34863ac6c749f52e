"""What leaves the system through the API, as marshmallow schemas."""

from __future__ import annotations

from marshmallow import Schema, fields


class MeSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(dump_only=True)
    full_name = fields.String(dump_only=True)
    roles = fields.Method("get_roles", dump_only=True)

    def get_roles(self, user) -> list[str]:  # type: ignore[no-untyped-def]
        return sorted(user.roles)


class AuditEventSchema(Schema):
    id = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor_label = fields.String()
    action = fields.String()
    subject_type = fields.String()
    subject_id = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    ip_address = fields.String(allow_none=True)


class AuditQuerySchema(Schema):
    action = fields.String(load_default=None)
    subject_type = fields.String(load_default=None)
    subject_id = fields.String(load_default=None)
