"""Whatever is typed into the HR forms, the answer is a page with a message, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from lep.db import utcnow
from lep.roles import services
from lep.roles.paytables import REFERENCE_TABLE, create_rate_card, import_pay_table
from lep.roles.services import RoleInput
from tests.conftest import signed_in_session

NASTY = [
    "",
    "abc",
    "-1",
    "1e999999999",
    "NaN",
    "99999999999999999999",
    "9" * 5000,
    "\x00",
    "٣",
    "9999-12-31",
    "24:00",
]
OK = (200, 302)


@pytest.fixture
def hr_client(app, client, make_user, monkeypatch):
    """A signed-in HR and finance user; CSRF off so every field can be tried quickly."""
    import_pay_table(REFERENCE_TABLE.read_text())
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user("hr", "finance")
    signed_in_session(client, user)
    client.user = user
    return client


def test_role_form_fields(hr_client):
    role = services.create_role(
        RoleInput(
            title="Partner",
            engagement_type="employed",
            band="7",
            minutes_per_week=900,
            closes_at=utcnow() + dt.timedelta(days=3),
        ),
        hr_client.user,
    )
    base = {
        "title": "Partner",
        "engagement_type": "employed",
        "band": "7",
        "hours_per_week": "15",
        "posts": "1",
        "closing_date": f"{utcnow().year + 1}-03-23",
        "closing_time": "17:00",
        "work_pattern": "hybrid",
        "selection_method": "scored",
    }
    fields = [*base, "rate_card_id", "sessions_per_month", "contact_email", "summary"]
    for url in ("/hr/roles/new", f"/hr/roles/{role.id}/edit"):
        for name in fields:
            for value in NASTY:
                response = hr_client.post(url, data=dict(base, **{name: value}))
                assert response.status_code in OK, (url, name, value, response.status_code)


def test_criteria_questions_and_status_buttons(hr_client):
    role = services.create_role(
        RoleInput(title="Partner", engagement_type="expenses_only"), hr_client.user
    )
    criterion = services.add_criterion(
        role, "Lived experience", True, "application", hr_client.user
    )
    url = f"/hr/roles/{role.id}"
    for value in NASTY:
        for path, data in (
            ("criteria", {"criterion-text": value, "criterion-stage": value}),
            ("criteria", {"criterion-text": "ok", "criterion-essential": value}),
            ("questions", {"question-text": value, "question-criteria": [str(criterion.id)]}),
            (
                "questions",
                {"question-text": "q", "question-word_limit": value, "question-criteria": [value]},
            ),
            ("criteria/remove", {"item_id": value}),
            ("questions/remove", {"item_id": value}),
        ):
            response = hr_client.post(f"{url}/{path}", data=data)
            assert response.status_code in OK, (path, data, response.status_code)
        assert (
            hr_client.get("/hr/roles", query_string={"status": value, "page": value}).status_code
            == 200
        )
    for action in ("publish", "close", "filled", "publish", "close", "filled"):
        assert hr_client.post(f"{url}/{action}").status_code in OK
    for page in (url, f"{url}/preview", f"{url}/edit"):
        assert hr_client.get(page).status_code == 200


def test_rate_card_fields(hr_client):
    card = create_rate_card("PPV")
    base = {"effective_from": "2030-01-01", "day": "150", "half_day_max_hours": "4"}
    day = dt.date(2030, 1, 1)
    for name in ("effective_from", "hourly", "half_day", "day", "half_day_max_hours"):
        for value in NASTY:
            day += dt.timedelta(days=1)
            data = dict(base, effective_from=day.isoformat())
            data[name] = value
            response = hr_client.post(f"/hr/rate-cards/{card.id}", data=data)
            assert response.status_code in OK, (name, value, response.status_code)
    for value in NASTY:
        response = hr_client.post("/hr/rate-cards/new", data={"name": value, "description": value})
        assert response.status_code in OK, value
