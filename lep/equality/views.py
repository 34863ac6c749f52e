"""Equality monitoring pages: the applicant's optional questions, and HR's report for a role."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lep.access import require_role
from lep.applications.models import Application
from lep.equality import reporting, services
from lep.equality.forms import EqualityForm
from lep.equality.models import QUESTIONS
from lep.extensions import db
from lep.roles.models import Role
from lep.service import DomainError

bp = Blueprint("equality", __name__)


def _own_sent_application(application_id: int) -> Application:
    """The signed-in applicant's own application, once sent; anything else is not found."""
    application = db.session.get(Application, application_id)
    if application is None or not services.may_answer(application, current_user):
        abort(404)
    return application


@bp.route("/applications/<int:application_id>/equality", methods=["GET", "POST"])
@require_role("applicant")
def questions(application_id: int) -> ResponseReturnValue:
    application = _own_sent_application(application_id)
    if request.method == "POST":
        form = EqualityForm()
    else:
        saved = services.response_for(application)
        data = {key: getattr(saved, key) for key in QUESTIONS} if saved is not None else {}
        form = EqualityForm(data=data)
    if form.validate_on_submit():
        try:
            services.save_equality(application, form.answers(), current_user._get_current_object())
        except DomainError as exc:
            form.show_errors(exc.errors)
        else:
            return redirect(url_for("equality.thanks", application_id=application.id))
    return render_template(
        "equality/questions.html", form=form, application=application, questions=QUESTIONS
    )


@bp.route("/applications/<int:application_id>/equality/thank-you")
@require_role("applicant")
def thanks(application_id: int) -> ResponseReturnValue:
    application = _own_sent_application(application_id)
    saved = services.response_for(application)
    answered = saved is not None and any(getattr(saved, key) for key in QUESTIONS)
    return render_template("equality/thanks.html", application=application, answered=answered)


@bp.route("/hr/roles/<int:role_id>/equality")
@require_role("hr")
def role_report(role_id: int) -> ResponseReturnValue:
    role = db.session.get(Role, role_id)
    if role is None:
        abort(404)
    return render_template(
        "equality/report.html",
        role=role,
        report=reporting.role_report(role.id),
        threshold=reporting.THRESHOLD,
    )
