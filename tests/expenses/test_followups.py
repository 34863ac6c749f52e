"""Finance cancel an approved claim from its page; finance set each role's cost code and budget
holder; the claimant reads flags in their own words; the add-an-expense page shows every problem
in one pass."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from lep.audit.models import AuditEvent
from lep.expenses import services
from lep.expenses.finance_forms import seen_text
from lep.expenses.models import Claim, ClaimLine, ExpenseCategory, PolicyCap
from lep.expenses.policy_services import set_role_expense_settings
from lep.extensions import db
from lep.roles.models import Role
from lep.service import DomainError
from tests.conftest import csrf_from, sign_in
from tests.helpers import emails_to, error_at, summary_links
from tests.roles.public_data import main_text, make_role

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)  # Friday 20 November 2026, midday
TODAY = dt.date(2026, 11, 20)
CHANGED = "This claim has changed since you opened it. Reload it to see what changed"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    clock = {"now": NOW}
    monkeypatch.setattr(services, "utcnow", lambda: clock["now"])
    return clock


@pytest.fixture(autouse=True)
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


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def category(code: str) -> ExpenseCategory:
    found = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == code))
    assert found is not None
    return found


def parking(claim: Claim, pence: int, day: dt.date = dt.date(2026, 11, 16)) -> ClaimLine:
    return services.add_line(
        claim,
        category=category("parking"),
        spent_on=day,
        description="Parking at the hospital",
        amount_pence=pence,
        no_receipt_reason="The machine gave no ticket",
    )


def sent_claim(person: Any, *amounts: int, role: Role | None = None) -> Claim:
    claim = services.start_claim(person)
    if role is not None:
        claim.role_id = role.id  # as for someone invited to interview for it
        db.session.commit()
    for pence in amounts:
        parking(claim, pence)
    return services.submit_claim(claim)


def approved_claim(partner: Any, finance: Any, *amounts: int) -> Claim:
    claim = sent_claim(partner, *amounts)
    return services.approve_claim(
        claim, finance, {line.id: line.amount_pence for line in claim.lines}
    )


def status_of(claim: Claim) -> str:
    db.session.expire_all()
    found = db.session.get(Claim, claim.id)
    assert found is not None
    return found.status


def seen_from(html: str) -> str:
    match = re.search(r'name="seen" type="hidden" value="([^"]+)"', html)
    assert match, "no claim version on the page"
    return match.group(1)


def cancel_on_page(client, claim: Claim, reason: str, seen: str | None = None):  # type: ignore[no-untyped-def]
    page = text(client.get(f"/finance/claims/{claim.id}"))
    data = {"csrf_token": csrf_from(page), "cancel": "", "reason": reason}
    data["seen"] = seen if seen is not None else seen_from(page)
    return client.post(f"/finance/claims/{claim.id}", data=data)


def post_cancel(client, claim: Claim, reason: str):  # type: ignore[no-untyped-def]
    """A cancel sent from an old page (or made up): the claim's version as it is now."""
    db.session.expire_all()
    fresh = db.session.get(Claim, claim.id)
    assert fresh is not None
    token = csrf_from(text(client.get("/dashboard")))
    return client.post(
        f"/finance/claims/{claim.id}",
        data={"csrf_token": token, "seen": seen_text(fresh), "cancel": "", "reason": reason},
    )


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


CANCEL_HEADING = '<h2 id="cancel-heading">Cancel this claim</h2>'


# -- 1. Finance cancel an approved claim from its page -------------------------------------------


def test_finance_cancel_an_approved_claim_with_a_reason_and_the_claimant_is_told(
    client, login, partner, finance
):
    claim = approved_claim(partner, finance, 850)
    login(finance)
    page = text(client.get(f"/finance/claims/{claim.id}"))
    assert CANCEL_HEADING in page
    assert "Why are you cancelling it?" in page

    response = cancel_on_page(client, claim, "")
    assert response.status_code == 200
    assert error_at(text(response), "reason") == "Enter why the claim is cancelled"
    assert ("#reason", "Enter why the claim is cancelled") in summary_links(text(response))
    assert status_of(claim) == "approved"

    response = cancel_on_page(client, claim, "Claimed twice: see EXP-2026-000001")
    assert response.headers["Location"] == f"/finance/claims/{claim.id}"
    assert status_of(claim) == "cancelled"
    email = emails_to(partner.email)[-1]
    assert email.subject == f"Your expenses claim {claim.reference} is cancelled"
    assert "Claimed twice: see EXP-2026-000001" in email.body_text

    page = text(client.get(f"/finance/claims/{claim.id}"))
    body = main_text(page)
    assert f"{claim.reference} is cancelled" in body
    assert "Why it was cancelled Claimed twice: see EXP-2026-000001" in body
    assert CANCEL_HEADING not in page  # nothing more to cancel


def test_a_partly_approved_claim_can_be_cancelled_too(client, login, partner, finance):
    claim = sent_claim(partner, 850, 400)
    services.approve_claim(claim, finance, {claim.lines[0].id: 850, claim.lines[1].id: 0})
    assert status_of(claim) == "partly_approved"
    login(finance)
    assert cancel_on_page(client, claim, "Duplicate").status_code == 302
    assert status_of(claim) == "cancelled"


def test_the_cancel_form_is_not_offered_before_approval_or_once_scheduled(
    client, login, partner, finance
):
    waiting = sent_claim(partner, 850)
    scheduled = approved_claim(partner, finance, 500)
    db.session.execute(update(Claim).where(Claim.id == scheduled.id).values(status="scheduled"))
    db.session.commit()
    login(finance)
    for claim in (waiting, scheduled):
        assert CANCEL_HEADING not in text(client.get(f"/finance/claims/{claim.id}"))
    # Sent anyway (an old page): refused, and the claim is as it was.
    response = post_cancel(client, scheduled, "Duplicate")
    assert response.status_code == 200
    assert "This claim cannot be cancelled now: it is scheduled for payment" in text(response)
    assert status_of(scheduled) == "scheduled"


def test_a_budget_holder_is_not_offered_the_cancel_form_and_cannot_cancel(
    client, login, partner, finance, make_user
):
    holder = make_user("hr", full_name="Bea Holder")
    role = make_role("expenses_only", title="Patient panel member", budget_holder_id=holder.id)
    claim = sent_claim(partner, 850, role=role)
    services.approve_claim(claim, holder, {claim.lines[0].id: 850})
    services.approve_claim(claim, finance, {claim.lines[0].id: 850})
    assert status_of(claim) == "approved"
    login(holder)
    page = text(client.get(f"/finance/claims/{claim.id}"))
    assert claim.reference in page  # a budget holder may see the claims for their roles
    assert CANCEL_HEADING not in page
    response = post_cancel(client, claim, "No")
    assert response.status_code == 200
    assert "Only the finance team can cancel a claim from this page" in text(response)
    assert status_of(claim) == "approved"


def test_finance_cannot_cancel_their_own_claim_from_the_finance_page(
    client, login, make_user, finance
):
    both = make_user("finance", "partner", full_name="Pat Both")
    claim = approved_claim(both, finance, 850)
    login(both)
    page = text(client.get(f"/finance/claims/{claim.id}"))
    assert CANCEL_HEADING not in page
    response = post_cancel(client, claim, "Mine")
    assert "Only the finance team can cancel a claim from this page" in text(response)
    assert status_of(claim) == "approved"


def test_a_stale_cancel_form_is_refused(client, login, partner, finance, frozen):
    claim = approved_claim(partner, finance, 850)
    login(finance)
    seen = seen_from(text(client.get(f"/finance/claims/{claim.id}")))
    # Someone else changed the claim after the page was opened.
    later = NOW + dt.timedelta(minutes=5)
    db.session.execute(update(Claim).where(Claim.id == claim.id).values(updated_at=later))
    db.session.commit()
    response = cancel_on_page(client, claim, "Duplicate", seen=seen)
    assert response.status_code == 200
    assert CHANGED in text(response)
    assert status_of(claim) == "approved"
    # A form with no version at all is refused the same way.
    response = cancel_on_page(client, claim, "Duplicate", seen="")
    assert CHANGED in text(response)
    assert status_of(claim) == "approved"
    assert cancel_on_page(client, claim, "Duplicate").status_code == 302
    assert status_of(claim) == "cancelled"


def test_a_too_long_cancel_reason_is_kept_and_refused_at_the_field(client, login, partner, finance):
    claim = approved_claim(partner, finance, 850)
    login(finance)
    reason = "Duplicate " * 201
    response = cancel_on_page(client, claim, reason)
    assert error_at(text(response), "reason") == "The reason must be 2,000 characters or fewer"
    assert reason.strip() in text(response)
    assert status_of(claim) == "approved"


# -- 2. Each role's expense settings ---------------------------------------------------------------


@pytest.mark.parametrize("role_name", ["partner", "applicant", "hr", "panel", "admin"])
def test_only_finance_see_the_role_settings(client, login, make_user, role_name):
    role = make_role()
    login(make_user(role_name))
    assert client.get("/finance/roles").status_code == 403
    assert client.get(f"/finance/roles/{role.id}/expenses").status_code == 403


def test_a_budget_holder_who_is_not_in_finance_cannot_change_role_settings(
    client, login, make_user
):
    holder = make_user("hr")
    role = make_role(budget_holder_id=holder.id, cost_code="CC-1")
    assert services.is_approver(holder)
    login(holder)
    assert client.get("/finance/roles").status_code == 403
    assert client.get(f"/finance/roles/{role.id}/expenses").status_code == 403
    response = client.post(
        f"/finance/roles/{role.id}/expenses",
        data={"cost_code": "MINE", "budget_holder_id": ""},
    )
    assert response.status_code in (400, 403)
    db.session.expire_all()
    assert (role.cost_code, role.budget_holder_id) == ("CC-1", holder.id)


def test_the_role_list_is_linked_from_the_queue_and_the_categories(client, login, finance):
    login(finance)
    for url in ("/finance/claims", "/finance/expense-categories"):
        page = text(client.get(url))
        assert re.search(r'href="/finance/roles">Expense settings for roles<', page, re.I), url


def test_the_role_list_shows_cost_codes_and_budget_holders_newest_first_50_a_page(
    client, login, finance, make_user
):
    holder = make_user("hr", full_name="Bea Holder")
    roles = [make_role(title=f"Role number {n:02d}") for n in range(51)]
    roles[-1].cost_code = "1A2-3456"
    roles[-1].budget_holder_id = holder.id
    db.session.commit()
    login(finance)
    first = text(client.get("/finance/roles"))
    assert "<title>Expense settings for roles - " in first
    titles = re.findall(r"Role number (\d\d)<span", first)
    assert len(titles) == 50
    assert titles[0] == "50"  # the newest first
    row = first.split(f'id="role-{roles[-1].id}"', 1)[1].split("</tr>", 1)[0]
    assert "1A2-3456" in row and "Bea Holder" in row
    row = first.split(f'id="role-{roles[-2].id}"', 1)[1].split("</tr>", 1)[0]
    assert "Not set" in row and "No budget holder" in row
    assert "Role number 00<" not in first
    second = text(client.get("/finance/roles?page=2"))
    assert re.findall(r"Role number (\d\d)<span", second) == ["00"]


def role_form(client, role: Role, **fields: str):  # type: ignore[no-untyped-def]
    url = f"/finance/roles/{role.id}/expenses"
    page = text(client.get(url))
    return client.post(url, data={"csrf_token": csrf_from(page), **fields})


def test_finance_set_a_roles_cost_code_and_budget_holder(client, login, finance, make_user):
    holder = make_user("hr", full_name="Bea Holder")
    make_user("partner", full_name="Pip Partner")
    make_user("hr", full_name="Gone Away", active=False)
    role = make_role(title="Carer reviewer")
    login(finance)
    page = text(client.get(f"/finance/roles/{role.id}/expenses"))
    assert "Carer reviewer" in page
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
    assert options[0] == "No budget holder"
    assert any(o.startswith("Bea Holder") for o in options)
    assert any(o.startswith("Fran Finance") for o in options)
    assert not any(o.startswith(("Pip Partner", "Gone Away")) for o in options)

    response = role_form(client, role, cost_code="1A2-3456/ B.7", budget_holder_id=str(holder.id))
    assert response.headers["Location"] == "/finance/roles"
    db.session.expire_all()
    assert (role.cost_code, role.budget_holder_id) == ("1A2-3456/ B.7", holder.id)
    assert "Expense settings for Carer reviewer saved." in text(client.get("/finance/roles"))
    (event,) = audit_events("role.expense_settings_updated")
    assert event.subject_type == "role" and event.subject_id == str(role.id)
    assert event.before == {"cost_code": "", "budget_holder_id": None}
    assert event.after == {"cost_code": "1A2-3456/ B.7", "budget_holder_id": holder.id}
    # The budget holder now gives first approvals for the role's claims.
    assert services.is_approver(holder)

    # "No budget holder" takes it away again; the page shows what is saved.
    page = text(client.get(f"/finance/roles/{role.id}/expenses"))
    assert f'value="{holder.id}" selected' in page or f'selected value="{holder.id}"' in page
    role_form(client, role, cost_code="1A2-3456/ B.7", budget_holder_id="")
    db.session.expire_all()
    assert role.budget_holder_id is None
    assert not services.is_approver(holder)


BAD_SETTINGS = [
    (
        "AB#12",
        None,
        "cost_code",
        "Cost code must use only letters, numbers, spaces, hyphens (-), "
        "slashes (/) and full stops (.)",
    ),
    ("A" * 41, None, "cost_code", "Cost code must be 40 characters or fewer"),
    ("CC-1", "not a person", "budget_holder_id", "Select a budget holder from the list"),
    ("CC-1", "99999999", "budget_holder_id", "Select a budget holder from the list"),
]


@pytest.mark.parametrize(("cost_code", "holder", "field", "message"), BAD_SETTINGS)
def test_bad_role_settings_are_refused_at_the_field_keeping_what_was_typed(
    client, login, finance, cost_code, holder, field, message
):
    role = make_role(cost_code="OLD-1")
    login(finance)
    response = role_form(client, role, cost_code=cost_code, budget_holder_id=holder or "")
    assert response.status_code == 200
    page = text(response)
    assert "<title>Error: Expense settings for " in page
    assert error_at(page, field) == message
    assert f'value="{cost_code}"' in page
    db.session.expire_all()
    assert role.cost_code == "OLD-1"
    assert audit_events("role.expense_settings_updated") == []


@pytest.mark.parametrize("who", ["partner", "inactive", "panel"])
def test_only_active_hr_finance_or_admin_staff_may_hold_a_budget(
    client, login, finance, make_user, who
):
    person = (
        make_user("hr", full_name="Gone Away", active=False)
        if who == "inactive"
        else make_user(who, full_name="Not Staff")
    )
    role = make_role()
    login(finance)
    page = text(role_form(client, role, cost_code="CC-1", budget_holder_id=str(person.id)))
    assert error_at(page, "budget_holder_id") == (
        f"{person.full_name} cannot hold a budget: choose an active member of staff in HR, "
        "finance or admin, or no budget holder"
    )
    db.session.expire_all()
    assert role.budget_holder_id is None


def test_a_holder_who_can_no_longer_hold_a_budget_is_shown_and_must_be_changed(
    client, login, finance, make_user
):
    holder = make_user("hr", full_name="Bea Holder")
    role = make_role(budget_holder_id=holder.id)
    holder.active = False
    db.session.commit()
    login(finance)
    page = text(client.get(f"/finance/roles/{role.id}/expenses"))
    assert "Bea Holder" in page and "cannot hold a budget now" in page
    page = text(role_form(client, role, cost_code="", budget_holder_id=str(holder.id)))
    assert "Bea Holder cannot hold a budget" in error_at(page, "budget_holder_id")


def test_the_service_audits_only_a_change(finance, make_user):
    holder = make_user("admin")
    role = make_role()
    set_role_expense_settings(role, "  CC-9 ", holder.id, finance)
    assert (role.cost_code, role.budget_holder_id) == ("CC-9", holder.id)
    set_role_expense_settings(role, "CC-9", holder.id, finance)
    assert len(audit_events("role.expense_settings_updated")) == 1
    with pytest.raises(DomainError) as refused:
        set_role_expense_settings(role, "CC;9", 10**6, finance)
    assert set(refused.value.errors) == {"cost_code", "budget_holder_id"}
    db.session.expire_all()
    assert role.cost_code == "CC-9"


# -- 3. Flags in the claimant's words --------------------------------------------------------------


def test_the_claimant_reads_flags_written_for_them_and_finance_read_theirs(
    app, client, login, partner, finance
):
    policy = services.policy_on(TODAY)
    db.session.add(
        PolicyCap(
            policy=policy, category=category("parking"), per_line_pence=1000, per_day_pence=1500
        )
    )
    db.session.commit()
    claim = sent_claim(partner, 1200, 900)
    login(partner)
    mine = main_text(text(client.get(f"/claims/{claim.id}")))
    assert "Over the limit for one expense of this kind: the finance team will check it" in mine
    assert "Over the daily limit for this kind of expense: the finance team will check it" in mine
    assert "No receipt: you told us why" in mine
    assert "the claimant gave a reason" not in mine
    other = app.test_client()
    sign_in(other, finance.email)
    theirs = main_text(text(other.get(f"/finance/claims/{claim.id}")))
    assert "No receipt: the claimant gave a reason" in theirs
    assert "the finance team will check it" not in theirs
    assert set(services.CLAIMANT_FLAG_TEXT) == set(services.FLAG_TEXT)


# -- 4. Every problem on the add-an-expense page at once ------------------------------------------


def add_page(client, claim: Claim, receipt: tuple[bytes, str] | None = None, **fields: str) -> str:  # type: ignore[no-untyped-def]
    body: dict[str, Any] = dict(fields)
    if receipt is not None:
        body["receipt"] = (io.BytesIO(receipt[0]), receipt[1])
    page = text(client.get(f"/claims/{claim.id}/lines/new"))
    body["csrf_token"] = csrf_from(page)
    response = client.post(
        f"/claims/{claim.id}/lines/new", data=body, content_type="multipart/form-data"
    )
    assert response.status_code == 200, response.status_code
    return text(response)


def date(day: str, month: str, year: str = "2026") -> dict[str, str]:
    return {"spent_on-day": day, "spent_on-month": month, "spent_on-year": year}


def lines_in(claim: Claim) -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(ClaimLine).where(ClaimLine.claim_id == claim.id)).all())


@pytest.fixture
def draft(client, login, partner) -> Claim:
    login(partner)
    return services.start_claim(partner)


def test_a_date_the_form_cannot_read_and_the_services_problems_show_together(client, draft):
    page = add_page(
        client, draft, **date("31", "2"), category="parking", description="", amount="-1"
    )
    assert summary_links(page) == [
        ("#spent_on-day", "The date of the expense must be a real date"),
        ("#description", "Enter what the expense was for"),
        ("#amount", "The amount must be more than £0"),
        ("#no_receipt_reason", "Add a receipt, or tell us why you do not have one"),
    ]
    assert lines_in(draft) == 0


def test_no_kind_chosen_shows_with_the_date_and_description_problems(client, draft):
    page = add_page(client, draft, **date("21", "11"), description="", amount="5")
    assert summary_links(page) == [
        ("#spent_on-day", "The date must be today or in the past"),
        ("#category", "Select what kind of expense it is"),
        ("#description", "Enter what the expense was for"),
    ]
    assert 'value="5"' in page  # what was typed is kept


def test_passengers_that_are_not_a_number_show_with_the_miles_and_the_window(client, draft):
    page = add_page(
        client,
        draft,
        **date("1", "8"),
        category="mileage",
        description="Drove to the panel",
        vehicle="car_or_van",
        miles="10000.1",
        passengers="two",
    )
    assert dict((href, message) for href, message in summary_links(page)) == {
        "#spent_on-day": (
            "Expenses must be claimed within 90 days: the date must be on or after 22 August 2026"
        ),
        "#miles": "A single journey must be 10,000 miles or fewer",
        "#passengers": "Enter the number of passengers as a whole number, like 0 or 2",
    }


def test_money_the_form_cannot_read_shows_with_a_taxi_with_no_reason(client, draft):
    page = add_page(
        client,
        draft,
        **date("", "11"),
        category="taxi",
        description="Taxi from the station",
        amount="twelve",
        no_receipt_reason="Lost it",
    )
    assert summary_links(page) == [
        ("#spent_on-day", "The date of the expense must include a day"),
        ("#amount", "Enter the amount in pounds and pence, like 12.50"),
        ("#reason", "Enter why you needed a taxi"),
    ]


def test_a_chosen_receipt_must_be_chosen_again_when_the_form_found_a_problem(client, draft):
    page = add_page(
        client,
        draft,
        receipt=(PDF, "ticket.pdf"),
        **date("31", "2"),
        category="parking",
        description="Car park",
        amount="8.50",
    )
    assert summary_links(page) == [
        ("#spent_on-day", "The date of the expense must be a real date"),
        ("#receipt", "Choose the file again: ticket.pdf was not added"),
    ]


def test_no_date_boxes_at_all_is_asked_for_not_an_error_page(client, draft):
    page = add_page(
        client,
        draft,
        category="parking",
        description="Car park",
        amount="8.50",
        no_receipt_reason="No ticket",
    )
    assert summary_links(page) == [("#spent_on-day", "Enter the date of the expense")]


def test_a_good_line_is_still_added(client, draft):
    page = text(client.get(f"/claims/{draft.id}/lines/new"))
    response = client.post(
        f"/claims/{draft.id}/lines/new",
        data={
            "csrf_token": csrf_from(page),
            **date("16", "11"),
            "category": "parking",
            "description": "Car park",
            "amount": "8.50",
            "no_receipt_reason": "No ticket",
        },
        content_type="multipart/form-data",
    )
    assert response.headers["Location"] == f"/claims/{draft.id}"
    assert lines_in(draft) == 1


def test_line_problems_checks_without_saving_and_skips_what_it_was_not_given(partner):
    claim = services.start_claim(partner)
    audits = len(audit_events("claim.line_added"))
    good: dict[str, Any] = {
        "category": category("parking"),
        "spent_on": dt.date(2026, 11, 16),
        "description": "Car park",
        "amount_pence": 850,
        "vehicle": None,
        "miles": None,
        "passengers": 0,
        "reason": "",
        "no_receipt_reason": "No ticket",
        "has_receipt": False,
    }
    assert services.line_problems(claim, **good) == {}
    bad = {**good, "spent_on": dt.date(2026, 11, 21), "amount_pence": 0, "no_receipt_reason": ""}
    expected = {
        "spent_on": "The date must be today or in the past",
        "amount": "The amount must be more than £0",
        "no_receipt_reason": "Add a receipt, or tell us why you do not have one",
    }
    assert services.line_problems(claim, **bad) == expected
    assert services.line_problems(claim, **{**bad, "has_receipt": True}) == {
        k: v for k, v in expected.items() if k != "no_receipt_reason"
    }
    # add_line refuses the same things with the same words: the rules live in one place.
    with pytest.raises(DomainError) as refused:
        services.add_line(claim, **{k: v for k, v in bad.items() if k != "has_receipt"})
    assert refused.value.errors == expected
    # No date or no kind: only what can be checked without them.
    assert services.line_problems(claim, **{**bad, "spent_on": None}) == {
        k: v for k, v in expected.items() if k != "spent_on"
    }
    assert services.line_problems(claim, **{**bad, "category": None}) == {
        "spent_on": "The date must be today or in the past"
    }
    mileage = {
        **good,
        "category": category("mileage"),
        "spent_on": None,
        "vehicle": "bicycle",
        "miles": Decimal("3"),
        "passengers": 1,
    }
    assert services.line_problems(claim, **mileage) == {
        "passengers": "Passengers can only be claimed for journeys by car or van"
    }
    assert lines_in(claim) == 0
    assert len(audit_events("claim.line_added")) == audits
    claim.status = "submitted"  # as if sent in another tab
    assert services.line_problems(claim, **good) == {
        "claim": "This claim has been sent and cannot be changed"
    }
    db.session.rollback()
