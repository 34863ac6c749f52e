"""One contract, both providers: what the payments service relies on, whichever is configured.

The bank file is checked against its own table; Stripe against localstripe over real HTTP with the
official library, reading what was paid back through localstripe's API, not the provider.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from lep.accounts.models import User
from lep.extensions import db
from lep.payments.models import BacsInstruction
from lep.payments.providers.bacs import BacsProvider
from lep.payments.providers.base import (
    SENT,
    PayeeDetails,
    PaymentProvider,
    PaymentRequest,
    ProviderError,
)
from lep.payments.providers.stripe import StripeProvider
from tests.payments.conftest import LocalStripe, give_bank_details
from tests.payments.localstripe_connect import complete_onboarding

RETURN_URL = "http://localhost/partner/payments/stripe-return"


class BacsKit:
    """The bank file: payees are users; ready once they have bank details."""

    not_ready_reason = "No bank details yet"

    def __init__(self, make_user: Callable[..., User]) -> None:
        self.make_user = make_user
        self.provider: PaymentProvider = BacsProvider()

    def new_payee(self) -> str:
        user = self.make_user("partner", full_name="Sam Partner")
        details = PayeeDetails(user.id, user.full_name, user.email)
        return self.provider.register_payee(details, RETURN_URL).reference

    def make_ready(self, reference: str) -> None:
        user = db.session.get(User, int(reference))
        assert user is not None
        give_bank_details(user)

    def payments_made(self, key: str) -> list[tuple[int, str]]:
        rows = db.session.scalars(select(BacsInstruction).where(BacsInstruction.key == key))
        return [(row.amount_pence, row.payee_reference) for row in rows]

    def fresh_provider(self) -> PaymentProvider:
        return BacsProvider()


class StripeKit:
    """Stripe Connect: payees are Express accounts; ready once onboarding is finished."""

    not_ready_reason = "Stripe onboarding not finished"
    users = itertools.count(1)

    def __init__(self, localstripe: LocalStripe, config: dict[str, Any]) -> None:
        self.localstripe = localstripe
        self.config = config
        self.provider: PaymentProvider = StripeProvider.from_config(config)
        self.onboarding: dict[str, str] = {}

    def new_payee(self) -> str:
        n = next(self.users)
        details = PayeeDetails(n, "Sam Partner", f"partner{n}@example.org")
        registration = self.provider.register_payee(details, RETURN_URL)
        assert registration.onboarding_url
        self.onboarding[registration.reference] = registration.onboarding_url
        return registration.reference

    def make_ready(self, reference: str) -> None:
        complete_onboarding(self.onboarding[reference])

    def payments_made(self, key: str) -> list[tuple[int, str]]:
        return [(t["amount"], t["destination"]) for t in self.localstripe.transfers(key)]

    def fresh_provider(self) -> PaymentProvider:
        return StripeProvider.from_config(self.config)


Kit = BacsKit | StripeKit


@pytest.fixture(params=["bacs", "stripe"])
def kit(request: pytest.FixtureRequest) -> Kit:
    if request.param == "bacs":
        return BacsKit(request.getfixturevalue("make_user"))
    return StripeKit(
        request.getfixturevalue("localstripe"), request.getfixturevalue("stripe_config")
    )


def payment(payee: str, *, key: str = "", amount: int = 12_345, group: str = "") -> PaymentRequest:
    return PaymentRequest(
        key=key or f"pay-{uuid.uuid4().hex}",
        payee_reference=payee,
        amount_pence=amount,
        currency="GBP",
        reference="LEP PAYMENT 000123",
        group=group or f"RUN-{uuid.uuid4().hex[:8]}",
    )


def ready_payee(kit: Kit) -> str:
    reference = kit.new_payee()
    kit.make_ready(reference)
    return reference


def test_a_payee_not_ready_cannot_be_paid_and_finance_is_told_why(kit: Kit) -> None:
    payee = kit.new_payee()

    status = kit.provider.payee_status(payee)
    assert status.can_be_paid is False
    assert status.reason == kit.not_ready_reason

    request = payment(payee)
    with pytest.raises(ProviderError) as refused:
        kit.provider.send_payment(request)
    assert refused.value.code == "payee_not_ready"
    assert refused.value.message == kit.not_ready_reason
    assert refused.value.retryable is False
    assert kit.payments_made(request.key) == []
    assert kit.provider.find_payment(request.key, request.group) is None


def test_once_ready_a_payee_can_be_paid(kit: Kit) -> None:
    payee = kit.new_payee()
    kit.make_ready(payee)

    status = kit.provider.payee_status(payee)
    assert status.can_be_paid is True
    assert status.reason == ""

    request = payment(payee, amount=4_550)
    kit.provider.send_payment(request)
    assert kit.payments_made(request.key) == [(4_550, payee)]


def test_sending_a_payment_returns_a_result_with_its_key(kit: Kit) -> None:
    request = payment(ready_payee(kit))

    result = kit.provider.send_payment(request)

    assert result.key == request.key
    assert result.state == SENT
    assert result.provider_reference
    assert result.failure_reason == ""


def test_the_same_key_sent_twice_pays_once(kit: Kit) -> None:
    request = payment(ready_payee(kit))

    first = kit.provider.send_payment(request)
    again = kit.provider.send_payment(request)
    # A worker that died mid-run and was started again builds its provider afresh.
    after_restart = kit.fresh_provider().send_payment(request)

    assert first == again == after_restart
    assert kit.payments_made(request.key) == [(request.amount_pence, request.payee_reference)]


def test_a_key_already_used_is_refused_for_a_different_amount_or_payee(kit: Kit) -> None:
    payee, other_payee = ready_payee(kit), ready_payee(kit)
    request = payment(payee, amount=10_000)
    kit.provider.send_payment(request)

    for changed in (
        payment(payee, key=request.key, amount=10_001, group=request.group),
        payment(other_payee, key=request.key, amount=10_000, group=request.group),
    ):
        with pytest.raises(ProviderError) as refused:
            kit.provider.send_payment(changed)
        assert refused.value.code == "key_reused"

    assert kit.payments_made(request.key) == [(10_000, payee)]


def test_find_payment_finds_a_sent_payment_and_nothing_for_an_unknown_key(kit: Kit) -> None:
    request = payment(ready_payee(kit))
    sent = kit.provider.send_payment(request)

    assert kit.provider.find_payment(request.key) == sent
    assert kit.provider.find_payment(request.key, request.group) == sent
    assert kit.provider.find_payment(f"pay-{uuid.uuid4().hex}") is None
    assert kit.provider.find_payment(f"pay-{uuid.uuid4().hex}", request.group) is None


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (-12_345, ValueError),
        (12.5, TypeError),
        (True, TypeError),
    ],
)
def test_an_amount_that_is_not_whole_positive_pence_never_reaches_the_provider(
    kit: Kit, amount: Any, error: type[Exception]
) -> None:
    payee = ready_payee(kit)
    key = f"pay-{uuid.uuid4().hex}"

    with pytest.raises(error):
        kit.provider.send_payment(payment(payee, key=key, amount=amount))

    assert kit.payments_made(key) == []
    assert kit.provider.find_payment(key) is None


def test_a_payment_in_another_currency_is_refused(kit: Kit) -> None:
    request = payment(ready_payee(kit))
    in_euros = PaymentRequest(
        key=request.key,
        payee_reference=request.payee_reference,
        amount_pence=request.amount_pence,
        currency="EUR",
        reference=request.reference,
        group=request.group,
    )

    with pytest.raises(ProviderError):
        kit.provider.send_payment(in_euros)
    assert kit.payments_made(request.key) == []
