"""Offer pages as people use them: HR's list, offer form, withdraw and interview outcome; the
applicant's status page and offer page, accept and decline; who may see what."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from lep.applications.models import Application
from lep.extensions import db
from lep.partners.models import Appointment
from lep.shortlisting.models import Offer
from lep.shortlisting.offers import london_today
from tests.conftest import csrf_from, sign_in
from tests.helpers import emails_to, error_at, summary_links
from tests.roles.public_data import main_text
from tests.shortlisting.offer_support import (
    application_at,
    band7_point,
    offer_for,
    person,
    role_paid,
)


def fresh(model, id_):  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.get(model, id_)


def title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return " ".join(match.group(1).split())


def post_form(client, url: str, data: dict, **kwargs):  # type: ignore[no-untyped-def]
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    token = csrf_from(page.get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def date_parts(day: dt.date) -> dict[str, str]:
    return {
        "start_date-day": str(day.day),
        "start_date-month": str(day.month),
        "start_date-year": str(day.year),
    }


def offers_row(client, application: Application) -> str:  # type: ignore[no-untyped-def]
    """The words of an application's row on HR's interviews and offers page."""
    html = client.get(f"/hr/roles/{application.role_id}/offers").get_data(as_text=True)
    row = re.search(rf'<tr[^>]*id="application-{application.id}".*?</tr>', html, re.S)
    assert row, "the application is not on the page"
    return main_text(f"<main>{row.group(0)}</main>")


@pytest.fixture
def hr(login):  # type: ignore[no-untyped-def]
    user = person("hr", full_name="Harriet Lead")
    login(user)
    return user


# -- HR --------------------------------------------------------------------------------------------


def test_hr_sees_what_can_be_done_next_for_each_application(client, hr):
    role = role_paid("employed", title="Lived Experience Partner")
    at_interview = application_at(role, "interview", applicant=person("applicant", full_name="Ann"))
    shortlisted = application_at(role, "shortlisted", applicant=person("applicant", full_name="Bo"))
    offered = application_at(role, "interview", applicant=person("applicant", full_name="Cy"))
    offer = offer_for(offered, hr)
    left_out = application_at(role, "not_shortlisted")

    page = client.get(f"/hr/roles/{role.id}/offers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = main_text(html)
    assert title(html).startswith("Interviews and offers - Lived Experience Partner")
    assert at_interview.reference in text and left_out.reference not in text
    assert f"/hr/applications/{at_interview.id}/interview-outcome" in html
    assert f"/hr/applications/{shortlisted.id}/offer" in html
    assert f"/hr/offers/{offer.id}/withdraw" in html
    assert "Offer made: waiting for a reply" in text
    assert "£19,124 a year" in text
    # HR's own words, not the applicant's.
    assert "we will contact you" not in text and "we will be in touch" not in text
    assert "Where it is Shortlisted" in text


def test_hr_makes_an_offer_from_the_form(client, hr):
    role = role_paid("employed")
    application = application_at(role, "interview", applicant=person("applicant", full_name="Ann"))
    url = f"/hr/applications/{application.id}/offer"
    page = client.get(url)
    html = page.get_data(as_text=True)
    text = main_text(html)
    assert "Point 1: £47,810 a year full time" in text
    assert "Point 3: £54,710 a year full time" in text
    assert re.search(r'id="hours"[^>]*value="15"', html)
    assert re.search(r'id="minutes"[^>]*value="0"', html)
    start = london_today() + dt.timedelta(days=14)
    point = band7_point(2)
    response = post_form(
        client,
        url,
        {**date_parts(start), "pay_point_id": str(point.id), "hours": "22", "minutes": "30"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hr/roles/{role.id}/offers")
    offer = db.session.scalar(select(Offer).where(Offer.application_id == application.id))
    assert offer is not None
    assert (offer.minutes_per_week, offer.annual_pence) == (1350, 5027300)
    assert offer.pro_rata_annual_pence == 3016380  # £50,273 x 22.5 / 37.5
    assert offer.start_date == start
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Offer made to Ann" in main_text(after)
    assert "£30,163.80 a year" in main_text(after)


def test_the_offer_form_shows_problems_at_the_fields_and_keeps_what_was_typed(client, hr):
    application = application_at(role_paid("employed"), "interview")
    url = f"/hr/applications/{application.id}/offer"
    response = post_form(
        client,
        url,
        {"start_date-day": "31", "start_date-month": "2", "start_date-year": "2031", "hours": "12"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert title(html).startswith("Error: Make an offer")
    links = dict(summary_links(html))
    assert links["#start_date-day"] == "The start date must be a real date"
    assert links["#pay_point_id"] == "Select a pay point"
    assert 'value="31"' in html and 'value="2031"' in html
    assert re.search(r'id="hours"[^>]*value="12"', html)
    assert db.session.scalar(select(func.count(Offer.id))) == 0

    response = post_form(client, url, {"hours": "", "minutes": "abc"})
    links = summary_links(response.get_data(as_text=True))
    assert [text for href, text in links if href == "#hours"] == [
        "Enter the hours a week as a whole number, like 15"
    ]
    assert [text for href, text in links if href == "#minutes"] == [
        "Enter minutes as a whole number, like 30"
    ]
    assert dict(links)["#start_date-day"] == "Enter the start date"

    yesterday = london_today() - dt.timedelta(days=1)
    response = post_form(
        client,
        url,
        {**date_parts(yesterday), "pay_point_id": str(band7_point(1).id), "hours": "15"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert dict(summary_links(html))["#start_date-day"] == (
        "The start date must be today or in the future"
    )
    response = post_form(
        client,
        url,
        {**date_parts(london_today()), "pay_point_id": str(band7_point(1).id), "hours": "40"},
    )
    assert error_at(response.get_data(as_text=True), "hours") == (
        "Hours must be a whole number from 0 to 37"
    )
    assert fresh(Application, application.id).status == "interview"


def test_a_huge_start_day_gets_a_message_at_the_field_not_a_500(client, hr):
    application = application_at(role_paid("employed"), "interview")
    url = f"/hr/applications/{application.id}/offer"
    days = {"start_date-day": "9" * 19, "start_date-month": "9" * 19, "start_date-year": "2031"}
    response = post_form(client, url, {**days, "pay_point_id": str(band7_point(1).id)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert dict(summary_links(html))["#start_date-day"] == "Day and month must be 1 or 2 numbers"
    assert fresh(Application, application.id).status == "interview"


def test_a_sessional_offer_form_offers_rate_cards_and_sessions(client, hr):
    role = role_paid("sessional")
    application = application_at(role, "shortlisted")
    url = f"/hr/applications/{application.id}/offer"
    html = client.get(url).get_data(as_text=True)
    assert "NHS England PPV" in main_text(html)
    assert "Pay point" not in main_text(html)
    response = post_form(
        client,
        url,
        {
            **date_parts(london_today()),
            "rate_card_id": str(role.rate_card_id),
            "sessions_per_month": "3",
        },
    )
    assert response.status_code == 302
    offer = db.session.scalar(select(Offer).where(Offer.application_id == application.id))
    assert (offer.day_pence, offer.half_day_pence, offer.sessions_per_month) == (15000, 7500, 3)


def test_an_application_that_cannot_be_offered_is_sent_back_with_a_reason(client, hr):
    application = application_at(role_paid("employed"), "not_shortlisted")
    response = client.get(f"/hr/applications/{application.id}/offer", follow_redirects=True)
    assert "cannot be offered the role" in main_text(response.get_data(as_text=True))
    assert client.get("/hr/applications/999999/offer").status_code == 404


def test_hr_withdraws_an_offer(client, hr):
    applicant = person("applicant")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    offer = offer_for(application, hr)
    url = f"/hr/offers/{offer.id}/withdraw"
    response = post_form(client, url, {"reason": ""})
    html = response.get_data(as_text=True)
    assert title(html).startswith("Error: Withdraw the offer")
    assert error_at(html, "reason") == "Enter why the offer is being withdrawn"
    assert fresh(Offer, offer.id).status == "made"
    response = post_form(client, url, {"reason": "Wrong pay point"})
    assert response.status_code == 302
    assert fresh(Offer, offer.id).status == "withdrawn"
    assert "Wrong pay point" in emails_to(applicant.email)[-1].body_text
    listed = offers_row(client, application)
    assert "Withdrawn Why it was withdrawn: Wrong pay point" in listed
    again = client.get(url, follow_redirects=True)
    assert "Only an offer that has not been answered can be withdrawn" in main_text(
        again.get_data(as_text=True)
    )


def test_hr_records_the_interview_outcome(client, hr):
    applicant = person("applicant")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    url = f"/hr/applications/{application.id}/interview-outcome"
    html = post_form(client, url, {}).get_data(as_text=True)
    assert dict(summary_links(html)) == {"#outcome": "Select the outcome of the interview"}
    html = post_form(client, url, {"outcome": "unsuccessful"}).get_data(as_text=True)
    assert error_at(html, "reason") == "Enter the reason, for feedback to the applicant"
    assert fresh(Application, application.id).status == "interview"

    response = post_form(client, url, {"outcome": "offer"})
    assert response.headers["Location"].endswith(f"/hr/applications/{application.id}/offer")
    assert fresh(Application, application.id).status == "interview"

    response = post_form(client, url, {"outcome": "unsuccessful", "reason": "Less experience"})
    assert response.status_code == 302
    assert fresh(Application, application.id).status == "unsuccessful"
    assert "not offering you the role" in emails_to(applicant.email)[-1].body_text
    assert "Less experience" not in emails_to(applicant.email)[-1].body_text
    # Still on HR's list, with the reason kept for feedback.
    listed = offers_row(client, application)
    assert "Not successful Why (kept for feedback, not sent): Less experience" in listed
    assert "Nothing: not successful at interview" in listed


def test_hr_pages_are_for_hr_only(client, login):
    role = role_paid("employed")
    application = application_at(role, "interview")
    offer = offer_for(application, person("hr"))
    login(person("panel", "finance"))
    for url in (
        f"/hr/roles/{role.id}/offers",
        f"/hr/applications/{application.id}/offer",
        f"/hr/offers/{offer.id}/withdraw",
        f"/hr/applications/{application.id}/interview-outcome",
    ):
        assert client.get(url).status_code == 403, url


# -- The applicant ---------------------------------------------------------------------------------


def test_the_applicant_sees_the_offer_and_accepts_it(client, login):
    role = role_paid("employed", title="Lived Experience Partner")
    applicant = person("applicant", full_name="Sam Okafor")
    application = application_at(role, "interview", applicant=applicant)
    offer = offer_for(application, person("hr"))
    login(applicant)

    status = main_text(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert "Your offer" in status
    assert "£47,810 a year full time" in status and "£19,124 a year" in status
    assert "Accept or decline the offer" in status

    html = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert title(html).startswith("Your offer: Lived Experience Partner")
    assert (
        "Band 7, point 1: £47,810 a year full time (2025/26 pay); "
        "for 15 hours a week that is £19,124 a year."
    ) in main_text(html)

    response = post_form(client, f"/offers/{offer.id}", {"answer": "accept"})
    assert response.status_code == 302
    # To the offer, with what happens next, and an email saying the same.
    assert response.headers["Location"].endswith(f"/offers/{offer.id}#next-steps")
    after = main_text(client.get(f"/offers/{offer.id}").get_data(as_text=True))
    assert "You have accepted the offer" in after
    assert "What happens next" in after
    assert "Add your bank details, so that we can pay you." in after
    welcome = emails_to(applicant.email)[-1]
    assert welcome.subject == "You have accepted the offer: Lived Experience Partner"
    assert "What happens next" in welcome.body_text
    assert "/account/bank-details" in welcome.body_text
    assert f"/offers/{offer.id}" in welcome.body_text
    status = main_text(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert "Appointed" in status
    assert "Accept or decline the offer" not in status
    assert fresh(Offer, offer.id).status == "accepted"
    assert "partner" in fresh(type(applicant), applicant.id).roles
    assert db.session.scalar(select(func.count(Appointment.id))) == 1

    # Answering again changes nothing.
    again = client.post(
        f"/offers/{offer.id}",
        data={
            "answer": "decline",
            "csrf_token": csrf_from(client.get("/dashboard").get_data(as_text=True)),
        },
        follow_redirects=True,
    )
    assert "already been answered or withdrawn" in main_text(again.get_data(as_text=True))
    assert fresh(Offer, offer.id).status == "accepted"
    assert fresh(Application, application.id).status == "appointed"


def test_the_applicant_declines_with_a_reason(app, client, login):
    applicant = person("applicant")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    offer = offer_for(application, person("hr"))
    login(applicant)
    html = post_form(client, f"/offers/{offer.id}", {"reason": "Kept"}).get_data(as_text=True)
    assert title(html).startswith("Error: Your offer")
    assert dict(summary_links(html)) == {"#answer": "Select whether you accept the offer"}
    assert ">Kept</textarea>" in html
    response = post_form(
        client, f"/offers/{offer.id}", {"answer": "decline", "reason": "Too far to travel"}
    )
    assert response.status_code == 302
    assert fresh(Application, application.id).status == "declined"
    assert "Too far to travel" in emails_to("priya.shah@example.org")[-1].body_text
    page = main_text(client.get(f"/offers/{offer.id}").get_data(as_text=True))
    assert "You declined this offer. You told us why: Too far to travel" in page
    hr_client = app.test_client()
    assert sign_in(hr_client, person("hr").email).status_code == 302
    listed = offers_row(hr_client, application)
    assert "Declined Their reason: Too far to travel" in listed
    assert "Interview outcome Offer the role" in listed


def test_nobody_else_sees_or_answers_an_offer(app):
    application = application_at(role_paid("employed"), "interview")
    offer = offer_for(application, person("hr"))
    for other in (person("applicant"), person("hr"), person("admin")):
        client = app.test_client()
        assert sign_in(client, other.email).status_code == 302
        assert client.get(f"/offers/{offer.id}").status_code == 404
        token = csrf_from(client.get("/dashboard").get_data(as_text=True))
        response = client.post(
            f"/offers/{offer.id}", data={"answer": "accept", "csrf_token": token}
        )
        assert response.status_code == 404
    assert fresh(Offer, offer.id).status == "made"
    assert db.session.scalar(select(func.count(Appointment.id))) == 0


def test_a_withdrawn_offer_cannot_be_answered(client, login):
    from lep.shortlisting.offers import withdraw_offer

    hr = person("hr")
    applicant = person("applicant")
    application = application_at(role_paid("employed"), "interview", applicant=applicant)
    offer = offer_for(application, hr)
    withdraw_offer(offer, hr, "Budget withdrawn")
    login(applicant)
    page = main_text(client.get(f"/offers/{offer.id}").get_data(as_text=True))
    assert "We withdrew this offer, so you do not need to reply to it. This is why: Budget" in page
    assert "Send your answer" not in page
    token = csrf_from(client.get("/dashboard").get_data(as_text=True))
    response = client.post(
        f"/offers/{offer.id}", data={"answer": "accept", "csrf_token": token}, follow_redirects=True
    )
    assert "already been answered or withdrawn" in main_text(response.get_data(as_text=True))
    assert fresh(Offer, offer.id).status == "withdrawn"
    assert fresh(Application, application.id).status == "interview"


def test_the_start_date_hint_gives_a_date_the_form_would_take(client, hr):
    role = role_paid("employed")
    application = application_at(role, "interview", applicant=person("applicant", full_name="Ann"))
    text = main_text(client.get(f"/hr/applications/{application.id}/offer").get_data(as_text=True))
    found = re.search(r"For example, (\d+) (\d+) (\d{4})\. Today or later", text)
    assert found, text
    day, month, year = (int(n) for n in found.groups())
    assert dt.date(year, month, day) >= london_today()
