"""The fairness report: stage by stage pass-through by equality category, outside shortlisting."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice, SelectField
from wtforms.validators import ValidationError

from lep.access import require_role
from lep.equality.fairness import FOUR_FIFTHS, fairness_report
from lep.equality.reporting import THRESHOLD
from lep.extensions import db
from lep.roles.models import Role

bp = Blueprint("fairness", __name__)

ALL_ROLES = ""


class RoleFilterForm(FlaskForm):
    """A GET filter: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    role_id = SelectField("Role", validate_choice=False)

    def validate_role_id(self, field: SelectField) -> None:
        known = {str(c.value) for c in field.choices or []}  # type: ignore[union-attr]
        if field.data not in known:
            raise ValidationError("Select a role from the list")


@bp.route("/hr/reports/fairness")
@require_role("hr")
def report() -> ResponseReturnValue:
    roles = db.session.scalars(
        select(Role).where(Role.status != "draft").order_by(Role.title, Role.id)
    ).all()
    form = RoleFilterForm(formdata=request.args if request.args else None)
    form.role_id.choices = [SelectChoice(ALL_ROLES, "All roles")] + [
        SelectChoice(str(r.id), r.title) for r in roles
    ]
    role = None
    if request.args and form.validate():
        role = next((r for r in roles if str(r.id) == form.role_id.data), None)
    return render_template(
        "equality/fairness.html",
        form=form,
        role=role,
        report=fairness_report(role.id if role else None),
        threshold=THRESHOLD,
        four_fifths=FOUR_FIFTHS,
    )
