"""HR pages for applications: a role's applications for the recruiting lead (with support needs
and the guaranteed interview scheme, which scorers never see), and the tasks made by requests to
apply another way."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from lep.access import require_role
from lep.accounts.models import User
from lep.applications import services
from lep.applications.models import CONTACT_METHODS, OTHER_WAYS, Application, OtherWayRequest
from lep.extensions import db
from lep.forms import strip
from lep.roles.models import Role

bp = Blueprint("hr_applications", __name__, url_prefix="/hr")

OPEN_LIMIT = 500
DONE_SHOWN = 20


class DoneForm(FlaskForm):
    outcome = TextAreaField(
        "What was done",
        description="For example: called them on 3 March and sent a paper form by post",
        filters=[strip],
        validators=[
            DataRequired("Enter what was done"),
            Length(max=services.MAX_FIELD, message="This must be 2,000 characters or fewer"),
        ],
    )
    submit = SubmitField("Mark as done")


def _form(request_id: int, posted: bool = False) -> DoneForm:
    prefix = f"task{request_id}"
    return DoneForm(prefix=prefix) if posted else DoneForm(formdata=None, prefix=prefix)


def open_task_count() -> int:
    """How many requests to apply another way nobody has dealt with yet."""
    stmt = select(func.count(OtherWayRequest.id)).where(OtherWayRequest.done_at.is_(None))
    return db.session.scalar(stmt) or 0


def _page(failed: tuple[int, DoneForm] | None = None) -> ResponseReturnValue:
    waiting = db.session.scalars(
        select(OtherWayRequest)
        .where(OtherWayRequest.done_at.is_(None))
        .options(selectinload(OtherWayRequest.role), selectinload(OtherWayRequest.user))
        .order_by(OtherWayRequest.created_at, OtherWayRequest.id)
        .limit(OPEN_LIMIT)
    ).all()
    done = db.session.scalars(
        select(OtherWayRequest)
        .where(OtherWayRequest.done_at.is_not(None))
        .options(selectinload(OtherWayRequest.role), selectinload(OtherWayRequest.user))
        .order_by(OtherWayRequest.done_at.desc(), OtherWayRequest.id.desc())
        .limit(DONE_SHOWN)
    ).all()
    done_by_ids = {r.done_by_id for r in done if r.done_by_id is not None}
    done_by = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(done_by_ids)))}
        if done_by_ids
        else {}
    )
    forms = {r.id: _form(r.id) for r in waiting}
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    return render_template(
        "applications/hr/tasks.html",
        waiting=waiting,
        waiting_total=open_task_count(),
        done=done,
        done_by=done_by,
        forms=forms,
        form=failed[1] if failed is not None else None,
        methods=OTHER_WAYS,
        contact_methods=CONTACT_METHODS,
    )


@bp.route("/tasks")
@require_role("hr")
def tasks() -> ResponseReturnValue:
    return _page()


@bp.route("/tasks/<int:request_id>/done", methods=["POST"])
@require_role("hr")
def done(request_id: int) -> ResponseReturnValue:
    task = db.session.get(OtherWayRequest, request_id)
    if task is None:
        abort(404)
    if task.done_at is not None:
        flash("That request was already marked as done.", "success")
        return redirect(url_for("hr_applications.tasks"))
    form = _form(task.id, posted=True)
    if not form.validate_on_submit():
        return _page(failed=(task.id, form))
    by: Any = current_user._get_current_object()
    services.complete_other_way(task, form.outcome.data or "", by)
    flash(f"Request from {task.user.full_name} marked as done.", "success")
    return redirect(url_for("hr_applications.tasks"))


APPLICATIONS_PAGE = 50


@bp.route("/roles/<int:role_id>/applications")
@require_role("hr")
def role_applications(role_id: int) -> ResponseReturnValue:
    """Every sent application for a role, for the recruiting lead: who, status, support needs."""
    role = db.session.get(Role, role_id)
    if role is None:
        abort(404)
    page = request.args.get("page", 1, type=int) or 1
    applications = db.paginate(
        select(Application)
        .where(Application.role_id == role.id, Application.status != "draft")
        .options(selectinload(Application.applicant), selectinload(Application.files))
        .order_by(Application.submitted_at, Application.id),
        page=min(max(page, 1), 100_000),
        per_page=APPLICATIONS_PAGE,
        error_out=False,
    )
    drafts = db.session.scalar(
        select(func.count(Application.id)).where(
            Application.role_id == role.id, Application.status == "draft"
        )
    )
    return render_template(
        "applications/hr/role_applications.html",
        role=role,
        applications=applications,
        drafts=drafts or 0,
        contact_methods=CONTACT_METHODS,
    )
