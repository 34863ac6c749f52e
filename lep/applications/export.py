"""Download everything we hold about you: the signed-in person's own data as one JSON file.

Everything goes out through marshmallow schemas (applications through the applicant's own
ApplicationSchema). Equality monitoring answers are read only through lep.equality.reporting,
which keeps them apart from the rest of the system.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import Schema, fields
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lep import audit
from lep.access import signed_in
from lep.accounts.models import ROLE_LABELS, ApiToken, User
from lep.api.schemas import SortedStrings
from lep.applications.models import Answer, Application, OtherWayRequest, QuotaAnswer
from lep.applications.schemas import ApplicationSchema, OtherWayRequestSchema
from lep.db import utcnow
from lep.extensions import db
from lep.service import commit

bp = Blueprint("my_data", __name__)

FILENAME = "my-data.json"


class AccountSchema(Schema):
    name = fields.String(attribute="full_name", dump_only=True)
    email = fields.String(dump_only=True)
    roles = SortedStrings(dump_only=True)
    role_names = fields.Function(
        lambda u: [ROLE_LABELS.get(r, r) for r in sorted(u.roles)], dump_only=True
    )
    created_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    email_confirmed = fields.Function(lambda u: u.email_confirmed_at is not None, dump_only=True)
    email_confirmed_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    last_signed_in_at = fields.AwareDateTime(
        attribute="last_login_at", dump_only=True, allow_none=True
    )
    active = fields.Boolean(dump_only=True)


class ApiTokenSchema(Schema):
    """A personal API token, described: never the token or its hash."""

    name = fields.String(dump_only=True)
    starts_with = fields.String(attribute="prefix", dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    last_used_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    revoked_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class EqualityAnswersSchema(Schema):
    """One set of equality monitoring answers, as lep.equality.reporting gives them to the
    person who gave them."""

    application_reference = fields.String(dump_only=True, allow_none=True)
    role_id = fields.Integer(dump_only=True, allow_none=True)
    answered_at = fields.AwareDateTime(attribute="created_at", dump_only=True, allow_none=True)
    age_band = fields.String(dump_only=True, allow_none=True)
    sex = fields.String(dump_only=True, allow_none=True)
    gender_same_as_birth = fields.String(dump_only=True, allow_none=True)
    ethnic_group = fields.String(dump_only=True, allow_none=True)
    disability = fields.String(dump_only=True, allow_none=True)
    sexual_orientation = fields.String(dump_only=True, allow_none=True)
    religion = fields.String(dump_only=True, allow_none=True)
    carer = fields.String(dump_only=True, allow_none=True)
    region = fields.String(dump_only=True, allow_none=True)


class MyDataSchema(Schema):
    exported_at = fields.AwareDateTime(dump_only=True)
    account = fields.Nested(AccountSchema, dump_only=True)
    api_tokens = fields.List(fields.Nested(ApiTokenSchema), dump_only=True)
    applications = fields.List(fields.Nested(ApplicationSchema), dump_only=True)
    requests_to_apply_another_way = fields.List(
        fields.Nested(OtherWayRequestSchema), dump_only=True
    )
    equality_monitoring = fields.List(fields.Nested(EqualityAnswersSchema), dump_only=True)


def everything_about(user: User) -> dict[str, Any]:
    """All we hold about this person, and only about them, ready for json.dumps."""
    from lep.equality.reporting import answers_for_person  # kept apart: read only through this

    applications = db.session.scalars(
        select(Application)
        .where(Application.applicant_id == user.id)
        .options(
            selectinload(Application.role),
            selectinload(Application.answers).selectinload(Answer.question),
            selectinload(Application.files),
            selectinload(Application.quota_answers).selectinload(QuotaAnswer.category),
        )
        .order_by(Application.created_at.desc(), Application.id.desc())
    ).all()
    other_ways = db.session.scalars(
        select(OtherWayRequest)
        .where(OtherWayRequest.user_id == user.id)
        .options(selectinload(OtherWayRequest.role))
        .order_by(OtherWayRequest.id.desc())
    ).all()
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()
    data: dict[str, Any] = MyDataSchema().dump(
        {
            "exported_at": utcnow(),
            "account": user,
            "api_tokens": tokens,
            "applications": applications,
            "requests_to_apply_another_way": other_ways,
            "equality_monitoring": answers_for_person(user.id),
        }
    )
    return data


def export_for(user: User) -> dict[str, Any]:
    """The download, audited: who took a copy of their data, and when."""
    data = everything_about(user)
    audit.record(
        "user.data_exported",
        "user",
        user.id,
        after={"applications": len(data["applications"])},
        actor=user,
    )
    commit()
    return data


@bp.route("/account/my-data.json")
@signed_in
def download() -> ResponseReturnValue:
    data = export_for(current_user._get_current_object())
    body = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{FILENAME}"',
            "Cache-Control": "no-store",
        },
    )
