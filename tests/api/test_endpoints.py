"""/me and /audit-events: what they return, to whom, filtered and paged."""

from __future__ import annotations

import json

import pytest

from lep import audit
from lep.access import STAFF_ROLES
from lep.extensions import db
from tests.api.conftest import bearer

EVENTS = "/api/v1/audit-events"


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_me_for_every_staff_role(client, make_user, token_for, role):
    user = make_user(role, full_name="Sam Staff")
    response = client.get("/api/v1/me", headers=bearer(token_for(user)))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "id": user.id,
        "email": user.email,
        "full_name": "Sam Staff",
        "roles": [role],
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_me_lists_roles_sorted(client, make_user, token_for):
    user = make_user("hr", "admin", "panel")
    body = client.get("/api/v1/me", headers=bearer(token_for(user))).get_json()
    assert body["roles"] == ["admin", "hr", "panel"]


@pytest.mark.parametrize("role", ["hr", "panel", "finance"])
def test_audit_events_are_admin_only(client, staff_header, role):
    response = client.get(EVENTS, headers=staff_header(role))
    assert response.status_code == 403
    assert response.mimetype == "application/json"
    assert response.get_json()["code"] == 403


def test_audit_events_for_an_admin(client, make_user, token_for):
    admin = make_user("admin")
    secret = token_for(admin)
    response = client.get(EVENTS, headers=bearer(secret))
    assert response.status_code == 200
    events = response.get_json()
    created = [e for e in events if e["action"] == "api_token.created"]
    assert len(created) == 1
    event = created[0]
    assert set(event) == {
        "id",
        "occurred_at",
        "actor_id",
        "actor_label",
        "action",
        "subject_type",
        "subject_id",
        "before",
        "after",
        "ip_address",
    }
    assert event["subject_type"] == "api_token"
    assert event["after"]["prefix"] == secret[:10]
    assert secret not in response.get_data(as_text=True)


def _record(n: int, action: str = "test.paged", **kwargs) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        audit.record(action, "thing", i, actor_label="test", **kwargs)
    db.session.commit()


def _pagination(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return json.loads(response.headers["X-Pagination"])


def test_audit_events_are_paginated_newest_first(client, staff_header):
    headers = staff_header("admin")
    _record(25)
    first = client.get(EVENTS, query_string={"action": "test.paged"}, headers=headers)
    assert first.status_code == 200
    assert len(first.get_json()) == 10  # the default page size
    assert _pagination(first) == {
        "total": 25,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    # Recorded as thing 0..24: the newest (24) comes first.
    assert [e["subject_id"] for e in first.get_json()] == [str(i) for i in range(24, 14, -1)]

    pages = []
    for page in (1, 2, 3):
        response = client.get(
            EVENTS,
            query_string={"action": "test.paged", "page": page, "page_size": 10},
            headers=headers,
        )
        pages.append(response.get_json())
    assert [len(p) for p in pages] == [10, 10, 5]
    everything = [e for p in pages for e in p]
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 25
    stamps = [e["occurred_at"] for e in everything]
    assert stamps == sorted(stamps, reverse=True)

    last = client.get(
        EVENTS, query_string={"action": "test.paged", "page": 3, "page_size": 10}, headers=headers
    )
    assert _pagination(last)["previous_page"] == 2
    assert "next_page" not in _pagination(last)

    beyond = client.get(EVENTS, query_string={"action": "test.paged", "page": 9}, headers=headers)
    assert beyond.status_code == 200
    assert beyond.get_json() == []
    assert _pagination(beyond)["total"] == 25


def test_audit_events_filter_by_action_subject_type_and_subject_id(client, staff_header):
    headers = staff_header("admin")
    audit.record("user.roles_changed", "user", 7, actor_label="test")
    audit.record("user.roles_changed", "user", 8, actor_label="test")
    audit.record("user.deactivated", "user", 7, actor_label="test")
    audit.record("payment.approved", "payment", 7, actor_label="test")
    db.session.commit()

    def actions(**query: str) -> list[tuple[str, str, str]]:
        response = client.get(EVENTS, query_string=query, headers=headers)
        assert response.status_code == 200
        return [(e["action"], e["subject_type"], e["subject_id"]) for e in response.get_json()]

    assert actions(action="user.roles_changed") == [
        ("user.roles_changed", "user", "8"),
        ("user.roles_changed", "user", "7"),
    ]
    assert actions(subject_type="payment") == [("payment.approved", "payment", "7")]
    assert actions(subject_type="user", subject_id="7") == [
        ("user.deactivated", "user", "7"),
        ("user.roles_changed", "user", "7"),
    ]
    assert actions(action="user.roles_changed", subject_type="user", subject_id="8") == [
        ("user.roles_changed", "user", "8")
    ]
    assert actions(subject_id="7", subject_type="payment", action="payment.approved") == [
        ("payment.approved", "payment", "7")
    ]
    assert actions(action="no.such.action") == []


def test_filtered_pagination_counts_only_matches(client, staff_header):
    headers = staff_header("admin")
    _record(12, action="test.many")
    _record(3, action="test.few")
    response = client.get(
        EVENTS, query_string={"action": "test.few", "page_size": 2}, headers=headers
    )
    assert len(response.get_json()) == 2
    assert _pagination(response)["total"] == 3
    assert _pagination(response)["total_pages"] == 2


@pytest.mark.parametrize(
    "query", [{"page": 0}, {"page": "abc"}, {"page_size": 0}, {"page_size": 101}]
)
def test_bad_pagination_is_a_422_json_with_the_reasons(client, staff_header, query):
    response = client.get(EVENTS, query_string=query, headers=staff_header("admin"))
    assert response.status_code == 422
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == 422
    assert body["status"] == "Unprocessable Entity"
    assert set(body["errors"]["query"]) == set(query)


def test_unknown_query_parameters_are_ignored(client, staff_header):
    response = client.get(EVENTS, query_string={"colour": "blue"}, headers=staff_header("admin"))
    assert response.status_code == 200
