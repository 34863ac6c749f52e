"""API endpoints. Each declares its audience like any view (lep.access)."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, Page
from sqlalchemy import select

from lep.access import require_role
from lep.api.schemas import AuditEventSchema, AuditQuerySchema, MeSchema
from lep.audit.models import AuditEvent
from lep.extensions import db

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="lep JSON API, version 1")

ANY_STAFF = ("panel", "hr", "finance", "admin")


class SQLCursorPage(Page):
    @property
    def item_count(self) -> int:
        return db.session.scalar(select(db.func.count()).select_from(self.collection.subquery())) or 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(db.session.scalars(self.collection.offset(self.page_params.first).limit(self.page_params.page_size)))


@blp.route("/me")
@require_role(*ANY_STAFF)
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):  # type: ignore[no-untyped-def]
        """The account this token belongs to."""
        return current_user._get_current_object()


@blp.route("/audit-events")
@require_role("admin")
class AuditEvents(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate(SQLCursorPage)
    def get(self, query):  # type: ignore[no-untyped-def]
        """Audit events, newest first."""
        stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
        if query.get("action"):
            stmt = stmt.where(AuditEvent.action == query["action"])
        if query.get("subject_type"):
            stmt = stmt.where(AuditEvent.subject_type == query["subject_type"])
        if query.get("subject_id"):
            stmt = stmt.where(AuditEvent.subject_id == query["subject_id"])
        return stmt
