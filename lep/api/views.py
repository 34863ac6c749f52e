"""API endpoints. Each declares its audience like any view (lep.access)."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, Page, abort
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from lep.access import STAFF_ROLES, api_session_reads, public, require_role
from lep.api.schemas import (
    AuditEventSchema,
    AuditQuerySchema,
    MeSchema,
    PayFrameworkSchema,
    RolePaySchema,
    RoleQuerySchema,
    RoleSchema,
    RoleSummarySchema,
)
from lep.applications.models import Answer, Application, QuotaAnswer
from lep.applications.schemas import ApplicationSchema
from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.roles import listing, pay
from lep.roles.models import AFC, AFC_BANDS, PayPoint, Role
from lep.roles.services import today_in_london

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="lep JSON API, version 1")


class SQLCursorPage(Page):
    """flask-smorest pagination over a SQLAlchemy select(): one COUNT, one LIMIT/OFFSET query."""

    collection: Select[Any]

    @property
    def item_count(self) -> int:
        counted = select(func.count()).select_from(self.collection.order_by(None).subquery())
        return db.session.scalar(counted) or 0

    @property
    def items(self) -> list[Any]:
        params = self.page_params
        if params.item_count is not None and params.first_item >= params.item_count:
            return []  # past the end: no query, and no OFFSET too large for the database
        return list(
            db.session.scalars(self.collection.offset(params.first_item).limit(params.page_size))
        )


def _phrase(status: int, exc: HTTPException) -> str:
    try:
        return HTTPStatus(status).phrase  # as lep.security.api_error says it
    except ValueError:
        return exc.name


@blp.errorhandler(HTTPException)
def api_http_error(exc: HTTPException) -> ResponseReturnValue:
    """Errors raised inside the API (validation, abort) as JSON, keeping flask-smorest's details.

    The app-wide handler in lep.errors also answers JSON under /api/, but drops the field-by-field
    messages webargs attaches to a 422.
    """
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    body: dict[str, Any] = {
        "code": status,
        "status": _phrase(status, exc),
        "message": data.get("message") or exc.description or "",
    }
    errors = data.get("errors") or data.get("messages")
    if errors:
        body["errors"] = errors
    # Keep what the exception says about itself (Allow on a 405) and what abort(headers=) added.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    headers += list((data.get("headers") or {}).items())
    return jsonify(body), status, headers


@blp.after_request
def challenge(response):  # type: ignore[no-untyped-def]
    # RFC 6750: a 401 names the scheme the client should use.
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="lep"')
    return response


@blp.route("/me")
@require_role(*STAFF_ROLES)
class Me(MethodView):
    @blp.response(200, MeSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self):  # type: ignore[no-untyped-def]
        """The account this token belongs to."""
        return current_user._get_current_object()


@blp.route("/audit-events")
@require_role("admin")
class AuditEvents(MethodView):
    @blp.arguments(AuditQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AuditEventSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.paginate(SQLCursorPage)
    def get(  # type: ignore[no-untyped-def]
        self, action: str | None, subject_type: str | None, subject_id: str | None
    ):
        """Audit events, newest first (administrators only).

        Filter by action, subject_type and subject_id; page with page and page_size. The
        X-Pagination header says how many events and pages there are.
        """
        stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        if subject_type:
            stmt = stmt.where(AuditEvent.subject_type == subject_type)
        if subject_id:
            stmt = stmt.where(AuditEvent.subject_id == subject_id)
        return stmt


@blp.route("/pay-frameworks")
@public
class PayFrameworks(MethodView):
    @blp.doc(security=[])  # public: no token needed
    @blp.response(200, PayFrameworkSchema(many=True))
    def get(self):  # type: ignore[no-untyped-def]
        """Pay frameworks: Agenda for Change bands and their pay points (public, no token).

        Each band lists its pay tables by effective date, oldest first, and says which is in force
        today. Money is in pence; hourly_pence is the NHS Employers hourly equivalent of a full-time
        salary (annual / 52.143 / 37.5).
        """
        today = today_in_london()
        points = db.session.scalars(
            select(PayPoint)
            .where(PayPoint.framework == AFC)
            .order_by(PayPoint.effective_from, PayPoint.point)
        ).all()
        tables: dict[str, dict[Any, list[PayPoint]]] = {}
        for point in points:
            tables.setdefault(point.band, {}).setdefault(point.effective_from, []).append(point)
        bands = []
        for band in sorted(tables, key=lambda b: AFC_BANDS.index(b) if b in AFC_BANDS else 99):
            in_force = max((d for d in tables[band] if d <= today), default=None)
            bands.append(
                {
                    "band": band,
                    "label": pay.band_label(band),
                    "pay_tables": [
                        {
                            "effective_from": effective_from,
                            "pay_year": pay.pay_year_label(effective_from),
                            "in_force": effective_from == in_force,
                            "pay_points": [
                                {
                                    "point": p.point,
                                    "years_from": p.years_from,
                                    "annual_pence": p.annual_pence,
                                    "hourly_pence": pay.hourly_pence(p.annual_pence),
                                }
                                for p in rows
                            ],
                        }
                        for effective_from, rows in tables[band].items()
                    ],
                }
            )
        return [{"id": AFC, "name": "Agenda for Change (England)", "bands": bands}]


def _pay_data(listed: listing.ListedRole) -> dict[str, Any]:
    role_pay = listed.pay
    # Every key, always: null where it does not apply to this kind of role.
    data: dict[str, Any] = dict.fromkeys(RolePaySchema().fields, None)
    data["statement"] = role_pay.statement
    band, rate = role_pay.band, role_pay.rate
    if band is not None:
        minutes = listed.role.minutes_per_week
        data |= {
            "band": band.band,
            "pay_year": pay.pay_year_label(band.effective_from),
            "effective_from": band.effective_from,
            "annual_min_pence": band.minimum_pence,
            "annual_max_pence": band.maximum_pence,
            "pro_rata_min_pence": pay.pro_rata_pence(band.minimum_pence, minutes)
            if minutes
            else None,
            "pro_rata_max_pence": pay.pro_rata_pence(band.maximum_pence, minutes)
            if minutes
            else None,
            "lowest_hourly_pence": role_pay.lowest_hourly_pence,
        }
    if rate is not None:
        data |= {
            "rate_card": rate.rate_card.name,
            "effective_from": rate.effective_from,
            "day_pence": rate.day_pence,
            "half_day_pence": rate.half_day_pence,
            "hourly_pence": rate.hourly_pence,
            "half_day_max_hours": rate.half_day_max_hours,
        }
    return data


def role_data(listed: listing.ListedRole, detail: bool = False) -> dict[str, Any]:
    """A role as the API shows it (public fields only: never who wrote it)."""
    role = listed.role
    data: dict[str, Any] = {
        name: getattr(role, name)
        for name in (
            "id",
            "title",
            "team",
            "summary",
            "engagement_type",
            "work_pattern",
            "location",
            "minutes_per_week",
            "sessions_per_month",
            "posts",
            "closes_at",
            "published_at",
        )
    }
    data["status"] = (
        "open" if listing.is_open(role) else "closed" if role.status == "open" else role.status
    )
    data["pay_statement"] = listed.pay.statement
    data["pay"] = _pay_data(listed)
    if detail:
        data |= {
            "description": role.description,
            "selection_method": role.selection_method,
            "contact": {
                "name": role.contact_name,
                "email": role.contact_email,
                "phone": role.contact_phone,
            },
            "criteria": [
                {"text": c.text, "essential": c.essential, "stage": c.stage} for c in role.criteria
            ],
        }
    return data


class OpenRolesPage(SQLCursorPage):
    """A page of roles with their pay worked out together (a fixed number of queries)."""

    @property
    def items(self) -> list[Any]:
        roles = super().items
        return [role_data(listed) for listed in listing.with_pay(roles, today_in_london())]


@blp.route("/roles")
@public
class Roles(MethodView):
    @blp.doc(security=[])  # public: no token needed
    @blp.arguments(RoleQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, RoleSummarySchema(many=True))
    @blp.paginate(OpenRolesPage)
    def get(  # type: ignore[no-untyped-def]
        self, engagement_type: str | None, work_pattern: str | None
    ):
        """Open roles, closing soonest first (public, no token).

        Only roles taking applications now. Filter by engagement_type and work_pattern; page with
        page and page_size. The X-Pagination header says how many roles and pages there are.
        """
        return listing.open_roles_query(
            [engagement_type] if engagement_type else (),
            [work_pattern] if work_pattern else (),
        )


@blp.route("/roles/<int:role_id>")
@public
class RoleById(MethodView):
    @blp.doc(security=[])  # public: no token needed
    @blp.response(200, RoleSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, role_id: int):  # type: ignore[no-untyped-def]
        """One published role: open, closed or filled (public, no token). Drafts are not found."""
        role = db.session.get(Role, role_id, options=[selectinload(Role.criteria)])
        if role is None or role.status == "draft":
            abort(404, message="There is no published role with this ID")
        assert role is not None
        listed = listing.with_pay([role], today_in_london())[0]
        return role_data(listed, detail=True)


def _own_applications() -> Select[tuple[Application]]:
    """The signed-in person's applications, and nobody else's, with what the schema shows."""
    return (
        select(Application)
        .where(Application.applicant_id == current_user.id)
        .options(
            selectinload(Application.role),
            selectinload(Application.answers).selectinload(Answer.question),
            selectinload(Application.files),
            selectinload(Application.quota_answers).selectinload(QuotaAnswer.category),
        )
    )


@blp.route("/applications")
@require_role("applicant")
@api_session_reads
class Applications(MethodView):
    @blp.response(200, ApplicationSchema(many=True))
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self):  # type: ignore[no-untyped-def]
        """Your own applications, newest first: drafts, sent and withdrawn.

        For the person signed in (applicants only): a signed-in browser session can read this as
        well as a personal token. Nobody else's applications are ever listed. Each one's ref is
        where to find it on its own.
        """
        stmt = _own_applications().order_by(Application.created_at.desc(), Application.id.desc())
        return list(db.session.scalars(stmt))


DRAFT_REF = re.compile(r"draft-([1-9][0-9]{0,8})")  # ids fit a 32-bit integer column
REFERENCE = re.compile(r"LEP-[0-9]{4}-[0-9]{6,12}", re.IGNORECASE)  # as services.reference_for


@blp.route("/applications/<ref>")
@require_role("applicant")
@api_session_reads
class ApplicationByRef(MethodView):
    @blp.response(200, ApplicationSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, ref: str):  # type: ignore[no-untyped-def]
        """One of your own applications, by its reference (e.g. LEP-2026-000123).

        An application not sent yet has no reference: ask for it as draft-<id> (the ref the list
        gives it). Once sent, it is found only by its reference. Someone else's application is
        not found (404), exactly as a reference that does not exist, so references cannot be
        guessed. A signed-in browser session can read this as well as a personal token.
        """
        stmt = _own_applications()
        application = None
        if draft := DRAFT_REF.fullmatch(ref):
            stmt = stmt.where(Application.id == int(draft.group(1)), Application.status == "draft")
            application = db.session.scalar(stmt)
        elif REFERENCE.fullmatch(ref):  # anything else is not a reference: no query for it
            application = db.session.scalar(stmt.where(Application.reference == ref.upper()))
        if application is None:
            abort(404, message="You have no application with this reference")
        return application
