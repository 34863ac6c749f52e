"""Quota questions for lottery roles: add, list, remove; bad input at the field; then fixed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lep.applications.models import Application
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.roles import services
from lep.roles.demo import seed_roles
from lep.roles.models import QuotaCategory
from lep.service import DomainError
from tests.conftest import csrf_from
from tests.helpers import error_at

GOOD = {
    "quota-name": "Region",
    "quota-question": "Which region do you live in?",
    "quota-why": "We want people from every part of the county, so the lottery keeps 2 places "
    "for each region.",
    "quota-options": "North\r\nSouth\r\n\r\n  East  \r\nWest\r\n",
}


@pytest.fixture
def roles():
    return seed_roles()


@pytest.fixture
def lottery(roles):
    role = roles[1]
    assert role.title == "Patient panel member" and role.selection_method == "lottery"
    return role


@pytest.fixture
def hr(make_user, login):
    user = make_user("hr")
    login(user)
    return user


def post(client, role, path, data):
    token = csrf_from(client.get(f"/hr/roles/{role.id}").get_data(as_text=True))
    return client.post(f"/hr/roles/{role.id}/{path}", data=dict(data, csrf_token=token))


def categories() -> int:
    return db.session.scalar(select(func.count(QuotaCategory.id))) or 0


def submit_one(role, make_user):
    db.session.add(
        Application(
            role_id=role.id,
            applicant_id=make_user("applicant").id,
            status="submitted",
            submitted_at=utcnow(),
        )
    )
    db.session.commit()


def test_hr_adds_a_quota_question_and_sees_it(client, hr, lottery):
    response = post(client, lottery, "quotas", GOOD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hr/roles/{lottery.id}#quotas")
    category = db.session.scalar(select(QuotaCategory))
    assert category.role_id == lottery.id and category.name == "Region"
    assert category.options == ["North", "South", "East", "West"]
    assert category.why.startswith("We want people from every part")

    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "role.quota_category_added")
    )
    assert event.actor_id == hr.id and event.subject_id == str(lottery.id)
    assert event.after["options"] == ["North", "South", "East", "West"]

    page = client.get(f"/hr/roles/{lottery.id}").get_data(as_text=True)
    assert 'id="quotas"' in page
    assert "Which region do you live in?" in page and "Why we ask: We want people" in page
    assert "<li>East</li>" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quota-name": ""}, "quota-name", "Enter a name for the quota"),
        ({"quota-name": "x" * 101}, "quota-name", "Name must be 100 characters or fewer"),
        ({"quota-question": "   "}, "quota-question", "Enter the question"),
        ({"quota-why": ""}, "quota-why", "Say why you ask this question"),
        ({"quota-options": "Only one\n\n"}, "quota-options", "Enter at least 2 answers"),
        ({"quota-options": ""}, "quota-options", "Enter at least 2 answers"),
        (
            {"quota-options": "North\n" + "y" * 101},
            "quota-options",
            "Each answer must be 100 characters or fewer",
        ),
        (
            {"quota-options": "North\nSouth\nnorth"},
            "quota-options",
            "Each answer must be different: “north” is there twice",
        ),
    ],
)
def test_bad_input_is_shown_at_the_field_and_nothing_saved(
    client, hr, lottery, changes, field, message
):
    response = post(client, lottery, "quotas", dict(GOOD, **changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert message in error_at(page, field)
    assert categories() == 0
    # What was typed is kept.
    if field != "quota-question":
        assert "Which region do you live in?" in page


def test_a_name_used_already_is_refused(client, hr, lottery):
    assert post(client, lottery, "quotas", GOOD).status_code == 302
    response = post(client, lottery, "quotas", dict(GOOD, **{"quota-name": "region"}))
    assert "already has a quota called region" in error_at(
        response.get_data(as_text=True), "quota-name"
    )
    assert categories() == 1


def test_hr_removes_a_quota_question(client, hr, lottery):
    category = services.add_quota_category(
        lottery, "Age band", "How old are you?", "To include all ages.", "Under 40\n40 or over", hr
    )
    response = post(client, lottery, "quotas/remove", {"item_id": str(category.id)})
    assert response.status_code == 302
    assert categories() == 0
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "role.quota_category_removed")
    )
    assert event.before == {"quota_category_id": category.id, "name": "Age band"}

    response = post(client, lottery, "quotas/remove", {"item_id": "999999"})
    assert response.status_code == 200
    assert "That quota question is not part of this role" in response.get_data(as_text=True)


def test_fixed_once_an_application_has_been_sent(client, hr, lottery, make_user):
    services.add_quota_category(
        lottery, "Region", "Where?", "For fairness.", ["North", "South"], hr
    )
    # A draft does not lock them: it will be asked at submit.
    db.session.add(Application(role_id=lottery.id, applicant_id=make_user("applicant").id))
    db.session.commit()
    assert services.quota_lock(lottery) is None

    submit_one(lottery, make_user)
    assert "already sent applications" in services.quota_lock(lottery)
    page = client.get(f"/hr/roles/{lottery.id}").get_data(as_text=True)
    assert "the quota questions are fixed" in page
    assert (
        "Add a quota question" not in page
        and "Remove<span" not in page.split('id="quotas"')[1].split('id="publishing"')[0]
    )

    response = post(client, lottery, "quotas", dict(GOOD, **{"quota-name": "Age"}))
    assert response.status_code == 200
    assert re.search(
        r'<a href="#quotas">\s*People have already sent applications, so the quota questions are '
        r"fixed\s*</a>",
        response.get_data(as_text=True),
    )
    category = lottery.quota_categories[0]
    response = post(client, lottery, "quotas/remove", {"item_id": str(category.id)})
    assert response.status_code == 200
    assert "the quota questions are fixed" in response.get_data(as_text=True)
    assert categories() == 1


def test_fixed_when_closed(hr, lottery):
    services.close_role(lottery, hr)
    with pytest.raises(DomainError) as caught:
        services.add_quota_category(lottery, "Region", "Where?", "Why.", ["A", "B"], hr)
    assert "closed" in caught.value.errors["quota"]


def test_only_for_lottery_roles(client, hr, roles):
    scored = roles[0]
    page = client.get(f"/hr/roles/{scored.id}").get_data(as_text=True)
    assert 'id="quotas"' not in page
    response = post(client, scored, "quotas", GOOD)
    assert response.status_code == 200
    assert "only for roles chosen by lottery" in response.get_data(as_text=True)
    assert categories() == 0


@pytest.mark.parametrize("who", ["panel", "applicant", "finance"])
def test_others_are_refused(client, login, make_user, lottery, who):
    login(make_user(who))
    token = csrf_from(client.get("/dashboard").get_data(as_text=True))
    data = dict(GOOD, csrf_token=token)
    assert client.post(f"/hr/roles/{lottery.id}/quotas", data=data).status_code == 403
    assert categories() == 0
