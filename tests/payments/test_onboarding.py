"""A partner sets up how they are paid on Stripe's own pages (against localstripe)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lep.audit.models import AuditEvent
from lep.extensions import db
from lep.payments.models import Payee
from tests.conftest import csrf_from
from tests.payments.conftest import LocalStripe, signed, stripe_event
from tests.payments.localstripe_connect import complete_onboarding

PAGE = "/account/payments/stripe"
RETURN_URL = "http://localhost/account/payments/stripe/return"


@pytest.fixture(autouse=True)
def stripe_app(app, stripe_config, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDER", "stripe")
    for key, value in stripe_config.items():
        monkeypatch.setitem(app.config, key, value)
    app.extensions.pop("lep_payment_provider", None)
    yield app
    app.extensions.pop("lep_payment_provider", None)


def press_set_up(client):
    page = client.get(PAGE)
    assert page.status_code == 200
    return client.post(PAGE, data={"csrf_token": csrf_from(page.get_data(as_text=True))})


def payee_of(user) -> Payee | None:
    db.session.expire_all()
    return db.session.scalar(select(Payee).where(Payee.user_id == user.id))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_partner_sets_up_payments_on_stripes_page_and_comes_back_able_to_be_paid(
    make_user, login, localstripe: LocalStripe
):
    sam = make_user("partner", full_name="Sam Partner")
    client = login(sam)

    first = client.get(PAGE)
    assert "Set up how you are paid" in text(first)
    assert "Set up payments with Stripe" in text(first)

    sent = press_set_up(client)

    assert sent.status_code == 303
    link = sent.headers["Location"]
    assert link.startswith(f"{localstripe.base_url}/_config/connect/onboarding/")
    payee = payee_of(sam)
    assert payee.provider == "stripe"
    assert payee.reference.startswith("acct_")
    assert payee.can_be_paid is False
    account = localstripe.get(f"/v1/accounts/{payee.reference}")
    assert (account["type"], account["country"], account["email"]) == ("express", "GB", sam.email)
    assert account["metadata"] == {"user_id": str(sam.id)}

    # Back before finishing on Stripe's page: told plainly that they cannot be paid yet.
    early = client.get("/account/payments/stripe/return")
    assert early.status_code == 200
    assert "You cannot be paid yet" in text(early)
    assert "Stripe onboarding not finished" in text(early)
    assert "Continue setting up on Stripe" in text(early)
    assert payee_of(sam).can_be_paid is False

    back_to = complete_onboarding(link)

    assert back_to == RETURN_URL
    done = client.get(urlsplit(back_to).path)
    assert "You can be paid" in text(done)
    assert "You cannot be paid yet" not in text(done)
    payee = payee_of(sam)
    assert (payee.can_be_paid, payee.reason) == (True, "")
    changed = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "payee", AuditEvent.subject_id == str(payee.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [event.action for event in changed] == [
        "payee.registered",
        "payee.status_changed",
        "payee.status_changed",
    ]
    assert changed[-1].after == {"can_be_paid": True, "reason": ""}
    assert changed[-1].actor_id == sam.id
    # The page they see later says so without asking Stripe again.
    assert "You can be paid" in text(client.get(PAGE))


def test_carrying_on_later_uses_the_same_account_with_a_fresh_link(
    make_user, login, localstripe: LocalStripe
):
    sam = make_user("partner", full_name="Sam Partner")
    client = login(sam)
    first = press_set_up(client).headers["Location"]
    accounts = localstripe.get("/v1/accounts", limit=100)["total_count"]
    reference = payee_of(sam).reference

    again = press_set_up(client)

    assert again.status_code == 303
    assert again.headers["Location"] != first
    assert payee_of(sam).reference == reference
    assert localstripe.get("/v1/accounts", limit=100)["total_count"] == accounts
    assert db.session.scalars(select(Payee).where(Payee.user_id == sam.id)).all() == [payee_of(sam)]
    # An expired or used link sends the person to /refresh: the same plain answer.
    complete_onboarding(again.headers["Location"])
    assert "You can be paid" in text(client.get("/account/payments/stripe/refresh"))


def test_stripe_telling_us_the_account_is_ready_updates_the_partner(
    make_user, login, client, localstripe: LocalStripe
):
    sam = make_user("partner", full_name="Sam Partner")
    link = press_set_up(login(sam)).headers["Location"]
    reference = payee_of(sam).reference
    complete_onboarding(link)  # they finish on Stripe but never come back to our page

    body = stripe_event(
        "account.updated", localstripe.get(f"/v1/accounts/{reference}"), account=reference
    )
    response = client.post(
        "/payments/webhooks/stripe", data=body, headers={"Stripe-Signature": signed(body)}
    )

    assert response.status_code == 200
    assert response.get_json()["outcomes"] == ["payee can be paid"]
    payee = payee_of(sam)
    assert (payee.can_be_paid, payee.reason) == (True, "")
    assert "You can be paid" in text(client.get(PAGE))


def test_people_who_do_not_set_up_payments_here_get_a_plain_page(
    app, make_user, login, monkeypatch, localstripe: LocalStripe
):
    hr = make_user("hr")
    client = login(hr)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Only lived experience partners set up payments here" in text(page)
    assert client.post(PAGE, data={}).status_code == 400  # no CSRF token: refused first
    assert payee_of(hr) is None

    monkeypatch.setitem(app.config, "PAYMENT_PROVIDER", "bacs")
    app.extensions.pop("lep_payment_provider", None)
    client.post("/sign-out", data={"csrf_token": csrf_from(text(page))})
    partner = make_user("partner")
    page = login(partner).get(PAGE)
    assert "you do not need an account with a payment provider" in text(page)
    assert "/account/bank-details" in text(page)


def test_when_stripe_cannot_be_reached_the_partner_is_told_to_try_again(
    app, make_user, login, monkeypatch
):
    from tests.payments.conftest import closed_port

    monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setitem(app.config, "STRIPE_MAX_NETWORK_RETRIES", 0)
    app.extensions.pop("lep_payment_provider", None)
    sam = make_user("partner", full_name="Sam Partner")

    response = press_set_up(login(sam))

    assert response.status_code == 503
    assert "There is a problem" in text(response)
    assert "We could not reach our payment provider. Try again in a few minutes" in text(response)
    assert payee_of(sam) is None
