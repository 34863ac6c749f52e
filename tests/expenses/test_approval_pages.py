"""The approvers' pages: the queue, deciding a claim line by line, and who may do what."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from lep.expenses import services
from lep.expenses.models import Claim, ClaimLine, ExpenseCategory, PolicyCap
from lep.extensions import db
from tests.conftest import csrf_from, sign_in
from tests.helpers import emails_to, error_at, summary_links
from tests.roles.public_data import make_role

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)  # Friday 20 November 2026, midday
NAV = r'href="/finance/claims"[^>]*>(<strong[^>]*>)?\s*Claims<'
CHANGED = "This claim has changed since you opened it. Reload it to see what changed"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    clock = {"now": NOW}
    monkeypatch.setattr(services, "utcnow", lambda: clock["now"])
    return clock


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    app.extensions.pop("lep_storage", None)
    yield tmp_path / "uploads"
    app.extensions.pop("lep_storage", None)


@pytest.fixture
def partner(make_user):
    return make_user("partner", full_name="Sam Partner", email="sam@example.org")


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


@pytest.fixture
def finance2(make_user):
    return make_user("finance", full_name="Femi Finance")


def category(code: str) -> ExpenseCategory:
    found = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == code))
    assert found is not None
    return found


def parking(claim, pence, day=dt.date(2026, 11, 16), **extra):
    if "receipt" not in extra:
        extra.setdefault("no_receipt_reason", "The machine gave no ticket")
    return services.add_line(
        claim,
        category=category("parking"),
        spent_on=day,
        description="Parking at the hospital",
        amount_pence=pence,
        **extra,
    )


def sent_claim(person, *amounts, role=None, **extra):
    claim = services.start_claim(person)
    if role is not None:
        claim.role_id = role.id  # as for someone invited to interview for it
        db.session.commit()
    for pence in amounts:
        parking(claim, pence, **extra)
    return services.submit_claim(claim)


def text(response) -> str:
    return response.get_data(as_text=True)


def seen_from(html: str) -> str:
    match = re.search(r'name="seen" type="hidden" value="([^"]+)"', html)
    assert match, "no claim version on the page"
    return match.group(1)


def decide(client, claim, action, **fields):
    """Open the claim's page, then send one of its forms as the approver would."""
    page = text(client.get(f"/finance/claims/{claim.id}"))
    data = {"csrf_token": csrf_from(page), "seen": seen_from(page), action: ""}
    if action == "approve":
        data.update({f"line_{line.id}": f"{line.amount_pence / 100:.2f}" for line in claim.lines})
        data["note"] = ""
    data.update(fields)
    return client.post(f"/finance/claims/{claim.id}", data=data)


def state(claim):
    db.session.expire_all()
    fresh = db.session.get(Claim, claim.id)
    return (
        fresh.status,
        fresh.total_approved_pence,
        [line.approved_pence for line in fresh.lines],
        [(a.approver_id, a.level, a.decision) for a in fresh.approvals],
    )


def queue_references(html: str) -> list[str]:
    return re.findall(r'href="/finance/claims/\d+">(EXP-\d{4}-\d{6})</a>', html)


# -- The queue -------------------------------------------------------------------------------------


def test_the_queue_shows_the_oldest_claim_first_with_what_an_approver_needs(
    client, login, partner, finance, frozen, make_user
):
    role = make_role("expenses_only", title="Patient panel member")
    frozen["now"] = dt.datetime(2026, 11, 13, 9, 0, tzinfo=dt.UTC)  # Friday 13 November
    old = sent_claim(partner, 850, 1234, role=role, day=dt.date(2026, 11, 12))
    frozen["now"] = dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC)  # Wednesday 18 November
    other = make_user("partner", full_name="Alex Other")
    new = sent_claim(other, 500)
    frozen["now"] = NOW
    decided = sent_claim(other, 100)
    services.reject_claim(decided, finance, "Duplicate")
    draft = services.start_claim(other)
    parking(draft, 700)

    html = text(login(finance).get("/finance/claims"))
    assert queue_references(html) == [old.reference, new.reference]  # not decided, not drafts
    assert "<title>Expense claims to approve - " in html
    assert "Working days waiting" in html
    rows = html.split("<tbody", 1)[1].split("</tbody>", 1)[0].split('<tr class="nhsuk-table__row">')
    first, second = rows[1], rows[2]
    assert "Sam Partner" in first and "Patient panel member" in first
    assert "13 November 2026" in first and "£20.84" in first
    assert re.search(r"Working days waiting </span>5</td>", first)  # Mon 16 to Fri 20
    assert "No receipt: the claimant gave a reason" in first
    assert "Alex Other" in second and "No role" in second and "£5.00" in second
    assert re.search(r"Working days waiting </span>2</td>", second)
    assert "2 claims (waiting for approval)" in html


@pytest.mark.parametrize(("role", "status"), [("partner", 403), ("applicant", 403), ("hr", 404)])
def test_the_queue_is_only_for_approvers(client, login, make_user, partner, role, status):
    claim = sent_claim(partner, 850)
    person = make_user(role)
    login(person)
    assert client.get("/finance/claims").status_code == status
    assert client.get(f"/finance/claims/{claim.id}").status_code == status
    assert "/finance/claims" not in text(client.get("/dashboard"))


def test_signed_out_people_are_sent_to_sign_in(client, partner):
    claim = sent_claim(partner, 850)
    response = client.get(f"/finance/claims/{claim.id}")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_finance_see_claims_in_the_navigation(client, login, finance):
    html = text(login(finance).get("/dashboard"))
    assert re.search(NAV, html)


def test_a_draft_claim_is_not_shown_to_finance(client, login, partner, finance):
    draft = services.start_claim(partner)
    parking(draft, 850)
    assert login(finance).get(f"/finance/claims/{draft.id}").status_code == 404
    assert client.get("/finance/claims/999999").status_code == 404


# -- Deciding --------------------------------------------------------------------------------------


def test_the_claim_page_shows_each_line_for_deciding(client, login, partner, finance, storage):
    policy = services.policy_on(NOW.date())
    db.session.add(PolicyCap(policy=policy, category=category("parking"), per_line_pence=1000))
    db.session.commit()
    claim = services.start_claim(partner)
    parking(claim, 1200)
    line = parking(claim, 850, receipt=("ticket.pdf", PDF), day=dt.date(2026, 11, 17))
    services.submit_claim(claim)

    html = text(login(finance).get(f"/finance/claims/{claim.id}"))
    assert f"<title>Claim {claim.reference} - " in html
    assert "Sam Partner (sam@example.org)" in html
    assert "16 November 2026" in html and "17 November 2026" in html
    assert "Over the limit for one expense of this kind" in html
    assert "The machine gave no ticket" in html
    # One amount to approve per line, prefilled with what was claimed, in pounds.
    first, second = claim.lines
    assert re.search(rf'id="line_{first.id}" name="line_{first.id}"[^>]*value="12.00"', html)
    assert re.search(rf'id="line_{second.id}" name="line_{second.id}"[^>]*value="8.50"', html)
    assert html.count('<div class="nhsuk-input-wrapper__prefix" aria-hidden="true">£</div>') == 2

    receipt = line.receipts[0]
    link = f"/finance/claims/{claim.id}/receipts/{receipt.id}"
    assert link in html
    download = client.get(link)
    assert download.status_code == 200
    assert download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    # A receipt of another claim, through this claim's address: not found.
    other = sent_claim(partner, 500, receipt=("other.pdf", PDF))
    stray = other.lines[0].receipts[0].id
    assert client.get(f"/finance/claims/{claim.id}/receipts/{stray}").status_code == 404


def test_approve_in_full(client, login, partner, finance):
    claim = sent_claim(partner, 850, 1234)
    response = decide(login(finance), claim, "approve")
    assert response.status_code == 302
    html = text(client.get(response.headers["Location"]))
    assert f"{claim.reference} is approved: £20.84 of £20.84." in html
    assert state(claim)[:3] == ("approved", 2084, [850, 1234])
    assert [m.template for m in emails_to(partner.email)] == ["claim_submitted", "claim_approved"]


def test_approve_partly_one_line_reduced(client, login, partner, finance):
    claim = sent_claim(partner, 850, 1234)
    second = claim.lines[1]
    response = decide(
        login(finance), claim, "approve", **{f"line_{second.id}": "£10", "note": "Over the cap"}
    )
    html = text(client.get(response.headers["Location"]))
    assert f"{claim.reference} is partly approved: £18.50 of £20.84." in html
    assert state(claim)[:3] == ("partly_approved", 1850, [850, 1000])
    page = text(client.get(f"/finance/claims/{claim.id}"))
    assert "Over the cap" in page  # the history
    assert "£18.50" in page


def test_approving_more_than_claimed_or_not_money_is_refused_at_the_line(
    client, login, partner, finance
):
    claim = sent_claim(partner, 850, 1234)
    first, second = claim.lines
    before = state(claim)
    response = decide(
        login(finance),
        claim,
        "approve",
        **{f"line_{first.id}": "8.51", f"line_{second.id}": "abc", "note": "Checked"},
    )
    assert response.status_code == 200
    html = text(response)
    assert "<title>Error: Claim" in html
    assert error_at(html, f"line_{second.id}") == (
        "Enter the amount to approve in pounds, like 8.50 (or 0 for nothing)"
    )
    assert 'value="abc"' in html and 'value="8.51"' in html and "Checked" in html
    assert state(claim) == before

    response = decide(client, claim, "approve", **{f"line_{first.id}": "8.51"})
    html = text(response)
    assert error_at(html, f"line_{first.id}") == "You cannot approve more than the £8.50 claimed"
    assert summary_links(html) == [
        (f"#line_{first.id}", "You cannot approve more than the £8.50 claimed")
    ]
    assert state(claim) == before


def test_a_question_on_one_claim_leaves_the_others_waiting_for_a_second_approval(
    client, app, login, partner, finance, finance2
):
    waiting = sent_claim(partner, 20000, 5001)  # over the threshold: two approvals
    asked = sent_claim(partner, 20000, 5002)
    decide(login(finance), waiting, "approve")
    decide(client, asked, "approve")
    other = app.test_client()
    sign_in(other, finance2.email)
    decide(other, asked, "query", question="Which car park was this?")
    assert queue_references(text(client.get("/finance/claims?status=second"))) == [
        waiting.reference
    ]


def test_reject_needs_a_reason(client, login, partner, finance):
    claim = sent_claim(partner, 850)
    before = state(claim)
    html = text(decide(login(finance), claim, "reject", reason="  "))
    assert error_at(html, "reason") == "Enter why the claim is not approved"
    assert summary_links(html) == [("#reason", "Enter why the claim is not approved")]
    assert state(claim) == before

    response = decide(client, claim, "reject", reason="Covered by the visitor permit")
    assert response.status_code == 302
    assert state(claim)[0] == "rejected"
    assert "Covered by the visitor permit" in emails_to(partner.email)[-1].body_text
    page = text(client.get(f"/finance/claims/{claim.id}"))
    assert "there is nothing to decide" in page
    assert 'name="reject"' not in page


def test_query_sends_the_question_to_the_claimant(client, login, partner, finance):
    claim = sent_claim(partner, 850)
    html = text(decide(login(finance), claim, "query", question=""))
    assert error_at(html, "question") == "Enter your question for the claimant"
    response = decide(client, claim, "query", question="Which hospital was this?")
    assert response.status_code == 302
    assert state(claim)[0] == "queried"
    assert "Which hospital was this?" in emails_to(partner.email)[-1].body_text
    assert queue_references(text(client.get("/finance/claims?status=queried"))) == [claim.reference]


def test_above_the_threshold_a_different_finance_user_gives_the_final_approval(
    client, app, login, partner, finance, finance2
):
    claim = sent_claim(partner, 20000, 5001)  # £250.01: over the £250 threshold
    response = decide(login(finance), claim, "approve")
    html = text(client.get(response.headers["Location"]))
    assert f"You gave the first approval on {claim.reference}" in html
    assert state(claim)[0] == "submitted"
    assert "Waiting for second approval" in text(client.get("/finance/claims"))
    assert queue_references(text(client.get("/finance/claims?status=second"))) == [claim.reference]

    # The same person cannot give the second approval: the page says so, the service refuses.
    page = text(client.get(f"/finance/claims/{claim.id}"))
    assert "You gave the first approval on this claim" in page
    # The notice is a sentence, with its full stop.
    assert "A different person in the finance team must give the second." in page
    assert 'name="approve"' not in page
    before = state(claim)
    data = {
        "csrf_token": csrf_from(page),
        "seen": seen_from(page),
        "approve": "",
        **{f"line_{line.id}": "1.00" for line in claim.lines},
    }
    html = text(client.post(f"/finance/claims/{claim.id}", data=data))
    assert "You gave the first approval on this claim" in html
    assert "<title>Error: " in html
    assert state(claim) == before

    other = app.test_client()
    sign_in(other, finance2.email)
    response = decide(other, claim, "approve")
    assert response.status_code == 302
    status, total, _, approvals = state(claim)
    assert (status, total) == ("approved", 25001)
    assert approvals == [(finance.id, 1, "approve"), (finance2.id, 2, "approve")]


def test_nobody_decides_on_their_own_claim(client, login, make_user):
    both = make_user("finance", "partner")
    claim = sent_claim(both, 850)
    page = text(login(both).get(f"/finance/claims/{claim.id}"))
    assert "You cannot decide on your own expenses claim" in page
    assert 'name="approve"' not in page and 'name="reject"' not in page
    before = state(claim)
    data = {
        "csrf_token": csrf_from(page),
        "seen": claim.updated_at.isoformat(),
        "approve": "",
        f"line_{claim.lines[0].id}": "8.50",
    }
    html = text(client.post(f"/finance/claims/{claim.id}", data=data))
    assert "You cannot decide on your own expenses claim" in html
    assert state(claim) == before


def test_a_budget_holder_gives_the_first_approval_then_finance_the_final(
    client, app, login, make_user, partner, finance
):
    holder = make_user("hr", full_name="Bea Budget")
    role = make_role("expenses_only", title="Carers panel", budget_holder_id=holder.id)
    claim = sent_claim(partner, 850, role=role)
    elsewhere = sent_claim(partner, 500)  # no role: not the budget holder's

    login(holder)
    html = text(client.get("/finance/claims"))
    assert re.search(NAV, html)  # in the navigation
    assert queue_references(html) == [claim.reference]
    assert 'id="status"' not in html  # only claims waiting for them
    assert client.get(f"/finance/claims/{elsewhere.id}").status_code == 404

    response = decide(client, claim, "approve")
    assert response.status_code == 302
    assert state(claim)[0] == "submitted"  # a role with a budget holder needs two approvals
    assert queue_references(text(client.get("/finance/claims"))) == []
    page = text(client.get(f"/finance/claims/{claim.id}"))
    assert "The first approval is in. The final decision is for the finance team" in page

    other = app.test_client()
    sign_in(other, finance.email)
    assert "Waiting for second approval" in text(other.get("/finance/claims"))
    assert decide(other, claim, "approve").status_code == 302
    assert state(claim)[:2] == ("approved", 850)
    assert state(claim)[3] == [(holder.id, 1, "approve"), (finance.id, 2, "approve")]


def test_two_approvers_at_once_the_stale_form_loses(client, app, login, partner, finance, finance2):
    claim = sent_claim(partner, 20000, 5001)
    mine = login(finance)
    theirs = app.test_client()
    sign_in(theirs, finance2.email)
    # Both open the claim.
    my_page = text(mine.get(f"/finance/claims/{claim.id}"))
    their_page = text(theirs.get(f"/finance/claims/{claim.id}"))
    amounts = {f"line_{line.id}": f"{line.amount_pence / 100:.2f}" for line in claim.lines}
    # The other approver decides first.
    first = theirs.post(
        f"/finance/claims/{claim.id}",
        data={
            "csrf_token": csrf_from(their_page),
            "seen": seen_from(their_page),
            "approve": "",
            **amounts,
        },
    )
    assert first.status_code == 302
    after_theirs = state(claim)
    # This approver's form was for the claim before that: it loses, and says why.
    response = mine.post(
        f"/finance/claims/{claim.id}",
        data={
            "csrf_token": csrf_from(my_page),
            "seen": seen_from(my_page),
            "approve": "",
            **amounts,
        },
    )
    assert response.status_code == 200
    html = text(response)
    assert CHANGED in html
    assert "<title>Error: " in html
    assert state(claim) == after_theirs
    # A form with no version, or a made-up one, loses too.
    for seen in ("", "not a time"):
        response = mine.post(
            f"/finance/claims/{claim.id}",
            data={
                "csrf_token": csrf_from(my_page),
                "seen": seen,
                "reject": "",
                "reason": "Duplicate",
            },
        )
        assert CHANGED in text(response)
        assert state(claim) == after_theirs


# -- Filters and pages -----------------------------------------------------------------------------


def test_filters_by_role_claimant_flag_and_amount(client, login, make_user, partner, finance):
    role = make_role("expenses_only", title="Research group")
    ann = make_user("partner", full_name="Ann Lee", email="ann.lee@example.org")
    in_role = sent_claim(ann, 1500, role=role)
    no_receipt = sent_claim(partner, 850)
    # A claim with no flags: parking needs no receipt under a policy that says so.
    policy = services.policy_on(NOW.date())
    db.session.add(PolicyCap(policy=policy, category=category("parking"), needs_receipt=False))
    db.session.commit()
    unflagged = services.start_claim(partner)
    services.add_line(
        unflagged,
        category=category("parking"),
        spent_on=dt.date(2026, 11, 18),
        description="Parking",
        amount_pence=30000,
    )
    services.submit_claim(unflagged)
    login(finance)

    def refs(query: str) -> list[str]:
        response = client.get("/finance/claims?" + query)
        assert response.status_code == 200
        return queue_references(text(response))

    everyone = [in_role.reference, no_receipt.reference, unflagged.reference]
    assert refs("") == everyone
    assert refs(f"role={role.id}") == [in_role.reference]
    assert refs("role=none") == [no_receipt.reference, unflagged.reference]
    assert refs("claimant=ANN.LEE@") == [in_role.reference]
    assert refs("claimant=sam+part") == [no_receipt.reference, unflagged.reference]
    assert refs("claimant=%25") == []  # a literal percent sign, not a wildcard
    assert refs("flag=any") == [in_role.reference, no_receipt.reference]
    assert refs("flag=no_receipt") == [in_role.reference, no_receipt.reference]
    assert refs("flag=over_line_cap") == []
    assert refs("amount_from=8.50&amount_to=15") == [in_role.reference, no_receipt.reference]
    assert refs("amount_from=£250") == [unflagged.reference]
    assert refs("status=all&amount_to=9") == [no_receipt.reference]
    html = text(client.get(f"/finance/claims?role={role.id}&claimant=ann"))
    assert f'<option value="{role.id}" selected>Research group</option>' in html
    assert 'value="ann"' in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "amount_from=abc",
            "amount_from",
            "Enter the total claimed from as an amount in pounds, like 25 or 12.50",
        ),
        (
            "amount_to=1.234",
            "amount_to",
            "Enter the total claimed up to as an amount in pounds, like 25 or 12.50",
        ),
        (
            "amount_from=-5",
            "amount_from",
            "The total claimed from must be between £0 and £1,000,000",
        ),
        (
            "amount_from=20&amount_to=10",
            "amount_to",
            "The total claimed up to must be the same as or more than the amount from",
        ),
        ("role=abc", "role", "Select a role from the list"),
        ("role=999999", "role", "Select a role from the list"),
        ("status=deleted", "status", "Select a status from the list"),
        ("flag=made_up", "flag", "Select a flag from the list"),
        ("claimant=" + "x" * 201, "claimant", "Claimant must be 200 characters or fewer"),
    ],
)
def test_bad_filters_are_shown_at_the_field_never_ignored(
    client, login, partner, finance, query, field, message
):
    sent_claim(partner, 850)
    response = login(finance).get("/finance/claims?" + query)
    assert response.status_code == 200
    html = text(response)
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Error: Expense claims to approve" in html
    assert error_at(html, field) == message
    assert summary_links(html) == [(f"#{field}", message)]
    assert queue_references(html) == []  # not the unfiltered list
    assert "Correct the filters to see claims" in html


def test_the_queue_has_pages_of_50(client, login, partner, finance):
    parking_id = category("parking").id
    base = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
    claims = []
    for n in range(55):
        claim = Claim(
            claimant_id=partner.id,
            status="submitted",
            reference=f"EXP-2026-{900000 + n:06d}",
            submitted_at=base + dt.timedelta(hours=n),
            total_claimed_pence=100 + n,
        )
        claim.lines.append(
            ClaimLine(
                spent_on=dt.date(2026, 9, 30),
                category_id=parking_id,
                description="Parking",
                amount_pence=100 + n,
                flags=[],
            )
        )
        claims.append(claim)
    db.session.add_all(claims)
    db.session.commit()
    login(finance)
    first = text(client.get("/finance/claims?amount_to=2"))
    assert queue_references(first) == [c.reference for c in claims[:50]]
    assert "55 claims" in first
    assert "/finance/claims?page=2&amp;status=submitted&amp;amount_to=2" in first
    second = text(client.get("/finance/claims?amount_to=2&page=2"))
    assert queue_references(second) == [c.reference for c in claims[50:]]
    assert queue_references(text(client.get("/finance/claims?amount_to=2&page=999"))) == []
    assert client.get("/finance/claims?page=abc").status_code == 200
