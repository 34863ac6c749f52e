"""Admins: emails that could not be sent (waiting for another try, failed, held), with "Try
again"."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from lep.access import require_role
from lep.notifications.services import NotRetryable, needing_attention, try_again

bp = Blueprint("admin_emails", __name__, url_prefix="/admin/emails")


class TryAgainForm(FlaskForm):
    """Only the CSRF token: the message is in the URL."""


@bp.route("/")
@require_role("admin")
def index() -> ResponseReturnValue:
    return render_template(
        "notifications/admin_emails.html", messages=needing_attention(), form=TryAgainForm()
    )


@bp.route("/<int:message_id>/try-again", methods=["POST"])
@require_role("admin")
def retry(message_id: int) -> ResponseReturnValue:
    form = TryAgainForm()
    if form.validate_on_submit():
        try:
            try_again(message_id, by=current_user._get_current_object())
        except NotRetryable as exc:
            flash(str(exc), "error")
        else:
            flash("The email has been tried again: its status is below.", "success")
    return redirect(url_for("admin_emails.index"))
