# ruff: noqa: F811  (the fixtures imported from test_claims are used as parameters)
"""The CSV export of approved claims for the finance system, and its page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import event, select

from lep.audit.models import AuditEvent
from lep.expenses import services
from lep.expenses.schemas import safe_cell
from lep.extensions import db
from tests.conftest import sign_in
from tests.expenses.test_claimants_and_budget_holders import a_role, applied
from tests.expenses.test_claims import (  # noqa: F401  (fixtures)
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
from tests.helpers import error_at, summary_links

PAGE = "/finance/claims/export"
CSV = "/finance/claims/export.csv"
HEADER = [
    "Claim reference",
    "Claimant name",
    "Claimant ID",
    "Role",
    "Cost code",
    "Category",
    "Ledger code",
    "Date spent",
    "Description",
    "Claimed GBP",
    "Approved GBP",
    "Approved on",
    "Expected payment date",
]


def rows_of(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in reader]


def spent(claim, pence: int, description: str, day: dt.date = dt.date(2026, 11, 16)):  # type: ignore[no-untyped-def]
    return services.add_line(
        claim,
        category=category("parking"),
        spent_on=day,
        description=description,
        amount_pence=pence,
        no_receipt_reason="No ticket",
    )


def approve(claim, approver, amounts=None):  # type: ignore[no-untyped-def]
    amounts = amounts or [line.amount_pence for line in claim.lines]
    by_line = {line.id: pence for line, pence in zip(claim.lines, amounts, strict=True)}
    return services.approve_claim(claim, approver, by_line)


@pytest.fixture
def signed_in_finance(login, make_user):
    person = make_user("finance", full_name="Fran Exporter")
    login(person)
    return person


def test_one_row_per_approved_line_with_codes_and_amounts(
    client, partner, finance, signed_in_finance, make_user, frozen
):
    role = a_role("Patient panel member", cost_code="CC-4410")
    applied(partner, role, "interview")
    ledger = category("parking")
    ledger.ledger_code = "5430"
    db.session.commit()

    claim = services.start_claim(partner, role.id)
    spent(claim, 1250, "Parking for the panel")
    drive(claim, "12.5", dt.date(2026, 11, 17), passengers=1)
    parking(claim, 999, day=dt.date(2026, 11, 18))
    services.submit_claim(claim)
    frozen["now"] = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)  # Friday, 11:30pm GMT
    approve(claim, finance, [1000, 625, 0])  # partly: the last line not at all
    no_role = approve(submitted_claim(partner, 5), finance)
    # Not exported: waiting, rejected, cancelled. A scheduled (or paid) claim is still approved.
    submitted_claim(partner, 700)
    services.reject_claim(submitted_claim(partner, 800), finance, "Duplicate")
    services.cancel_claim(submitted_claim(partner, 900), partner)
    scheduled = approve(submitted_claim(partner, 1100), finance)
    scheduled.status = "scheduled"
    db.session.commit()

    rows = rows_of(client.get(CSV))
    assert rows == [
        {
            "Claim reference": claim.reference,
            "Claimant name": "Sam Partner",
            "Claimant ID": str(partner.id),
            "Role": "Patient panel member",
            "Cost code": "CC-4410",
            "Category": "Parking",
            "Ledger code": "5430",
            "Date spent": "2026-11-16",
            "Description": "Parking for the panel",
            "Claimed GBP": "12.50",
            "Approved GBP": "10.00",
            "Approved on": "2026-11-20",
            "Expected payment date": "2026-12-04",
        },
        {
            "Claim reference": claim.reference,
            "Claimant name": "Sam Partner",
            "Claimant ID": str(partner.id),
            "Role": "Patient panel member",
            "Cost code": "CC-4410",
            "Category": "Mileage",
            "Ledger code": "",
            "Date spent": "2026-11-17",
            "Description": "Drove to the interview",
            "Claimed GBP": "6.25",
            "Approved GBP": "6.25",
            "Approved on": "2026-11-20",
            "Expected payment date": "2026-12-04",
        },
        {
            "Claim reference": no_role.reference,
            "Claimant name": "Sam Partner",
            "Claimant ID": str(partner.id),
            "Role": "",
            "Cost code": "",
            "Category": "Parking",
            "Ledger code": "5430",
            "Date spent": "2026-11-16",
            "Description": "Parking at the hospital for the panel",
            "Claimed GBP": "0.05",
            "Approved GBP": "0.05",
            "Approved on": "2026-11-20",
            "Expected payment date": "2026-12-04",
        },
        {
            "Claim reference": scheduled.reference,
            "Claimant name": "Sam Partner",
            "Claimant ID": str(partner.id),
            "Role": "",
            "Cost code": "",
            "Category": "Parking",
            "Ledger code": "5430",
            "Date spent": "2026-11-16",
            "Description": "Parking at the hospital for the panel",
            "Claimed GBP": "11.00",
            "Approved GBP": "11.00",
            "Approved on": "2026-11-20",
            "Expected payment date": "2026-12-04",
        },
    ]
    assert partner.email not in client.get(CSV).get_data(as_text=True)


def test_the_download_is_an_attachment_and_is_audited(
    client, partner, finance, signed_in_finance, frozen
):
    approve(submitted_claim(partner, 100, 200), finance)
    response = client.get(CSV, query_string={"approved_from": "2026-11-01"})
    assert len(rows_of(response)) == 2
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="approved-expenses-2026-11-01-to-2026-11-20.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    event_ = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "claims.exported").order_by(AuditEvent.id)
    )
    assert event_ is not None
    assert event_.actor_id == signed_in_finance.id
    assert event_.after == {
        "format": "csv",
        "rows": 2,
        "claims": 1,
        "approved_from": "2026-11-01",
        "approved_to": None,
    }


def test_filter_by_the_uk_day_of_approval(client, partner, finance, signed_in_finance, frozen):
    frozen["now"] = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)

    def approved_at(when: dt.datetime, pence: int):  # type: ignore[no-untyped-def]
        claim = services.start_claim(partner)
        parking(claim, pence, day=dt.date(2026, 6, 29))
        services.submit_claim(claim)
        frozen["now"] = when
        return approve(claim, finance)

    june = approved_at(dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC), 100)
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    july = approved_at(dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC), 200)

    def refs(**query: str) -> list[str]:
        return [r["Claim reference"] for r in rows_of(client.get(CSV, query_string=query))]

    assert refs() == [june.reference, july.reference]
    assert refs(approved_to="2026-06-30") == [june.reference]
    assert refs(approved_from="2026-07-01") == [july.reference]
    assert refs(approved_from="2026-07-01", approved_to="2026-07-01") == [july.reference]
    assert refs(approved_from="01/07/2026") == [july.reference]
    assert refs(approved_from="2026-07-02") == []
    row = rows_of(client.get(CSV, query_string={"approved_from": "2026-07-01"}))[0]
    assert row["Approved on"] == "2026-07-01"


def test_cells_that_a_spreadsheet_would_run_are_made_plain_text(
    client, make_user, finance, signed_in_finance
):
    sneaky = make_user("partner", full_name='=HYPERLINK("http://evil.example","Click")')
    claim = services.start_claim(sneaky)
    for text in ("@SUM(1+1)", "+44 train fare", "-2+3", "Normal = fine"):
        spent(claim, 100, text)
    approve(services.submit_claim(claim), finance)
    rows = rows_of(client.get(CSV))
    assert {r["Claimant name"] for r in rows} == {'\'=HYPERLINK("http://evil.example","Click")'}
    assert [r["Description"] for r in rows] == [
        "'@SUM(1+1)",
        "'+44 train fare",
        "'-2+3",
        "Normal = fine",
    ]


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Taxi", "Taxi"),
        ("", ""),
        (12, 12),
    ],
)
def test_safe_cell(cell, safe):
    assert safe_cell(cell) == safe


def test_a_role_title_starting_with_a_tab_is_made_plain_text(
    client, partner, finance, signed_in_finance
):
    role = a_role("\t=cmd", cost_code="+CC")
    applied(partner, role, "interview")
    claim = services.start_claim(partner, role.id)
    parking(claim, 100)
    approve(services.submit_claim(claim), finance)
    (row,) = rows_of(client.get(CSV))
    assert row["Role"] == "'\t=cmd"
    assert row["Cost code"] == "'+CC"


def test_nothing_approved_is_just_the_header(client, signed_in_finance):
    assert rows_of(client.get(CSV)) == []


def test_a_constant_number_of_queries(client, partner, finance, signed_in_finance):
    def count() -> int:
        statements: list[str] = []

        def listen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert client.get(CSV).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        return len(statements)

    approve(submitted_claim(partner, 100), finance)
    few = count()
    for n in range(8):
        approve(submitted_claim(partner, 100 + n, 5), finance)
    assert count() == few


# -- The page --------------------------------------------------------------------------------------


def test_the_page_offers_dates_and_sends_you_to_the_file(client, signed_in_finance):
    page = client.get(PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<title>Export approved expenses - " in html
    assert "Approved on or after (optional)" in html
    assert 'type="date"' in html
    response = client.get(
        PAGE, query_string={"approved_from": "2026-11-01", "approved_to": "2026-11-30"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/finance/claims/export.csv?approved_from=2026-11-01&approved_to=2026-11-30"
    )
    # Both dates empty: everything.
    response = client.get(PAGE, query_string={"approved_from": "", "approved_to": ""})
    assert response.status_code == 302
    assert response.headers["Location"] == "/finance/claims/export.csv"


def test_a_bad_date_is_shown_at_its_field_and_kept(client, signed_in_finance):
    response = client.get(PAGE, query_string={"approved_from": "2026-02-30", "approved_to": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: Export approved expenses - " in html
    assert error_at(html, "approved_from") == (
        "Enter a real date for approved on or after, like 2026-11-01"
    )
    assert summary_links(html) == [
        ("#approved_from", "Enter a real date for approved on or after, like 2026-11-01")
    ]
    assert 'value="2026-02-30"' in html
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "claims.exported"))


def test_dates_the_wrong_way_round_are_refused(client, signed_in_finance):
    response = client.get(
        PAGE, query_string={"approved_from": "2026-11-30", "approved_to": "2026-11-01"}
    )
    html = response.get_data(as_text=True)
    assert error_at(html, "approved_to") == (
        "Approved on or before must be the same as or after approved on or after"
    )
    assert 'value="2026-11-30"' in html and 'value="2026-11-01"' in html


def test_the_file_with_a_bad_date_shows_the_page_with_the_error(client, signed_in_finance):
    response = client.get(CSV, query_string={"approved_to": "soon"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert error_at(html, "approved_to") == (
        "Enter a real date for approved on or before, like 2026-11-30"
    )


@pytest.mark.parametrize("path", [PAGE, CSV])
def test_only_finance_may_export(app, client, make_user, path):
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    for role in ("partner", "hr", "admin", "applicant", "panel"):
        someone = app.test_client()
        assert sign_in(someone, make_user(role).email).status_code == 302
        assert someone.get(path).status_code == 403
