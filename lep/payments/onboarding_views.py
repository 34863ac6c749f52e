"""A partner's own pages for setting up how they are paid at the payment provider (Stripe).

The partner gives their bank details on Stripe's own pages, never ours: "Set up" registers them
(once) and sends them to Stripe; Stripe sends them back to /return (or /refresh when the link
has expired), where we ask Stripe whether they can be paid yet and say so plainly.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from lep.access import signed_in
from lep.payments import onboarding
from lep.payments.onboarding import OnboardingError, PaymentSetup
from lep.urls import external_url

bp = Blueprint("payment_onboarding", __name__)


class StartForm(FlaskForm):
    """Set up (or carry on setting up) payments: only the CSRF token is posted."""


def _me() -> Any:
    return current_user._get_current_object()


def _not_here() -> ResponseReturnValue | None:
    """A plain page for people who do not set up payments with a provider, or None."""
    if not onboarding.may_onboard(_me()):
        return render_template("payments/onboarding/not_partner.html")
    if not onboarding.uses_onboarding():
        return render_template("payments/onboarding/not_needed.html")
    return None


def _page(setup: PaymentSetup, form: StartForm, *, checked: bool, status: int = 200) -> Any:
    return (
        render_template("payments/onboarding/status.html", setup=setup, form=form, checked=checked),
        status,
    )


@bp.route("/account/payments/stripe", methods=["GET", "POST"])
@signed_in
def start() -> ResponseReturnValue:
    other = _not_here()
    if other is not None:
        return other
    form = StartForm()
    if form.validate_on_submit():
        try:
            url = onboarding.start(_me(), external_url("payment_onboarding.returned"))
        except OnboardingError as error:
            form.form_errors.append(error.message)
            return _page(onboarding.setup_for(_me()), form, checked=False, status=503)
        return redirect(url, code=303)
    return _page(onboarding.setup_for(_me()), form, checked=False)


def _check() -> ResponseReturnValue:
    other = _not_here()
    if other is not None:
        return other
    form = StartForm()
    try:
        setup = onboarding.refresh(_me())
    except OnboardingError as error:
        form.form_errors.append(error.message)
        return _page(onboarding.setup_for(_me()), form, checked=False, status=503)
    return _page(setup, form, checked=setup.started)


@bp.route("/account/payments/stripe/return")
@signed_in
def returned() -> ResponseReturnValue:
    """Where Stripe sends the partner when they finish (or leave) its onboarding pages."""
    return _check()


@bp.route("/account/payments/stripe/refresh")
@signed_in
def refresh() -> ResponseReturnValue:
    """Where Stripe sends the partner when their link has expired or was used already."""
    return _check()
