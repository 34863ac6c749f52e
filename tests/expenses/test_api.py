# ruff: noqa: F811  (the fixtures imported from test_claims are used as parameters)
"""The claims API: finance reads sent claims by token; a claimant reads their own."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import event

from lep.expenses import services
from lep.extensions import db
from tests.api.conftest import bearer, staff_header, token_for  # noqa: F401  (fixtures)
from tests.expenses.test_claims import (  # noqa: F401  (fixtures)
    PDF,
    category,
    drive,
    finance,
    finance2,
    frozen,
    parking,
    partner,
    storage,
    submitted_claim,
)

CLAIMS = "/api/v1/claims"
MINE = "/api/v1/me/claims"


def get_json(client, path: str, status: int = 200, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture
def finance_header(finance, token_for):
    return bearer(token_for(finance))


def sent_at(frozen, when: dt.datetime, partner, *amounts: int):  # type: ignore[no-untyped-def]
    frozen["now"] = when
    return submitted_claim(partner, *amounts)


# -- Who may read ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [CLAIMS, f"{CLAIMS}/1"])
def test_only_finance_reads_claims_and_only_by_token(
    client, login, make_user, staff_header, finance, path
):
    assert get_json(client, path, status=401)["message"].startswith("Send a valid personal")
    assert client.get(path).headers["WWW-Authenticate"] == 'Bearer realm="lep"'
    for role in ("hr", "admin", "panel"):
        assert get_json(client, path, status=403, headers=staff_header(role))["code"] == 403
    login(finance)  # a browser session is not enough for finance's list
    assert get_json(client, path, status=401)["code"] == 401


def test_a_claimant_reads_only_their_own_claims_by_session(client, login, partner, make_user):
    other = make_user("partner", full_name="Someone Else")
    theirs = submitted_claim(other, 700)
    draft = services.start_claim(partner)
    parking(draft, 450)
    sent = submitted_claim(partner, 1250)
    assert get_json(client, MINE, status=401)["code"] == 401
    login(partner)
    body = get_json(client, MINE)
    assert [c["id"] for c in body] == [sent.id, draft.id]
    assert theirs.id not in {c["id"] for c in body}
    assert body[0]["reference"] == sent.reference
    assert body[0]["status"] == "submitted"
    assert body[0]["status_text"] == "Sent: waiting for approval"
    assert body[0]["total_claimed_pence"] == 1250
    assert body[1]["reference"] is None
    assert body[1]["status_text"] == "Not sent yet"
    assert body[1]["lines"][0]["amount_pence"] == 450
    # A claimant's view: no approvers' names, no ledger codes, no flags.
    raw = client.get(MINE).get_data(as_text=True)
    for word in ("approver", "ledger_code", "flags", "storage_key", "Someone Else"):
        assert word not in raw


def test_a_staff_member_who_is_also_a_partner_reads_their_claims_by_token(
    client, make_user, token_for
):
    person = make_user("panel", "partner")
    claim = submitted_claim(person, 900)
    body = get_json(client, MINE, headers=bearer(token_for(person)))
    assert [c["id"] for c in body] == [claim.id]
    # ...but not finance's list.
    get_json(client, CLAIMS, status=403, headers=bearer(token_for(person)))


def test_a_claimant_sees_decisions_without_who_made_them(client, login, partner, finance, storage):
    claim = submitted_claim(partner, 1000, 600)
    services.reject_claim(claim, finance, "These were paid by the team already")
    login(partner)
    (body,) = get_json(client, MINE)
    assert body["status_text"] == "Not approved"
    assert body["total_approved_pence"] == 0
    assert [line["approved_pence"] for line in body["lines"]] == [0, 0]
    assert body["decisions"] == [
        {
            "level": 1,
            "decision": "reject",
            "decided_at": body["decisions"][0]["decided_at"],
            "note": "These were paid by the team already",
        }
    ]
    assert body["decisions"][0]["decided_at"].endswith("+00:00")


# -- Finance's list --------------------------------------------------------------------------------


def test_finance_lists_sent_claims_newest_first(client, partner, finance_header, frozen):
    older = sent_at(frozen, dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC), partner, 850)
    newer = sent_at(frozen, dt.datetime(2026, 11, 19, 9, 0, tzinfo=dt.UTC), partner, 1999, 1)
    draft = services.start_claim(partner)
    parking(draft, 300)
    body = get_json(client, CLAIMS, headers=finance_header)
    assert [c["id"] for c in body] == [newer.id, older.id]  # never a draft
    first = body[0]
    assert first["reference"] == newer.reference
    assert first["claimant"] == {"id": partner.id, "name": "Sam Partner"}
    assert first["role"] is None
    assert first["total_claimed_pence"] == 2000
    assert first["total_approved_pence"] is None
    assert first["line_count"] == 2
    assert first["flags"] == ["no_receipt"]  # parking with a reason, no receipt
    assert first["awaiting_second_approval"] is False
    assert first["submitted_at"] == "2026-11-19T09:00:00+00:00"
    assert "lines" not in first
    raw = client.get(CLAIMS, headers=finance_header).get_data(as_text=True)
    assert partner.email not in raw


def test_the_list_is_paginated(client, partner, finance_header, frozen):
    for n in range(12):
        sent_at(frozen, dt.datetime(2026, 11, 20, 9, n, tzinfo=dt.UTC), partner, 100 + n)
    response = client.get(CLAIMS, headers=finance_header, query_string={"page_size": 5})
    assert len(response.get_json()) == 5
    assert json.loads(response.headers["X-Pagination"]) == {
        "total": 12,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 1,
        "next_page": 2,
    }
    last = get_json(
        client, CLAIMS, headers=finance_header, query_string={"page_size": 5, "page": 3}
    )
    assert [c["total_claimed_pence"] for c in last] == [101, 100]


def test_filter_by_status(client, partner, finance, finance_header, frozen):
    waiting = submitted_claim(partner, 500)
    approved = submitted_claim(partner, 700)
    services.approve_claim(approved, finance, {approved.lines[0].id: 700})
    rejected = services.reject_claim(submitted_claim(partner, 900), finance, "Duplicate")

    def ids(*statuses: str) -> set[int]:
        body = get_json(
            client, CLAIMS, headers=finance_header, query_string=[("status", s) for s in statuses]
        )
        return {c["id"] for c in body}

    assert ids("submitted") == {waiting.id}
    assert ids("approved") == {approved.id}
    assert ids("approved", "rejected") == {approved.id, rejected.id}
    assert ids("paid") == set()
    assert ids() == {waiting.id, approved.id, rejected.id}


def sent_in_june(frozen, partner, when: dt.datetime):  # type: ignore[no-untyped-def]
    frozen["now"] = when
    claim = services.start_claim(partner)
    parking(claim, 200, day=dt.date(2026, 6, 29))
    return services.submit_claim(claim)


def test_filter_by_the_uk_day_a_claim_was_sent(client, partner, finance_header, frozen):
    june = sent_in_june(frozen, partner, dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC))
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    late_june = sent_in_june(frozen, partner, dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC))

    def ids(**query: str) -> list[int]:
        body = get_json(client, CLAIMS, headers=finance_header, query_string=query)
        return [c["id"] for c in body]

    assert ids(submitted_from="2026-07-01") == [late_june.id]
    assert ids(submitted_to="2026-06-30") == [june.id]
    assert ids(submitted_from="2026-06-30", submitted_to="2026-06-30") == [june.id]
    assert ids(submitted_from="2026-07-01", submitted_to="2026-07-01") == [late_june.id]
    assert ids(submitted_from="2026-07-02") == []


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"status": "nonsense"}, {"status"}),
        ({"status": "draft"}, {"status"}),
        ({"submitted_from": "2026-13-01"}, {"submitted_from"}),
        ({"submitted_to": "yesterday"}, {"submitted_to"}),
        ({"submitted_from": "2026-11-02", "submitted_to": "2026-11-01"}, {"submitted_to"}),
        ({"page": "0"}, {"page"}),
        ({"page_size": "1000"}, {"page_size"}),
    ],
)
def test_bad_filters_are_a_422_with_reasons(client, finance_header, query, fields):
    body = get_json(client, CLAIMS, status=422, headers=finance_header, query_string=query)
    assert body["code"] == 422
    assert set(body["errors"]["query"]) == fields
    for reasons in body["errors"]["query"].values():
        assert reasons and all(isinstance(r, str) and r for r in reasons)


# -- One claim in full -----------------------------------------------------------------------------


def test_one_claim_in_full_for_finance(client, partner, finance, finance2, finance_header, storage):
    claim = services.start_claim(partner)
    drive(claim, "12.5", dt.date(2026, 11, 16), passengers=1)
    parking(claim, 27_000, receipt=("Car park.pdf", PDF), no_receipt_reason="")
    taxi = services.add_line(
        claim,
        category=category("taxi"),
        spent_on=dt.date(2026, 11, 17),
        description="Taxi home after the late panel",
        amount_pence=1800,
        reason="No buses after 10pm",
        no_receipt_reason="The driver had no receipts",
    )
    services.submit_claim(claim)
    amounts = {line.id: line.amount_pence for line in claim.lines}
    amounts[taxi.id] = 1500
    services.approve_claim(claim, finance, amounts, "Taxi paid at the usual fare")
    finance.full_name = "Frances Finance"
    db.session.commit()

    body = get_json(client, f"{CLAIMS}/{claim.id}", headers=finance_header)
    assert body["status"] == "submitted"
    assert body["awaiting_second_approval"] is True
    assert body["total_claimed_pence"] == 625 + 27_000 + 1800
    assert body["flags"] == ["no_receipt"]
    mileage, car_park, cab = body["lines"]
    assert mileage["category"] == {"code": "mileage", "name": "Mileage", "ledger_code": ""}
    assert mileage["amount_pence"] == 625
    assert mileage["approved_pence"] == 625
    assert mileage["mileage"] == {
        "vehicle": "car_or_van",
        "vehicle_text": "Car or van",
        "miles": "12.5",
        "miles_tenths": 125,
        "passengers": 1,
        "working": "12.5 miles at 45p, plus 1 passenger at 5p a mile",
    }
    assert mileage["spent_on"] == "2026-11-16"
    assert car_park["mileage"] is None
    assert car_park["amount_pence"] == 27_000
    assert car_park["flags"] == []
    assert car_park["receipts"] == [
        {
            "id": claim.lines[1].receipts[0].id,
            "original_name": "Car park.pdf",
            "content_type": "application/pdf",
            "size_bytes": len(PDF),
            "uploaded_at": car_park["receipts"][0]["uploaded_at"],
        }
    ]
    assert cab["approved_pence"] == 1500
    assert cab["reason"] == "No buses after 10pm"
    assert cab["no_receipt_reason"] == "The driver had no receipts"
    assert cab["flags"] == [
        {"code": "no_receipt", "text": "No receipt: the claimant gave a reason"}
    ]
    (approval,) = body["approvals"]
    assert approval["approver"] == {"id": finance.id, "name": "Frances Finance"}
    assert approval["level"] == 1
    assert approval["decision"] == "approve"
    assert approval["note"] == "Taxi paid at the usual fare"

    services.approve_claim(db.session.merge(claim), finance2, amounts)
    body = get_json(client, f"{CLAIMS}/{claim.id}", headers=finance_header)
    assert body["status"] == "partly_approved"
    assert body["total_approved_pence"] == 625 + 27_000 + 1500
    assert body["awaiting_second_approval"] is False
    assert [a["level"] for a in body["approvals"]] == [1, 2]
    assert body["expected_payment_date"] == "2026-12-04"  # 10 working days from Friday 20 Nov
    raw = client.get(f"{CLAIMS}/{claim.id}", headers=finance_header).get_data(as_text=True)
    assert claim.lines[1].receipts[0].storage_key not in raw
    assert "storage_key" not in raw
    assert partner.email not in raw


def test_a_draft_or_missing_claim_is_not_found(client, partner, finance_header):
    draft = services.start_claim(partner)
    parking(draft)
    cancelled_draft = services.start_claim(partner)
    services.cancel_claim(cancelled_draft, partner)
    for claim_id in (draft.id, cancelled_draft.id, 999_999):
        body = get_json(client, f"{CLAIMS}/{claim_id}", status=404, headers=finance_header)
        assert body["message"] == "There is no sent claim with this ID"


def test_a_cancelled_claim_shows_why(client, partner, finance_header):
    claim = submitted_claim(partner, 500)
    services.cancel_claim(claim, partner, "Sent twice by mistake")
    body = get_json(client, f"{CLAIMS}/{claim.id}", headers=finance_header)
    assert body["status_text"] == "Cancelled"
    assert body["cancel_reason"] == "Sent twice by mistake"


# -- Scale -----------------------------------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        self.statements.append(statement)


def count_statements(client, path: str, **kwargs: Any) -> list[str]:  # type: ignore[no-untyped-def]
    counter = Counter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        response = client.get(path, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    assert response.status_code == 200
    return counter.statements


def _claims(partner, finance, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        claim = services.start_claim(partner)
        parking(claim, 100 + i, no_receipt_reason="", receipt=("r.pdf", PDF))
        drive(claim, "3", dt.date(2026, 11, 16))
        services.submit_claim(claim)
        if i % 2:
            services.approve_claim(claim, finance, {x.id: x.amount_pence for x in claim.lines})


def test_a_constant_number_of_queries_however_many_claims(
    client, login, partner, finance, finance_header, storage
):
    _claims(partner, finance, 2)
    few = count_statements(client, CLAIMS, headers=finance_header, query_string={"page_size": 100})
    _claims(partner, finance, 10)
    many = count_statements(client, CLAIMS, headers=finance_header, query_string={"page_size": 100})
    assert len(many) == len(few), many
    login(partner)
    few_mine = count_statements(client, MINE, query_string={"page_size": 100})
    _claims(partner, finance, 5)
    many_mine = count_statements(client, MINE, query_string={"page_size": 100})
    assert len(many_mine) == len(few_mine), many_mine
