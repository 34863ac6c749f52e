"""Public API: /pay-frameworks, /roles and /roles/<id>. No token needed; money in pence."""

from __future__ import annotations

import csv
import datetime as dt
import json
from typing import Any

import pytest

from lep.db import utcnow
from lep.extensions import db
from lep.roles import pay, paytables
from lep.roles.services import close_role, mark_filled
from tests.api.conftest import bearer
from tests.roles.public_data import make_role, pay_setup, published_role

BAND_7_15_HOURS = (
    "Band 7: £47,810 to £54,710 a year (2025/26 pay). This role is 15 hours a week, "
    "so you would be paid £19,124 to £21,884 a year."
)
PPV_STATEMENT = "£150 for a day, £75 for half a day, plus your expenses."
NO_PAY_FIGURES = dict.fromkeys(
    [
        "statement",
        "band",
        "pay_year",
        "effective_from",
        "annual_min_pence",
        "annual_max_pence",
        "pro_rata_min_pence",
        "pro_rata_max_pence",
        "lowest_hourly_pence",
        "rate_card",
        "day_pence",
        "half_day_pence",
        "hourly_pence",
        "half_day_max_hours",
    ]
)


@pytest.fixture(autouse=True)
def pay_tables() -> None:
    pay_setup()


def get_json(client, path: str, status: int = 200, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def _pagination(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return json.loads(response.headers["X-Pagination"])


# --- pay frameworks ---


def test_pay_frameworks_is_public_and_matches_the_reference_table(client):
    body = get_json(client, "/api/v1/pay-frameworks")
    assert [f["id"] for f in body] == ["afc-england"]
    framework = body[0]
    assert framework["name"] == "Agenda for Change (England)"
    bands = {b["band"]: b for b in framework["bands"]}
    with paytables.REFERENCE_TABLE.open() as f:
        rows = list(csv.DictReader(f))
    assert set(bands) == {row["band"] for row in rows}
    # Bands in pay order, not text order (8a after 7, 9 last).
    assert [b["band"] for b in framework["bands"]] == sorted(
        bands, key=lambda b: (len(b.rstrip("abcd")), b)
    )
    for row in rows:
        band = bands[row["band"]]
        assert band["label"] == f"Band {row['band']}"
        [table] = band["pay_tables"]
        assert table["effective_from"] == row["effective_from"] == "2025-04-01"
        assert table["pay_year"] == "2025/26"
        assert table["in_force"] is True
        point = next(p for p in table["pay_points"] if p["point"] == int(row["pay_point"]))
        annual = int(row["annual_salary_gbp"]) * 100
        assert point == {
            "point": int(row["pay_point"]),
            "years_from": int(row["years_from"]),
            "annual_pence": annual,
            "hourly_pence": pay.hourly_pence(annual),
        }
    band_7 = bands["7"]["pay_tables"][0]["pay_points"]
    assert [(p["point"], p["annual_pence"], p["hourly_pence"]) for p in band_7] == [
        (1, 4781000, 2445),
        (2, 5027300, 2571),
        (3, 5471000, 2798),
    ]


def test_pay_points_are_grouped_by_effective_date(client):
    later = dt.date(2026, 4, 1)
    future = dt.date(2099, 4, 1)
    paytables.import_pay_table(
        "band,pay_point,years_from,annual_salary_gbp,effective_from\n"
        f"7,1,0,49000,{later}\n7,2,2,51000,{later}\n7,3,5,56000,{later}\n"
        f"7,1,0,99000,{future}\n"
    )
    tables = next(
        b for b in get_json(client, "/api/v1/pay-frameworks")[0]["bands"] if b["band"] == "7"
    )["pay_tables"]
    assert [(t["effective_from"], t["pay_year"], t["in_force"]) for t in tables] == [
        ("2025-04-01", "2025/26", False),
        ("2026-04-01", "2026/27", True),
        ("2099-04-01", "2099/00", False),
    ]
    assert [p["annual_pence"] for p in tables[1]["pay_points"]] == [4900000, 5100000, 5600000]
    assert [p["point"] for p in tables[2]["pay_points"]] == [1]


# --- roles ---


def test_roles_list_is_public_open_only_and_closing_soonest_first(client):
    later = make_role("employed", title="Later", closes_in=dt.timedelta(days=20))
    sooner = make_role("sessional", title="Sooner", closes_in=dt.timedelta(days=2))
    make_role(status="draft")
    make_role(status="closed")
    make_role(status="filled")
    make_role(closes_in=-dt.timedelta(seconds=1))
    response = client.get("/api/v1/roles")
    assert response.status_code == 200
    assert [r["id"] for r in response.get_json()] == [sooner.id, later.id]
    assert _pagination(response)["total"] == 2
    # A token does not change the answer (nor is one needed); a bad one is not refused.
    assert client.get("/api/v1/roles", headers=bearer("lep_nonsense")).status_code == 200


def test_roles_list_item(client):
    closes = dt.datetime(2027, 7, 1, 12, 0, tzinfo=dt.UTC)
    role = published_role(
        "employed",
        title="Lived Experience Partner",
        band="7",
        minutes_per_week=900,
        closes_at=closes,
    )
    [item] = get_json(client, "/api/v1/roles")
    assert item == {
        "id": role.id,
        "title": "Lived Experience Partner",
        "team": "Mental health services",
        "summary": "Help us make our services better for the people who use them.",
        "engagement_type": "employed",
        "work_pattern": "hybrid",
        "location": "Quarry House, Leeds",
        "minutes_per_week": 900,
        "sessions_per_month": None,
        "posts": 1,
        "status": "open",
        "closes_at": "2027-07-01T12:00:00+00:00",
        "published_at": role.published_at.isoformat(),  # type: ignore[union-attr]
        "pay_statement": BAND_7_15_HOURS,
        "pay": {
            **NO_PAY_FIGURES,
            "statement": BAND_7_15_HOURS,
            "band": "7",
            "pay_year": "2025/26",
            "effective_from": "2025-04-01",
            "annual_min_pence": 4781000,
            "annual_max_pence": 5471000,
            "pro_rata_min_pence": 1912400,
            "pro_rata_max_pence": 2188400,
            "lowest_hourly_pence": 2445,
        },
    }
    assert item["published_at"].endswith("+00:00")
    assert "description" not in item and "criteria" not in item


def test_a_sessional_and_a_voluntary_role_in_the_list(client):
    card = pay_setup()
    sessional = make_role("sessional", closes_in=dt.timedelta(days=1))
    voluntary = make_role("expenses_only", closes_in=dt.timedelta(days=2))
    items = {r["id"]: r for r in get_json(client, "/api/v1/roles")}
    assert items[sessional.id]["pay_statement"] == PPV_STATEMENT
    assert items[sessional.id]["pay"] == {
        **NO_PAY_FIGURES,
        "statement": PPV_STATEMENT,
        "rate_card": card.name,
        "effective_from": "2025-04-01",
        "day_pence": 15000,
        "half_day_pence": 7500,
        "hourly_pence": None,
        "half_day_max_hours": 4,
    }
    assert items[voluntary.id]["pay"] == {**NO_PAY_FIGURES, "statement": pay.VOLUNTARY_STATEMENT}
    assert items[voluntary.id]["sessions_per_month"] == 1


def test_roles_are_paginated_like_audit_events(client):
    for i in range(25):
        make_role(closes_in=dt.timedelta(days=1, minutes=i))
    first = client.get("/api/v1/roles")
    assert len(first.get_json()) == 10
    assert _pagination(first) == {
        "total": 25,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    pages = [
        client.get("/api/v1/roles", query_string={"page": n, "page_size": 10}).get_json()
        for n in (1, 2, 3)
    ]
    assert [len(p) for p in pages] == [10, 10, 5]
    stamps = [r["closes_at"] for p in pages for r in p]
    assert stamps == sorted(stamps)
    assert len({r["id"] for p in pages for r in p}) == 25
    beyond = client.get("/api/v1/roles", query_string={"page": 10**30})
    assert beyond.status_code == 200 and beyond.get_json() == []


def test_roles_filters(client):
    employed = make_role("employed", work_pattern="remote", closes_in=dt.timedelta(days=1))
    sessional = make_role("sessional", work_pattern="hybrid", closes_in=dt.timedelta(days=2))
    voluntary = make_role("expenses_only", work_pattern="remote", closes_in=dt.timedelta(days=3))

    def ids(**query: str) -> list[int]:
        return [r["id"] for r in get_json(client, "/api/v1/roles", query_string=query)]

    assert ids(engagement_type="sessional") == [sessional.id]
    assert ids(work_pattern="remote") == [employed.id, voluntary.id]
    assert ids(engagement_type="expenses_only", work_pattern="remote") == [voluntary.id]
    assert ids(engagement_type="employed", work_pattern="on_site") == []


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": 0},
        {"page_size": 101},
        {"engagement_type": "nonsense"},
        {"work_pattern": "moon"},
    ],
)
def test_bad_queries_are_a_422_json_never_a_500(client, query):
    body = get_json(client, "/api/v1/roles", status=422, query_string=query)
    assert body["code"] == 422
    assert set(body["errors"]["query"]) == set(query)


def test_one_role_in_full(client):
    role = published_role("sessional", title="Patient panel member", sessions_per_month=2)
    body = get_json(client, f"/api/v1/roles/{role.id}")
    assert body["id"] == role.id
    assert body["title"] == "Patient panel member"
    assert body["status"] == "open"
    assert body["pay_statement"] == PPV_STATEMENT
    assert body["pay"]["day_pence"] == 15000
    assert body["description"] == "You will work with our teams.\n\nYou will be paid."
    assert body["selection_method"] == "scored"
    assert body["contact"] == {
        "name": "Priya Shah",
        "email": "priya.shah@example.org",
        "phone": "0113 496 0000",
    }
    assert body["criteria"] == [
        {
            "text": "Lived experience of using NHS services",
            "essential": True,
            "stage": "application",
        },
        {"text": "You can work well in a team", "essential": True, "stage": "interview"},
        {"text": "Experience of sitting on a panel", "essential": False, "stage": "application"},
    ]
    assert "created_by_id" not in body
    assert body["closes_at"].endswith("+00:00")


@pytest.mark.parametrize("how", ["closed", "filled", "past"])
def test_a_closed_role_can_still_be_read_and_says_so(client, how):
    role = published_role("employed")
    if how == "closed":
        close_role(role, by=None)
    elif how == "filled":
        mark_filled(role, by=None)
    else:
        role.closes_at = utcnow() - dt.timedelta(minutes=1)
        db.session.commit()
    body = get_json(client, f"/api/v1/roles/{role.id}")
    assert body["status"] == ("filled" if how == "filled" else "closed")
    assert get_json(client, "/api/v1/roles") == []


def test_a_draft_or_unknown_role_is_a_404_json(client):
    draft = make_role(status="draft", title="Secret draft")
    for role_id in (draft.id, 987654):
        response = client.get(f"/api/v1/roles/{role_id}")
        assert response.status_code == 404
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert body["code"] == 404 and body["status"] == "Not Found"
        assert "Secret draft" not in response.get_data(as_text=True)


def test_the_new_endpoints_are_in_the_openapi_document(client):
    spec = get_json(client, "/api/v1/openapi.json")
    assert {"/api/v1/pay-frameworks", "/api/v1/roles", "/api/v1/roles/{role_id}"} <= set(
        spec["paths"]
    )
    schemas = spec["components"]["schemas"]
    assert {"point", "years_from", "annual_pence", "hourly_pence"} == set(
        schemas["PayPoint"]["properties"]
    )
    role = schemas["Role"]["properties"]
    assert role["closes_at"]["format"] == "date-time"
    assert {"pay_statement", "pay", "criteria", "contact"} <= set(role)
    money = [name for name in schemas["RolePay"]["properties"] if "pence" in name]
    assert len(money) == 8
    for name in money:
        assert "integer" in schemas["RolePay"]["properties"][name]["type"], name
    listing = spec["paths"]["/api/v1/roles"]["get"]
    names = {p["name"] for p in listing["parameters"] if p["in"] == "query"}
    assert names == {"engagement_type", "work_pattern", "page", "page_size"}
    assert "X-Pagination" in listing["responses"]["200"]["headers"]
    assert "404" in spec["paths"]["/api/v1/roles/{role_id}"]["get"]["responses"]
