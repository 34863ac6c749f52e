"""The approval queue read in few queries: its filter fields as plain HTML (the same markup as
the shared field macro), each row's "waiting for a second approval" as the services decide it,
and approving a claim in the same statements whatever its size."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template_string
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict

from lep.expenses import finance_forms, queue, services
from lep.expenses.models import Claim
from lep.extensions import db
from tests.conftest import csrf_from
from tests.expenses.test_approval_pages import seen_from, sent_claim, text

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
FIELDS = (
    ("status", "filter_select(f)", "field(f)"),
    ("role", "filter_select(f)", "field(f)"),
    ("flag", "filter_select(f)", "field(f)"),
    ("claimant", "filter_input(f)", "field(f, spellcheck=false)"),
    (
        "amount_from",
        "filter_input(f, pounds=True)",
        'field(f, prefix="£", width=5, inputmode="decimal", spellcheck=false)',
    ),
    (
        "amount_to",
        "filter_input(f, pounds=True)",
        'field(f, prefix="£", width=5, inputmode="decimal", spellcheck=false)',
    ),
)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


def rendered(form: finance_forms.QueueFilterForm, name: str, call: str) -> str:
    return render_template_string(
        '{% from "macros/forms.jinja" import field %}'
        '{% from "expenses/finance/_filters.jinja" import filter_input, filter_select %}'
        "{{ " + call + " }}",
        f=form[name],
    )


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"status": "approved", "role": "7", "flag": "no_receipt"},
        {"status": "all", "role": "none", "flag": "any", "claimant": 'O\'Brien & <Co> "x"'},
        {"amount_from": "12.50", "amount_to": "30"},
        {"amount_from": "x", "amount_to": "1", "status": "nonsense", "claimant": "a" * 201},
        {"amount_from": "30", "amount_to": "12"},
    ],
)
def test_the_filter_fields_render_as_the_field_macro_does(app, args):
    roles = [(7, "Carers & <friends> panel"), (8, 'The "other" role')]
    with app.test_request_context("/finance/claims"):
        form = finance_forms.QueueFilterForm(formdata=MultiDict(args), roles=roles)
        if not args.get("status"):
            form.status.data = "submitted"  # as the queue's view does
        form.validate()
        for name, plain, macro in FIELDS:
            assert rendered(form, name, plain) == rendered(form, name, macro), (name, args)


def test_waiting_for_a_second_approval_is_the_services_answer_for_every_row(
    client, login, make_user
):
    partner = make_user("partner", full_name="Sam Partner")
    finance = make_user("finance", full_name="Fran Finance")
    finance2 = make_user("finance", full_name="Femi Finance")
    first_in = sent_claim(partner, 30_000)  # above the threshold: two approvals
    services.approve_claim(first_in, finance, {first_in.lines[0].id: 30_000})
    asked_since = sent_claim(partner, 40_000)
    services.approve_claim(asked_since, finance, {asked_since.lines[0].id: 40_000})
    services.query_claim(asked_since, finance2, "Which car park?")
    services.submit_claim(asked_since)  # sent again: its approvals start again
    plain = sent_claim(partner, 900)
    later = sent_claim(partner, 35_000)  # approved after another claim's question
    services.approve_claim(later, finance, {later.lines[0].id: 35_000})
    with_question = sent_claim(partner, 500)
    services.query_claim(with_question, finance, "What was this for?")
    services.submit_claim(with_question)

    with client.application.test_request_context():
        _, rows = queue.queue_page(finance2, queue.QueueFilters())
    db.session.expire_all()
    found = {row.id: row.awaiting_second for row in rows}
    expected = {
        claim.id: services.awaiting_second(db.session.get(Claim, claim.id))
        for claim in (first_in, asked_since, plain, later, with_question)
    }
    assert found == expected
    assert expected == {
        first_in.id: True,
        asked_since.id: False,
        plain.id: False,
        later.id: True,
        with_question.id: False,
    }
    login(finance2)
    assert text(client.get("/finance/claims")).count("Waiting for second approval") == 2


def statements_for(action):  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return response, len(seen)


def test_approving_costs_the_same_statements_for_one_line_as_for_many(client, login, make_user):
    partner = make_user("partner", full_name="Sam Partner")
    finance = make_user("finance", full_name="Fran Finance")
    small = sent_claim(partner, 850)
    large = sent_claim(partner, 850, 1200, 300, 4000)
    login(finance)
    costs = []
    for claim in (small, large):
        page = text(client.get(f"/finance/claims/{claim.id}"))
        data = {"csrf_token": csrf_from(page), "seen": seen_from(page), "approve": "", "note": ""}
        data.update({f"line_{line.id}": f"{line.amount_pence / 100:.2f}" for line in claim.lines})
        url = f"/finance/claims/{claim.id}"
        response, n = statements_for(lambda url=url, data=data: client.post(url, data=data))
        assert response.status_code == 302
        costs.append(n)
        db.session.expire_all()
        assert db.session.scalar(select(Claim.status).where(Claim.id == claim.id)) == "approved"
    assert costs[0] == costs[1]
    follow = text(client.get("/finance/claims"))
    assert f"{large.reference} is approved: £63.50 of £63.50." in follow


def test_a_claims_page_costs_the_same_statements_for_one_line_as_for_many(client, login, make_user):
    partner = make_user("partner", full_name="Sam Partner")
    finance = make_user("finance", full_name="Fran Finance")
    holder = make_user("finance", full_name="Fay First")
    small = sent_claim(partner, 850)
    large = sent_claim(partner, 30_000, 1200, 300, 4000)
    services.approve_claim(large, holder, {line.id: line.amount_pence for line in large.lines})
    login(finance)
    costs = []
    for claim_id in (small.id, large.id):
        response, n = statements_for(lambda c=claim_id: client.get(f"/finance/claims/{c}"))
        assert response.status_code == 200
        costs.append(n)
    assert costs[0] == costs[1]
    page = text(response)
    assert "First approval given by Fay First" in page
    assert page.count("Parking") >= 4
