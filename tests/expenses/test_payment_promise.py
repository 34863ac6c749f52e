"""A claimant who cannot be paid yet is promised no date: the claim page, the email and the
dashboard say why and link to what to do, and the promise starts when they can be paid. The
finance team's note on an approval reaches the claimant, and the email links to the claim."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from lep.audit.models import AuditEvent
from lep.expenses import services
from lep.extensions import db
from lep.partners import bank_services
from tests.expenses.test_claims import parking
from tests.helpers import emails_to, link_in, with_bank_details
from tests.roles.public_data import main_text

# Friday 20 November 2026, midday in London (GMT).
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


def approved(partner, finance, note: str = ""):  # type: ignore[no-untyped-def]
    claim = services.start_claim(partner)
    parking(claim, 8900)
    services.submit_claim(claim)
    return services.approve_claim(claim, finance, {claim.lines[0].id: 8900}, note=note)


def test_no_bank_details_no_date_promised_and_each_place_says_why(client, login, make_user):
    partner = make_user("partner", full_name="Robin Waiting")
    claim = approved(partner, make_user("finance"))
    assert claim.status == "approved" and claim.expected_payment_date is None

    email = emails_to(partner.email)[-1]
    assert email.template == "claim_approved"
    assert "You can expect the payment by" not in email.body_text
    assert "We cannot pay you yet. We do not have your bank details yet" in email.body_text
    assert link_in(email, "/account/bank-details") == "/account/bank-details"
    assert "We will pay you within 10 working days of the day we can." in email.body_text

    login(partner)
    page = main_text(client.get(f"/claims/{claim.id}").get_data(as_text=True))
    assert "We cannot pay you yet" in page
    assert "We do not have your bank details yet, so we cannot pay you." in page
    assert "Expected payment Not yet" in page and "By " not in page
    html = client.get("/claims").get_data(as_text=True)
    assert 'href="/account/bank-details">Add your bank details</a>' in html
    assert "Expected payment by" not in main_text(html)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "We have approved £89.00 for you. We do not have your bank details yet" in main_text(
        dashboard
    )
    assert 'href="/account/bank-details">Add your bank details</a>' in dashboard


def test_the_promise_starts_when_bank_details_are_added(client, login, make_user, app):
    partner = make_user("partner", full_name="Robin Waiting")
    claim = approved(partner, make_user("finance"))
    bank_services.save_bank_details(
        partner, "309430", "00733445", "Robin Waiting", by=partner, recently_signed_in=True
    )
    details = bank_services.details_for(partner.id)
    assert details is not None
    # Held for PAYMENT_HOLD_DAYS after the change, then 10 working days.
    held_until = details.changed_at + dt.timedelta(days=app.config["PAYMENT_HOLD_DAYS"])
    from lep.expenses.paydates import expected_payment_date
    from lep.timeutil import to_london

    assert claim.expected_payment_date == expected_payment_date(to_london(held_until).date())
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "claim.payment_promised")
    ).one()
    assert event.subject_id == str(claim.id) and event.actor_id == partner.id

    login(partner)
    page = main_text(client.get(f"/claims/{claim.id}").get_data(as_text=True))
    assert "We cannot pay you yet" not in page
    # Still held for a few days: the page says until when, and the date counts from then.
    assert "we do not pay into new details until" in page
    assert f"By {claim.expected_payment_date.day} " in page


def test_details_held_after_a_change_the_date_counts_from_the_end_of_the_hold(make_user):
    partner = with_bank_details(
        make_user("partner", full_name="Sam Partner"), changed_at=NOW - dt.timedelta(days=1)
    )
    claim = approved(partner, make_user("finance"))
    # Held until Sunday 22 November (3 days after Thursday's change); 10 working days on from it.
    assert claim.expected_payment_date == dt.date(2026, 12, 4)
    body = emails_to(partner.email)[-1].body_text
    assert "You can expect the payment by 4 December 2026." in body
    assert "we do not pay into new details until 22 November 2026" in body


def test_the_finance_note_reaches_the_claimant_and_the_email_links_to_the_claim(
    client, login, make_user
):
    partner = with_bank_details(make_user("partner", full_name="Sam Partner"))
    note = "We paid the standard parking rate for the day."
    claim = approved(partner, make_user("finance"), note=note)
    email = emails_to(partner.email)[-1]
    assert f"A note from the finance team:\n{note}" in email.body_text
    assert link_in(email, f"/claims/{claim.id}") == f"/claims/{claim.id}"
    assert "/dashboard" not in email.body_text
    assert "You can expect the payment by 4 December 2026." in email.body_text

    login(partner)
    page = main_text(client.get(f"/claims/{claim.id}").get_data(as_text=True))
    assert f"A note from the finance team {note}" in page


def test_the_claim_page_total_shows_what_was_approved_where_less_was(client, login, make_user):
    partner = with_bank_details(make_user("partner", full_name="Sam Partner"))
    claim = services.start_claim(partner)
    parking(claim, 3250)
    parking(claim, 860)
    services.submit_claim(claim)
    services.approve_claim(
        claim, make_user("finance"), {claim.lines[0].id: 2500, claim.lines[1].id: 860}
    )
    login(partner)
    html = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    # The expenses table's own total, not only the summary above it.
    table = html.split('id="lines"', 1)[1].split("</table>", 1)[0]
    table = " ".join(re.sub(r"<[^>]+>", " ", table).split())
    assert "Total claimed £41.10 Total approved £33.60" in table
