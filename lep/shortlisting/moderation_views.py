"""The lead's pages: the scoring matrix, moderation, decisions, outcomes, interview invitations;
and the applicant's request for feedback.

Any HR user may read the matrix and an application's scores; only the panel's lead (any HR user
when no lead is set) moderates, decides, sends outcomes and invites (moderation.can_moderate).
Applications appear by reference only: the lead decides blind too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from lep.access import require_role
from lep.applications.models import Answer, Application
from lep.extensions import db
from lep.forms import show_errors
from lep.roles.models import Role
from lep.service import DomainError
from lep.shortlisting import decisions, moderation
from lep.shortlisting import matrix as matrix_data
from lep.shortlisting.assessment import (
    APPLICATION,
    INTERVIEW,
    ApplicationAssessment,
    assess,
    scored_criteria,
)
from lep.shortlisting.models import OUTCOMES, SCALE, Scorecard
from lep.shortlisting.moderation_forms import (
    INTERVIEW_ERROR_FIELDS,
    DecisionForm,
    FeedbackForm,
    InterviewForm,
    OutcomesForm,
    moderation_form,
)

bp = Blueprint("moderation", __name__)


def _me() -> Any:
    return current_user._get_current_object()


def _role(role_id: int) -> Role:
    role = moderation.load_role(role_id)
    if role is None or role.status == "draft":
        abort(404)
    return role


def _application(role: Role, application_id: int) -> Application:
    application = moderation.considered_application(role, application_id)
    if application is None:
        abort(404)
    return application


def panel_url(role: Role) -> str:
    """The panel page (another part of shortlisting); its address if the endpoint is not built."""
    for endpoint in ("panel.manage", "panel.panel"):
        try:
            return url_for(endpoint, role_id=role.id)
        except BuildError:
            continue
    return f"/hr/roles/{role.id}/panel"


@dataclass(frozen=True)
class StageScores:
    """One stage's criteria, the panel's cards and the assessment, as the lead's page shows them
    (the same template block for the application and the interview)."""

    key: str
    criteria: list[Any]
    assessment: ApplicationAssessment
    cards: list[Scorecard]
    editable: bool


@bp.context_processor
def labels() -> dict[str, Any]:
    return {
        "outcomes": OUTCOMES,
        "scale": SCALE,
        "filters": moderation.FILTERS,
        "mean_text": moderation.mean_text,
    }


# --- The matrix -------------------------------------------------------------------------------


@bp.route("/hr/roles/<int:role_id>/shortlisting")
@require_role("hr")
def matrix(role_id: int) -> ResponseReturnValue:
    # The role and its panel: the matrix reads the scored criteria in one query of its own.
    role, panel = matrix_data.role_and_panel(role_id)
    if role is None or role.status == "draft":
        abort(404)
    show = request.args.get("show", "all")
    page = request.args.get("page", 1, type=int) or 1
    data = matrix_data.matrix(role, page=page, show=show, panel=panel)
    may_act = moderation.can_moderate(_me(), data.panel)
    # Each row links to its application: the address is built once, the id appended per row.
    example = url_for("moderation.application", role_id=role.id, application_id=0)
    return render_template(
        "shortlisting/moderation/matrix.html",
        m=data,
        show=show if show in moderation.FILTERS else "all",
        may_act=may_act,
        untold=data.counts["untold"],  # decisions.untold_count(role), with the other counts
        outcomes_form=OutcomesForm(),
        panel_url=panel_url(role),
        application_url=example.removesuffix("0"),
    )


@bp.route("/hr/roles/<int:role_id>/shortlisting/outcomes", methods=["POST"])
@require_role("hr")
def send_outcomes(role_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    form = OutcomesForm()
    back = redirect(url_for("moderation.matrix", role_id=role.id))
    if not form.validate_on_submit():
        flash("The form had expired. Try again.", "error")
        return back
    try:
        sent = decisions.send_outcomes(role, _me(), include_reasons=form.include_reasons.data)
    except DomainError as exc:
        flash(next(iter(exc.errors.values())), "error")
        return back
    if sent.total == 0:
        flash("Every decided applicant has already been told: nothing new was sent.", "success")
    else:
        flash(
            f"Outcomes sent: {sent.shortlisted} shortlisted, "
            f"{sent.not_shortlisted} not shortlisted.",
            "success",
        )
    return back


# --- One application --------------------------------------------------------------------------


def _application_page(
    role: Role,
    application: Application,
    failed: FlaskForm | None = None,
    failed_criterion: int | None = None,
) -> ResponseReturnValue:
    panel = moderation.panel_for(role)
    criteria = scored_criteria(role)
    assessment = assess(role, [application.id])[application.id]
    answers = {
        a.question_id: a
        for a in db.session.scalars(select(Answer).where(Answer.application_id == application.id))
    }
    all_cards = db.session.scalars(
        select(Scorecard)
        .where(Scorecard.application_id == application.id)
        .options(selectinload(Scorecard.scores), selectinload(Scorecard.scorer))
        .order_by(Scorecard.scorer_id)
    ).all()
    cards = [c for c in all_cards if c.stage == APPLICATION]
    interview_cards = [c for c in all_cards if c.stage == INTERVIEW]
    interview_criteria = scored_criteria(role, INTERVIEW)
    interview_assessment = assess(role, [application.id], INTERVIEW)[application.id]
    decision = decisions.decision_for(application)
    told = bool(moderation.outcomes_sent([application.id]))
    may_act = moderation.can_moderate(_me(), panel)
    stages = [
        StageScores(
            APPLICATION,
            criteria,
            assessment,
            cards,
            may_act and panel is not None and panel.scoring_closed_at is not None and not told,
        )
    ]
    if interview_cards or application.status == "interview":
        stages.append(
            StageScores(
                INTERVIEW,
                interview_criteria,
                interview_assessment,
                interview_cards,
                may_act and application.status == "interview",
            )
        )
    forms: dict[int, FlaskForm] = {}
    for c in criteria + interview_criteria:
        result = assessment.criteria.get(c.id) or interview_assessment.criteria[c.id]
        forms[c.id] = moderation_form(
            c,
            value=str(result.moderated) if result.moderated is not None else None,
            reason=result.moderation_reason,
        )
    if failed_criterion is not None and failed is not None:
        forms[failed_criterion] = failed
    decision_form = (
        failed
        if isinstance(failed, DecisionForm)
        else DecisionForm(
            formdata=None,
            data={
                "outcome": decision.outcome if decision else None,
                "reason": decision.reason if decision else "",
                "override": decision.overrode_rule if decision else False,
            },
        )
    )
    # A moderated score changed after the decision can leave it breaking a rule: say so.
    stale = (
        decisions.rule_problems(
            application, assessment, criteria, decision.outcome, decision.overrode_rule
        )
        if decision is not None and not told
        else {}
    )
    return render_template(
        "shortlisting/moderation/application.html",
        stale=stale,
        role=role,
        application=application,
        panel=panel,
        criteria=criteria,
        assessment=assessment,
        answers=answers,
        cards=cards,
        stages=stages,
        decision=decision,
        told=told,
        interview=decisions.interview_for(application),
        may_act=may_act,
        scoring_closed=panel is not None and panel.scoring_closed_at is not None,
        moderation_forms=forms,
        decision_form=decision_form,
        form=failed,
        panel_url=panel_url(role),
    )


@bp.route("/hr/roles/<int:role_id>/shortlisting/applications/<int:application_id>")
@require_role("hr")
def application(role_id: int, application_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    return _application_page(role, _application(role, application_id))


@bp.route(
    "/hr/roles/<int:role_id>/shortlisting/applications/<int:application_id>"
    "/criteria/<int:criterion_id>",
    methods=["POST"],
)
@require_role("hr")
def moderate(role_id: int, application_id: int, criterion_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    app_ = _application(role, application_id)
    scored = scored_criteria(role) + scored_criteria(role, INTERVIEW)
    criterion = next((c for c in scored if c.id == criterion_id), None)
    if criterion is None:
        abort(404)
    form = moderation_form(criterion, posted=True)
    if form.validate_on_submit():
        try:
            moderation.record_moderation(
                app_, criterion_id, form.value.data, form.reason.data or "", _me()
            )
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash("Moderated score saved.", "success")
            return redirect(
                url_for("moderation.application", role_id=role.id, application_id=app_.id)
            )
    return _application_page(role, app_, failed=form, failed_criterion=criterion_id)


@bp.route(
    "/hr/roles/<int:role_id>/shortlisting/applications/<int:application_id>/decision",
    methods=["POST"],
)
@require_role("hr")
def decide(role_id: int, application_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    app_ = _application(role, application_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            decisions.decide(
                app_,
                form.outcome.data or "",
                form.reason.data or "",
                _me(),
                override=bool(form.override.data),
            )
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(f"Decision saved: {OUTCOMES[app_.status]}.", "success")
            return redirect(
                url_for("moderation.application", role_id=role.id, application_id=app_.id)
            )
    return _application_page(role, app_, failed=form)


@bp.route(
    "/hr/roles/<int:role_id>/shortlisting/applications/<int:application_id>/interview",
    methods=["GET", "POST"],
)
@require_role("hr")
def interview(role_id: int, application_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    app_ = _application(role, application_id)
    form = InterviewForm()
    if request.method == "GET":
        form = InterviewForm(formdata=None, data={"organiser_email": _me().email})
    elif form.validate_on_submit():
        try:
            decisions.invite_to_interview(
                app_,
                form.starts_at(),
                form.location.data or "",
                form.organiser_email.data or "",
                _me(),
            )
        except DomainError as exc:
            show_errors(form, exc.errors, INTERVIEW_ERROR_FIELDS)
        else:
            flash(f"Invitation to interview sent for {app_.reference}.", "success")
            return redirect(
                url_for("moderation.application", role_id=role.id, application_id=app_.id)
            )
    return render_template(
        "shortlisting/moderation/interview.html",
        role=role,
        application=app_,
        form=form,
        interview=decisions.interview_for(app_),
        may_act=moderation.can_moderate(_me(), moderation.panel_for(role)),
    )


# --- The applicant asks for feedback ----------------------------------------------------------


@bp.route("/applications/<int:application_id>/feedback", methods=["GET", "POST"])
@require_role("applicant")
def feedback(application_id: int) -> ResponseReturnValue:
    application = db.session.get(Application, application_id)
    if application is None or application.applicant_id != current_user.id:
        abort(404)
    decision = decisions.decision_for(application)
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            decisions.request_feedback(application, _me())
        except DomainError as exc:
            flash(next(iter(exc.errors.values())), "error")
        else:
            flash("You have asked for feedback. We will be in touch.", "success")
        return redirect(url_for("moderation.feedback", application_id=application.id))
    return render_template(
        "shortlisting/moderation/feedback.html",
        application=application,
        decision=decision,
        may_ask=decisions.may_ask_for_feedback(application),
        form=form,
    )
