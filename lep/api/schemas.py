"""What leaves the system through the API, as marshmallow schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate


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


class PayPointSchema(Schema):
    point = fields.Integer(dump_only=True, metadata={"description": "Pay point within the band"})
    years_from = fields.Integer(
        dump_only=True, metadata={"description": "Years in the band before this point applies"}
    )
    annual_pence = fields.Integer(
        dump_only=True, metadata={"description": "Full-time annual salary, in pence"}
    )
    hourly_pence = fields.Integer(
        dump_only=True,
        metadata={"description": "Hourly equivalent, in pence: annual / 52.143 weeks / 37.5 hours"},
    )


class PayTableSchema(Schema):
    effective_from = fields.Date(
        dump_only=True, metadata={"description": "The date these pay points apply from"}
    )
    pay_year = fields.String(dump_only=True, metadata={"description": "NHS pay year, e.g. 2025/26"})
    in_force = fields.Boolean(
        dump_only=True, metadata={"description": "Whether this is the table in force today"}
    )
    pay_points = fields.List(fields.Nested(PayPointSchema), dump_only=True)


class BandSchema(Schema):
    band = fields.String(dump_only=True, metadata={"description": "Band code, e.g. 7 or 8a"})
    label = fields.String(dump_only=True, metadata={"description": "e.g. Band 7"})
    pay_tables = fields.List(
        fields.Nested(PayTableSchema),
        dump_only=True,
        metadata={"description": "The band's pay points, grouped by effective date, oldest first"},
    )


class PayFrameworkSchema(Schema):
    id = fields.String(dump_only=True, metadata={"description": "e.g. afc-england"})
    name = fields.String(dump_only=True)
    bands = fields.List(fields.Nested(BandSchema), dump_only=True)


class RolePaySchema(Schema):
    """The figures behind a role's pay statement, on today's pay tables. Money in pence."""

    statement = fields.String(dump_only=True, allow_none=True)
    band = fields.String(dump_only=True, allow_none=True, metadata={"description": "Employed"})
    pay_year = fields.String(dump_only=True, allow_none=True)
    effective_from = fields.Date(dump_only=True, allow_none=True)
    annual_min_pence = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "Band minimum, full time"}
    )
    annual_max_pence = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "Band maximum, full time"}
    )
    pro_rata_min_pence = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Band minimum for this role's hours a week"},
    )
    pro_rata_max_pence = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Band maximum for this role's hours a week"},
    )
    lowest_hourly_pence = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Hourly equivalent of the band's lowest pay point"},
    )
    rate_card = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "Sessional"}
    )
    day_pence = fields.Integer(dump_only=True, allow_none=True)
    half_day_pence = fields.Integer(dump_only=True, allow_none=True)
    hourly_pence = fields.Integer(dump_only=True, allow_none=True)
    half_day_max_hours = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "A half day is up to this many hours; longer is a day"},
    )


class CriterionSchema(Schema):
    text = fields.String(dump_only=True)
    essential = fields.Boolean(dump_only=True)
    stage = fields.String(
        dump_only=True, metadata={"description": "When it is assessed: application or interview"}
    )


class RoleContactSchema(Schema):
    name = fields.String(dump_only=True)
    email = fields.String(dump_only=True)
    phone = fields.String(dump_only=True)


class RoleSummarySchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    team = fields.String(dump_only=True)
    summary = fields.String(dump_only=True)
    engagement_type = fields.String(
        dump_only=True, metadata={"description": "employed, sessional or expenses_only"}
    )
    work_pattern = fields.String(
        dump_only=True, metadata={"description": "on_site, hybrid, remote"}
    )
    location = fields.String(dump_only=True)
    minutes_per_week = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "Hours a week, as minutes"}
    )
    sessions_per_month = fields.Integer(dump_only=True, allow_none=True)
    posts = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "open, closed or filled"})
    closes_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    published_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    pay_statement = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "The pay in plain English"}
    )
    pay = fields.Nested(RolePaySchema, dump_only=True)


class RoleSchema(RoleSummarySchema):
    description = fields.String(dump_only=True)
    selection_method = fields.String(dump_only=True, metadata={"description": "scored or lottery"})
    contact = fields.Nested(RoleContactSchema, dump_only=True)
    criteria = fields.List(fields.Nested(CriterionSchema), dump_only=True)


class RoleQuerySchema(Schema):
    engagement_type = fields.String(
        load_default=None,
        validate=validate.OneOf(["employed", "sessional", "expenses_only"]),
        metadata={"description": "Only roles paid this way"},
    )
    work_pattern = fields.String(
        load_default=None,
        validate=validate.OneOf(["remote", "hybrid", "on_site"]),
        metadata={"description": "Only roles worked this way"},
    )
