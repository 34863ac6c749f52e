"""Reconciliation: runs, payments and provider events for a period, mismatches flagged in words."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from typing import Any

import pytest
from sqlalchemy import event, select

from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.expenses.models import Claim
from lep.extensions import db
from lep.payments import reconciliation
from lep.payments.models import Payment, PaymentItem, PaymentRun, ProviderEventRecord
from lep.payments.reconciliation import Period
from lep.timeutil import LONDON, format_date
from tests.conftest import sign_in
from tests.helpers import error_at

PAGE = "/finance/payments/reports/reconciliation"
CSV = "/finance/payments/reports/reconciliation.csv"
UTC = dt.UTC
_ids = itertools.count(1)


# -- Building data directly ----------------------------------------------------------------------


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


@pytest.fixture
def sam(make_user):
    return make_user("partner", full_name="Sam Partner")


def a_claim(user, pence: int = 1000) -> Claim:
    n = next(_ids)
    claim = Claim(
        claimant_id=user.id,
        status="scheduled",
        reference=f"EXP-2026-9{n:05d}",
        submitted_at=utcnow() - dt.timedelta(days=20),
        decided_at=utcnow() - dt.timedelta(days=15),
        total_claimed_pence=pence,
        total_approved_pence=pence,
    )
    db.session.add(claim)
    db.session.flush()
    return claim


def a_run(by, total: int, status: str = "sent", created_at: dt.datetime | None = None):
    run = PaymentRun(
        provider="bacs", status=status, total_pence=total, created_by_id=by.id, held=[]
    )
    if created_at is not None:
        run.created_at = created_at
    db.session.add(run)
    db.session.flush()
    run.reference = f"RUN-2026-{run.id:06d}"
    return run


def a_payment(
    run,
    user,
    amount: int,
    status: str = "paid",
    *,
    claims: list[Claim] | None = None,
    sent_days_ago: float | None = 1,
    created_at: dt.datetime | None = None,
    released: bool | None = None,
) -> Payment:
    claims = claims if claims is not None else [a_claim(user, amount)]
    n = next(_ids)
    now = utcnow()
    sent_at = now - dt.timedelta(days=sent_days_ago) if sent_days_ago is not None else None
    payment = Payment(
        run=run,
        user_id=user.id,
        amount_pence=amount,
        key=f"test-{run.id}-{n}",
        reference=f"LEP PAY T{n:05d}",
        status=status,
        sent_at=sent_at if status != "pending" else None,
        paid_at=now if status == "paid" else None,
        failure_reason="The bank refused it" if status == "failed" else "",
    )
    if created_at is not None:
        payment.created_at = created_at
    # As the runs release them: a failed payment's items, and a cancelled run's, hold nothing.
    if released is None:
        released = status == "failed" or run.status == "cancelled"
    released_at = now if released else None
    for claim in claims:
        payment.items.append(
            PaymentItem(
                claim_id=claim.id,
                amount_pence=claim.total_approved_pence,
                description=f"Expenses claim {claim.reference}",
                released_at=released_at,
            )
        )
    db.session.add(payment)
    db.session.flush()
    return payment


def an_event(
    kind: str,
    payment: Payment | None = None,
    amount: int | None = None,
    outcome: str = "",
    payload: dict[str, Any] | None = None,
) -> ProviderEventRecord:
    record = ProviderEventRecord(
        provider="stripe",
        event_id=f"evt_test_{next(_ids)}",
        type=kind,
        payment_id=payment.id if payment is not None else None,
        amount_pence=amount,
        outcome=outcome,
        payload=payload or {},
    )
    db.session.add(record)
    db.session.flush()
    return record


def today_period() -> Period:
    today = utcnow().astimezone(LONDON).date()
    return Period(today - dt.timedelta(days=30), today)


def flags_of(rows: list[Any]) -> list[list[str]]:
    return [row.flags for row in rows]


def row_text(page: str, row_id: str) -> str:
    match = re.search(rf'<tr class="nhsuk-table__row" id="{row_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row {row_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


# -- The mismatches ------------------------------------------------------------------------------


def test_a_run_whose_total_is_not_the_sum_of_its_payments_is_flagged(finance, sam, make_user):
    kit = make_user("partner", full_name="Kit Partner")
    good = a_run(finance, 3000)
    a_payment(good, sam, 1000)
    a_payment(good, kit, 2000)
    bad = a_run(finance, 3000)
    a_payment(bad, sam, 1000)
    a_payment(bad, kit, 1999)
    empty = a_run(finance, 500, status="cancelled")
    db.session.commit()
    page = reconciliation.page_of(today_period(), "runs")
    by_id = {row.run.id: row for row in page.items}
    assert by_id[good.id].flags == []
    assert by_id[bad.id].flags == [
        "The run's total, £30.00, does not equal the sum of its payments, £29.99"
    ]
    assert by_id[empty.id].payments_pence == 0
    assert by_id[empty.id].flags == [
        "The run's total, £5.00, does not equal the sum of its payments, £0.00"
    ]
    summary = reconciliation.summary(today_period(), utcnow(), 5)
    assert (summary.runs, summary.run_totals) == (3, 2)


def test_a_payment_sent_too_long_ago_without_confirmation_is_flagged(
    app, finance, sam, monkeypatch
):
    run = a_run(finance, 4000)
    late = a_payment(run, sam, 1000, "sent", sent_days_ago=6)
    recent = a_payment(run, sam, 1000, "sent", sent_days_ago=4)
    paid = a_payment(run, sam, 1000, "paid", sent_days_ago=10)
    failed_long_ago = a_payment(run, sam, 1000, "failed", sent_days_ago=10)
    # ...whose claim went into a later payment, so it is not flagged for that either.
    later = a_run(finance, 1000)
    a_payment(later, sam, 1000, "pending", claims=[failed_long_ago.items[0].claim])
    db.session.commit()
    flags = {row.payment.id: row.flags for row in reconciliation.page_of(today_period()).items}
    (text,) = flags[late.id]
    assert text.startswith("Sent 6 days ago, on ")
    assert text.endswith("and not confirmed as paid (confirmation is expected within 5 days)")
    assert flags[recent.id] == flags[paid.id] == flags[failed_long_ago.id] == []
    # The number of days comes from config.
    monkeypatch.setitem(app.config, "PAYMENT_CONFIRMATION_DAYS", 3)
    flags = {row.payment.id: row.flags for row in reconciliation.page_of(today_period()).items}
    assert flags[recent.id][0].startswith("Sent 4 days ago")
    assert "within 3 days" in flags[recent.id][0]
    monkeypatch.setitem(app.config, "PAYMENT_CONFIRMATION_DAYS", 7)
    flags = {row.payment.id: row.flags for row in reconciliation.page_of(today_period()).items}
    assert flags[late.id] == []


def test_a_failed_payment_whose_items_were_not_picked_up_again_is_flagged(finance, sam):
    first = a_run(finance, 6000)
    picked, left, refailed, cancelled = (a_claim(sam, 1000) for _ in range(4))
    whole = a_payment(first, sam, 2000, "failed", claims=[picked, left])
    again = a_payment(first, sam, 1000, "failed", claims=[refailed])
    in_cancelled = a_payment(first, sam, 1000, "failed", claims=[cancelled])
    all_back = a_payment(first, sam, 1000, "failed", claims=[a_claim(sam, 1000)])
    second = a_run(finance, 3000)
    a_payment(second, sam, 1000, "sent", claims=[picked])
    a_payment(second, sam, 1000, "failed", claims=[refailed])  # failed again: not picked up
    a_payment(second, sam, 1000, "paid", claims=[all_back.items[0].claim])
    dropped = a_run(finance, 1000, status="cancelled")
    a_payment(dropped, sam, 1000, "pending", claims=[cancelled])
    db.session.commit()
    flags = {row.payment.id: row.flags for row in reconciliation.page_of(today_period()).items}
    assert flags[whole.id] == [
        "Failed, and 1 of its 2 items has not been picked up again by a later payment"
    ]
    assert flags[again.id] == [
        "Failed, and 1 of its 1 item has not been picked up again by a later payment"
    ]
    assert flags[in_cancelled.id] == flags[again.id]
    assert flags[all_back.id] == []
    summary = reconciliation.summary(today_period(), utcnow(), 5)
    # The second run's own failed payment is not picked up either.
    assert summary.failed_not_picked_up == 4


def test_a_claim_in_two_live_payments_is_flagged(finance, sam):
    """Two runs built at once before the database refused it: both payments stand, and the later
    item was released by the migration so that the one-live-payment index could be made.
    Reconciliation reads the payments' and runs' statuses, so it still sees the pair."""
    claim, other = a_claim(sam, 1000), a_claim(sam, 500)
    first = a_payment(a_run(finance, 1500), sam, 1500, "paid", claims=[claim, other])
    second = a_payment(a_run(finance, 1000), sam, 1000, "sent", claims=[claim], released=True)
    failed = a_payment(a_run(finance, 500), sam, 500, "failed", claims=[other])
    cancelled_run = a_run(finance, 500, status="cancelled")
    in_cancelled = a_payment(cancelled_run, sam, 500, "pending", claims=[other])
    db.session.commit()
    flags = {row.payment.id: row.flags for row in reconciliation.page_of(today_period()).items}
    doubled = (
        "Pays for a claim or fee that another payment also pays for: the same thing is in two "
        "live payments"
    )
    assert flags[first.id] == flags[second.id] == [doubled]
    assert doubled not in flags[failed.id] + flags[in_cancelled.id]  # neither stands
    summary = reconciliation.summary(today_period(), utcnow(), 5)
    assert summary.in_two_payments == 2
    only = reconciliation.page_of(today_period(), only_mismatches=True).items
    assert {first.id, second.id} <= {row.payment.id for row in only}


def test_provider_events_for_unknown_payments_and_differing_amounts_are_flagged(finance, sam):
    run = a_run(finance, 2500)
    payment = a_payment(run, sam, 2500, "sent")
    matching = an_event("payment.sent", payment, 2500, "payment sent")
    differs = an_event("payment.reversed", payment, 1000, "amount differs")
    unknown = an_event("payment.sent", None, 700, "unknown payment")
    unknown_payout = an_event("payout.paid", None, 900, "unknown payment")
    payout_differs = an_event("payout.paid", None, 1234, "amount differs")
    payee = an_event("payee.updated", None, None, "payee can be paid")
    db.session.commit()
    rows = reconciliation.page_of(today_period(), "events").items
    flags = {row.event.id: row.flags for row in rows}
    assert flags[matching.id] == flags[payee.id] == []
    assert flags[differs.id] == ["The event's amount, £10.00, differs from the payment's, £25.00"]
    assert (
        flags[unknown.id] == flags[unknown_payout.id] == ["An event for a payment we do not know"]
    )
    assert flags[payout_differs.id] == [
        "The event's amount, £12.34, does not match the payments we sent"
    ]
    summary = reconciliation.summary(today_period(), utcnow(), 5)
    assert (summary.events, summary.unknown_payments, summary.amounts_differ) == (6, 2, 2)
    assert summary.mismatches == 4


# -- The page ------------------------------------------------------------------------------------


def test_only_finance_see_the_reconciliation(app, client, make_user):
    assert client.get(PAGE).status_code == 302  # to sign in
    for role in ("hr", "partner", "admin", "panel", "finance"):
        browser = app.test_client()
        sign_in(browser, make_user(role).email)
        expected = 200 if role == "finance" else 403
        assert browser.get(PAGE).status_code == expected, role
        assert browser.get(CSV).status_code == expected, role


def test_the_page_shows_mismatches_in_words_and_can_show_only_them(client, login, finance, sam):
    run = a_run(finance, 2000)
    fine = a_payment(run, sam, 1000, "paid")
    late = a_payment(run, sam, 1000, "sent", sent_days_ago=9)
    an_event("payment.sent", None, 500, "unknown payment")
    db.session.commit()
    login(finance)
    page = client.get(PAGE).get_data(as_text=True)
    assert "1 mismatch in this period" not in page
    assert "2 mismatches in this period" in page
    assert "None" in row_text(page, f"payment-{fine.id}")
    late_row = row_text(page, f"payment-{late.id}")
    assert "Mismatch" in late_row and "Sent 9 days ago" in late_row
    assert "Sam Partner" in late_row and "£10.00" in late_row
    assert "Payments (2)" in page and "Provider events (1)" in page
    only = client.get(PAGE, query_string={"mismatches": "y"}).get_data(as_text=True)
    assert f'id="payment-{late.id}"' in only
    assert f'id="payment-{fine.id}"' not in only
    assert "1 payment with a mismatch" in only
    events = client.get(PAGE, query_string={"show": "events"}).get_data(as_text=True)
    assert "An event for a payment we do not know" in events
    runs = client.get(PAGE, query_string={"show": "runs"}).get_data(as_text=True)
    assert row_text(runs, f"run-{run.id}").endswith("None")


def test_the_period_is_london_dates_both_included(finance, sam):
    # 23:30 UTC on 30 June 2026 is 00:30 on 1 July in London (BST).
    midnight = dt.datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    run = a_run(finance, 1000, created_at=midnight)
    payment = a_payment(run, sam, 1000, "pending", sent_days_ago=None, created_at=midnight)
    db.session.commit()
    july = Period(dt.date(2026, 7, 1), dt.date(2026, 7, 1))
    june = Period(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    assert [r.payment.id for r in reconciliation.page_of(july).items] == [payment.id]
    assert [r.run.id for r in reconciliation.page_of(july, "runs").items] == [run.id]
    assert reconciliation.page_of(june).items == []
    assert reconciliation.page_of(june, "runs").items == []


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"date_from": "31/02/2026"},
            "date_from",
            "Enter a real date for from, like 2026-11-01",
        ),
        ({"date_to": "soon"}, "date_to", "Enter a real date for to, like 2026-11-30"),
        (
            {"date_from": "2026-11-02", "date_to": "2026-11-01"},
            "date_to",
            "To must be the same as or after from",
        ),
        (
            {"date_from": "0001-01-01"},
            "date_from",
            "From must be a date from 2000 to 2099, like 2026-11-01",
        ),
        (
            {"date_to": "9999-12-31"},
            "date_to",
            "To must be a date from 2000 to 2099, like 2026-11-01",
        ),
    ],
)
def test_bad_dates_are_shown_at_the_field_with_what_was_typed(
    client, login, finance, query, field, message
):
    login(finance)
    response = client.get(PAGE, query_string=query)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_at(page, field) == message
    assert f'value="{query[field]}"' in page
    assert "Correct the dates to see the reconciliation." in page
    download = client.get(CSV, query_string=query)
    assert download.status_code == 400
    assert error_at(download.get_data(as_text=True), field) == message


def test_the_csv_has_every_row_with_mismatches_and_no_formulas_or_payloads(
    client, login, finance, make_user
):
    tricky = make_user("partner", full_name='=HYPERLINK("http://evil")')
    run = a_run(finance, 1500)
    payment = a_payment(run, tricky, 1234, "sent", sent_days_ago=8)
    an_event(
        "payment.sent",
        payment,
        1200,
        "amount differs",
        payload={"data": {"object": {"bank_account": "00733445", "secret": "whsec_nope"}}},
    )
    db.session.commit()
    login(finance)
    response = client.get(CSV)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert "00733445" not in body and "whsec_nope" not in body
    rows = list(csv.DictReader(io.StringIO(body)))
    by_record = {row["Record"]: row for row in rows}
    assert set(by_record) == {"Run", "Payment", "Provider event"}
    assert by_record["Run"]["Amount GBP"] == "15.00"
    assert by_record["Run"]["Sum of payments or payment amount GBP"] == "12.34"
    assert by_record["Run"]["Mismatch"].startswith("The run's total, £15.00")
    assert by_record["Payment"]["Payee"] == '\'=HYPERLINK("http://evil")'
    assert by_record["Payment"]["Amount GBP"] == "12.34"
    assert by_record["Payment"]["Mismatch"].startswith("Sent 8 days ago")
    assert by_record["Provider event"]["Mismatch"] == (
        "The event's amount, £12.00, differs from the payment's, £12.34"
    )
    assert by_record["Provider event"]["Payment reference"] == payment.reference
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "payments.reconciliation_exported")
    )
    assert audit is not None and audit.actor_id == finance.id
    assert audit.after["rows"] == 3 and audit.after["mismatches"] == 3


# -- Scale ---------------------------------------------------------------------------------------


def count_statements(client, path: str, **kwargs: Any) -> tuple[list[str], str]:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return statements, response.get_data(as_text=True)


def _lots(finance, sam, n: int) -> None:
    run = a_run(finance, 1000 * n)
    for i in range(n):
        payment = a_payment(run, sam, 1000, "failed" if i % 3 == 0 else "sent", sent_days_ago=i)
        an_event("payment.sent", payment, 1000 if i % 2 else 999)
    db.session.commit()


@pytest.mark.parametrize("show", ["payments", "runs", "events"])
def test_a_page_is_a_fixed_number_of_queries(client, login, finance, sam, show):
    login(finance)
    _lots(finance, sam, 3)
    few, _ = count_statements(client, PAGE, query_string={"show": show})
    _lots(finance, sam, 30)
    many, _ = count_statements(client, PAGE, query_string={"show": show})
    assert len(many) == len(few), many


def test_fifty_to_a_page(client, login, finance, sam):
    login(finance)
    run = a_run(finance, 1000 * 55)
    for _ in range(55):
        a_payment(run, sam, 1000, "paid")
    db.session.commit()
    _, first = count_statements(client, PAGE)
    assert first.count('id="payment-') == 50
    assert "55 payments (page 1 of 2)" in first
    assert "Page 2 of 2" in first
    _, second = count_statements(client, PAGE, query_string={"page": 2})
    assert second.count('id="payment-') == 5
    _, beyond = count_statements(client, PAGE, query_string={"page": 99})
    assert beyond.count('id="payment-') == 0


def test_without_dates_the_last_30_days_and_a_lone_date_fills_the_other(client, login, finance):
    login(finance)
    today = utcnow().astimezone(LONDON).date()
    page = client.get(PAGE).get_data(as_text=True)
    assert f"{format_date(today - dt.timedelta(days=30))} to {format_date(today)}" in page
    page = client.get(PAGE, query_string={"date_to": "2026-03-31"}).get_data(as_text=True)
    assert "1 March 2026 to 31 March 2026" in page
    page = client.get(PAGE, query_string={"date_from": "2099-01-01"}).get_data(as_text=True)
    assert "1 January 2099 to 1 January 2099" in page
