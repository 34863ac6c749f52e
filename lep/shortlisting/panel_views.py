"""Scorers' pages and the panel set-up for a role: blind scoring, conflicts, submitting.

Scorers' pages (/panel/...) are for any signed-in person, but show a role only to those who sit on
its panel (others get 404), and an application only through `scoring.blind_view`: its reference
and the redacted answers, never who sent it. HR set up panels at /hr/roles/<id>/panel.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lep.access import require_role, signed_in
from lep.applications import services as application_services
from lep.applications.models import Application, SupportingFile
from lep.extensions import db
from lep.forms import show_errors
from lep.roles.models import Role
from lep.service import DomainError, current_person
from lep.shortlisting import panel_forms as forms
from lep.shortlisting import panels, scoring
from lep.shortlisting.assessment import INTERVIEW, scored_criteria
from lep.shortlisting.models import SCALE, SCORECARD_STATUSES, Panel
from lep.storage import send_private_file

bp = Blueprint("panel", __name__)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {
        "scale": SCALE,
        "scale_hints": forms.SCALE_HINTS,
        "card_statuses": SCORECARD_STATUSES,
    }


def _me() -> Any:
    return current_user._get_current_object()


def _role(role_id: int) -> Role:
    role = db.session.get(Role, role_id)
    if role is None:
        abort(404)
    return role


def _seat(role_id: int) -> tuple[Role, Panel]:
    """The role and its panel, if the signed-in person scores on it: anyone else gets 404."""
    panel = scoring.seat(role_id, _me())
    if panel is None:
        abort(404)
    return panel.role, panel


# --- Scorers ---------------------------------------------------------------------------------


@bp.route("/panel")
@signed_in
def index() -> ResponseReturnValue:
    return render_template("shortlisting/panel/index.html", seats=scoring.my_panels(_me()))


@bp.route("/panel/roles/<int:role_id>")
@signed_in
def role(role_id: int) -> ResponseReturnValue:
    role, panel = _seat(role_id)
    page = request.args.get("page", 1, type=int) or 1
    listing = scoring.applications_page(role, _me(), page)
    return render_template(
        "shortlisting/panel/role.html",
        role=role,
        panel=panel,
        listing=listing,
        interviewees=scoring.interviewees(role, _me()),
    )


@bp.route("/panel/roles/<int:role_id>/interviews/<int:application_id>", methods=["GET", "POST"])
@signed_in
def interview(role_id: int, application_id: int) -> ResponseReturnValue:
    """After the interview: the same scorecard (scale, drafts, final once submitted) for the
    role's interview-stage criteria. The interviewee is known by reference only here too."""
    role, _panel = _seat(role_id)
    application = db.session.get(Application, application_id)
    if application is None or application.role_id != role.id:
        abort(404)
    criteria = [
        scoring.BlindCriterion(c.id, c.text, c.essential, [])
        for c in scored_criteria(role, INTERVIEW)
    ]
    card = scoring.card_of(application.id, current_user.id, INTERVIEW)
    if request.method == "POST":
        form = forms.scorecard_form(criteria, posted=True)
        submitting = "submit_scores" in request.form
        if form.validate_on_submit():
            try:
                scoring.save_scorecard(
                    role,
                    application,
                    current_person(),
                    form.scores(),
                    form.comments(),
                    submitting,
                    stage=INTERVIEW,
                )
            except scoring.DomainError as exc:
                show_errors(form, exc.errors)
            else:
                flash(
                    f"Interview scores for {application.reference} "
                    + ("submitted." if submitting else "saved as a draft."),
                    "success",
                )
                return redirect(url_for("panel.role", role_id=role.id))
        card = scoring.card_of(application.id, current_user.id, INTERVIEW)
    else:
        form = forms.scorecard_form(criteria, card.scores if card else None)
    return render_template(
        "shortlisting/panel/interview.html",
        role=role,
        reference=application.reference,
        criteria=criteria,
        form=form,
        card=card,
        read_only=card is not None and card.status != "draft",
        saved={s.criterion_id: s for s in card.scores} if card else {},
    )


def _application(role: Role, application_id: int) -> Any:
    application = scoring.scorable_application(role, _me(), application_id)
    if application is None:
        abort(404)
    return application


@bp.route("/panel/roles/<int:role_id>/applications/<int:application_id>", methods=["GET", "POST"])
@signed_in
def application(role_id: int, application_id: int) -> ResponseReturnValue:
    role, panel = _seat(role_id)
    application = _application(role, application_id)
    card = scoring.card_of(application.id, current_user.id)
    if card is not None and card.status == "conflict":
        # Neither seen nor scored: a posted score is refused (and nothing is shown of the answers).
        return render_template(
            "shortlisting/panel/conflicted.html",
            role=role,
            reference=application.reference,
            card=card,
            refused=scoring.CONFLICTED if request.method == "POST" else None,
        )
    blind = scoring.blind_view(application)
    if request.method == "POST":
        form = forms.scorecard_form(blind.criteria, posted=True)
        submitting = "submit_scores" in request.form
        if form.validate_on_submit():
            try:
                scoring.save_scorecard(
                    role, application, _me(), form.scores(), form.comments(), submitting
                )
            except DomainError as exc:
                show_errors(form, exc.errors)
            else:
                if submitting:
                    flash(f"Scores for {blind.reference} submitted.", "success")
                    return redirect(url_for("panel.role", role_id=role.id))
                flash(f"Draft scores for {blind.reference} saved.", "success")
                return redirect(
                    url_for("panel.application", role_id=role.id, application_id=application.id)
                )
        card = scoring.card_of(application.id, current_user.id)
    else:
        form = forms.scorecard_form(blind.criteria, card.scores if card else None)
    read_only = card is not None and card.status != "draft"
    return render_template(
        "shortlisting/panel/application.html",
        role=role,
        panel=panel,
        blind=blind,
        form=form,
        card=card,
        read_only=read_only or (panel.scoring_closed_at is not None and request.method == "GET"),
        saved={s.criterion_id: s for s in card.scores} if card else {},
    )


@bp.route("/panel/roles/<int:role_id>/applications/<int:application_id>/files/<int:file_id>")
@signed_in
def supporting_file(role_id: int, application_id: int, file_id: int) -> ResponseReturnValue:
    """An application's supporting file, to a scorer who may score it (403 for anyone else), under
    a name made from the reference: a download, or with ?play=1 a recording for the page's audio
    player. Every download and play is audited."""
    record = db.session.get(SupportingFile, file_id)
    if record is None or record.application_id != application_id:
        abort(404)
    application = record.application
    if application.role_id != role_id:
        abort(404)
    if not scoring.may_open_file(application, _me()):
        abort(403)
    play = request.args.get("play") == "1" and record.kind == "audio"
    application_services.record_file_download(
        application, record, _me(), audience="panel", played=play
    )
    name = application_services.file_download_name(application, record)
    return send_private_file(record.storage_key, record.content_type, name, inline=play)


@bp.route(
    "/panel/roles/<int:role_id>/applications/<int:application_id>/conflict",
    methods=["GET", "POST"],
)
@signed_in
def conflict(role_id: int, application_id: int) -> ResponseReturnValue:
    role, panel = _seat(role_id)
    application = _application(role, application_id)
    card = scoring.card_of(application.id, current_user.id)
    if card is not None and card.status == "conflict":
        return redirect(
            url_for("panel.application", role_id=role.id, application_id=application.id)
        )
    form = forms.ConflictForm()
    if form.validate_on_submit():
        try:
            scoring.declare_conflict(role, application, _me(), form.note.data or "")
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(
                f"Conflict of interest declared for {application.reference}. You will not "
                "see or score this application.",
                "success",
            )
            return redirect(url_for("panel.role", role_id=role.id))
    return render_template(
        "shortlisting/panel/conflict.html",
        role=role,
        panel=panel,
        reference=application.reference,
        application_id=application.id,
        form=form,
    )


@bp.route("/panel/roles/<int:role_id>/scores")
@signed_in
def scores(role_id: int) -> ResponseReturnValue:
    role, panel = _seat(role_id)
    if not scoring.others_unlocked(role, _me()):
        return render_template("shortlisting/panel/scores_locked.html", role=role)
    page = request.args.get("page", 1, type=int) or 1
    others = scoring.others_scores(role, panel, _me(), page)
    return render_template("shortlisting/panel/scores.html", role=role, others=others)


# --- HR: setting up the panel -------------------------------------------------------------------


def _manage_page(role: Role, failed: Any = None) -> ResponseReturnValue:
    panel = panels.panel_for(role)  # made by the first change, not by looking
    members = list(panel.members) if panel else []
    progress = panels.progress(role, [m.user_id for m in members])
    add_form = failed if isinstance(failed, forms.ScorerForm) else None
    lead_form = failed if isinstance(failed, forms.LeadForm) else None
    add_form = add_form or forms.ScorerForm(formdata=None, people=panels.eligible_scorers(role))
    lead_id = panel.lead_id if panel else None
    lead_form = lead_form or forms.LeadForm(
        formdata=None, data={"lead_id": str(lead_id or "")}, people=panels.eligible_leads()
    )
    return render_template(
        "shortlisting/panel/manage.html",
        role=role,
        panel=panel,
        members=members,
        progress=progress,
        add_form=add_form,
        lead_form=lead_form,
        form=failed,
        role_closed=panels.role_has_closed(role),
        is_lead=lead_id is not None and lead_id == current_user.id,
    )


@bp.route("/hr/roles/<int:role_id>/panel")
@require_role("hr")
def manage(role_id: int) -> ResponseReturnValue:
    return _manage_page(_role(role_id))


@bp.route("/hr/roles/<int:role_id>/panel/scorers", methods=["POST"])
@require_role("hr")
def add_scorer(role_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    form = forms.ScorerForm(people=panels.eligible_scorers(role))
    if form.validate_on_submit():
        try:
            member = panels.add_scorer(role, form.chosen(), _me())
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(f"{member.user.full_name} added to the panel and sent an email.", "success")
            return redirect(url_for("panel.manage", role_id=role.id))
    return _manage_page(role, failed=form)


@bp.route("/hr/roles/<int:role_id>/panel/lead", methods=["POST"])
@require_role("hr")
def set_lead(role_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    form = forms.LeadForm(people=panels.eligible_leads())
    if form.validate_on_submit():
        try:
            panel = panels.set_lead(role, form.chosen(), _me())
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            assert panel.lead is not None
            flash(f"{panel.lead.full_name} is the panel lead.", "success")
            return redirect(url_for("panel.manage", role_id=role.id))
    return _manage_page(role, failed=form)


@bp.route("/hr/roles/<int:role_id>/panel/scorers/remove", methods=["POST"])
@require_role("hr")
def remove_scorer(role_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    form = forms.RemoveForm()
    if form.validate_on_submit():
        try:
            panels.remove_scorer(role, form.chosen(), _me())
        except DomainError as exc:
            flash(next(iter(exc.errors.values())), "error")
        else:
            flash("Scorer removed from the panel.", "success")
    return redirect(url_for("panel.manage", role_id=role.id))


@bp.route("/hr/roles/<int:role_id>/panel/close", methods=["GET", "POST"])
@require_role("hr")
def close_scoring(role_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    form = forms.ActionForm()
    if form.validate_on_submit():
        try:
            panels.close_scoring(role, _me())
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash("Scoring closed. No more scores can be saved.", "success")
            return redirect(url_for("panel.manage", role_id=role.id))
    panel = panels.panel_for(role)
    members = list(panel.members) if panel else []
    return render_template(
        "shortlisting/panel/close.html",
        role=role,
        panel=panel,
        form=form,
        members=members,
        progress=panels.progress(role, [m.user_id for m in members]),
        is_lead=panel is not None and panel.lead_id == current_user.id,
    )
