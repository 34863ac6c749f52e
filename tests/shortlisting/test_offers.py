"""Offers as services: the maths to the penny, figures frozen when made, accept, decline,
withdraw, the interview outcome, and what is refused (changing nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lep.applications.models import Application
from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.partners.models import Appointment
from lep.roles import pay, paytables
from lep.roles.models import RateCard
from lep.service import DomainError
from lep.shortlisting import offers
from lep.shortlisting.models import Interview, Offer
from tests.helpers import emails_to, link_in
from tests.roles.public_data import PPV
from tests.shortlisting.offer_support import (
    application_at,
    band7_point,
    later_band7_table,
    offer_for,
    person,
    role_paid,
)


def actions(subject_type: str, subject_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id)
            )
            .order_by(AuditEvent.id)
        )
    )


def fresh(model, id_):  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.get(model, id_)


def interview_of(application: Application) -> Interview | None:
    db.session.expire_all()
    return db.session.scalar(select(Interview).where(Interview.application_id == application.id))


@pytest.fixture
def hr():  # type: ignore[no-untyped-def]
    return person("hr", full_name="Harriet Lead")


# -- The maths -------------------------------------------------------------------------------------


def test_pro_rata_is_integer_and_rounds_half_up_like_the_pay_module():
    assert offers.pro_rata_pence(4781000, 900) == 1912400  # Band 7 point 1, 15 hours
    assert offers.pro_rata_pence(1125, 1) == 1  # exactly half a penny: up
    assert offers.pro_rata_pence(1124, 1) == 0  # just under half: down
    for annual in (4781000, 5027300, 5471000, 2469900, 1):
        for minutes in (1, 7, 440, 900, 1125, 1351, 2249, 2250):
            assert offers.pro_rata_pence(annual, minutes) == pay.pro_rata_pence(annual, minutes)


def test_band_7_point_1_at_15_hours_is_frozen_to_the_penny(hr):
    role = role_paid("employed")  # Band 7, 15 hours a week
    application = application_at(role, "interview")
    offer = offer_for(application, hr, point=1)
    assert offer.engagement_type == "employed"
    assert offer.band == "7"
    assert offer.annual_pence == 4781000
    assert offer.minutes_per_week == 900  # the role's hours, by default
    assert offer.pro_rata_annual_pence == 1912400
    assert offer.hourly_pence is None and offer.day_pence is None
    assert offers.pay_words(offer) == (
        "Band 7, point 1: £47,810 a year full time (2025/26 pay); "
        "for 15 hours a week that is £19,124 a year."
    )
    assert fresh(Application, application.id).status == "offered"
    assert actions("offer", offer.id) == ["offer.made"]
    assert "application.offered" in actions("application", application.id)


def test_hours_to_the_minute_and_pence_in_the_pro_rata(hr):
    role = role_paid("employed")
    application = application_at(role, "interview")
    # Point 3 (£54,710) for 16 hours 40 minutes: 5471000 x 1000 / 2250 = 2431555.55...p
    offer = offer_for(application, hr, point=3, minutes=1000)
    assert offer.annual_pence == 5471000
    assert offer.pro_rata_annual_pence == 2431556
    assert offers.pay_words(offer).endswith(
        "for 16 hours 40 minutes a week that is £24,315.56 a year."
    )


def test_full_time_says_so(hr):
    role = role_paid("employed", minutes_per_week=2250)
    offer = offer_for(application_at(role, "interview"), hr, point=2)
    assert offer.pro_rata_annual_pence == 5027300
    assert offers.pay_words(offer) == (
        "Band 7, point 2: £50,273 a year full time (2025/26 pay). "
        "This is a full-time post (37.5 hours a week)."
    )


def test_a_later_pay_table_changes_nothing_already_offered(hr):
    role = role_paid("employed")
    application = application_at(role, "interview")
    start = offers.london_today() + dt.timedelta(days=60)
    offer = offer_for(application, hr, point=1, start=start)
    # A new table in force before the start date, loaded after the offer was made.
    later_band7_table(offers.london_today() + dt.timedelta(days=30), (49999, 52000, 57000))
    assert offers.pay_points_for(role, start)[0].annual_pence == 4999900  # the table did change
    offer = fresh(Offer, offer.id)
    assert (offer.annual_pence, offer.pro_rata_annual_pence) == (4781000, 1912400)
    assert "£47,810" in offers.pay_words(offer) and "£19,124" in offers.pay_words(offer)


def test_an_offer_uses_the_table_in_force_on_the_start_date(hr):
    role = role_paid("employed")
    later = offers.london_today() + dt.timedelta(days=30)
    later_band7_table(later, (49999, 52000, 57000))
    application = application_at(role, "interview")
    today_point = band7_point(1)
    start = later + dt.timedelta(days=1)
    # A pay point of today's table is refused for a start under the later table, nothing changed.
    with pytest.raises(DomainError) as refused:
        offer_for(application, hr, start=start, pay_point_id=today_point.id)
    assert "pay_point_id" in refused.value.errors
    assert fresh(Application, application.id).status == "interview"
    offer = offer_for(application, hr, point=1, start=start)
    assert offer.annual_pence == 4999900
    assert offer.pro_rata_annual_pence == 1999960  # 4999900 x 900 / 2250
    assert f"({pay.pay_year_label(later)} pay)" in offers.pay_words(offer)


def test_sessional_offer_freezes_the_rates_in_force_on_the_start_date(hr):
    role = role_paid("sessional")  # PPV: £150 a day, £75 a half day; 2 sessions a month
    application = application_at(role, "shortlisted")  # selected in a lottery, say
    offer = offer_for(application, hr)
    assert offer.rate_card_id == role.rate_card_id
    assert (offer.day_pence, offer.half_day_pence, offer.hourly_pence) == (15000, 7500, None)
    assert offer.sessions_per_month == 2
    assert offer.pay_point_id is None and offer.annual_pence is None
    card = db.session.scalar(select(RateCard).where(RateCard.name == PPV))
    paytables.add_rates(card, offers.london_today() + dt.timedelta(days=1), day_pence=20000)
    offer = fresh(Offer, offer.id)
    assert offer.day_pence == 15000
    assert offers.pay_words(offer) == (
        "You would be paid £150 for a day, £75 for half a day, plus your expenses. "
        "About 2 sessions a month."
    )


def test_a_voluntary_offer_has_no_pay(hr):
    role = role_paid("expenses_only")
    offer = offer_for(application_at(role, "interview"), hr)
    assert offer.pay_point_id is None and offer.rate_card_id is None
    assert offer.annual_pence is None and offer.day_pence is None
    assert offers.pay_words(offer) == pay.VOLUNTARY_STATEMENT


def test_the_applicant_is_emailed_a_link_to_reply(hr):
    role = role_paid("employed", title="Lived Experience Partner")
    application = application_at(role, "interview")
    offer = offer_for(application, hr)
    (email,) = emails_to(application.applicant.email)
    assert email.subject == "We would like to offer you the role: Lived Experience Partner"
    assert "£19,124 a year" in email.body_text
    assert link_in(email, f"/offers/{offer.id}") == f"/offers/{offer.id}"


# -- Refusals when making an offer -----------------------------------------------------------------


@pytest.mark.parametrize("status", ["submitted", "not_shortlisted", "unsuccessful", "withdrawn"])
def test_only_shortlisted_or_interview_applications_can_be_offered(hr, status):
    application = application_at(role_paid("employed"), status)
    with pytest.raises(DomainError) as refused:
        offer_for(application, hr)
    assert "application" in refused.value.errors
    assert db.session.scalar(select(func.count(Offer.id))) == 0
    assert fresh(Application, application.id).status == status


def test_one_live_offer_at_a_time(hr):
    application = application_at(role_paid("employed"), "interview")
    offer_for(application, hr)
    with pytest.raises(DomainError):
        offer_for(application, hr, point=2)
    assert db.session.scalar(select(func.count(Offer.id))) == 1


@pytest.mark.parametrize(
    ("terms", "field", "message"),
    [
        ({"start": dt.date(2020, 1, 1)}, "start_date", "The start date must be today or later"),
        ({"minutes": 0}, "hours", "Hours a week must be more than 0"),
        ({"minutes": 2251}, "hours", "no more than 37.5"),
    ],
)
def test_bad_terms_are_refused_at_their_field(hr, terms, field, message):
    application = application_at(role_paid("employed"), "interview")
    with pytest.raises(DomainError) as refused:
        offer_for(application, hr, **terms)
    assert message.split(" or ")[0] in refused.value.errors[field]
    assert fresh(Application, application.id).status == "interview"
    assert db.session.scalar(select(func.count(Offer.id))) == 0


def test_a_start_date_today_is_allowed(hr):
    offer = offer_for(
        application_at(role_paid("employed"), "interview"), hr, start=offers.london_today()
    )
    assert offer.start_date == offers.london_today()


def test_a_sessional_offer_needs_a_card_with_rates_on_the_start_date(hr):
    card = paytables.create_rate_card("Future card")
    paytables.add_rates(card, offers.london_today() + dt.timedelta(days=100), hourly_pence=2500)
    application = application_at(role_paid("sessional"), "interview")
    with pytest.raises(DomainError) as refused:
        offer_for(application, hr, rate_card_id=card.id)
    assert "no rates in force" in refused.value.errors["rate_card_id"]
    offer = offer_for(
        application, hr, rate_card_id=card.id, start=offers.london_today() + dt.timedelta(days=100)
    )
    assert (offer.hourly_pence, offer.day_pence) == (2500, None)


# -- Answers ---------------------------------------------------------------------------------------


def test_accepting_makes_a_partner_appointed_to_the_role(hr):
    role = role_paid("employed")
    applicant = person("applicant", "panel", full_name="Sam Okafor")
    application = application_at(role, "interview", applicant=applicant)
    offer = offer_for(application, hr)
    offers.accept_offer(offer, applicant)
    offer = fresh(Offer, offer.id)
    assert offer.status == "accepted" and offer.responded_at is not None
    assert fresh(Application, application.id).status == "appointed"
    assert db.session.get(type(applicant), applicant.id).roles == {"applicant", "panel", "partner"}
    appointment = db.session.scalar(select(Appointment).where(Appointment.offer_id == offer.id))
    assert appointment is not None
    assert (appointment.user_id, appointment.role_id) == (applicant.id, role.id)
    assert appointment.starts_on == offer.start_date
    assert appointment.engagement_type == "employed"
    assert actions("offer", offer.id) == ["offer.made", "offer.accepted"]
    assert actions("appointment", appointment.id) == ["appointment.made"]
    assert "user.roles_changed" in actions("user", applicant.id)
    (to_hr,) = emails_to("priya.shah@example.org")
    assert to_hr.subject.startswith("Offer accepted:")
    assert "Sam Okafor has accepted the offer" in to_hr.body_text


def test_declining_with_a_reason(hr):
    applicant = person("applicant", full_name="Sam Okafor")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    offer = offer_for(application, hr)
    offers.decline_offer(offer, applicant, "  I have taken another job  ")
    declined = fresh(Offer, offer.id)
    assert declined.status == "declined"
    assert declined.reason == "I have taken another job"  # kept on the offer, for HR's page
    assert fresh(Application, application.id).status == "declined"
    assert db.session.scalar(select(func.count(Appointment.id))) == 0
    assert "partner" not in db.session.get(type(applicant), applicant.id).roles
    (to_hr,) = emails_to("priya.shah@example.org")
    assert "Sam Okafor has declined the offer" in to_hr.body_text
    assert "I have taken another job" in to_hr.body_text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "offer.declined"))
    assert event.after["reason"] == "I have taken another job"


def test_answering_twice_is_refused_and_changes_nothing(hr):
    applicant = person("applicant")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    offer = offer_for(application, hr)
    offers.decline_offer(offer, applicant)
    with pytest.raises(DomainError):
        offers.accept_offer(offer, applicant)
    with pytest.raises(DomainError):
        offers.decline_offer(offer, applicant, "A reason given too late")
    assert fresh(Offer, offer.id).status == "declined"
    assert fresh(Offer, offer.id).reason == ""  # the refused second answer changed nothing
    assert fresh(Application, application.id).status == "declined"
    assert db.session.scalar(select(func.count(Appointment.id))) == 0
    assert "partner" not in db.session.get(type(applicant), applicant.id).roles


def test_someone_else_cannot_answer(hr):
    application = application_at(role_paid("employed"), "interview")
    offer = offer_for(application, hr)
    stranger = person("applicant")
    with pytest.raises(DomainError):
        offers.accept_offer(offer, stranger)
    assert fresh(Offer, offer.id).status == "made"
    assert "partner" not in db.session.get(type(stranger), stranger.id).roles


def test_an_offer_on_an_application_withdrawn_since_cannot_be_accepted(hr):
    applicant = person("applicant")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    offer = offer_for(application, hr)
    application.status = "withdrawn"
    db.session.commit()
    with pytest.raises(DomainError):
        offers.accept_offer(offer, applicant)
    assert fresh(Offer, offer.id).status == "made"
    assert db.session.scalar(select(func.count(Appointment.id))) == 0


# -- Withdrawing -----------------------------------------------------------------------------------


def test_hr_withdraws_an_unanswered_offer_with_a_reason(hr):
    applicant = person("applicant")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    offer = offer_for(application, hr)
    with pytest.raises(DomainError) as refused:
        offers.withdraw_offer(offer, hr, "   ")
    assert refused.value.errors == {"reason": "Enter why the offer is being withdrawn"}
    assert fresh(Offer, offer.id).status == "made"
    offers.withdraw_offer(offer, hr, "The hours were wrong: a corrected offer follows")
    withdrawn_offer = fresh(Offer, offer.id)
    assert withdrawn_offer.status == "withdrawn"
    assert withdrawn_offer.reason == "The hours were wrong: a corrected offer follows"
    assert fresh(Application, application.id).status == "interview"  # back where it was
    withdrawn = emails_to(applicant.email)[-1]
    assert withdrawn.subject.endswith("has been withdrawn")
    assert "The hours were wrong" in withdrawn.body_text
    with pytest.raises(DomainError):
        offers.accept_offer(fresh(Offer, offer.id), applicant)
    # A corrected offer can now be made.
    corrected = offer_for(fresh(Application, application.id), hr, minutes=1125)
    assert corrected.pro_rata_annual_pence == 2390500
    assert offers.latest_offer(application.id).id == corrected.id


def test_a_shortlisted_application_goes_back_to_shortlisted(hr):
    application = application_at(role_paid("sessional"), "shortlisted")
    offer = offer_for(application, hr)
    offers.withdraw_offer(offer, hr, "Quota error")
    assert fresh(Application, application.id).status == "shortlisted"


def test_an_answered_offer_cannot_be_withdrawn(hr):
    applicant = person("applicant")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    offer = offer_for(application, hr)
    offers.accept_offer(offer, applicant)
    with pytest.raises(DomainError):
        offers.withdraw_offer(fresh(Offer, offer.id), hr, "Changed our minds")
    assert fresh(Offer, offer.id).status == "accepted"
    assert fresh(Offer, offer.id).reason == ""
    assert fresh(Application, application.id).status == "appointed"


# -- The interview outcome -------------------------------------------------------------------------


def test_unsuccessful_after_interview_keeps_the_reason_and_emails_kindly(hr):
    applicant = person("applicant", full_name="Sam Okafor")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    with pytest.raises(DomainError) as refused:
        offers.record_unsuccessful(application, hr, "")
    assert "reason" in refused.value.errors
    assert fresh(Application, application.id).status == "interview"
    assert interview_of(application).outcome is None  # the refusal recorded nothing
    offers.record_unsuccessful(application, hr, "Another candidate had more panel experience")
    assert fresh(Application, application.id).status == "unsuccessful"
    interview = interview_of(application)
    assert interview.outcome == "unsuccessful"
    assert interview.outcome_reason == "Another candidate had more panel experience"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "application.interview_outcome")
    )
    assert event.after["reason"] == "Another candidate had more panel experience"
    (email,) = emails_to(applicant.email)
    assert "not offering you the role this time" in email.body_text
    assert "ask for feedback" in email.body_text
    assert "priya.shah@example.org" in email.body_text
    assert "panel experience" not in email.body_text  # kept for when they ask


def test_an_offer_after_interview_is_its_outcome(hr):
    application = application_at(role_paid("employed"), "interview")
    offer = offer_for(application, hr)
    interview = interview_of(application)
    assert (interview.outcome, interview.outcome_reason) == ("offer", "")
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "application.interview_outcome")
    )
    assert event.before == {"outcome": None, "outcome_reason": ""}
    assert event.after == {"outcome": "offer", "offer_id": offer.id}
    # An offer straight from shortlisting has no interview to record an outcome on.
    shortlisted = application_at(role_paid("sessional"), "shortlisted")
    offer_for(shortlisted, hr)
    assert interview_of(shortlisted) is None


def test_an_outcome_only_for_an_application_at_interview(hr):
    application = application_at(role_paid("employed"), "shortlisted")
    with pytest.raises(DomainError):
        offers.record_unsuccessful(application, hr, "No")
    assert fresh(Application, application.id).status == "shortlisted"


def test_waiting_offers_and_the_pipeline(hr):
    role = role_paid("employed")
    applicant = person("applicant")
    waiting = application_at(role, "interview", applicant=applicant)
    offer = offer_for(waiting, hr)
    other = application_at(role, "shortlisted")
    application_at(role, "not_shortlisted")
    assert [o.id for o in offers.offers_awaiting_reply(applicant.id)] == [offer.id]
    passed_over = application_at(role, "interview")
    offers.record_unsuccessful(passed_over, hr, "Less experience of co-production")
    rows = {row.application.id: row for row in offers.pipeline(role)}
    assert set(rows) == {waiting.id, other.id, passed_over.id}
    assert rows[waiting.id].offer.id == offer.id and rows[other.id].offer is None
    assert rows[waiting.id].interview.outcome == "offer" and rows[other.id].interview is None
    assert rows[passed_over.id].interview.outcome_reason == "Less experience of co-production"
    offers.accept_offer(offer, applicant)
    assert offers.offers_awaiting_reply(applicant.id) == []
    assert db.session.scalar(select(Application.status).where(Application.id == waiting.id)) == (
        "appointed"
    )


def test_withdrawing_the_application_withdraws_the_offer_waiting_for_a_reply(hr):
    from lep.applications.services import withdraw

    application = application_at(role_paid(), "interview")
    offer = offer_for(application, hr)
    withdraw(fresh(Application, application.id))
    assert fresh(Offer, offer.id).status == "withdrawn"
    assert fresh(Application, application.id).status == "withdrawn"
    assert actions("offer", offer.id)[-1] == "offer.withdrawn"
