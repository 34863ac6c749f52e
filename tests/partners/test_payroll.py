"""The payroll export: employed partners' approved hours for a period, as finance downloads it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.partners import involvement as services
from lep.partners import payroll
from lep.partners.models import Involvement
from tests.partners.test_involvement import NOW, appoint, employed_role, log, sessional_role


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0.00"),
        (150, "2.50"),
        (20, "0.33"),
        (50, "0.83"),
        (1, "0.02"),
        (45, "0.75"),
        (600, "10.00"),
    ],
)
def test_minutes_become_decimal_hours(minutes, text):
    assert payroll.decimal_hours(minutes) == text


@pytest.fixture
def contact(make_user):
    return make_user("hr", email="contact@example.org")


def employed_hours(make_user, contact, name: str, *entries: tuple[dt.date, int, int, str]):  # type: ignore[no-untyped-def]
    partner = make_user("partner", full_name=name)
    appoint(partner, employed_role(title="Lived Experience Partner"))
    made = []
    for day, minutes, prep, description in entries:
        inv = log(
            partner, happened_on=day, minutes=minutes, prep_minutes=prep, description=description
        )
        services.approve(inv, contact)
        made.append(inv)
    return partner, made


def rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))


def test_the_export_lists_approved_employed_hours_in_the_period(make_user, contact):
    ellis, _ = employed_hours(
        make_user,
        contact,
        "Ellis Employed",
        (dt.date(2026, 10, 31), 60, 0, "Before the period"),
        (dt.date(2026, 11, 1), 150, 30, "Strategy group"),
        (dt.date(2026, 11, 15), 20, 0, '=HYPERLINK("http://evil")'),
    )
    waiting = make_user("partner", full_name="Not Approved")
    appoint(waiting, employed_role())
    log(waiting, happened_on=dt.date(2026, 11, 2))  # submitted, not approved: not exported
    sessional = make_user("partner")
    appoint(sessional, sessional_role())
    services.approve(log(sessional, happened_on=dt.date(2026, 11, 2)), contact)  # a fee, not hours
    finance = make_user("finance")

    body, count = payroll.export_payroll(finance, dt.date(2026, 11, 1), dt.date(2026, 11, 15))
    assert count == 2
    assert rows(body) == [
        list(payroll.HEADERS),
        [
            "Ellis Employed",
            ellis.email,
            "Lived Experience Partner",
            "2026-11-01",
            "2.50",
            "0.50",
            "Strategy group",
        ],
        [
            "Ellis Employed",
            ellis.email,
            "Lived Experience Partner",
            "2026-11-15",
            "0.33",
            "0.00",
            '\'=HYPERLINK("http://evil")',
        ],
    ]
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "involvement.payroll_exported")
    )
    assert event is not None and event.actor_id == finance.id
    assert event.after["rows"] == 2 and event.after["from"] == "2026-11-01"


def test_finance_downloads_the_csv_from_the_payroll_page(make_user, contact, client, login):
    employed_hours(make_user, contact, "Ellis Employed", (dt.date(2026, 11, 3), 90, 0, "Panel"))
    login(make_user("finance"))
    page = client.get("/finance/payroll")
    assert page.status_code == 200 and "<h1>Payroll export</h1>" in page.get_data(as_text=True)
    asked = client.get("/finance/payroll?worked_from=2026-11-01&worked_to=2026-11-30&submit=x")
    assert asked.status_code == 302
    download = client.get(asked.headers["Location"])
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "payroll-hours-2026-11-01-to-2026-11-30.csv" in download.headers["Content-Disposition"]
    assert rows(download.get_data(as_text=True))[1][3:5] == ["2026-11-03", "1.50"]


def test_bad_dates_are_shown_at_the_field_and_nothing_is_exported(make_user, client, login):
    login(make_user("finance"))
    page = client.get("/finance/payroll?worked_from=2026-11-30&worked_to=2026-11-01&submit=x")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The last date must be the same as or after the first date" in html
    assert "<title>Error: Payroll export - " in html
    bad = client.get("/finance/payroll.csv?worked_from=31/02/2026&worked_to=2026-11-01")
    assert bad.status_code == 400
    assert "Enter a real date for from, like 2026-11-01" in bad.get_data(as_text=True)
    assert (
        db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "involvement.payroll_exported")
        )
        is None
    )


def test_only_finance_may_export_payroll(make_user, client, login):
    login(make_user("hr"))
    assert client.get("/finance/payroll").status_code == 403
    assert (
        client.get("/finance/payroll.csv?worked_from=2026-11-01&worked_to=2026-11-02").status_code
        == 403
    )
    assert db.session.scalar(select(Involvement.id)) is None
