"""Selection by lottery: quotas, the draw, each applicant's chance."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lep.access import require_role
from lep.accounts.models import User
from lep.applications.models import Application
from lep.applications.services import role_is_open
from lep.extensions import db
from lep.forms import show_errors
from lep.roles.models import Role
from lep.service import DomainError
from lep.shortlisting import lottery
from lep.shortlisting.lottery_forms import (
    WAIT,
    ConfirmForm,
    DrawForm,
    QuotasForm,
    quotas_form,
    typed_limits,
)
from lep.shortlisting.models import LotteryDraw

bp = Blueprint("lottery", __name__, url_prefix="/hr/roles/<int:role_id>/lottery")


def _role(role_id: int) -> Role:
    role = lottery.lottery_role(role_id)
    if role is None:
        abort(404)
    return role


def _by() -> Any:
    return current_user._get_current_object()


def percent(chance: str) -> str:
    """ "0.4167" -> "41.7%"."""
    value = (Decimal(chance) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}%"


@dataclass
class ResultRow:
    application: Application | None
    application_id: int
    chance: str
    selected: bool

    @property
    def reference(self) -> str:
        if self.application is None:
            return f"Application {self.application_id}"
        return self.application.reference or f"Application {self.application_id}"


def _result_rows(draw: LotteryDraw) -> list[ResultRow]:
    """Every eligible applicant of the draw with their chance, the likeliest first."""
    ids = list(draw.eligible)
    applications = (
        {
            a.id: a
            for a in db.session.scalars(
                select(Application)
                .where(Application.id.in_(ids))
                .options(selectinload(Application.applicant))
            )
        }
        if ids
        else {}
    )
    selected = set(draw.selected)
    rows = [
        ResultRow(applications.get(i), i, draw.chances.get(str(i), "0.0000"), i in selected)
        for i in ids
    ]
    rows.sort(key=lambda r: (-Decimal(r.chance), r.reference))
    return rows


def _people(draws: list[LotteryDraw]) -> dict[int, User]:
    ids = {d.by_id for d in draws} | {d.confirmed_by_id for d in draws if d.confirmed_by_id}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _page(
    role: Role,
    *,
    quotas: QuotasForm | None = None,
    draw_form: DrawForm | None = None,
    confirm: ConfirmForm | None = None,
    failed: FlaskForm | None = None,
) -> ResponseReturnValue:
    rows = lottery.quota_rows(role)
    found = lottery.pool(role)
    draws = lottery.draws_for(role)
    latest = draws[0] if draws else None
    confirmed = lottery.confirmed_draw_id(role)
    categories = [
        {
            "category": category,
            "rows": [r for r in rows if r.category.id == category.id],
            "no_answer": found.count(category.id, lottery.NO_ANSWER),
        }
        for category in role.quota_categories
    ]
    return render_template(
        "shortlisting/lottery/lottery.html",
        role=role,
        categories=categories,
        pool=found,
        quotas_form=quotas or quotas_form(rows, role.posts, posted=False),
        draw_form=draw_form or DrawForm(formdata=None),
        confirm_form=confirm or ConfirmForm(formdata=None),
        form=failed,
        confirmed_draw=next((d for d in draws if d.id == confirmed), None),
        draws=draws,
        latest=latest,
        result=_result_rows(latest) if latest is not None else [],
        confirmed=confirmed,
        still_open=role_is_open(role),
        people=_people(draws),
        percent=percent,
        no_answer_label=lottery.NO_ANSWER_LABEL,
    )


@bp.route("")
@require_role("hr")
def page(role_id: int) -> ResponseReturnValue:
    return _page(_role(role_id))


@bp.route("/quotas", methods=["POST"])
@require_role("hr")
def save_quotas(role_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    rows = lottery.quota_rows(role)
    form = quotas_form(rows, posted=True)
    if not form.validate_on_submit():
        return _page(role, quotas=form, failed=form)
    try:
        lottery.save_quotas(role, form.places.data or "", typed_limits(form, rows), _by())
    except DomainError as exc:
        show_errors(form, exc.errors)
        return _page(role, quotas=form, failed=form)
    flash("Places and quotas saved.", "success")
    return redirect(url_for("lottery.page", role_id=role.id) + "#quotas")


@bp.route("/draw", methods=["POST"])
@require_role("hr")
def draw(role_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    form = DrawForm()
    if not form.validate_on_submit():
        return _page(role, draw_form=form, failed=form)
    try:
        made = lottery.run_draw(role, _by(), form.seed.data or None, form.reason.data or "")
    except DomainError as exc:
        show_errors(form, exc.errors)
        return _page(role, draw_form=form, failed=form)
    if made.status == "drawn":
        flash(f"Draw {made.id} made: {len(made.selected)} selected. Check it, then confirm it.")
    else:
        flash(f"Draw {made.id}: the quotas cannot be met. Nobody was selected.", "error")
    return redirect(url_for("lottery.page", role_id=role.id) + "#latest-draw")


@bp.route("/draws/<int:draw_id>")
@require_role("hr")
def show_draw(role_id: int, draw_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    found = lottery.draw_for(role, draw_id)
    if found is None:
        abort(404)
    draws = lottery.draws_for(role)
    return render_template(
        "shortlisting/lottery/draw.html",
        role=role,
        draw=found,
        result=_result_rows(found),
        confirmed=lottery.confirmed_draw_id(role),
        latest=draws[0] if draws else None,
        confirm_form=ConfirmForm(formdata=None),
        people=_people([found]),
        percent=percent,
    )


@bp.route("/draws/<int:draw_id>/confirm", methods=["POST"])
@require_role("hr")
def confirm(role_id: int, draw_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    found = lottery.draw_for(role, draw_id)
    if found is None:
        abort(404)
    form = ConfirmForm()
    back = url_for("lottery.page", role_id=role.id) + "#summary"
    if not form.validate_on_submit():
        flash("The form had expired. Confirm the draw again.", "error")
        return redirect(back)
    if form.unassessed.data == WAIT:
        flash("Nothing was confirmed. Finish the scoring or moderation, then draw again.", "info")
        return redirect(back)
    try:
        lottery.confirm_draw(found, _by(), form.unassessed.data or "")
    except DomainError as exc:
        if "unassessed" in exc.errors:
            show_errors(form, exc.errors)
            return _page(role, confirm=form, failed=form)
        for message in exc.errors.values():
            flash(message, "error")
        return redirect(back)
    flash(
        f"Draw {found.id} confirmed: {len(found.selected)} shortlisted and "
        f"{len(found.eligible) - len(found.selected)} not shortlisted. Each of them has been "
        "emailed.",
        "success",
    )
    return redirect(back)
