"""API endpoints. Each declares its audience like any view (lep.access)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, Page
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException

from lep.access import STAFF_ROLES, require_role
from lep.api.schemas import AuditEventSchema, AuditQuerySchema, MeSchema
from lep.audit.models import AuditEvent
from lep.extensions import db

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
