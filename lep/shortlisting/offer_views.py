"""Offers: HR makes one on a pay point or rate card; the applicant accepts or declines.

HR pages (under /hr): a role's applications from shortlisting on with what can be done next, the
offer form, withdrawing an offer, and the interview outcome. The applicant's page (/offers/<id>)
shows the frozen figures in plain words and takes their answer; anyone else's offer is not found.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lep.access import require_role, signed_in
from lep.applications.models import Application
from lep.extensions import db
from lep.forms import show_errors
from lep.roles.models import Role
from lep.service import DomainError
from lep.shortlisting import offers
from lep.shortlisting.assessment import INTERVIEW, assess, scored_criteria
from lep.shortlisting.models import Offer
from lep.shortlisting.offer_forms import AnswerForm, OfferForm, OutcomeForm, WithdrawForm

bp = Blueprint("offers", __name__)


@bp.app_context_processor
def offer_helpers() -> dict[str, Any]:
    """For the applicant's status page and dashboard: their offer, in plain words."""

    def awaiting() -> list[Offer]:
        if not current_user.is_authenticated:
            return []
        return offers.offers_awaiting_reply(current_user.id)

    return {
        "offer_for_application": offers.latest_offer,
        "offers_awaiting_reply": awaiting,
        "offer_pay_words": offers.pay_words,
    }


def _me() -> Any:
    return current_user._get_current_object()


# --- The applicant's page -----------------------------------------------------------------------


def _own_offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.application.applicant_id != current_user.id:
        abort(404)
    return offer


@bp.route("/offers/<int:offer_id>", methods=["GET", "POST"])
@signed_in
def show(offer_id: int) -> ResponseReturnValue:
    offer = _own_offer(offer_id)
    application = offer.application
    form = AnswerForm() if request.method == "POST" else AnswerForm(formdata=None)
    if request.method == "POST" and not offers.may_answer(offer):
        flash("This offer has already been answered or withdrawn, so nothing was changed.", "error")
        return redirect(url_for("offers.show", offer_id=offer.id))
    if form.validate_on_submit():
        try:
            if form.answer.data == "accept":
                offers.accept_offer(offer, _me())
                flash(
                    f"You have accepted the offer. Welcome to the role {offer.role.title}. "
                    "We have sent you an email with what happens next.",
                    "success",
                )
                return redirect(url_for("offers.show", offer_id=offer.id) + "#next-steps")
            else:
                offers.decline_offer(offer, _me(), form.reason.data or "")
                flash(
                    "You have declined the offer. We have let the recruiting team know.", "success"
                )
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            return redirect(url_for("applications.status", application_id=application.id))
    return render_template(
        "shortlisting/offers/show.html",
        offer=offer,
        application=application,
        form=form,
        answerable=offers.may_answer(offer),
        pay_words=offers.pay_words(offer),
        payment_step=offers.payment_step(),
    )


# --- HR pages -----------------------------------------------------------------------------------


def _role(role_id: int) -> Role:
    role = db.session.get(Role, role_id)
    if role is None:
        abort(404)
    return role


def _application(application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or application.status == "draft":
        abort(404)
    return application


@bp.route("/hr/roles/<int:role_id>/offers")
@require_role("hr")
def role_offers(role_id: int) -> ResponseReturnValue:
    role = _role(role_id)
    return render_template("shortlisting/offers/role.html", role=role, rows=offers.pipeline(role))


def _points_date(form: OfferForm | None) -> dt.date:
    """The pay table to show: the one in force on the start date typed, or today's."""
    today = offers.london_today()
    typed = form.start_date.data if form is not None else None
    return typed if isinstance(typed, dt.date) and typed >= today else today


@bp.route("/hr/applications/<int:application_id>/offer", methods=["GET", "POST"])
@require_role("hr")
def new_offer(application_id: int) -> ResponseReturnValue:
    application = _application(application_id)
    role = application.role
    if application.status not in offers.OFFERABLE:
        flash(
            f"{application.reference} cannot be offered the role: it is "
            f"“{application.status_text.lower()}”.",
            "error",
        )
        return redirect(url_for("offers.role_offers", role_id=role.id))
    cards = offers.rate_cards() if role.engagement_type == "sessional" else []
    posted = request.method == "POST"
    # The start date decides which pay table applies: read it first, then offer its points.
    probe = OfferForm.for_role(role, [], cards, posted) if posted else None
    points_on = _points_date(probe)
    points = offers.pay_points_for(role, points_on)
    form = OfferForm.for_role(role, points, cards, posted)
    if form.validate_on_submit():
        try:
            offer = offers.make_offer(application, form.terms(), _me())
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(
                f"Offer made to {application.applicant.full_name} ({application.reference}). "
                "We have emailed them a link to reply.",
                "success",
            )
            return redirect(url_for("offers.role_offers", role_id=offer.role_id))
    return render_template(
        "shortlisting/offers/new.html",
        form=form,
        application=application,
        role=role,
        points_on=points_on,
    )


def _hr_offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        abort(404)
    return offer


@bp.route("/hr/offers/<int:offer_id>/withdraw", methods=["GET", "POST"])
@require_role("hr")
def withdraw(offer_id: int) -> ResponseReturnValue:
    offer = _hr_offer(offer_id)
    if offer.status != "made":
        flash("Only an offer that has not been answered can be withdrawn.", "error")
        return redirect(url_for("offers.role_offers", role_id=offer.role_id))
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            offers.withdraw_offer(offer, _me(), form.reason.data or "")
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(
                f"Offer to {offer.application.applicant.full_name} withdrawn. "
                "We have emailed them the reason.",
                "success",
            )
            return redirect(url_for("offers.role_offers", role_id=offer.role_id))
    return render_template(
        "shortlisting/offers/withdraw.html",
        form=form,
        offer=offer,
        application=offer.application,
        pay_words=offers.pay_words(offer),
    )


@bp.route("/hr/applications/<int:application_id>/interview-outcome", methods=["GET", "POST"])
@require_role("hr")
def interview_outcome(application_id: int) -> ResponseReturnValue:
    application = _application(application_id)
    if application.status != "interview":
        flash(
            f"{application.reference} is not at interview, so there is no outcome to record.",
            "error",
        )
        return redirect(url_for("offers.role_offers", role_id=application.role_id))
    form = OutcomeForm()
    if form.validate_on_submit():
        if form.outcome.data == "offer":
            return redirect(url_for("offers.new_offer", application_id=application.id))
        try:
            offers.record_unsuccessful(application, _me(), form.reason.data or "")
        except DomainError as exc:
            show_errors(form, exc.errors)
        else:
            flash(
                f"Outcome recorded for {application.reference}: not successful. "
                "We have emailed the applicant.",
                "success",
            )
            return redirect(url_for("offers.role_offers", role_id=application.role_id))
    role = application.role
    return render_template(
        "shortlisting/offers/outcome.html",
        form=form,
        application=application,
        criteria=scored_criteria(role, INTERVIEW),
        interview_scores=assess(role, [application.id], INTERVIEW)[application.id],
    )
