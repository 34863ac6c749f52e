"""The Stripe Connect provider against localstripe: onboarding, transfers, errors and webhooks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest
from flask import Flask

from lep.payments.providers import get_provider
from lep.payments.providers.base import (
    FAILED,
    PAYEE_UPDATED,
    PAYMENT_REVERSED,
    PAYMENT_SENT,
    PAYOUT_FAILED,
    PAYOUT_PAID,
    SENT,
    PayeeDetails,
    PaymentRequest,
    ProviderError,
    WebhookError,
)
from lep.payments.providers.stripe import StripeProvider
from tests.payments import localstripe_connect
from tests.payments.conftest import (
    WEBHOOK_SECRET,
    LocalStripe,
    closed_port,
    signed,
    stripe_event,
)
from tests.payments.localstripe_connect import complete_onboarding

RETURN_URL = "http://localhost/partner/payments/stripe-return"


def register(provider: StripeProvider, n: int = 7) -> tuple[str, str]:
    registration = provider.register_payee(
        PayeeDetails(n, "Sam Partner", f"sam{n}@example.org"), RETURN_URL
    )
    assert registration.onboarding_url
    return registration.reference, registration.onboarding_url


def onboarded(provider: StripeProvider) -> str:
    account, url = register(provider)
    complete_onboarding(url)
    return account


def transfer_to(account: str, *, amount: int = 2_500, key: str = "") -> PaymentRequest:
    return PaymentRequest(
        key=key or f"pay-{uuid.uuid4().hex}",
        payee_reference=account,
        amount_pence=amount,
        currency="GBP",
        reference="LEP PAY 000042",
        group=f"RUN-{uuid.uuid4().hex[:8]}",
    )


# -- onboarding -----------------------------------------------------------------------------------


def test_a_payee_gets_an_express_account_in_the_uk_and_finishes_on_stripes_page(
    stripe_provider: StripeProvider, localstripe: LocalStripe
) -> None:
    account, url = register(stripe_provider, n=41)

    created = localstripe.get(f"/v1/accounts/{account}")
    assert created["type"] == "express"
    assert created["country"] == "GB"
    assert created["email"] == "sam41@example.org"
    assert created["capabilities"] == {"transfers": "inactive"}
    assert created["metadata"] == {"user_id": "41"}
    # Bank details are entered on Stripe's page: the person is sent there, then back to us.
    assert url.startswith(localstripe.base_url)
    assert complete_onboarding(url) == RETURN_URL
    assert stripe_provider.payee_status(account).can_be_paid is True


def test_a_returning_payee_gets_a_fresh_link_to_the_same_account(
    stripe_provider: StripeProvider, localstripe: LocalStripe
) -> None:
    account, first_url = register(stripe_provider)
    accounts_before = localstripe.get("/v1/accounts", limit=100)["total_count"]

    again = stripe_provider.register_payee(
        PayeeDetails(7, "Sam Partner", "sam7@example.org"), RETURN_URL, existing_reference=account
    )

    assert again.reference == account
    assert again.onboarding_url and again.onboarding_url != first_url
    assert localstripe.get("/v1/accounts", limit=100)["total_count"] == accounts_before


def test_configured_connect_urls_are_where_stripe_sends_the_payee(
    stripe_config: dict[str, Any],
) -> None:
    provider = StripeProvider.from_config(
        {
            **stripe_config,
            "STRIPE_CONNECT_RETURN_URL": "https://lep.example.org/payments/stripe/done",
            "STRIPE_CONNECT_REFRESH_URL": "https://lep.example.org/payments/stripe/again",
        }
    )
    _, url = register(provider)

    assert complete_onboarding(url) == "https://lep.example.org/payments/stripe/done"
    # A link works once: using it again sends the person to get a new one.
    assert complete_onboarding(url) == "https://lep.example.org/payments/stripe/again"


def test_an_account_stripe_does_not_know_cannot_be_paid(stripe_provider: StripeProvider) -> None:
    status = stripe_provider.payee_status("acct_doesnotexist00")
    assert status.can_be_paid is False
    assert status.reason == "Stripe has no such account"
    assert stripe_provider.payee_status("").can_be_paid is False


# -- transfers ------------------------------------------------------------------------------------


def test_a_payment_is_a_transfer_in_pounds_to_the_account_in_the_runs_group(
    stripe_provider: StripeProvider, localstripe: LocalStripe
) -> None:
    account = onboarded(stripe_provider)
    request = transfer_to(account, amount=12_345)

    result = stripe_provider.send_payment(request)

    transfer = localstripe.get(f"/v1/transfers/{result.provider_reference}")
    assert transfer["amount"] == 12_345
    assert transfer["currency"] == "gbp"
    assert transfer["destination"] == account
    assert transfer["transfer_group"] == request.group
    assert transfer["metadata"] == {"payment_key": request.key}
    assert transfer["description"] == "LEP PAY 000042"


def test_the_idempotency_key_alone_stops_a_second_transfer(
    stripe_provider: StripeProvider, localstripe: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retry that does not find the first transfer (say it is still being listed) is saved
    by Stripe's Idempotency-Key: the provider really sends the payment key as one."""
    account = onboarded(stripe_provider)
    request = transfer_to(account)
    monkeypatch.setattr(stripe_provider, "_find_transfer", lambda key, group: None)

    first = stripe_provider.send_payment(request)
    second = stripe_provider.send_payment(request)
    assert first == second
    assert len(localstripe.transfers(request.key)) == 1

    different = dataclasses.replace(request, amount_pence=request.amount_pence + 1)
    with pytest.raises(ProviderError) as refused:
        stripe_provider.send_payment(different)
    assert refused.value.code == "key_reused"
    assert refused.value.retryable is False
    assert [t["amount"] for t in localstripe.transfers(request.key)] == [request.amount_pence]


def test_a_resend_after_stripe_forgot_the_key_still_pays_once(
    stripe_provider: StripeProvider, localstripe: LocalStripe
) -> None:
    """Stripe keeps idempotency keys for 24 hours; a run resent later is saved by looking the
    payment up in its transfer group first."""
    request = transfer_to(onboarded(stripe_provider))
    first = stripe_provider.send_payment(request)
    localstripe_connect.forget_idempotency_keys()

    assert stripe_provider.send_payment(request) == first
    assert len(localstripe.transfers(request.key)) == 1


def test_a_reversed_transfer_is_found_as_failed(
    stripe_provider: StripeProvider, localstripe: LocalStripe
) -> None:
    request = transfer_to(onboarded(stripe_provider))
    sent = stripe_provider.send_payment(request)
    assert sent.state == SENT

    reversal = localstripe.post(f"/v1/transfers/{sent.provider_reference}/reversals", {})
    assert reversal.status_code == 200, reversal.text

    found = stripe_provider.find_payment(request.key, request.group)
    assert found is not None
    assert found.state == FAILED
    assert found.failure_reason == "Stripe reversed the transfer"


def test_stripe_being_unreachable_is_worth_retrying(stripe_config: dict[str, Any]) -> None:
    provider = StripeProvider.from_config(
        {
            **stripe_config,
            "STRIPE_API_BASE": f"http://127.0.0.1:{closed_port()}",
            "STRIPE_MAX_NETWORK_RETRIES": 0,
        }
    )
    with pytest.raises(ProviderError) as failed:
        provider.send_payment(transfer_to("acct_anything000000"))
    assert failed.value.retryable is True


def test_a_refused_api_key_is_not_retried_and_leaves_other_providers_working(
    stripe_config: dict[str, Any], stripe_provider: StripeProvider
) -> None:
    refused = StripeProvider.from_config({**stripe_config, "STRIPE_API_KEY": "not-a-key"})

    with pytest.raises(ProviderError) as failed:
        refused.payee_status("acct_anything000000")
    assert failed.value.retryable is False
    # Each provider has its own client and key: the refused one changed nothing for the other.
    account = onboarded(stripe_provider)
    assert stripe_provider.payee_status(account).can_be_paid is True


def test_the_app_chooses_stripe_by_config_and_needs_its_key(
    app: Flask, stripe_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDER", "stripe")
    for name, value in stripe_config.items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.delitem(app.extensions, "lep_payment_provider", raising=False)

    provider = get_provider(app)
    assert isinstance(provider, StripeProvider)
    assert provider.settled_by_finance is False

    app.extensions.pop("lep_payment_provider")
    monkeypatch.setitem(app.config, "STRIPE_API_KEY", None)
    with pytest.raises(RuntimeError, match="STRIPE_API_KEY"):
        get_provider(app)


# -- webhooks -------------------------------------------------------------------------------------


def deliver(provider: StripeProvider, body: str, signature: str) -> list[Any]:
    return provider.parse_webhook(body.encode(), {"Stripe-Signature": signature})


def test_a_signed_transfer_event_names_the_payment_it_is_about(
    stripe_provider: StripeProvider, localstripe: LocalStripe
) -> None:
    request = transfer_to(onboarded(stripe_provider), amount=7_000)
    sent = stripe_provider.send_payment(request)
    transfer = localstripe.get(f"/v1/transfers/{sent.provider_reference}")
    body = stripe_event("transfer.created", transfer, event_id="evt_transfer_created_1")

    # Headers arrive in whatever case the web server gives them.
    (event,) = stripe_provider.parse_webhook(body.encode(), {"stripe-signature": signed(body)})

    assert event.event_id == "evt_transfer_created_1"
    assert event.type == PAYMENT_SENT
    assert event.payment_key == request.key
    assert event.provider_reference == sent.provider_reference
    assert event.payee_reference == request.payee_reference
    assert event.amount_pence == 7_000
    assert event.created_at.tzinfo == dt.UTC
    assert abs(event.created_at.timestamp() - time.time()) < 60


def test_a_reversal_event_says_the_payment_failed(
    stripe_provider: StripeProvider, localstripe: LocalStripe
) -> None:
    request = transfer_to(onboarded(stripe_provider), amount=3_000)
    sent = stripe_provider.send_payment(request)
    localstripe.post(f"/v1/transfers/{sent.provider_reference}/reversals", {})
    transfer = localstripe.get(f"/v1/transfers/{sent.provider_reference}")
    body = stripe_event("transfer.reversed", transfer)

    (event,) = deliver(stripe_provider, body, signed(body))

    assert event.type == PAYMENT_REVERSED
    assert event.payment_key == request.key
    assert event.amount_pence == 3_000
    assert event.failure_reason == "Stripe reversed the transfer"


def test_an_account_event_says_whether_the_payee_can_now_be_paid(
    stripe_provider: StripeProvider, localstripe: LocalStripe
) -> None:
    account, url = register(stripe_provider)
    before = stripe_event("account.updated", localstripe.get(f"/v1/accounts/{account}"))
    complete_onboarding(url)
    after = stripe_event("account.updated", localstripe.get(f"/v1/accounts/{account}"))

    (unfinished,) = deliver(stripe_provider, before, signed(before))
    (finished,) = deliver(stripe_provider, after, signed(after))

    assert unfinished.type == finished.type == PAYEE_UPDATED
    assert unfinished.payee_reference == finished.payee_reference == account
    assert (unfinished.can_be_paid, unfinished.failure_reason) == (
        False,
        "Stripe onboarding not finished",
    )
    assert (finished.can_be_paid, finished.failure_reason) == (True, "")


def test_payout_events_name_the_connected_account_and_why_a_payout_failed() -> None:
    provider = StripeProvider("sk_test_unused", WEBHOOK_SECRET)
    payout = {"id": "po_1", "object": "payout", "amount": 9_900, "currency": "gbp"}
    paid = stripe_event("payout.paid", {**payout, "status": "paid"}, account="acct_payee1")
    failed = stripe_event(
        "payout.failed",
        {
            **payout,
            "status": "failed",
            "failure_code": "account_closed",
            "failure_message": "The bank account has been closed.",
        },
        account="acct_payee1",
    )

    (paid_event,) = deliver(provider, paid, signed(paid))
    (failed_event,) = deliver(provider, failed, signed(failed))

    assert (paid_event.type, paid_event.payee_reference, paid_event.amount_pence) == (
        PAYOUT_PAID,
        "acct_payee1",
        9_900,
    )
    assert failed_event.type == PAYOUT_FAILED
    assert failed_event.payee_reference == "acct_payee1"
    assert failed_event.failure_reason == "The bank account has been closed."


def test_an_event_we_do_not_handle_is_verified_and_ignored() -> None:
    provider = StripeProvider("sk_test_unused", WEBHOOK_SECRET)
    body = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    assert deliver(provider, body, signed(body)) == []
    with pytest.raises(WebhookError):
        deliver(provider, body, signed(body, "whsec_someone_else"))


@pytest.mark.parametrize(
    "tamper",
    [
        "wrong secret",
        "stale timestamp",
        "body changed after signing",
        "no signature",
        "signature garbled",
    ],
)
def test_a_webhook_that_cannot_be_trusted_is_refused(tamper: str) -> None:
    provider = StripeProvider("sk_test_unused", WEBHOOK_SECRET)
    payout = {"id": "po_1", "object": "payout", "amount": 9_900, "status": "paid"}
    body = stripe_event("payout.paid", payout, account="acct_payee1")
    headers = {"Stripe-Signature": signed(body)}
    if tamper == "wrong secret":
        headers["Stripe-Signature"] = signed(body, "whsec_not_ours")
    elif tamper == "stale timestamp":
        headers["Stripe-Signature"] = signed(body, at=time.time() - 301)
    elif tamper == "body changed after signing":
        body = body.replace("9900", "99000")
    elif tamper == "no signature":
        headers = {}
    else:
        headers["Stripe-Signature"] = "t=soon,v1=abc"

    with pytest.raises(WebhookError):
        provider.parse_webhook(body.encode(), headers)


def test_a_webhook_just_inside_the_five_minutes_is_accepted() -> None:
    provider = StripeProvider("sk_test_unused", WEBHOOK_SECRET)
    body = stripe_event("payout.paid", {"id": "po_2", "amount": 100}, account="acct_payee1")
    (event,) = deliver(provider, body, signed(body, at=time.time() - 290))
    assert event.type == PAYOUT_PAID


def test_a_signed_body_that_is_not_an_event_is_refused() -> None:
    provider = StripeProvider("sk_test_unused", WEBHOOK_SECRET)
    for body in ("not json", json.dumps({"object": "event", "type": "payout.paid"})):
        with pytest.raises(WebhookError):
            deliver(provider, body, signed(body))


def test_without_a_webhook_secret_nothing_is_trusted() -> None:
    provider = StripeProvider("sk_test_unused", None)
    body = stripe_event("payout.paid", {"id": "po_3", "amount": 100}, account="acct_payee1")
    with pytest.raises(WebhookError):
        deliver(provider, body, signed(body))
