"""A person can never see or change another person's application: every page answers 404."""

from __future__ import annotations

import pytest

from lep.extensions import db
from tests.applications.conftest import fresh, lottery_role, post, start
from tests.conftest import sign_in

PAGES = [
    "",
    "/questions/1",
    "/file",
    "/support",
    "/quota",
    "/check",
    "/confirmation",
    "/withdraw",
    "/delete",
]
POSTS = [
    ("/questions/1", {"answer": "Not mine"}),
    ("/file", {}),
    ("/file/remove", {"item_id": "1"}),
    ("/support", {"contact_method": "email", "helped": "no"}),
    ("/quota", {}),
    ("/check", {"declaration": "y"}),
    ("/withdraw", {}),
    ("/delete", {}),
]


@pytest.fixture
def theirs(client, make_user):  # type: ignore[no-untyped-def]
    """Someone else's draft for a lottery role (so every page of the journey exists)."""
    owner = make_user("applicant")
    sign_in(client, owner.email)
    application = start(client, lottery_role())
    post(client, f"/applications/{application.id}/questions/1", {"answer": "Mine"})
    post(client, "/sign-out")
    return application


def test_another_person_gets_404_for_every_page(client, make_user, theirs):
    sign_in(client, make_user("applicant").email)
    for suffix in PAGES:
        response = client.get(f"/applications/{theirs.id}{suffix}")
        assert response.status_code == 404, suffix
        assert "Mine" not in response.get_data(as_text=True)
    for suffix, data in POSTS:
        assert post(client, f"/applications/{theirs.id}{suffix}", data).status_code == 404, suffix
    application = fresh(theirs)
    assert application is not None and application.status == "draft"
    assert application.answers[0].text == "Mine"


def test_staff_without_the_applicant_role_are_refused(client, make_user, theirs):
    for role in ("panel", "hr", "finance", "admin"):
        sign_in(client, make_user(role).email)
        # Not theirs: not found, as for anyone else (the page itself is any owner's).
        assert client.get(f"/applications/{theirs.id}").status_code == 404
        assert client.get(f"/applications/{theirs.id}/check").status_code == 403
        post(client, "/sign-out")


def test_the_owner_sees_their_application_whatever_roles_they_hold_now(client, theirs):
    """The dashboard lists a person's applications whatever their roles (a partner appointed
    from one, say): the link must open, not answer 403 (found by the crawl, issue 13)."""
    owner = theirs.applicant
    owner.set_roles({"partner"})
    db.session.commit()
    sign_in(client, owner.email)
    href = f'href="/applications/{theirs.id}"'
    assert href in client.get("/dashboard").get_data(as_text=True)
    response = client.get(f"/applications/{theirs.id}")
    assert response.status_code == 200
    assert theirs.role.title in response.get_data(as_text=True)


def test_signed_out_people_are_sent_to_sign_in(client, theirs):
    response = client.get(f"/applications/{theirs.id}/check")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_unknown_ids_are_not_found(client, make_user):
    sign_in(client, make_user("applicant").email)
    for url in (
        "/applications/999999",
        "/applications/99999999999999999999/check",
        "/applications/0/questions/1",
        "/roles/999999/apply",
        "/roles/99999999999999999999/apply",
    ):
        assert client.get(url).status_code == 404, url
    db.session.rollback()
