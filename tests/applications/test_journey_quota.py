"""Lottery roles ask their quota questions, with the options as given and why they are asked."""

from __future__ import annotations

import re

from lep.applications.models import QuotaAnswer
from lep.extensions import db
from tests.applications.conftest import (
    SUPPORT,
    fresh,
    location,
    lottery_role,
    main_text,
    post,
    start,
)
from tests.helpers import error_at, summary_links


def options(page: str, legend: str) -> list[str]:
    """The values of the radios in the fieldset with this legend."""
    fieldset = page[page.index(legend) :].split("</fieldset>")[0]
    return re.findall(r'type="radio" value="([^"]*)"', fieldset)


def test_quota_questions_for_a_lottery_role(client, applicant):
    role = lottery_role()
    region, age = role.quota_categories
    application = start(client, role)
    post(client, f"/applications/{application.id}/questions/1", {"answer": "My answer"})
    response = post(client, f"/applications/{application.id}/support", SUPPORT)
    quota = f"/applications/{application.id}/quota"
    assert location(response) == quota

    page = client.get(quota).get_data(as_text=True)
    text = main_text(page)
    assert "Why we ask these questions" in text
    assert "So that people from every part of the county have a fair chance of a place." in text
    assert "So that younger and older people are both on the panel." in text
    # The options as given: "Prefer not to say" only where the role offers it.
    assert options(page, "Which region do you live in?") == ["North", "South", "Prefer not to say"]
    assert options(page, "How old are you?") == ["Under 25", "25 to 64", "65 or over"]

    # One answered, one not: the answered one is kept; nothing is saved until both are.
    response = post(client, quota, {f"quota_{region.id}": "South"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, f"quota_{age.id}") == "Select an answer for age band"
    assert summary_links(page) == [(f"#quota_{age.id}", "Select an answer for age band")]
    region_radios = page[page.index("Which region do you live in?") :].split("</fieldset>")[0]
    assert re.search(r'value="South"\s+checked', region_radios)
    assert db.session.query(QuotaAnswer).count() == 0

    # An option that is not offered is refused.
    page = post(
        client, quota, {f"quota_{region.id}": "Mars", f"quota_{age.id}": "65 or over"}
    ).get_data(as_text=True)
    assert error_at(page, f"quota_{region.id}") == "Select an answer for region"

    response = post(client, quota, {f"quota_{region.id}": "South", f"quota_{age.id}": "65 or over"})
    assert location(response) == f"/applications/{application.id}/check"
    check = client.get(location(response)).get_data(as_text=True)
    text = main_text(check)
    assert "Which region do you live in? South" in text
    assert "How old are you? 65 or over" in text
    assert "Change your answer about age band" in text
    assert f'href="/applications/{application.id}/quota?change=1#quota_{age.id}"' in check

    response = post(client, f"/applications/{application.id}/check", {"declaration": "y"})
    assert location(response).endswith("/confirmation")
    assert fresh(application).status == "submitted"


def test_check_answers_links_an_unanswered_quota_question(client, applicant):
    role = lottery_role()
    application = start(client, role)
    post(client, f"/applications/{application.id}/questions/1", {"answer": "My answer"})
    post(client, f"/applications/{application.id}/support", SUPPORT)
    response = post(client, f"/applications/{application.id}/check", {"declaration": "y"})
    assert response.status_code == 200
    region, age = role.quota_categories
    assert summary_links(response.get_data(as_text=True)) == [
        (
            f"/applications/{application.id}/quota?change=1#quota_{region.id}",
            "Answer the question about region",
        ),
        (
            f"/applications/{application.id}/quota?change=1#quota_{age.id}",
            "Answer the question about age band",
        ),
    ]


def test_a_scored_role_has_no_quota_page(client, role, applicant):
    application = start(client, role)
    assert client.get(f"/applications/{application.id}/quota").status_code == 404
