"""'I'd like to apply another way': a request, an email, and a task HR sees."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from lep.applications.models import OtherWayRequest
from lep.audit.models import AuditEvent
from lep.extensions import db
from tests.applications.conftest import location, main_text, open_role, post
from tests.helpers import emails_to, error_at


def test_a_request_to_apply_another_way(client, role, applicant):
    url = f"/roles/{role.id}/apply-another-way"
    page = client.get(url).get_data(as_text=True)
    text = main_text(page)
    assert "Apply another way" in text
    for words in ("By phone", "On paper", "In an audio or video recording", "With someone"):
        assert words in text
    assert "novalidate" in page

    response = post(
        client,
        url,
        {"method": "phone", "details": "Afternoons suit me", "contact_method": "phone"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, "phone") == "Enter a phone number so we can call or text you"
    assert "Afternoons suit me" in page  # kept
    assert db.session.scalar(select(OtherWayRequest)) is None

    response = post(
        client,
        url,
        {
            "method": "phone",
            "details": "Afternoons suit me",
            "contact_method": "phone",
            "phone": "07700 900123",
        },
    )
    assert location(response) == f"/roles/{role.id}/apply-another-way/requested"
    request_ = db.session.scalar(select(OtherWayRequest))
    assert request_.user_id == applicant.id and request_.role_id == role.id
    assert request_.method == "phone" and request_.details == "Afternoons suit me"
    assert request_.phone == "07700 900123" and request_.done_at is None
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "application.other_way_requested")
    )
    assert event.subject_id == str(request_.id) and event.actor_id == applicant.id
    assert len(emails_to(applicant.email)) == 1

    text = main_text(client.get(location(response)).get_data(as_text=True))
    assert "Request sent" in text
    assert "contact you by phone call" in text


def test_choices_are_required_and_checked(client, role, applicant):
    url = f"/roles/{role.id}/apply-another-way"
    page = post(client, url, {"method": "carrier pigeon", "contact_method": ""}).get_data(
        as_text=True
    )
    assert error_at(page, "method") == "Select how you would like to apply"
    assert error_at(page, "contact_method") == "Select how you would like us to contact you"
    page = post(
        client,
        url,
        {"method": "paper", "contact_method": "post", "phone": "1" * 41, "details": "x" * 2001},
    ).get_data(as_text=True)
    assert error_at(page, "phone") == "Phone number must be 40 characters or fewer"
    assert error_at(page, "details") == "What you tell us must be 2,000 characters or fewer"
    assert db.session.scalar(select(OtherWayRequest)) is None


def test_the_confirmation_needs_a_request(client, role, applicant):
    response = client.get(f"/roles/{role.id}/apply-another-way/requested")
    assert location(response) == f"/roles/{role.id}/apply-another-way"


def test_only_for_signed_in_applicants_and_open_roles(client, make_user, login):
    role = open_role()
    url = f"/roles/{role.id}/apply-another-way"
    assert "/sign-in" in location(client.get(url))
    login(make_user("applicant"))
    assert client.get("/roles/99999/apply-another-way").status_code == 404
    role.closes_at = role.closes_at - dt.timedelta(days=30)  # type: ignore[operator]
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 200
    assert "This role has closed" in main_text(response.get_data(as_text=True))
    response = post(client, url, {"method": "phone", "contact_method": "email"})
    assert db.session.scalar(select(OtherWayRequest)) is None


def test_the_dashboard_shows_each_request_and_its_state(client, role, applicant, make_user):
    from lep.applications import services

    other_role = open_role("Carer representative")
    post(
        client,
        f"/roles/{role.id}/apply-another-way",
        {"method": "recording", "contact_method": "email"},
    )
    post(
        client,
        f"/roles/{other_role.id}/apply-another-way",
        {"method": "phone", "contact_method": "phone", "phone": "07700 900123"},
    )
    page = client.get("/dashboard").get_data(as_text=True)
    text = main_text(page)
    assert "Your requests to apply another way" in text
    assert role.title in text and other_role.title in text
    assert "In an audio or video recording" in text and "By phone" in text
    assert text.count("Waiting") == 2
    assert "will contact you by email" in text and "will contact you by phone call" in text
    assert f'href="/roles/{role.id}"' in page

    # HR deal with one: the dashboard says so, with the date; the other is still waiting.
    first = db.session.scalar(select(OtherWayRequest).where(OtherWayRequest.role_id == role.id))
    services.complete_other_way(first, "Sent a link to record", make_user("hr"))
    text = main_text(client.get("/dashboard").get_data(as_text=True))
    assert text.count("Waiting") == 1 and text.count("Dealt with") == 1
    assert "The recruitment team dealt with your request on" in text
    assert "priya.shah@example.org" in text  # who to ask if something is still missing


def test_no_requests_no_section(client, role, applicant):
    text = main_text(client.get("/dashboard").get_data(as_text=True))
    assert "Your requests to apply another way" not in text


def test_anyone_signed_in_may_ask_as_anyone_may_apply(client, role, make_user, login):
    """The role page offers "Apply another way" beside "Start your application" to everyone
    signed in (a partner, a panel member, staff): the link must open (found by the crawl)."""
    for roles in (("partner",), ("panel",), ("hr",), ("finance",), ("admin",)):
        person = make_user(*roles)
        login(person)
        url = f"/roles/{role.id}/apply-another-way"
        assert url in client.get(f"/roles/{role.id}").get_data(as_text=True)
        assert client.get(url).status_code == 200, roles
        response = post(client, url, {"method": "paper", "contact_method": "email"})
        assert location(response) == f"{url}/requested"
        assert "Request sent" in main_text(client.get(f"{url}/requested").get_data(as_text=True))
        assert db.session.scalar(
            select(OtherWayRequest).where(OtherWayRequest.user_id == person.id)
        )
        post(client, "/sign-out")
