"""The payments API: finance read runs and payments by token; a payee reads their own."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import event

from lep.accounts.tokens import generate_api_token
from lep.db import utcnow
from lep.extensions import db
from lep.partners.models import BankDetails
from lep.payments.models import PaymentRun
from tests.api.conftest import bearer, staff_header, token_for  # noqa: F401  (fixtures)
from tests.payments.test_reconciliation import a_claim, a_payment, a_run, an_event

RUNS = "/api/v1/payment-runs"
PAYMENTS = "/api/v1/payments"
MINE = "/api/v1/me/payments"


def get_json(client, path: str, status: int = 200, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
    response = client.get(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


@pytest.fixture
def finance_header(finance, token_for):  # noqa: F811
    return bearer(token_for(finance))


@pytest.fixture
def sam(make_user):
    return make_user("partner", full_name="Sam Partner")


@pytest.fixture
def kit(make_user):
    return make_user("partner", full_name="Kit Partner")


# -- Who may read ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [RUNS, PAYMENTS])
def test_only_finance_read_runs_and_payments_and_only_by_token(
    client,
    login,
    make_user,
    staff_header,  # noqa: F811
    token_for,  # noqa: F811
    finance,
    finance_header,
    path,
):
    assert get_json(client, path, status=401)["message"].startswith("Send a valid personal")
    assert client.get(path).headers["WWW-Authenticate"] == 'Bearer realm="lep"'
    for role in ("hr", "admin", "panel"):
        assert get_json(client, path, status=403, headers=staff_header(role))["code"] == 403
    # A partner who is also on a panel has a staff token: still not finance.
    both = make_user("panel", "partner")
    get_json(client, path, status=403, headers=bearer(token_for(both)))
    # A partner's own token (were one made) signs nobody in: tokens are for staff.
    partner = make_user("partner")
    secret = generate_api_token(partner, "sneaky").secret
    db.session.commit()
    get_json(client, path, status=401, headers=bearer(secret))
    login(finance)  # a browser session is not enough for finance's lists
    get_json(client, path, status=401)
    assert get_json(client, path, headers=finance_header) == []


def test_a_payee_reads_only_their_own_payments(
    client,
    login,
    finance,
    sam,
    kit,
    make_user,
    token_for,  # noqa: F811
):
    run = a_run(finance, 3500)
    mine = a_payment(run, sam, 2500, "paid", claims=[a_claim(sam, 1000), a_claim(sam, 1500)])
    a_payment(run, kit, 1000, "paid")
    cancelled = a_run(finance, 700, status="cancelled")
    a_payment(cancelled, sam, 700, "pending", sent_days_ago=None)
    db.session.add(
        BankDetails(
            user_id=sam.id,
            ciphertext="gAAAA-not-shown",
            masked="Account ending 3445",
            changed_at=utcnow() - dt.timedelta(days=30),
        )
    )
    db.session.commit()
    assert get_json(client, MINE, status=401)["code"] == 401
    login(sam)
    body = get_json(client, MINE)
    assert [p["id"] for p in body] == [mine.id]  # not Kit's, not a cancelled run's
    (payment,) = body
    assert payment["amount_pence"] == 2500
    assert payment["status"] == "paid" and payment["status_text"] == "Paid"
    assert payment["reference"] == mine.reference
    assert payment["paid_at"].endswith("+00:00")
    assert [(i["kind"], i["amount_pence"]) for i in payment["items"]] == [
        ("claim", 1000),
        ("claim", 1500),
    ]
    assert payment["items"][0]["claim_reference"] == mine.items[0].claim.reference
    raw = client.get(MINE).get_data(as_text=True)
    for word in ("3445", "ciphertext", "masked", "key", "test-", "provider_reference", "Kit"):
        assert word not in raw
    # A status filter.
    assert get_json(client, MINE, query_string={"status": "failed"}) == []


def test_a_staff_member_who_is_paid_reads_their_payments_by_token(
    client,
    finance,
    make_user,
    token_for,  # noqa: F811
):
    person = make_user("panel", "partner")
    payment = a_payment(a_run(finance, 900), person, 900, "sent")
    db.session.commit()
    body = get_json(client, MINE, headers=bearer(token_for(person)))
    assert [p["id"] for p in body] == [payment.id]


# -- Finance's lists -------------------------------------------------------------------------------


def test_runs_newest_first_with_counts_filtered_by_status(
    client, finance, finance_header, sam, kit
):
    old = a_run(finance, 1000, status="paid")
    a_payment(old, sam, 1000)
    new = a_run(finance, 3000, status="sent")
    a_payment(new, sam, 1000, "sent")
    a_payment(new, kit, 2000, "sent")
    new.held = [{"user_id": 99, "amount_pence": 450, "reason": "No bank details yet"}]
    db.session.commit()
    body = get_json(client, RUNS, headers=finance_header)
    assert [r["id"] for r in body] == [new.id, old.id]
    first = body[0]
    assert first["reference"] == new.reference
    assert (first["status"], first["status_text"]) == ("sent", "Sent")
    assert (first["total_pence"], first["payment_count"]) == (3000, 2)
    assert (first["held_count"], first["held_pence"]) == (1, 450)
    assert "No bank details yet" not in json.dumps(body)
    only_paid = get_json(client, RUNS, headers=finance_header, query_string={"status": "paid"})
    assert [r["id"] for r in only_paid] == [old.id]
    both = get_json(
        client, RUNS, headers=finance_header, query_string=[("status", "paid"), ("status", "sent")]
    )
    assert len(both) == 2


def test_runs_are_paginated(client, finance, finance_header):
    for _ in range(3):
        a_run(finance, 100, status="draft")
    db.session.commit()
    response = client.get(RUNS, headers=finance_header, query_string={"page_size": 2, "page": 2})
    assert response.status_code == 200
    assert len(response.get_json()) == 1
    assert json.loads(response.headers["X-Pagination"])["total"] == 3


def test_payments_filtered_by_status_and_run_without_secrets(
    client, finance, finance_header, sam, kit
):
    first = a_run(finance, 3000)
    failed = a_payment(first, sam, 1000, "failed")
    sent = a_payment(first, kit, 2000, "sent")
    sent.provider_reference = "tr_123"
    second = a_run(finance, 500)
    again = a_payment(second, sam, 500, "pending", sent_days_ago=None)
    an_event("payment.sent", sent, 2000, payload={"secret": "whsec_nope", "bank": "00733445"})
    db.session.commit()
    body = get_json(client, PAYMENTS, headers=finance_header)
    assert [p["id"] for p in body] == [again.id, failed.id, sent.id]  # newest run first
    by_id = {p["id"]: p for p in body}
    assert by_id[sent.id]["payee"] == {"id": kit.id, "name": "Kit Partner"}
    assert by_id[sent.id]["run"] == {"id": first.id, "reference": first.reference}
    assert by_id[sent.id]["provider_reference"] == "tr_123"
    assert by_id[failed.id]["failure_reason"] == "The bank refused it"
    assert by_id[failed.id]["items"][0]["kind"] == "claim"
    raw = json.dumps(body)
    for word in ("whsec_nope", "00733445", '"key"', sent.key):
        assert word not in raw

    def ids(**query: Any) -> list[int]:
        return [
            p["id"] for p in get_json(client, PAYMENTS, headers=finance_header, query_string=query)
        ]

    assert ids(status="failed") == [failed.id]
    assert ids(run_id=first.id) == [failed.id, sent.id]
    assert ids(run_id=second.id, status="pending") == [again.id]
    assert ids(run_id=2_000_000) == []


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        (RUNS, {"status": "finished"}, "status"),
        (PAYMENTS, {"status": "lost"}, "status"),
        (PAYMENTS, {"run_id": "abc"}, "run_id"),
        (PAYMENTS, {"run_id": "0"}, "run_id"),
        (PAYMENTS, {"run_id": "99999999999"}, "run_id"),
        (MINE, {"status": "everything"}, "status"),
        (RUNS, {"page_size": "1000"}, "page_size"),
    ],
)
def test_bad_filters_are_a_422_with_reasons(
    client,
    make_user,
    finance_header,
    token_for,  # noqa: F811
    path,
    query,
    field,
):
    headers = finance_header if path != MINE else bearer(token_for(make_user("finance", "partner")))
    body = get_json(client, path, status=422, headers=headers, query_string=query)
    assert body["code"] == 422
    location = "query"
    assert field in body["errors"][location], body


def test_the_openapi_document_describes_the_payments_endpoints(client):
    spec = get_json(client, "/api/v1/openapi.json")
    for path in ("/api/v1/payment-runs", "/api/v1/payments", "/api/v1/me/payments"):
        assert "get" in spec["paths"][path]
    assert "key" not in spec["components"]["schemas"]["Payment"]["properties"]


# -- Scale -----------------------------------------------------------------------------------------


def count_statements(client, path: str, **kwargs: Any) -> list[str]:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_data(as_text=True)
    return statements


def _runs(finance, people, n: int) -> None:
    for _ in range(n):
        run = a_run(finance, 1000 * len(people))
        for person in people:
            a_payment(
                run, person, 1000, "paid", claims=[a_claim(person, 400), a_claim(person, 600)]
            )
    db.session.commit()


def test_a_constant_number_of_queries_however_many_payments(
    client, login, finance, finance_header, sam, kit
):
    _runs(finance, [sam, kit], 2)
    query = {"page_size": 100}
    few = [
        count_statements(client, p, headers=finance_header, query_string=query)
        for p in (RUNS, PAYMENTS)
    ]
    _runs(finance, [sam, kit], 8)
    many = [
        count_statements(client, p, headers=finance_header, query_string=query)
        for p in (RUNS, PAYMENTS)
    ]
    assert [len(s) for s in many] == [len(s) for s in few], many
    login(sam)
    few_mine = count_statements(client, MINE, query_string=query)
    _runs(finance, [sam], 6)
    many_mine = count_statements(client, MINE, query_string=query)
    assert len(many_mine) == len(few_mine), many_mine


def test_a_run_id_that_is_a_real_run_lists_its_payments_only(client, finance, finance_header, sam):
    run = a_run(finance, 1000)
    a_payment(run, sam, 1000)
    other = a_run(finance, 1000)
    a_payment(other, sam, 1000)
    db.session.commit()
    assert db.session.get(PaymentRun, run.id) is not None
    body = get_json(client, PAYMENTS, headers=finance_header, query_string={"run_id": run.id})
    assert {p["run"]["id"] for p in body} == {run.id}
