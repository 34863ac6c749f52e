"""Finance keep the expense categories and the effective-dated policy, from their pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from lep.audit.models import AuditEvent
from lep.expenses import services
from lep.expenses.models import ExpenseCategory, ExpensePolicy
from lep.extensions import db
from tests.conftest import csrf_from
from tests.helpers import error_at, summary_links

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)  # Friday 20 November 2026
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


@pytest.fixture
def finance(make_user):
    return make_user("finance")


def text(response) -> str:
    return response.get_data(as_text=True)


def category(code: str) -> ExpenseCategory:
    found = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == code))
    assert found is not None
    return found


def post_form(client, url: str, **fields):
    page = text(client.get(url))
    return client.post(url, data={"csrf_token": csrf_from(page), **fields})


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


# -- Who -------------------------------------------------------------------------------------------

PAGES = [
    "/finance/expense-categories",
    "/finance/expense-categories/new",
    "/finance/expense-policy",
    "/finance/expense-policy/new",
]


@pytest.mark.parametrize("role", ["partner", "applicant", "hr", "admin", "panel"])
def test_only_finance_keep_categories_and_policy(client, login, make_user, role):
    login(make_user(role))
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    policy = services.policy_on(TODAY)
    assert client.get(f"/finance/expense-policy/{policy.id}").status_code == 403


# -- Categories ------------------------------------------------------------------------------------


def test_finance_add_a_category(client, login, finance):
    login(finance)
    listing = text(client.get("/finance/expense-categories"))
    assert "<title>Expense categories - " in listing
    assert "Carer, personal assistant or childcare costs" in listing

    response = post_form(
        client,
        "/finance/expense-categories/new",
        code="train_fares",
        name="Train fares",
        ledger_code="5420",
        needs_receipt="y",
        active="y",
    )
    assert response.status_code == 302
    html = text(client.get(response.headers["Location"]))
    assert "Train fares added." in html
    assert "train_fares" in html and "5420" in html
    added = category("train_fares")
    assert (added.needs_receipt, added.needs_reason, added.active) == (True, False, True)
    [event] = audit_events("expense_category.created")
    assert event.actor_id == finance.id
    assert event.after["ledger_code"] == "5420"


def test_a_bad_category_is_refused_at_its_fields_keeping_what_was_typed(client, login, finance):
    login(finance)
    response = post_form(
        client,
        "/finance/expense-categories/new",
        code="Train Fares!",
        name="",
        ledger_code="x" * 41,
    )
    assert response.status_code == 200
    html = text(response)
    assert "<title>Error: Add a category - " in html
    assert error_at(html, "name") == "Enter a name for the category"
    assert error_at(html, "ledger_code") == "Ledger code must be 40 characters or fewer"
    assert 'value="Train Fares!"' in html

    html = text(
        post_form(client, "/finance/expense-categories/new", code="Train Fares!", name="Trains")
    )
    assert error_at(html, "code").startswith("Code must start with a lower case letter")
    html = text(
        post_form(client, "/finance/expense-categories/new", code="parking", name="Car parks")
    )
    assert error_at(html, "code") == "There is already a category with the code parking"
    html = text(
        post_form(client, "/finance/expense-categories/new", code="car_parks", name="parking")
    )
    assert error_at(html, "name") == "There is already a category called parking"
    assert summary_links(html) == [("#name", "There is already a category called parking")]
    assert audit_events("expense_category.created") == []


def test_finance_change_a_category_but_never_its_code(client, login, finance):
    taxi = category("taxi")
    login(finance)
    url = f"/finance/expense-categories/{taxi.id}/edit"
    page = text(client.get(url))
    assert "<title>Change Taxi - " in page
    assert "a code cannot be changed" in page
    response = post_form(
        client, url, code="cab", name="Taxi or minicab", ledger_code="5430", needs_reason="y"
    )
    assert response.status_code == 302
    db.session.expire_all()
    taxi = category("taxi")  # the code is as it was
    assert (taxi.name, taxi.ledger_code, taxi.needs_receipt, taxi.needs_reason, taxi.active) == (
        "Taxi or minicab",
        "5430",
        False,
        True,
        False,
    )
    [event] = audit_events("expense_category.updated")
    assert event.before["name"] == "Taxi" and event.after["name"] == "Taxi or minicab"
    assert event.before["active"] is True and event.after["active"] is False
    assert client.get("/finance/expense-categories/999999/edit").status_code == 404


# -- Policy ----------------------------------------------------------------------------------------


def policy_fields(**changes: str) -> dict[str, str]:
    fields = {
        "effective_from": "2027-04-01",
        "claim_window_days": "60",
        "second_approval_over": "300",
        "payment_working_days": "5",
    }
    for c in db.session.scalars(select(ExpenseCategory).where(ExpenseCategory.active)):
        fields[f"cap_{c.id}_per_line"] = ""
        fields[f"cap_{c.id}_per_day"] = ""
        if c.needs_receipt:
            fields[f"cap_{c.id}_receipt"] = "y"
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def test_the_policy_list_marks_the_one_in_force(client, login, finance):
    login(finance)
    html = text(client.get("/finance/expense-policy"))
    assert "<title>Expense policy - " in html
    assert "1 January 2020" in html and "In force" in html
    assert "£250.00" in html and "90 days" in html and "10 working days" in html


def test_finance_add_a_policy_from_a_later_date_with_caps(client, login, finance):
    parking, meals = category("parking"), category("meals")
    login(finance)
    page = text(client.get("/finance/expense-policy/new"))
    # It starts from the policy in force.
    assert re.search(
        r'id="second_approval_over" name="second_approval_over"[^>]*value="250.00"', page
    )
    assert re.search(r'id="claim_window_days" name="claim_window_days"[^>]*value="90"', page)
    response = post_form(
        client,
        "/finance/expense-policy/new",
        **policy_fields(
            **{
                f"cap_{parking.id}_per_line": "12.50",
                f"cap_{parking.id}_per_day": "£20",
                f"cap_{parking.id}_receipt": None,
                f"cap_{meals.id}_per_day": "25",
            }
        ),
    )
    assert response.status_code == 302, text(response)[:3000]
    html = text(client.get(response.headers["Location"]))
    assert "New policy saved. It applies from 1 April 2027." in html
    assert "£12.50" in html and "£20.00" in html and "£25.00" in html and "£300.00" in html

    new = services.policy_on(dt.date(2027, 4, 1))
    assert new.effective_from == dt.date(2027, 4, 1)
    assert (new.claim_window_days, new.second_approval_over_pence, new.payment_working_days) == (
        60,
        30000,
        5,
    )
    cap = new.cap_for(parking.id)
    assert (cap.per_line_pence, cap.per_day_pence, cap.needs_receipt) == (1250, 2000, False)
    assert new.cap_for(meals.id).per_line_pence is None
    assert services.policy_on(TODAY).effective_from == dt.date(2020, 1, 1)  # today unchanged
    listing = text(client.get("/finance/expense-policy"))
    assert "Starts later" in listing and "In force" in listing
    [event] = audit_events("expense_policy.created")
    assert event.after["second_approval_over_pence"] == 30000
    assert event.after["caps"][str(parking.id)]["per_line_pence"] == 1250


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"effective_from": "2026-11-19"},
            "effective_from",
            "The date must be today or in the future: a policy already in force never changes",
        ),
        (
            {"effective_from": "2020-01-01"},
            "effective_from",
            "The date must be today or in the future: a policy already in force never changes",
        ),
        (
            {"effective_from": "2027-02-30"},
            "effective_from",
            "Enter a real date this policy applies from, like 2027-04-01",
        ),
        (
            {"second_approval_over": "abc"},
            "second_approval_over",
            "Enter the second approval amount in pounds, like 250 or 250.00",
        ),
        (
            {"claim_window_days": "0"},
            "claim_window_days",
            "The claim window must be between 1 and 3,650 days",
        ),
        (
            {"claim_window_days": "ninety"},
            "claim_window_days",
            "Enter the claim window as a whole number of days, like 90",
        ),
        (
            {"payment_working_days": "-1"},
            "payment_working_days",
            "Payment must be within 0 to 60 working days",
        ),
        (
            {"cap_PARKING_per_line": "x"},
            "cap_PARKING_per_line",
            "Enter the limit in pounds, like 20 or 7.50, or leave it blank",
        ),
        (
            {"cap_PARKING_per_line": "0"},
            "cap_PARKING_per_line",
            "The limit for one expense must be more than £0, or blank for no limit",
        ),
        (
            {"cap_PARKING_per_line": "20", "cap_PARKING_per_day": "10"},
            "cap_PARKING_per_day",
            "The limit a day must be the same as or more than the limit for one",
        ),
    ],
)
def test_a_bad_policy_is_refused_at_the_field(client, login, finance, changes, field, message):
    parking_id = str(category("parking").id)
    changes = {k.replace("PARKING", parking_id): v for k, v in changes.items()}
    field = field.replace("PARKING", parking_id)
    login(finance)
    before = db.session.scalars(select(ExpensePolicy.id)).all()
    response = post_form(client, "/finance/expense-policy/new", **policy_fields(**changes))
    assert response.status_code == 200
    html = text(response)
    assert "<title>Error: Add a new expense policy - " in html
    assert error_at(html, field) == message
    assert (f"#{field}", message) in summary_links(html)
    for value in changes.values():
        assert f'value="{value}"' in html  # what was typed is still there
    db.session.expire_all()
    assert db.session.scalars(select(ExpensePolicy.id)).all() == before


def test_two_policies_cannot_start_on_the_same_day(client, login, finance):
    login(finance)
    assert post_form(client, "/finance/expense-policy/new", **policy_fields()).status_code == 302
    html = text(post_form(client, "/finance/expense-policy/new", **policy_fields()))
    assert error_at(html, "effective_from") == (
        "A policy already applies from 1 April 2027: choose another date, or change that policy"
    )


def test_a_policy_in_force_cannot_be_changed(client, login, finance):
    in_force = services.policy_on(TODAY)
    login(finance)
    page = text(client.get(f"/finance/expense-policy/{in_force.id}"))
    assert "This policy is in force." in page
    assert "Change this policy" not in page
    response = client.get(f"/finance/expense-policy/{in_force.id}/edit")
    assert response.status_code == 302
    assert "cannot be changed" in text(client.get(response.headers["Location"]))
    # Sent anyway: refused by the service, nothing changes.
    page = text(client.get("/finance/expense-policy/new"))
    response = client.post(
        f"/finance/expense-policy/{in_force.id}/edit",
        data={"csrf_token": csrf_from(page), **policy_fields(effective_from="2027-01-01")},
    )
    html = text(response)
    assert "This policy is in force or was in force, so it cannot be changed" in html
    db.session.expire_all()
    again = db.session.get(ExpensePolicy, in_force.id)
    assert (again.effective_from, again.claim_window_days) == (dt.date(2020, 1, 1), 90)
    assert audit_events("expense_policy.updated") == []


def test_a_policy_that_has_not_started_can_be_changed(client, login, finance):
    login(finance)
    response = post_form(client, "/finance/expense-policy/new", **policy_fields())
    policy_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = text(client.get(f"/finance/expense-policy/{policy_id}"))
    assert "Change this policy" in page
    response = post_form(
        client,
        f"/finance/expense-policy/{policy_id}/edit",
        **policy_fields(effective_from="2027-05-01", claim_window_days="45"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(ExpensePolicy, policy_id)
    assert (changed.effective_from, changed.claim_window_days) == (dt.date(2027, 5, 1), 45)
    [event] = audit_events("expense_policy.updated")
    assert event.before["claim_window_days"] == 60 and event.after["claim_window_days"] == 45
    # Moving it into the past is refused like any past date.
    html = text(
        post_form(
            client,
            f"/finance/expense-policy/{policy_id}/edit",
            **policy_fields(effective_from="2026-01-01"),
        )
    )
    assert error_at(html, "effective_from").startswith("The date must be today or in the future")
