"""The applicant's journey: start, one question a page, file, support, check answers, submit.

Every page loads the application through `_own`, which answers 404 unless it belongs to the
signed-in person. The services own the rules; the views parse, call one service, and render or
redirect. Everything works with plain forms: no JavaScript is needed.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lep.access import require_role, signed_in
from lep.applications import forms, services
from lep.applications.files import MAX_FILE_BYTES
from lep.applications.models import (
    CONTACT_METHODS,
    OTHER_WAYS,
    Application,
    OtherWayRequest,
    SupportingFile,
)
from lep.extensions import db
from lep.forms import show_errors, whole_number
from lep.roles.models import Question, Role
from lep.service import DomainError
from lep.storage import send_private_file

bp = Blueprint("applications", __name__)


@bp.context_processor
def labels() -> dict[str, Any]:
    return {"contact_methods": CONTACT_METHODS, "other_ways": OTHER_WAYS}


# --- Loading, and where to go next ------------------------------------------------------------


def _me() -> Any:
    return current_user._get_current_object()


def _own(application_id: int, *options: Any) -> Application:
    """The signed-in person's application, or 404: nobody sees another person's application."""
    application = db.session.get(Application, application_id, options=options)
    if application is None or application.applicant_id != current_user.id:
        abort(404)
    return application


def _role(role_id: int) -> Role:
    role = db.session.get(Role, role_id)
    if role is None or role.status == "draft":
        abort(404)
    return role


def _editable(application: Application) -> bool:
    return application.status == "draft" and services.role_is_open(application.role)


def _not_editable(application: Application) -> ResponseReturnValue:
    """Where a page of the journey sends someone whose application can no longer change (sent,
    or its role has closed): its status page, which says so plainly."""
    return redirect(url_for("applications.status", application_id=application.id))


def _question_url(application: Application, n: int, change: bool = False) -> str:
    if change:
        return url_for("applications.question", application_id=application.id, n=n, change="1")
    return url_for("applications.question", application_id=application.id, n=n)


def resume_url(application: Application) -> str:
    """The first step not finished (a question not answered, over its limit, or saved half-written
    to come back to); the check page when everything is done; the status page for an application
    that has been sent or whose role has closed."""
    if not _editable(application):
        return url_for("applications.status", application_id=application.id)
    for n, question in enumerate(application.role.questions, start=1):
        if not services.answer_finished(question, application.answer_for(question.id)):
            return _question_url(application, n)
    if not application.support_saved:
        if not application.files:
            return url_for("applications.supporting_file", application_id=application.id)
        return url_for("applications.support", application_id=application.id)
    answered = {a.category_id for a in application.quota_answers}
    if any(c.id not in answered for c in application.role.quota_categories):
        return url_for("applications.quota", application_id=application.id)
    return url_for("applications.check", application_id=application.id)


def _changing() -> bool:
    return request.args.get("change") == "1"


def _after(application: Application, step: str) -> str:
    """The page after a step (or back to check answers, when the person came to change it)."""
    check = url_for("applications.check", application_id=application.id)
    if _changing():
        return check
    if step == "questions":
        return url_for("applications.supporting_file", application_id=application.id)
    if step == "file":
        return url_for("applications.support", application_id=application.id)
    if step == "support" and application.role.quota_categories:
        return url_for("applications.quota", application_id=application.id)
    return check


def _back(application: Application, step: str) -> str:
    """The page before a step (or check answers, when the person came from there)."""
    if _changing():
        return url_for("applications.check", application_id=application.id)
    count = len(application.role.questions)
    if step == "file":
        if count:
            return _question_url(application, count)
        return url_for("roles.show", role_id=application.role_id)
    if step == "support":
        return url_for("applications.supporting_file", application_id=application.id)
    if step == "quota":
        return url_for("applications.support", application_id=application.id)
    # check answers
    if application.role.quota_categories:
        return url_for("applications.quota", application_id=application.id)
    return url_for("applications.support", application_id=application.id)


def _saved_for_later() -> ResponseReturnValue:
    flash(
        "Your application has been saved. You can come back to it from your dashboard.", "success"
    )
    return redirect(url_for("main.dashboard"))


# --- Start ----------------------------------------------------------------------------------


@bp.route("/roles/<int:role_id>/apply", methods=["GET", "POST"])
@signed_in
def start(role_id: int) -> ResponseReturnValue:
    """GET: the application they have, or a start page. POST (with its CSRF token): start one.

    Starting writes a draft, so it is a POST: a link on another site cannot start one."""
    role = _role(role_id)
    existing = services.find_application(current_user.id, role.id)
    if existing is not None:
        return redirect(resume_url(existing))
    if not services.role_is_open(role):
        return render_template("applications/closed.html", role=role)
    form = forms.ActionForm()
    if form.validate_on_submit():
        try:
            application = services.start_application(role, _me())
        except DomainError:
            return render_template("applications/closed.html", role=role)
        return redirect(resume_url(application))
    return render_template("applications/start.html", role=role, form=form)


# --- One question a page --------------------------------------------------------------------


@bp.route("/applications/<int:application_id>/questions/<int:n>", methods=["GET", "POST"])
@require_role("applicant")
def question(application_id: int, n: int) -> ResponseReturnValue:
    # The role, its questions with their criteria, and the answers, in one query.
    application = _own(
        application_id,
        joinedload(Application.role).joinedload(Role.questions).joinedload(Question.criteria),
        joinedload(Application.answers),
    )
    questions = application.role.questions
    if not 1 <= n <= len(questions):
        abort(404)
    if not _editable(application):
        return _not_editable(application)
    current = questions[n - 1]
    if request.method == "POST":
        form = forms.AnswerForm(question_text=current.text)
        if form.validate_on_submit():
            try:
                problems = services.save_answer(
                    application, current, form.text(), draft="later" in request.form
                )
            except DomainError:
                return _not_editable(application)
            if "later" in request.form:
                return _saved_for_later()
            if not problems:
                if n < len(questions) and not _changing():
                    return redirect(_question_url(application, n + 1))
                return redirect(_after(application, "questions"))
            show_errors(form, problems)
    else:
        saved = application.answer_for(current.id)
        form = forms.AnswerForm(
            formdata=None,
            data={"answer": saved.text if saved else ""},
            question_text=current.text,
        )
    if _changing():
        back = url_for("applications.check", application_id=application.id)
    elif n > 1:
        back = _question_url(application, n - 1)
    else:
        back = url_for("roles.show", role_id=application.role_id)
    criteria = "; ".join(c.text for c in current.criteria)
    hint = " ".join(
        part
        for part in (
            current.hint,
            f"In your answer, show us: {criteria}." if criteria else "",
        )
        if part
    )
    return render_template(
        "applications/question.html",
        application=application,
        question=current,
        n=n,
        total=len(questions),
        form=form,
        hint=hint,
        back=back,
        changing=_changing(),
    )


# --- Supporting file ------------------------------------------------------------------------


@bp.route("/applications/<int:application_id>/file", methods=["GET", "POST"])
@require_role("applicant")
def supporting_file(application_id: int) -> ResponseReturnValue:
    application = _own(application_id)
    if not _editable(application):
        return _not_editable(application)
    form = forms.FileForm()
    if form.validate_on_submit():
        upload = form.file.data
        if not upload:
            return redirect(_after(application, "file"))
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        try:
            record = services.attach_file(application, upload.filename or "", data)
        except DomainError as exc:
            if "application" in exc.errors:
                return _not_editable(application)
            show_errors(form, exc.errors)
        else:
            flash(f"Your file {record.original_name} has been added.", "success")
            return redirect(_after(application, "file"))
    return render_template(
        "applications/file.html",
        application=application,
        form=form,
        remove_form=forms.ItemForm(formdata=None),
        back=_back(application, "file"),
        changing=_changing(),
    )


@bp.route("/applications/<int:application_id>/file/remove", methods=["POST"])
@require_role("applicant")
def remove_file(application_id: int) -> ResponseReturnValue:
    application = _own(application_id)
    if not _editable(application):
        return _not_editable(application)
    form = forms.ItemForm()
    if form.validate_on_submit():
        try:
            services.remove_file(application, whole_number(form.item_id.data) or 0)
        except DomainError as exc:
            flash(next(iter(exc.errors.values())), "error")
        else:
            flash("Your file has been removed.", "success")
    return redirect(url_for("applications.supporting_file", application_id=application.id))


@bp.route("/applications/<int:application_id>/files/<int:file_id>")
@require_role("applicant", "hr")
def download_file(application_id: int, file_id: int) -> ResponseReturnValue:
    """The file, to its owner or HR only (the panel has its own link), as a download under a name
    we make, with its checked type: never inline. Audited."""
    application = db.session.get(Application, application_id)
    record = db.session.get(SupportingFile, file_id)
    if application is None or record is None or record.application_id != application.id:
        abort(404)
    own = application.applicant_id == current_user.id
    if not own and not current_user.has_role("hr"):
        abort(404)  # another applicant: as for every page of someone else's application
    services.record_file_download(
        application, record, _me(), audience="applicant" if own else "hr", played=False
    )
    return send_private_file(
        record.storage_key, record.content_type, services.file_download_name(application, record)
    )


# --- Support and adjustments ------------------------------------------------------------------


@bp.route("/applications/<int:application_id>/support", methods=["GET", "POST"])
@require_role("applicant")
def support(application_id: int) -> ResponseReturnValue:
    application = _own(application_id)
    if not _editable(application):
        return _not_editable(application)
    if request.method == "POST":
        form = forms.SupportForm()
        if form.validate_on_submit():
            try:
                services.save_support(application, **form.fields_for_service())
            except DomainError as exc:
                if "application" in exc.errors:
                    return _not_editable(application)
                show_errors(form, exc.errors)
            else:
                if "later" in request.form:
                    return _saved_for_later()
                return redirect(_after(application, "support"))
    else:
        form = forms.SupportForm.for_application(application)
    return render_template(
        "applications/support.html",
        application=application,
        form=form,
        back=_back(application, "support"),
        changing=_changing(),
    )


# --- Quota questions (lottery roles) ----------------------------------------------------------


@bp.route("/applications/<int:application_id>/quota", methods=["GET", "POST"])
@require_role("applicant")
def quota(application_id: int) -> ResponseReturnValue:
    application = _own(application_id)
    categories = list(application.role.quota_categories)
    if not categories:
        abort(404)
    if not _editable(application):
        return _not_editable(application)
    if request.method == "POST":
        form = forms.quota_form(categories)
        if form.validate_on_submit():
            try:
                services.save_quota_answers(application, forms.quota_answers(form, categories))
            except DomainError as exc:
                if "application" in exc.errors:
                    return _not_editable(application)
                show_errors(form, exc.errors)
            else:
                return redirect(_after(application, "quota"))
    else:
        form = forms.quota_form(categories, application)
    return render_template(
        "applications/quota.html",
        application=application,
        categories=categories,
        form=form,
        back=_back(application, "quota"),
        changing=_changing(),
    )


# --- Check your answers and send ----------------------------------------------------------------


def _problem_links(application: Application, problems: dict[str, str]) -> list[dict[str, str]]:
    """The error summary's items: each problem linked to where it can be put right."""
    items = []
    for key, message in problems.items():
        if key.startswith("question_"):
            n = whole_number(key.removeprefix("question_")) or 1
            href = _question_url(application, n, change=True)
        elif key.startswith("quota_"):
            href = url_for("applications.quota", application_id=application.id, change="1")
            href += "#" + key
        elif key == "declaration":
            href = "#declaration"
        else:
            href = ""
        items.append({"text": message, "href": href} if href else {"text": message})
    return items


@bp.route("/applications/<int:application_id>/check", methods=["GET", "POST"])
@require_role("applicant")
def check(application_id: int) -> ResponseReturnValue:
    application = _own(application_id)
    if application.status != "draft":
        # Sent already (a double click, the back button, a second tab): nothing more to do.
        if request.method == "POST":
            return redirect(url_for("applications.confirmation", application_id=application.id))
        return redirect(url_for("applications.status", application_id=application.id))
    if not _editable(application):
        return _not_editable(application)
    form = forms.CheckForm()
    errors: list[dict[str, str]] = []
    if form.validate_on_submit():
        try:
            application, _sent = services.submit(application, bool(form.declaration.data))
        except DomainError as exc:
            if "declaration" in exc.errors:
                form.declaration.errors = [exc.errors["declaration"]]
            errors = _problem_links(application, exc.errors)
        else:
            return redirect(url_for("applications.confirmation", application_id=application.id))
    elif request.method == "POST":
        errors = [{"text": message} for message in form.form_errors or []]
    problems = services.submit_problems(application)
    return render_template(
        "applications/check.html",
        application=application,
        form=form,
        errors=errors,
        to_do=[] if errors else _problem_links(application, problems),
        answers=[
            (n, q, application.answer_for(q.id))
            for n, q in enumerate(application.role.questions, start=1)
        ],
        quota_values={a.category_id: a.value for a in application.quota_answers},
        back=_back(application, "check"),
    )


@bp.route("/applications/<int:application_id>/confirmation")
@require_role("applicant")
def confirmation(application_id: int) -> ResponseReturnValue:
    application = _own(application_id)
    if application.status == "draft":
        return redirect(url_for("applications.check", application_id=application.id))
    return render_template("applications/confirmation.html", application=application)


# --- Status, withdraw, delete ----------------------------------------------------------------


@bp.route("/applications/<int:application_id>")
@signed_in
def status(application_id: int) -> ResponseReturnValue:
    # Whoever's application it is, whatever roles they hold now (the dashboard lists it for a
    # partner appointed from it, too); anyone else gets 404 from _own.
    application = _own(application_id)
    return render_template(
        "applications/status.html",
        application=application,
        is_open=services.role_is_open(application.role),
        withdrawable=application.status in services.WITHDRAWABLE,
        continue_url=resume_url(application),
    )


@bp.route("/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@require_role("applicant")
def withdraw(application_id: int) -> ResponseReturnValue:
    application = _own(application_id)
    if application.status not in services.WITHDRAWABLE:
        return redirect(url_for("applications.status", application_id=application.id))
    form = forms.ActionForm()
    if form.validate_on_submit():
        try:
            services.withdraw(application)
        except DomainError as exc:
            flash(next(iter(exc.errors.values())), "error")
        else:
            flash("You have withdrawn your application. We have sent you an email.", "success")
        return redirect(url_for("applications.status", application_id=application.id))
    return render_template("applications/withdraw.html", application=application, form=form)


@bp.route("/applications/<int:application_id>/delete", methods=["GET", "POST"])
@require_role("applicant")
def delete(application_id: int) -> ResponseReturnValue:
    application = _own(application_id)
    if application.status != "draft":
        return redirect(url_for("applications.status", application_id=application.id))
    form = forms.ActionForm()
    if form.validate_on_submit():
        title = application.role.title
        try:
            services.delete_draft(application)
        except DomainError as exc:
            flash(next(iter(exc.errors.values())), "error")
            return redirect(url_for("applications.status", application_id=application_id))
        flash(f"Your draft application for {title} has been deleted.", "success")
        return redirect(url_for("main.dashboard"))
    return render_template("applications/delete.html", application=application, form=form)


# --- Apply another way ----------------------------------------------------------------------


@bp.route("/roles/<int:role_id>/apply-another-way", methods=["GET", "POST"])
@signed_in
def other_way(role_id: int) -> ResponseReturnValue:
    """Anyone signed in may ask, as anyone may start an application (the role page offers both)."""
    role = _role(role_id)
    if not services.role_is_open(role):
        return render_template("applications/closed.html", role=role)
    form = forms.OtherWayForm()
    if form.validate_on_submit():
        try:
            services.request_other_way(
                role,
                _me(),
                form.method.data or "",
                form.details.data or "",
                form.contact_method.data or "",
                form.phone.data or "",
                form.address_fields(),
            )
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            return redirect(url_for("applications.other_way_requested", role_id=role.id))
    return render_template("applications/other_way.html", role=role, form=form)


@bp.route("/roles/<int:role_id>/apply-another-way/requested")
@signed_in
def other_way_requested(role_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    latest = db.session.scalar(
        select(OtherWayRequest)
        .where(OtherWayRequest.role_id == role.id, OtherWayRequest.user_id == current_user.id)
        .order_by(OtherWayRequest.id.desc())
        .limit(1)
    )
    if latest is None:
        return redirect(url_for("applications.other_way", role_id=role.id))
    return render_template("applications/other_way_requested.html", role=role, request_=latest)
