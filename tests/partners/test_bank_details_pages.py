"""A partner's bank details pages: masked details and the hold, changing them with a fresh sign-in,
clear messages at the field, the audit (never the numbers) and the confirmation email."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import json
import re

import pytest
from sqlalchemy import select

from lep.audit.models import AuditEvent
from lep.db import utcnow
from lep.extensions import db
from lep.partners import bank, bank_services
from lep.partners.models import BankDetails
from lep.service import DomainError
from lep.timeutil import format_datetime
from tests.conftest import PASSWORD, csrf_from, sign_in
from tests.helpers import emails_to, error_at, summary_links

PAGE = "/account/bank-details"
CHANGE = "/account/bank-details/change"
AGAIN = "For your security, sign in again to change your bank details"


@pytest.fixture(autouse=True)
def bacs_provider(app):
    app.extensions.pop("lep_payment_provider", None)
    yield
    app.extensions.pop("lep_payment_provider", None)


@pytest.fixture
def partner(make_user):
    return make_user("partner", full_name="Sam Partner", email="sam@example.org")


def text(response) -> str:
    return response.get_data(as_text=True)


def plain(html: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def stored(user) -> BankDetails | None:
    db.session.expire_all()
    return db.session.scalar(select(BankDetails).where(BankDetails.user_id == user.id))


def give(client, **fields):
    page = client.get(CHANGE)
    data = {"name": "Sam Partner", "sort_code": "30-94-30", "account_number": "0073 3445"}
    data.update(fields)
    return client.post(CHANGE, data={**data, "csrf_token": csrf_from(text(page))})


def signed_in_long_ago(client, user, minutes: int = 11) -> None:
    """As if this session's sign-in was `minutes` ago (both where the sign-in time is kept)."""
    then = utcnow() - dt.timedelta(minutes=minutes)
    user.last_login_at = then
    db.session.commit()
    with client.session_transaction() as session:
        session["signed_in_at"] = then.isoformat()


def bank_audit() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "bank_details")
            .order_by(AuditEvent.id)
        )
    )


# -- Adding and changing ------------------------------------------------------------------------


def test_a_partner_adds_bank_details_sees_them_masked_and_held_and_gets_an_email(login, partner):
    client = login(partner)
    first = text(client.get(PAGE))
    assert "You have not given us your bank details yet" in first
    assert "<title>Your bank details - " in first

    form = text(client.get(CHANGE))
    # NHS.UK widths, hints, and no autocomplete for the numbers.
    sort_input = re.search(r"<input[^>]*id=\"sort_code\"[^>]*>", form).group(0)
    number_input = re.search(r"<input[^>]*id=\"account_number\"[^>]*>", form).group(0)
    assert "nhsuk-input--width-5" in sort_input and 'autocomplete="off"' in sort_input
    assert "nhsuk-input--width-10" in number_input and 'autocomplete="off"' in number_input
    assert 'inputmode="numeric"' in number_input
    assert "Must be 6 digits long" in form and "Must be 8 digits long" in form

    response = give(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(PAGE)

    details = stored(partner)
    assert details is not None
    assert "00733445" not in details.ciphertext and "309430" not in details.ciphertext
    assert bank.decrypt(details.ciphertext) == bank.Account("309430", "00733445", "Sam Partner")
    assert details.masked == "Sort code **-**-30, account ending 3445, in the name of Sam Partner"
    assert utcnow() - details.changed_at < dt.timedelta(minutes=1)

    page = plain(text(client.get(PAGE)))
    assert "Your bank details have been saved" in page
    assert "Sort code **-**-30, account ending 3445, in the name of Sam Partner" in page
    assert "00733445" not in page
    assert f"Last changed {format_datetime(details.changed_at)}" in page
    held_until = format_datetime(details.changed_at + dt.timedelta(days=3))
    assert f"Payments are held until {held_until} because your details changed recently" in page

    [email] = emails_to("sam@example.org")
    assert email.subject == "Your bank details were changed"
    body = " ".join(email.body_text.split())
    assert f"Your bank details were changed on {format_datetime(details.changed_at)}." in body
    assert "If this was not you, contact the finance team" in body
    assert "account ending 3445" in body
    assert "00733445" not in body and "309430" not in body
    assert "http://localhost/account/bank-details" in body

    [event] = bank_audit()
    assert event.action == "bank_details.changed"
    assert event.actor_id == partner.id
    assert event.before is None
    assert event.after["masked"] == details.masked
    assert "00733445" not in json.dumps([event.before, event.after])
    assert "309430" not in json.dumps([event.before, event.after])


def test_changing_details_audits_masked_before_and_after_only(login, partner):
    client = login(partner)
    give(client)
    response = give(client, sort_code="20 00 00", account_number="55779911", name="S Partner")
    assert response.status_code == 302
    details = stored(partner)
    assert bank.decrypt(details.ciphertext).account_number == "55779911"
    first, second = bank_audit()
    assert second.before == {"masked": first.after["masked"]}
    assert second.after["masked"].startswith("Sort code **-**-00, account ending 9911")
    everything = json.dumps([[e.before, e.after] for e in bank_audit()])
    for secret in ("00733445", "55779911", "309430", "200000"):
        assert secret not in everything
    assert len(emails_to("sam@example.org")) == 2


def test_the_same_details_again_change_nothing_and_restart_no_hold(login, partner):
    client = login(partner)
    give(client)
    details = stored(partner)
    long_ago = utcnow() - dt.timedelta(days=10)
    details.changed_at = long_ago
    db.session.commit()
    assert "Payments are held" not in text(client.get(PAGE))

    response = give(client, sort_code="309430", account_number="00733445", name=" Sam  Partner ")
    assert response.status_code == 302
    assert stored(partner).changed_at == long_ago
    assert len(bank_audit()) == 1
    assert len(emails_to("sam@example.org")) == 1
    page = plain(text(client.get(PAGE)))
    assert "These are the bank details we already have: nothing has changed" in page
    assert "Payments are held" not in page


def test_the_longest_name_allowed_is_kept_whole_and_shown_cut_short(login, partner):
    client = login(partner)
    name = "Alexandra " + "M" * 50  # 60 characters: the most a name on the account may have
    assert give(client, name=name).status_code == 302
    details = stored(partner)
    assert bank.decrypt(details.ciphertext).name == name
    assert details.masked.startswith("Sort code **-**-30, account ending 3445, in the name of")
    assert len(details.masked) <= 80 and details.masked.endswith("…")
    assert "account ending 3445" in text(client.get(PAGE))
    [email] = emails_to("sam@example.org")
    assert name in email.body_text


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"sort_code": "30-94-3"}, "sort_code", "Enter a valid sort code like 309430"),
        ({"sort_code": ""}, "sort_code", "Enter a sort code"),
        ({"account_number": "0073344"}, "account_number", "Account number must be 8 digits long"),
        (
            {"account_number": "0073344X"},
            "account_number",
            "Enter a valid account number like 00733445",
        ),
        ({"name": ""}, "name", "Enter the name on the account"),
        ({"name": "S" * 61}, "name", "Name on the account must be 60 characters or fewer"),
    ],
)
def test_bad_details_are_refused_at_the_field_with_what_was_typed_kept(
    login, partner, fields, field_id, message
):
    client = login(partner)
    typed = {"name": "Sam Partner", "sort_code": "30-94-30", "account_number": "0073 3445"}
    typed.update(fields)
    response = give(client, **fields)
    html = text(response)
    assert response.status_code == 200
    assert "<title>Error: Your bank details - " in html
    assert error_at(html, field_id) == message
    assert (f"#{field_id}", message) in summary_links(html)
    for name, value in typed.items():
        if value:
            assert re.search(rf'id="{name}"[^>]*value="{re.escape(value)}"', html) or re.search(
                rf'value="{re.escape(value)}"[^>]*id="{name}"', html
            ), name
    assert stored(partner) is None
    assert bank_audit() == []
    assert emails_to("sam@example.org") == []


def test_several_bad_fields_are_all_named(login, partner):
    client = login(partner)
    html = text(give(client, sort_code="12", account_number="", name=""))
    assert summary_links(html) == [
        ("#name", "Enter the name on the account"),
        ("#sort_code", "Enter a valid sort code like 309430"),
        ("#account_number", "Enter an account number"),
    ]


# -- A fresh sign-in -----------------------------------------------------------------------------


def test_changing_details_needs_a_sign_in_in_the_last_10_minutes(login, partner):
    client = login(partner)
    give(client)
    before = stored(partner)
    old_ciphertext, old_changed = before.ciphertext, before.changed_at

    # The form was opened in time, but sent after the 10 minutes: refused, nothing changed.
    page = client.get(CHANGE)
    signed_in_long_ago(client, partner)
    response = client.post(
        CHANGE,
        data={
            "name": "Someone Else",
            "sort_code": "111111",
            "account_number": "22222222",
            "csrf_token": csrf_from(text(page)),
        },
    )
    assert response.status_code == 200
    assert AGAIN in text(response)
    after = stored(partner)
    assert (after.ciphertext, after.changed_at) == (old_ciphertext, old_changed)
    assert len(bank_audit()) == 1
    assert len(emails_to("sam@example.org")) == 1

    # Opening the change page asks them to sign in again.
    again = text(client.get(CHANGE))
    assert AGAIN in again
    assert 'id="account_number"' not in again
    assert "<title>Sign in again - " in again

    # "Sign in again" signs them out and sends them through sign-in and back.
    response = client.post(
        "/account/bank-details/sign-in-again", data={"csrf_token": csrf_from(again)}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/account/bank-details/change"
    assert client.get(PAGE).status_code == 302  # signed out
    sign_in_page = client.get("/sign-in?next=/account/bank-details/change")
    response = client.post(
        "/sign-in?next=/account/bank-details/change",
        data={
            "email": partner.email,
            "password": PASSWORD,
            "csrf_token": csrf_from(text(sign_in_page)),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == CHANGE

    assert give(client, account_number="22222222").status_code == 302
    assert bank.decrypt(stored(partner).ciphertext).account_number == "22222222"


def test_a_sign_in_in_another_session_does_not_count(login, partner):
    """Only this session's own sign-in counts: a session that never typed the password (an old,
    remembered one, say) is asked to sign in again, even if the person signed in elsewhere."""
    client = login(partner)
    with client.session_transaction() as session:
        session.pop("signed_in_at", None)
    partner.last_login_at = utcnow()  # a sign-in somewhere else, just now
    db.session.commit()
    assert AGAIN in text(client.get(CHANGE))
    assert stored(partner) is None


def test_a_sign_in_9_minutes_ago_is_recent_enough(login, partner):
    client = login(partner)
    signed_in_long_ago(client, partner, minutes=9)
    assert give(client).status_code == 302
    assert stored(partner) is not None


def test_the_service_refuses_without_a_recent_sign_in_and_for_anyone_else(make_user, partner):
    with pytest.raises(bank_services.SignInAgain) as caught:
        bank_services.save_bank_details(
            partner, "309430", "00733445", "Sam", by=partner, recently_signed_in=False
        )
    assert caught.value.errors == {"signed_in": AGAIN}
    finance = make_user("finance")
    with pytest.raises(DomainError, match="Only you can change your bank details"):
        bank_services.save_bank_details(
            partner, "309430", "00733445", "Sam", by=finance, recently_signed_in=True
        )
    applicant = make_user("applicant")
    with pytest.raises(DomainError, match="Only lived experience partners"):
        bank_services.save_bank_details(
            applicant, "309430", "00733445", "Sam", by=applicant, recently_signed_in=True
        )
    assert stored(partner) is None and stored(applicant) is None
    assert bank_audit() == []


def test_signed_in_recently_is_ten_minutes():
    now = utcnow()
    assert bank_services.signed_in_recently(now - dt.timedelta(minutes=9, seconds=59), now)
    assert not bank_services.signed_in_recently(now - dt.timedelta(minutes=10, seconds=1), now)
    assert not bank_services.signed_in_recently(None, now)
    assert not bank_services.signed_in_recently(now + dt.timedelta(hours=1), now)


# -- Who may see what ----------------------------------------------------------------------------


def test_an_applicant_cannot_add_bank_details(login, make_user):
    applicant = make_user("applicant", email="ann@example.org")
    client = login(applicant)
    page = text(client.get(PAGE))
    assert "Only lived experience partners give bank details here" in page
    form_page = text(client.get(CHANGE))
    assert 'id="account_number"' not in form_page
    response = client.post(
        CHANGE,
        data={
            "name": "Ann",
            "sort_code": "309430",
            "account_number": "00733445",
            "csrf_token": csrf_from(form_page) if "csrf_token" in form_page else "",
        },
    )
    assert response.status_code == 200
    assert "Only lived experience partners give bank details here" in text(response)
    assert stored(applicant) is None
    assert emails_to("ann@example.org") == []


def test_finance_cannot_see_a_partners_bank_details(app, login, make_user, partner):
    give(login(partner))
    finance = make_user("finance")
    other = app.test_client()
    assert sign_in(other, finance.email).status_code == 302
    page = text(other.get(PAGE))
    assert "account ending 3445" not in page
    assert "Only lived experience partners give bank details here" in page


def test_signed_out_people_are_sent_to_sign_in(client):
    for url in (PAGE, CHANGE):
        response = client.get(url)
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]


def test_with_the_stripe_provider_partners_give_no_bank_details_here(app, login, partner):
    class Stripe:
        name = "stripe"

    app.extensions["lep_payment_provider"] = Stripe()
    client = login(partner)
    for url in (PAGE, CHANGE):
        page = text(client.get(url))
        assert "You do not need to give us your bank details" in page
        assert 'id="account_number"' not in page
