"""The partner's own pages: their bank details (masked), and changing them.

Only the signed-in person's own details are ever shown, and only masked: there is no id in these
URLs. People who are not partners get a plain page saying who gives bank details. Changing them
needs a sign-in in the last 10 minutes: otherwise the person is sent through sign-in and back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user

from lep.access import signed_in
from lep.accounts.sessions import session_time
from lep.accounts.views import SIGNED_IN_AT
from lep.forms import show_errors
from lep.partners import bank_services, forms
from lep.payments.providers import get_provider
from lep.service import DomainError

bp = Blueprint("partners", __name__)

# Where the sign-in time of this session is kept, once lep.accounts records it at sign-in.


def _me() -> Any:
    return current_user._get_current_object()


def _signed_in_at() -> dt.datetime | None:
    """When this session's person last typed their password (set at sign-in); None when the
    session does not say, which counts as not recent."""
    return session_time(SIGNED_IN_AT)


def _not_here() -> ResponseReturnValue | None:
    """A plain page for people who do not give bank details here, or None for a partner."""
    if not bank_services.may_give_bank_details(_me()):
        return render_template("partners/bank_not_partner.html")
    if get_provider().name != "bacs":
        return render_template("partners/bank_not_needed.html")
    return None


@bp.route("/account/bank-details")
@signed_in
def bank_details() -> ResponseReturnValue:
    other = _not_here()
    if other is not None:
        return other
    return render_template(
        "partners/bank_details.html",
        summary=bank_services.summary(current_user.id),
        hold_days=bank_services.hold_days(),
    )


def _sign_in_again_page(status: int = 200) -> ResponseReturnValue:
    return render_template(
        "partners/bank_sign_in_again.html",
        form=forms.ConfirmForm(),
        message=bank_services.SIGN_IN_AGAIN,
    ), status


@bp.route("/account/bank-details/change", methods=["GET", "POST"])
@signed_in
def change_bank_details() -> ResponseReturnValue:
    other = _not_here()
    if other is not None:
        return other
    recent = bank_services.signed_in_recently(_signed_in_at())
    if not recent:
        return _sign_in_again_page()
    form = forms.BankDetailsForm()
    if form.validate_on_submit():
        me = _me()
        try:
            saved = bank_services.save_bank_details(
                me,
                form.sort_code.data or "",
                form.account_number.data or "",
                form.name.data or "",
                by=me,
                recently_signed_in=recent,
            )
        except bank_services.SignInAgain:
            return _sign_in_again_page()
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            if saved.changed:
                flash(
                    "Your bank details have been saved. We have sent you an email to confirm "
                    "the change.",
                    "success",
                )
            else:
                flash("These are the bank details we already have: nothing has changed.", "info")
            return redirect(url_for("partners.bank_details"))
    return render_template("partners/bank_change.html", form=form)


@bp.route("/account/bank-details/sign-in-again", methods=["POST"])
@signed_in
def sign_in_again() -> ResponseReturnValue:
    """Sign out, then sign in and come back to the change page."""
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return _sign_in_again_page(400)
    logout_user()
    session.clear()
    flash("Sign in again to change your bank details.", "info")
    return redirect(url_for("accounts.login", next=url_for("partners.change_bank_details")))
