"""Involvement and payments pages through the test client: logging with bad input, choices,
approvals and who may see them, the payments overview with its warning, the statement."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from lep.extensions import db
from lep.partners import involvement as services
from lep.partners.models import Involvement
from tests.conftest import csrf_from, sign_in
from tests.helpers import error_at, summary_links
from tests.partners.test_involvement import NOW, appoint, log, ppv, sessional_role
from tests.partners.test_statements import fee, london, paid
from tests.roles.public_data import main_text


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


def post(client, url: str, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/dashboard").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def entry(**fields: Any) -> dict[str, Any]:
    data = {
        "happened_on-day": "17",
        "happened_on-month": "11",
        "happened_on-year": "2026",
        "description": "Patient safety panel",
        "duration_kind": "hours",
        "hours": "2",
        "minutes": "30",
        "prep_hours": "1",
        "prep_minutes": "",
        "fee_choice": "pay",
    }
    data.update(fields)
    return data


@pytest.fixture
def partner(make_user, login):
    user = make_user("partner", full_name="Sam Partner")
    appoint(user, sessional_role())  # £20 an hour
    login(user)
    return user


def test_a_partner_logs_involvement_and_sees_it_priced(client, partner):
    page = client.get("/involvement/new").get_data(as_text=True)
    assert "<title>Log involvement - " in page
    assert "Gift vouchers and other ways of paying count as income for benefits and tax" in page
    # One voice throughout the choice: the person speaking ("me", "my"), never "your".
    assert "I do not want to be paid for this (my expenses are still paid)" in page
    assert "(your expenses are still paid)" not in page
    response = post(client, "/involvement/new", entry())
    assert response.status_code == 302
    listing = main_text(client.get("/involvement").get_data(as_text=True))
    assert "17 November 2026" in listing
    assert "2.5 hours at £20.00 an hour, plus 1 hour's preparation: £70.00" in listing
    assert "Waiting for approval" in listing


def test_bad_input_is_shown_at_the_field_and_what_was_typed_is_kept(client, partner):
    response = post(
        client,
        "/involvement/new",
        entry(**{"happened_on-day": "31", "happened_on-month": "2"}, description="", hours="two"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Log involvement - " in html
    assert error_at(html, "hours") == "Hours must be a whole number, like 2"
    assert error_at(html, "happened_on") == "The date of the involvement must be a real date"
    assert ("#hours", "Hours must be a whole number, like 2") in summary_links(html)
    assert 'value="two"' in html and 'value="31"' in html
    assert db.session.scalar(select(Involvement.id)) is None
    again = post(client, "/involvement/new", entry(description="", fee_choice=""))
    html = again.get_data(as_text=True)
    assert error_at(html, "fee_choice") == "Select how you want to be paid for this"
    future = post(client, "/involvement/new", entry(**{"happened_on-day": "21"}))
    assert error_at(future.get_data(as_text=True), "happened_on") == (
        "The date must be today or in the past"
    )
    assert db.session.scalar(select(Involvement.id)) is None


@pytest.mark.parametrize(
    ("part", "typed", "message"),
    [
        ("day", "9" * 19, "Day must be 1 or 2 numbers"),
        ("month", "1" + "0" * 30, "Month must be 1 or 2 numbers"),
        ("year", "9" * 19, "Year must include 4 numbers"),
    ],
)
def test_a_huge_day_month_or_year_gets_a_message_not_a_500(client, partner, part, typed, message):
    response = post(client, "/involvement/new", entry(**{f"happened_on-{part}": typed}))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_at(html, "happened_on") == message
    assert f'value="{typed[:20]}"' in html
    assert db.session.scalar(select(Involvement.id)) is None


def test_people_who_cannot_log_are_told_who_can(client, make_user, login):
    login(make_user("applicant"))
    page = client.get("/involvement/new")
    assert page.status_code == 200
    assert "You cannot log involvement with this account" in page.get_data(as_text=True)


def test_a_partner_changes_their_choice_and_nobody_else_can(app, client, partner, make_user):
    inv = log(partner)
    page = client.get(f"/involvement/{inv.id}/choice").get_data(as_text=True)
    assert "Gift vouchers and other ways of paying count as income" in page
    assert (
        post(client, f"/involvement/{inv.id}/choice", {"fee_choice": "decline"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Involvement, inv.id).fee_choice == "decline"
    other = app.test_client()
    sign_in(other, make_user("partner").email)
    assert other.get(f"/involvement/{inv.id}/choice").status_code == 404
    assert post(other, f"/involvement/{inv.id}/choice", {"fee_choice": "pay"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Involvement, inv.id).fee_choice == "decline"


def test_the_contact_approves_from_the_queue(client, make_user, login):
    partner = make_user("partner", full_name="Sam Partner")
    appoint(partner, sessional_role(ppv()))
    inv = log(partner, duration_kind="day", minutes=0)
    contact = make_user("hr", email="contact@example.org")
    login(contact)
    queue = main_text(client.get("/involvement/approvals").get_data(as_text=True))
    assert "Sam Partner" in queue and "£150.00" in queue
    refused = post(client, f"/involvement/approvals/{inv.id}", {"decision": "reject", "note": ""})
    html = refused.get_data(as_text=True)
    assert error_at(html, "note") == "Enter why it is not approved: the partner will see this"
    assert (
        post(client, f"/involvement/approvals/{inv.id}", {"decision": "approve"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Involvement, inv.id).status == "approved"
    assert "nothing waiting" in client.get("/involvement/approvals").get_data(as_text=True)


def test_a_partner_who_is_hr_cannot_open_their_own_approval(client, make_user, login):
    partner = make_user("partner", "hr", email="contact@example.org")
    appoint(partner, sessional_role())
    inv = log(partner)
    login(partner)
    assert "nothing waiting" in client.get("/involvement/approvals").get_data(as_text=True)
    assert client.get(f"/involvement/approvals/{inv.id}").status_code == 404
    assert (
        post(client, f"/involvement/approvals/{inv.id}", {"decision": "approve"}).status_code == 404
    )
    db.session.expire_all()
    assert db.session.get(Involvement, inv.id).status == "submitted"


def test_partners_cannot_reach_the_approval_queue(client, partner):
    assert client.get("/involvement/approvals").status_code == 403


def test_finance_records_a_fee_paid_another_way(client, make_user, login):
    partner = make_user("partner", full_name="Olu Otherway")
    appoint(partner, sessional_role())
    inv = log(partner, fee_choice="other_way")
    services.approve(inv, make_user("hr", email="contact@example.org"))
    login(make_user("finance"))
    assert "Olu Otherway" in client.get("/finance/involvement/other-way").get_data(as_text=True)
    empty = post(client, f"/finance/involvement/{inv.id}/other-way", {"note": ""})
    assert error_at(empty.get_data(as_text=True), "note") == "Enter how it was paid"
    done = post(client, f"/finance/involvement/{inv.id}/other-way", {"note": "£60 in vouchers"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Involvement, inv.id).status == "paid"


# --- Payments -----------------------------------------------------------------------------------


def test_the_payments_page_shows_this_week_this_year_and_waiting(client, partner, monkeypatch):
    from lep.partners import statements

    monkeypatch.setattr(statements, "utcnow", lambda: london(2026, 11, 25, 12, 0))
    paid(partner, london(2026, 11, 23, 9, 0), fees=(6000,), expenses=(1250,))
    paid(partner, london(2026, 6, 1, 9, 0), fees=(3000,))
    fee(partner, 7500, status="approved")
    text = main_text(client.get("/account/payments").get_data(as_text=True))
    assert "Monday 23 November 2026 to Sunday 29 November 2026" in text
    assert "This week Monday 23 November 2026 to Sunday 29 November 2026. Fees paid £60.00" in text
    assert "This tax year (2026/27)" in text and "Fees paid £90.00" in text
    assert "Approved and waiting to be paid Fees £75.00" in text
    assert "You may go over your weekly amount" not in text
    assert "which benefits" in text  # says it never asks, and does not ask

    bad = post(client, "/account/payments/weekly-amount", {"amount": "lots"})
    assert error_at(bad.get_data(as_text=True), "amount") == (
        "Enter the amount in pounds and pence, like 150 or 150.50"
    )
    assert 'value="lots"' in bad.get_data(as_text=True)
    assert post(client, "/account/payments/weekly-amount", {"amount": "100"}).status_code == 302
    text = main_text(client.get("/account/payments").get_data(as_text=True))
    assert "If all of this is paid this week you would go over the £100.00 you set" in text
    assert post(client, "/account/payments/weekly-amount/clear", {}).status_code == 302
    assert "you would go over" not in client.get("/account/payments").get_data(as_text=True)


def test_a_weekly_amount_typed_with_a_decimal_comma_is_refused_not_read_100_times(client, partner):
    bad = post(client, "/account/payments/weekly-amount", {"amount": "12,50"})
    html = bad.get_data(as_text=True)
    assert error_at(html, "amount") == (
        "\u201c12,50\u201d could mean £12.50 or £1,250.00. Use a full stop before the pence, "
        "like 12.50"
    )
    assert 'value="12,50"' in html
    assert post(client, "/account/payments/weekly-amount", {"amount": "1,250"}).status_code == 302
    text = main_text(client.get("/account/payments").get_data(as_text=True))
    assert "£1,250.00" in text


def test_the_statement_page_and_pdf(client, partner, monkeypatch):
    from lep.partners import statements

    monkeypatch.setattr(statements, "utcnow", lambda: london(2026, 11, 25, 12, 0))
    payment = paid(partner, london(2026, 4, 6, 0, 0), fees=(7500,), expenses=(1234,))
    text = main_text(client.get("/account/payments/statement/2026").get_data(as_text=True))
    assert "Statement of payments 2026/27" in text
    assert f"6 April 2026 {payment.reference} Involvement fee 7500 Expenses 1234 £87.34" in text
    assert "Total paid £87.34" in text
    earlier = client.get("/account/payments/statement/2025").get_data(as_text=True)
    assert "We made no payments to you in this tax year" in earlier
    assert client.get("/account/payments/statement/2027").status_code == 404  # not started
    pdf = client.get("/account/payments/statement/2026.pdf")
    if pdf.status_code == 302:  # WeasyPrint missing on this machine: the page says so
        pytest.skip("WeasyPrint cannot make PDFs here")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_nobody_sees_another_person_payments(client, make_user, login):
    other = make_user("partner")
    paid(other, dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC), fees=(5000,))
    login(make_user("partner"))
    text = client.get("/account/payments/statement/2026").get_data(as_text=True)
    assert "We made no payments to you in this tax year" in text
