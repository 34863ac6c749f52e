"""Rate cards and the Agenda for Change pay tables page, used by HR and finance."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.money import format_pounds
from lep.roles import pay
from lep.roles.models import RateCard, RateCardRate
from lep.roles.paytables import REFERENCE_TABLE, add_rates, create_rate_card, import_pay_table
from tests.conftest import csrf_from
from tests.helpers import error_at


@pytest.fixture(autouse=True)
def pay_table():
    import_pay_table(REFERENCE_TABLE.read_text())


@pytest.fixture
def finance(make_user, login):
    user = make_user("finance")
    login(user)
    return user


def post(client, url, data):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data=dict(data, csrf_token=csrf_from(page.get_data(as_text=True))))


def rates(**changes) -> dict:
    data = {
        "effective_from": "2025-04-01",
        "hourly": "",
        "half_day": "75.50",
        "day": "150",
        "half_day_max_hours": "4",
    }
    data.update(changes)
    return data


def test_hr_creates_a_rate_card_and_adds_rates(client, make_user, login):
    hr = make_user("hr")
    login(hr)
    response = post(
        client, "/hr/rate-cards/new", {"name": "NHS England PPV", "description": "PPV policy"}
    )
    assert response.status_code == 302
    card = db.session.scalar(select(RateCard))
    assert card.name == "NHS England PPV" and card.description == "PPV policy"
    assert response.headers["Location"].endswith(f"/hr/rate-cards/{card.id}")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rate_card.created"))
    assert event.actor_id == hr.id

    response = post(client, f"/hr/rate-cards/{card.id}", rates())
    assert response.status_code == 302
    rate = db.session.scalar(select(RateCardRate))
    assert (rate.hourly_pence, rate.half_day_pence, rate.day_pence) == (None, 7550, 15000)
    assert rate.effective_from == dt.date(2025, 4, 1) and rate.half_day_max_hours == 4
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "rate_card.rates_added")
    )
    assert event.after["day_pence"] == 15000 and event.actor_id == hr.id

    page = client.get("/hr/rate-cards").get_data(as_text=True)
    assert "In force today:" in page
    assert "£75.50 a half day (up to 4 hours), £150 a day" in page


def test_finance_can_use_rate_cards(client, finance):
    assert client.get("/hr/rate-cards").status_code == 200
    assert post(client, "/hr/rate-cards/new", {"name": "Finance card"}).status_code == 302


@pytest.mark.parametrize("who", ["panel", "applicant", "partner", "admin"])
def test_others_cannot_use_rate_cards(client, make_user, login, who):
    login(make_user(who))
    for url in ("/hr/rate-cards", "/hr/rate-cards/new", "/hr/pay-tables"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a name for the rate card"),
        ("   ", "Enter a name for the rate card"),
        ("x" * 101, "Name must be 100 characters or fewer"),
        ("Taken", "A rate card with this name already exists"),
    ],
)
def test_rate_card_name_errors(client, finance, name, message):
    create_rate_card("Taken")
    response = post(client, "/hr/rate-cards/new", {"name": name, "description": "kept"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in error_at(page, "name")
    assert 'href="#name"' in page
    assert ">kept</textarea>" in page
    assert db.session.scalar(select(func.count(RateCard.id))) == 1


NOT_MONEY = "as an amount in pounds, like 150 or 75.50"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hourly": "twenty"}, "hourly", f"Enter the rate per hour {NOT_MONEY}"),
        ({"half_day": "£7.505"}, "half_day", f"Enter the rate per half day {NOT_MONEY}"),
        ({"day": "1e999999999"}, "day", f"Enter the rate per day {NOT_MONEY}"),
        ({"day": "NaN"}, "day", NOT_MONEY),
        ({"day": "9" * 40}, "day", NOT_MONEY),
        ({"day": "20000"}, "day", "The rate per day must be £10,000 or less"),
        ({"hourly": "-5"}, "hourly", "A rate cannot be negative"),
        ({"day": "-150"}, "day", "A rate cannot be negative"),
        (
            {"half_day": "", "day": ""},
            "hourly",
            "Enter at least one rate: per hour, per half day or per day",
        ),
        ({"effective_from": ""}, "effective_from", "Enter the date these rates apply from"),
        ({"effective_from": "2025-13-01"}, "effective_from", "Enter a real date"),
        (
            {"half_day_max_hours": "99"},
            "half_day_max_hours",
            "A half day must be between 1 and 12 hours",
        ),
        (
            {"half_day_max_hours": "99999999999999999999"},
            "half_day_max_hours",
            "A half day must be between 1 and 12 hours",
        ),
        ({"half_day_max_hours": "four"}, "half_day_max_hours", "as a whole number, like 4"),
    ],
)
def test_bad_rates_are_shown_at_the_field_and_nothing_is_saved(
    client, finance, changes, field, message
):
    card = create_rate_card("PPV")
    response = post(client, f"/hr/rate-cards/{card.id}", rates(**changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in error_at(page, field)
    assert f'href="#{field}"' in page
    assert db.session.scalar(select(func.count(RateCardRate.id))) == 0


def test_rates_from_a_date_already_used_are_refused(client, finance):
    card = create_rate_card("PPV")
    add_rates(card, dt.date(2025, 4, 1), day_pence=15000)
    response = post(client, f"/hr/rate-cards/{card.id}", rates(day="160"))
    assert "New rates must start after 1 April 2025" in error_at(
        response.get_data(as_text=True), "effective_from"
    )
    assert db.session.scalar(select(func.count(RateCardRate.id))) == 1


def test_rates_cannot_be_slipped_into_the_history(client, finance):
    card = create_rate_card("PPV")
    add_rates(card, dt.date(2025, 4, 1), day_pence=15000)
    response = post(
        client, f"/hr/rate-cards/{card.id}", rates(effective_from="2024-04-01", day="1")
    )
    assert "New rates must start after 1 April 2025" in error_at(
        response.get_data(as_text=True), "effective_from"
    )
    assert pay.rate_in_force(card, dt.date(2025, 1, 1)) is None


def test_a_later_rate_never_changes_the_earlier_one(client, finance):
    card = create_rate_card("PPV")
    url = f"/hr/rate-cards/{card.id}"
    assert post(client, url, rates(day="150", half_day="75")).status_code == 302
    assert post(client, url, rates(effective_from="2026-04-01", day="160")).status_code == 302
    assert post(client, url, rates(effective_from="2099-04-01", day="999")).status_code == 302

    earlier = pay.rate_in_force(card, dt.date(2025, 6, 1))
    assert earlier.day_pence == 15000 and earlier.half_day_pence == 7500
    assert pay.rate_in_force(card, dt.date(2026, 3, 31)).day_pence == 15000
    assert pay.rate_in_force(card, dt.date(2026, 4, 1)).day_pence == 16000
    assert pay.rate_in_force(card, dt.date(2025, 3, 31)) is None

    page = client.get(url).get_data(as_text=True)
    assert "£160 a day (from 1 April 2026)" in page
    assert "Replaced" in page and "From a future date" in page


def test_unknown_rate_cards_are_not_found(client, finance):
    for url in ("/hr/rate-cards/999999", "/hr/rate-cards/99999999999999999999"):
        assert client.get(url).status_code == 404


def test_pay_tables_show_bands_with_hourly_equivalents(client, finance):
    page = client.get("/hr/pay-tables").get_data(as_text=True)
    assert "Band 7" in page and "2025/26 pay" in page
    assert "£47,810" in page and "£54,710" in page
    hourly = format_pounds(pay.hourly_pence(4781000), always_pence=True)
    assert hourly == "£24.45"
    assert hourly in page
    assert "Band 1 " not in page


def test_pay_tables_page_without_a_table(client, finance, db_session):
    from lep.roles.models import PayPoint

    db.session.query(PayPoint).delete()
    db.session.commit()
    page = client.get("/hr/pay-tables").get_data(as_text=True)
    assert "No pay table is in force yet" in page
