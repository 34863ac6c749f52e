"""/roles: the open roles anyone can find, filtered, sorted, paged, with their pay, quickly."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event

from lep.db import utcnow
from lep.extensions import db
from lep.roles import listing, pay
from lep.roles.services import close_role, mark_filled, today_in_london
from tests.roles.public_data import (
    listed_role_ids,
    main_text,
    make_role,
    pay_setup,
    published_role,
)

BAND_7_15_HOURS = (
    "Band 7: £47,810 to £54,710 a year (2025/26 pay). This role is 15 hours a week, "
    "so you would be paid £19,124 to £21,884 a year."
)
PPV_STATEMENT = "£150 for a day, £75 for half a day, plus your expenses."


@pytest.fixture(autouse=True)
def pay_tables() -> None:
    pay_setup()


def get_list(client, **query):  # type: ignore[no-untyped-def]
    response = client.get("/roles", query_string=query)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_home_page_links_to_the_roles(client):
    html = client.get("/").get_data(as_text=True)
    link = re.search(r'<a class="nhsuk-action-link" href="/roles"[^>]*>(.*?)</a>', html, re.S)
    assert link is not None
    assert "Find a role" in link.group(1)


def test_only_roles_taking_applications_are_listed(client):
    shown = make_role("employed", title="Open employed")
    draft = make_role("employed", status="draft", title="Draft role")
    closed = make_role("sessional", status="closed", title="Closed role")
    filled = make_role("sessional", status="filled", title="Filled role")
    past = make_role("expenses_only", closes_in=-dt.timedelta(minutes=1), title="Past its date")

    html = get_list(client)
    assert listed_role_ids(html) == [shown.id]
    text = main_text(html)
    assert "1 open role" in text
    for hidden in (draft, closed, filled, past):
        assert hidden.title not in text
        assert f'href="/roles/{hidden.id}"' not in html


def test_a_role_closed_or_filled_through_the_services_leaves_the_list(client):
    first = published_role("employed", title="Closes early")
    second = published_role("sessional", title="Gets filled")
    assert listed_role_ids(get_list(client)) == [first.id, second.id]
    close_role(first, by=None)
    mark_filled(second, by=None)
    assert listed_role_ids(get_list(client)) == []


def test_sorted_by_closing_date_soonest_first(client):
    later = make_role(closes_in=dt.timedelta(days=40))
    soonest = make_role(closes_in=dt.timedelta(hours=3))
    middle = make_role("sessional", closes_in=dt.timedelta(days=10))
    assert listed_role_ids(get_list(client)) == [soonest.id, middle.id, later.id]


def test_each_role_shows_what_a_person_needs_to_decide(client):
    closes = dt.datetime(2027, 7, 1, 12, 0, tzinfo=dt.UTC)  # 1pm in London (summer time)
    make_role(
        "employed",
        title="Lived Experience Partner",
        team="Mental health services",
        summary="Bring your experience to how we plan services.",
        band="7",
        minutes_per_week=15 * 60,
        location="Quarry House, Leeds",
        work_pattern="hybrid",
        closes_at=closes,
    )
    make_role(
        "sessional",
        title="Patient panel member",
        summary="Paid panel.",
        sessions_per_month=2,
        location="",
        work_pattern="remote",
        closes_at=closes + dt.timedelta(days=1),
    )
    make_role(
        "expenses_only",
        title="Community listener",
        summary="Listen.",
        sessions_per_month=1,
        location="Bradford",
        work_pattern="on_site",
        closes_at=closes + dt.timedelta(days=2),
    )
    text = main_text(get_list(client))
    assert (
        "Lived Experience Partner Mental health services "
        "Bring your experience to how we plan services. "
        f"Pay {BAND_7_15_HOURS} Time 15 hours a week Where Hybrid: Quarry House, Leeds "
        "Closes 1 July 2027 at 1pm"
    ) in text
    assert (
        f"Patient panel member Patient experience team Paid panel. Pay {PPV_STATEMENT} "
        "Time 2 sessions a month Where Remote Closes 2 July 2027 at 1pm"
    ) in text
    assert (
        f"Community listener Patient experience team Listen. Pay {pay.VOLUNTARY_STATEMENT} "
        "Time 1 session a month Where On site: Bradford Closes 3 July 2027 at 1pm"
    ) in text
    assert "3 open roles" in text


def test_the_listing_says_exactly_what_pay_statement_says(client):
    card = pay_setup()
    roles = [
        make_role("employed", band=band, minutes_per_week=minutes)
        for band, minutes in [("2", 2250), ("5", 600), ("8a", 1125), ("9", None)]
    ]
    roles += [make_role("sessional", rate_card_id=card.id), make_role("expenses_only")]
    today = today_in_london()
    listed = listing.with_pay(roles, today)
    for item in listed:
        assert item.pay.statement == pay.pay_statement(item.role, today)
        assert item.pay.statement
    text = main_text(get_list(client))
    for item in listed:
        assert item.pay.statement in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"employed", "sessional", "voluntary", "remote employed"}),
        ({"type": "employed"}, {"employed", "remote employed"}),
        ({"type": ["employed", "sessional"]}, {"employed", "sessional", "remote employed"}),
        ({"type": "expenses_only"}, {"voluntary"}),
        ({"where": "remote"}, {"remote employed"}),
        ({"where": ["remote", "on_site"]}, {"remote employed", "voluntary"}),
        ({"where": "hybrid", "type": "sessional"}, {"sessional"}),
        ({"where": "hybrid", "type": "expenses_only"}, set()),
        ({"type": "nonsense"}, {"employed", "sessional", "voluntary", "remote employed"}),
        ({"where": ["nowhere", "remote"]}, {"remote employed"}),
    ],
)
def test_filters(client, query, expected):
    make_role("employed", title="employed", work_pattern="hybrid")
    make_role("sessional", title="sessional", work_pattern="hybrid")
    make_role("expenses_only", title="voluntary", work_pattern="on_site")
    make_role("employed", title="remote employed", work_pattern="remote")
    html = get_list(client, **query)
    titles = set(re.findall(r'href="/roles/\d+">([^<]+)</a>', html))
    assert titles == expected
    if not expected:
        assert "No roles match your filters" in main_text(html)
    # The form remembers what was ticked, and only real options.
    ticked = set(re.findall(r'value="([a-z_]+)" checked', html))
    wanted = set()
    for key in ("type", "where"):
        values = query.get(key, [])
        wanted |= set([values] if isinstance(values, str) else values)
    assert ticked == wanted & (set(listing.TYPE_FILTERS) | set(listing.WHERE_FILTERS))


def test_the_filter_form_is_a_get_form_of_checkboxes(client):
    html = get_list(client)
    assert re.search(r'<form method="get" action="/roles"', html)
    for value in (*listing.TYPE_FILTERS, *listing.WHERE_FILTERS):
        assert re.search(rf'name="(type|where)" type="checkbox" value="{value}"', html), value
    assert "<legend" in html and "How the role is paid" in html and "Where you work" in html


def test_no_open_roles_at_all(client):
    text = main_text(get_list(client))
    assert "There are no open roles at the moment" in text


def test_twenty_a_page_with_nhs_pagination_that_keeps_the_filters(client):
    for i in range(45):
        make_role("sessional", closes_in=dt.timedelta(days=1, minutes=i))
    make_role("employed", closes_in=dt.timedelta(days=1))

    first = get_list(client, type="sessional")
    ids_1 = listed_role_ids(first)
    assert len(ids_1) == 20
    assert "45 open roles match your filters. Page 1 of 3" in main_text(first)
    assert 'class="nhsuk-pagination' in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_link is not None
    href = next_link.group(1).replace("&amp;", "&")
    assert "page=2" in href and "type=sessional" in href
    assert 'rel="prev"' not in first

    second = client.get(href).get_data(as_text=True)
    ids_2 = listed_role_ids(second)
    third = get_list(client, type="sessional", page=3)
    ids_3 = listed_role_ids(third)
    assert (len(ids_2), len(ids_3)) == (20, 5)
    assert len(set(ids_1) | set(ids_2) | set(ids_3)) == 45
    assert 'rel="prev"' in third and 'rel="next"' not in third


def test_filters_with_two_values_survive_paging(client):
    for i in range(21):
        make_role("sessional" if i % 2 else "expenses_only", closes_in=dt.timedelta(days=1 + i))
    html = get_list(client, type=["sessional", "expenses_only"])
    href = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert "type=sessional" in href and "type=expenses_only" in href


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-3",
        "page=0",
        "page=99999",
        "page=1e9",
        "page=99999999999999999999999",
        "type=nonsense",
        "where=%00",
        "type=employed&type=employed",
        "type=" + "x" * 5000,
        "where[]=remote",
        "page=2&page=abc",
        "%ff=%ff",
    ],
)
def test_bad_query_strings_never_break_the_page(client, query):
    make_role()
    response = client.get("/roles?" + query)
    assert response.status_code == 200
    assert "Find a role" in response.get_data(as_text=True)


def test_a_page_past_the_end_says_so(client):
    make_role()
    text = main_text(get_list(client, page=7))
    assert "There are no roles on this page" in text
    assert "Go to the first page of roles" in text


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        self.statements.append(statement)

    @property
    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]


def count_statements(client, path: str) -> StatementCounter:  # type: ignore[no-untyped-def]
    counter = StatementCounter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert response.status_code == 200
    return counter


def _mixed_roles(n: int) -> None:
    card = pay_setup()
    bands = ["2", "3", "4", "5", "6", "7", "8a", "8b", "8c", "8d", "9"]
    for i in range(n):
        kind = ("employed", "sessional", "expenses_only")[i % 3]
        extra = {"band": bands[i % len(bands)]} if kind == "employed" else {}
        if kind == "sessional":
            extra["rate_card_id"] = card.id
        make_role(kind, closes_in=dt.timedelta(days=1, minutes=i), **extra)


@pytest.mark.parametrize("path", ["/roles", "/api/v1/roles?page_size=100"])
def test_a_constant_number_of_queries_however_many_roles(client, path):
    _mixed_roles(5)
    few = count_statements(client, path)
    _mixed_roles(55)  # 60 in all: three pages of HTML, one page of API
    many = count_statements(client, path)
    assert len(many.statements) == len(few.statements), many.statements
    # A count, the page of roles, the bands in force, the rates in force.
    assert len(many.selects) == 4, many.selects


def test_a_page_of_sixty_roles_shows_every_pay_statement(client):
    _mixed_roles(60)
    html = get_list(client)
    assert len(listed_role_ids(html)) == 20
    assert "Ask the contact person about pay" not in html


def test_a_role_whose_pay_cannot_be_worked_out_still_lists(client):
    # Band 1 has no pay points in the 2025/26 table.
    make_role("employed", band="1", title="No band figures")
    text = main_text(get_list(client))
    assert "No band figures" in text
    assert "Ask the contact person about pay" in text


def test_closing_time_is_london_time_in_winter_and_summer(client):
    make_role(closes_at=dt.datetime(2027, 1, 15, 17, 0, tzinfo=dt.UTC))
    make_role(closes_at=dt.datetime(2027, 6, 15, 16, 30, tzinfo=dt.UTC))
    text = main_text(get_list(client))
    assert "Closes 15 January 2027 at 5pm" in text
    assert "Closes 15 June 2027 at 5:30pm" in text


def test_the_list_is_as_of_now(client, monkeypatch):
    role = make_role(closes_in=dt.timedelta(hours=1))
    assert listed_role_ids(get_list(client)) == [role.id]
    later = utcnow() + dt.timedelta(hours=2)
    monkeypatch.setattr(listing, "utcnow", lambda: later)
    assert listed_role_ids(get_list(client)) == []


def test_one_role_matches_your_filters(client):
    make_role("employed", title="employed", work_pattern="hybrid")
    make_role("sessional", title="sessional", work_pattern="hybrid")
    text = main_text(get_list(client, type="employed"))
    assert "1 open role matches your filters" in text
    assert "1 open role match your filters" not in text
