"""Sessions end when they should: at sign-out on the server (a copied cookie is worth nothing),
after idling (30 minutes for staff, 2 hours for everyone else) and 12 hours after sign-in."""

from __future__ import annotations

import datetime as dt

import pytest

from lep.accounts import sessions
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from tests.conftest import csrf_from

ACCOUNT_PAGES = [
    "/account",
    "/account/bank-details",
    "/account/payments",
    "/account/my-data.json",
]


@pytest.fixture
def clock(monkeypatch):
    now = {"at": utcnow()}
    monkeypatch.setattr(sessions, "utcnow", lambda: now["at"])
    return now


def copy_of_cookie(app, client):  # type: ignore[no-untyped-def]
    """A second browser holding a copy of the first one's session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def sign_out(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/account").get_data(as_text=True)
    response = client.post("/sign-out", data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302


def test_a_cookie_copied_before_sign_out_opens_nothing_afterwards(app, client, make_user, login):
    partner = make_user("partner")
    login(partner)
    thief = copy_of_cookie(app, client)
    for page in ACCOUNT_PAGES:
        assert thief.get(page).status_code == 200, page  # the copy works while signed in
    sign_out(client)
    for page in ACCOUNT_PAGES:
        response = thief.get(page)
        assert response.status_code == 302, page
        assert "/sign-in" in response.headers["Location"]
        assert client.get(page).status_code == 302, page
    events = db.session.query(AuditEvent).filter_by(action="user.signed_out").all()
    assert [e.subject_id for e in events] == [str(partner.id)]


def test_signing_out_says_other_devices_are_signed_out_too(client, make_user, login):
    login(make_user("applicant"))
    html = client.get("/account").get_data(as_text=True)
    page = client.post("/sign-out", data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    assert "You have signed out on this device and any other you were signed in on" in (
        page.get_data(as_text=True)
    )


def test_staff_are_signed_out_after_30_minutes_idle(client, make_user, login, clock):
    login(make_user("finance"))
    clock["at"] += dt.timedelta(minutes=29)
    assert client.get("/account").status_code == 200  # and that request counts as use
    clock["at"] += dt.timedelta(minutes=29)
    assert client.get("/account").status_code == 200
    clock["at"] += dt.timedelta(minutes=31)
    response = client.get("/account")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because you had not used the service for 30 minutes" in page
    assert client.get("/account").status_code == 302  # the session is gone, not just refused


def test_the_public_get_longer_idle_but_not_for_ever(client, make_user, login, clock):
    login(make_user("applicant"))
    clock["at"] += dt.timedelta(minutes=100)
    assert client.get("/account").status_code == 200
    clock["at"] += dt.timedelta(minutes=121)
    response = client.get("/account")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "you had not used the service for 2 hours" in page


def test_everyone_is_signed_out_12_hours_after_signing_in_however_busy(
    client, make_user, login, clock
):
    login(make_user("partner"))
    for _ in range(11 * 4):  # busy all day: a request every 15 minutes
        clock["at"] += dt.timedelta(minutes=15)
        assert client.get("/account").status_code == 200
    clock["at"] += dt.timedelta(hours=1, minutes=1)
    response = client.get("/account")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "you signed in more than 12 hours ago" in page


def test_a_copied_cookie_also_dies_when_idle(app, client, make_user, login, clock):
    login(make_user("hr"))
    thief = copy_of_cookie(app, client)
    clock["at"] += dt.timedelta(minutes=31)
    assert thief.get("/account").status_code == 302


def test_the_lifetimes_come_from_config(app, client, make_user, login, clock, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES_PUBLIC", 5)
    login(make_user("applicant"))
    clock["at"] += dt.timedelta(minutes=6)
    assert client.get("/account").status_code == 302
