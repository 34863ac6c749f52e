"""HR tasks: requests to apply another way, listed oldest first, marked done with an outcome."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
from sqlalchemy import select

from lep.applications import services
from lep.applications.models import OtherWayRequest
from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.roles.demo import seed_roles
from tests.conftest import csrf_from


@pytest.fixture
def roles():
    return seed_roles()


@pytest.fixture
def requests_made(roles, make_user):
    """Two open requests (the older one first) and one already done."""
    older = services.request_other_way(
        roles[1],
        make_user("applicant", full_name="Ada Older", email="ada@example.org"),
        "phone",
        "I find forms hard to read",
        "phone",
        "07700 900123",
    )
    older.created_at = utcnow() - dt.timedelta(days=3)
    newer = services.request_other_way(
        roles[0],
        make_user("applicant", full_name="Ben Newer", email="ben@example.org"),
        "paper",
        "",
        "post",
        "",
        {
            "address_line_1": "12 Station Road",
            "address_line_2": "",
            "address_town": "Leeds",
            "address_postcode": "ls1 4dy",
        },
    )
    done = services.request_other_way(
        roles[2],
        make_user("applicant", full_name="Cleo Done", email="cleo@example.org"),
        "recording",
        "",
        "email",
        "",
    )
    services.complete_other_way(done, "Sent a link to record an answer", make_user("hr"))
    db.session.commit()
    return older, newer, done


@pytest.fixture
def hr(make_user, login):
    user = make_user("hr", full_name="Hana Resources")
    login(user)
    return user


def text_of(html: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_hr_sees_open_requests_oldest_first_and_recently_done(client, hr, requests_made, roles):
    response = client.get("/hr/tasks")
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    waiting, _, recent = page.partition("Recently done")
    assert waiting.index("Ada Older") < waiting.index("Ben Newer")
    for expected in (
        "ada@example.org",
        roles[1].title,
        "By phone",
        "I find forms hard to read",
        "Phone call",
        "07700 900123",
        "On paper",
        "Post",
        # The address for letters, the postcode as Royal Mail prints it.
        "12 Station Road Leeds LS1 4DY",
        "2 requests are waiting",
    ):
        assert expected in waiting
    assert "Cleo Done" not in waiting
    assert "Cleo Done" in recent and "Sent a link to record an answer" in recent


def test_marking_a_request_done_records_the_outcome_and_audits(client, hr, requests_made):
    older, newer, _ = requests_made
    token = csrf_from(client.get("/hr/tasks").get_data(as_text=True))
    response = client.post(
        f"/hr/tasks/{older.id}/done",
        data={
            f"task{older.id}-outcome": "Called her and took the application by phone",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/hr/tasks")
    db.session.refresh(older)
    assert older.done_at is not None and older.done_by_id == hr.id
    assert older.outcome == "Called her and took the application by phone"
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "application.other_way_done",
            AuditEvent.subject_id == str(older.id),
        )
    )
    assert event.actor_id == hr.id
    assert event.after["outcome"] == older.outcome

    page = text_of(client.get("/hr/tasks").get_data(as_text=True))
    waiting, _, recent = page.split("Requests to apply another way", 1)[1].partition(
        "Recently done"
    )
    assert "Ada Older" not in waiting and "Ada Older" in recent and "Hana Resources" in recent
    assert "1 request is waiting" in waiting
    assert newer.done_at is None


def test_an_outcome_is_needed(client, hr, requests_made):
    older = requests_made[0]
    token = csrf_from(client.get("/hr/tasks").get_data(as_text=True))
    response = client.post(
        f"/hr/tasks/{older.id}/done", data={f"task{older.id}-outcome": "  ", "csrf_token": token}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert re.search(rf'<a href="#task{older.id}-outcome">\s*Enter what was done\s*</a>', html)
    assert f'id="task{older.id}-outcome-error"' in html
    db.session.refresh(older)
    assert older.done_at is None


def test_done_twice_changes_nothing(client, hr, requests_made):
    done = requests_made[2]
    before = (done.done_at, done.outcome)
    token = csrf_from(client.get("/hr/tasks").get_data(as_text=True))
    response = client.post(
        f"/hr/tasks/{done.id}/done", data={f"task{done.id}-outcome": "Again", "csrf_token": token}
    )
    assert response.status_code == 302
    db.session.refresh(done)
    assert (done.done_at, done.outcome) == before
    assert client.post("/hr/tasks/999999/done", data={"csrf_token": token}).status_code == 404


def test_the_count_is_on_the_roles_page_and_tasks_in_the_navigation(client, hr, requests_made):
    page = client.get("/hr/roles").get_data(as_text=True)
    assert "2 requests to apply another way are waiting" in page
    assert 'href="/hr/tasks">see tasks</a>' in page
    assert re.search(r'href="/hr/tasks"[^>]*>\s*Tasks', page)


def test_no_count_when_nothing_is_waiting(client, hr):
    assert "apply another way" not in client.get("/hr/roles").get_data(as_text=True)
    assert "No requests are waiting" in client.get("/hr/tasks").get_data(as_text=True)


@pytest.mark.parametrize("who", ["applicant", "panel", "partner", "finance"])
def test_others_are_refused(client, login, make_user, requests_made, who):
    login(make_user(who))
    assert client.get("/hr/tasks").status_code == 403
    token = csrf_from(client.get("/dashboard").get_data(as_text=True))
    older = requests_made[0]
    response = client.post(
        f"/hr/tasks/{older.id}/done",
        data={f"task{older.id}-outcome": "Done", "csrf_token": token},
    )
    assert response.status_code == 403
    assert db.session.get(OtherWayRequest, older.id).done_at is None
    assert "Tasks" not in client.get("/dashboard").get_data(as_text=True)
