"""The applicant's equality monitoring page: optional, explained, their own sent application."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lep.equality.models import PREFER_NOT, QUESTIONS, EqualityResponse
from lep.extensions import db
from tests.conftest import csrf_from
from tests.helpers import error_at


def url(application) -> str:
    return f"/applications/{application.id}/equality"


def post(client, application, answers):
    token = csrf_from(client.get(url(application)).get_data(as_text=True))
    return client.post(url(application), data=dict(answers, csrf_token=token))


def test_the_page_explains_and_offers_prefer_not_to_say(
    client, login, role, make_user, sent_application
):
    person = make_user("applicant")
    application = sent_application(role, person)
    login(person)
    page = client.get(url(application))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "optional" in html
    assert "Why we ask" in html
    assert "kept apart from your application" in html
    assert "read and score applications never see them" in html
    for key, (question, _) in QUESTIONS.items():
        assert question in html
        # Each question is a radio group, with "Prefer not to say" among its answers.
        assert f'name="{key}" type="radio" value="{PREFER_NOT}"' in html
    assert html.count("Prefer not to say") >= len(QUESTIONS)
    assert re.search(r'<a class="nhsuk-link" href="/dashboard">Skip these questions</a>', html)


def test_saving_shows_thanks_and_the_answers_come_back(
    client, login, role, make_user, sent_application
):
    person = make_user("applicant")
    application = sent_application(role, person)
    login(person)
    response = post(client, application, {"region": "london", "sex": PREFER_NOT})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url(application)}/thank-you")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you" in thanks and "never see them" in thanks

    saved = db.session.scalar(select(EqualityResponse))
    assert (saved.region, saved.sex, saved.carer) == ("london", PREFER_NOT, None)
    page = client.get(url(application)).get_data(as_text=True)
    assert 'name="region" type="radio" value="london" checked' in page

    assert "We have saved your answers" in thanks

    # Saving again with nothing chosen replaces the answers, and the page does not claim any.
    response = post(client, application, {})
    assert response.status_code == 302
    db.session.refresh(saved)
    assert saved.region is None and saved.sex is None
    blank = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We have saved your answers" not in blank
    assert "You left every equality monitoring question blank" in blank


def test_an_unknown_value_gets_a_message_at_its_question(
    client, login, role, make_user, sent_application
):
    person = make_user("applicant")
    application = sent_application(role, person)
    login(person)
    response = post(client, application, {"region": "atlantis", "carer": "yes"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Select one of the answers" in error_at(html, "region")
    assert '<a href="#region">' in html
    assert db.session.scalar(select(func.count(EqualityResponse.id))) == 0


def test_someone_elses_application_is_not_found(client, login, role, make_user, sent_application):
    application = sent_application(role, make_user("applicant"))
    login(make_user("applicant"))
    assert client.get(url(application)).status_code == 404
    assert client.get(f"{url(application)}/thank-you").status_code == 404
    token = csrf_from(client.get("/dashboard").get_data(as_text=True))
    response = client.post(url(application), data={"region": "london", "csrf_token": token})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(EqualityResponse.id))) == 0


def test_a_draft_is_not_found(client, login, role, make_user, sent_application):
    person = make_user("applicant")
    application = sent_application(role, person, status="draft")
    login(person)
    assert client.get(url(application)).status_code == 404
    assert client.get("/applications/999999/equality").status_code == 404
    assert client.get("/applications/99999999999/equality").status_code == 404


@pytest.mark.parametrize("staff", ["panel", "hr", "admin"])
def test_staff_cannot_open_the_applicant_page(
    client, login, role, make_user, sent_application, staff
):
    application = sent_application(role, make_user("applicant"))
    login(make_user(staff))
    assert client.get(url(application)).status_code == 403
