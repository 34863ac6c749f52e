"""The bank-file provider: payees with bank details, instructions by key, in the caller's
transaction."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from lep.accounts.models import User
from lep.extensions import db
from lep.payments.models import BacsInstruction
from lep.payments.providers import get_provider
from lep.payments.providers.bacs import BacsProvider
from lep.payments.providers.base import (
    SENT,
    PayeeDetails,
    PaymentRequest,
    ProviderError,
    WebhookError,
)
from tests.payments.conftest import give_bank_details


def payment_to(
    user: User, *, amount: int = 8_000, reference: str = "LEP PAY 000007"
) -> PaymentRequest:
    return PaymentRequest(
        key=f"pay-{uuid.uuid4().hex}",
        payee_reference=str(user.id),
        amount_pence=amount,
        currency="GBP",
        reference=reference,
        group="RUN-2026-0001",
    )


def instructions() -> int:
    return int(db.session.scalar(select(func.count()).select_from(BacsInstruction)) or 0)


def test_the_bank_file_is_the_default_and_settled_by_finance(app: Flask) -> None:
    assert app.config["PAYMENT_PROVIDER"] == "bacs"
    provider = get_provider(app)
    assert isinstance(provider, BacsProvider)
    assert provider.settled_by_finance is True


def test_a_payee_is_known_by_their_user_id_with_nowhere_else_to_go(
    make_user: Callable[..., User],
) -> None:
    user = make_user("partner")
    registration = BacsProvider().register_payee(
        PayeeDetails(user.id, user.full_name, user.email), "http://localhost/back"
    )
    assert registration.reference == str(user.id)
    assert registration.onboarding_url is None


def test_details_changed_in_the_last_days_hold_payment_back_until_the_hold_ends(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PAYMENT_HOLD_DAYS", 3)
    just_changed, changed_long_ago = make_user("partner"), make_user("partner")
    details = give_bank_details(just_changed, changed_days_ago=1)
    give_bank_details(changed_long_ago, changed_days_ago=3.01)
    provider = BacsProvider()

    held = provider.payee_status(str(just_changed.id))
    assert held.can_be_paid is False
    assert held.reason.startswith("Bank details changed on ")
    assert "held until" in held.reason
    assert provider.payee_status(str(changed_long_ago.id)).can_be_paid is True

    request = payment_to(just_changed)
    with pytest.raises(ProviderError) as refused:
        provider.send_payment(request)
    assert refused.value.message == held.reason
    assert provider.find_payment(request.key) is None

    # With no hold configured, a change counts at once.
    monkeypatch.setitem(app.config, "PAYMENT_HOLD_DAYS", 0)
    assert provider.payee_status(str(just_changed.id)).can_be_paid is True
    assert details.user_id == just_changed.id


def test_a_reference_that_is_not_a_user_cannot_be_paid() -> None:
    status = BacsProvider().payee_status("acct_1Nv0FGQ9RKHgCVdK")
    assert status.can_be_paid is False
    assert status.reason


def test_sending_records_one_instruction_for_the_finance_teams_file(
    make_user: Callable[..., User],
) -> None:
    user = make_user("partner")
    give_bank_details(user)
    request = payment_to(user, amount=15_075)

    result = BacsProvider().send_payment(request)

    row = db.session.scalar(select(BacsInstruction).where(BacsInstruction.key == request.key))
    assert row is not None
    assert (row.payee_reference, row.amount_pence, row.reference, row.group, row.state) == (
        str(user.id),
        15_075,
        "LEP PAY 000007",
        "RUN-2026-0001",
        SENT,
    )
    assert result.provider_reference == str(row.id)


def test_sending_joins_the_callers_transaction_and_never_commits(
    make_user: Callable[..., User],
) -> None:
    user = make_user("partner")
    give_bank_details(user)
    db.session.commit()
    before = instructions()

    BacsProvider().send_payment(payment_to(user))
    assert instructions() == before + 1
    db.session.rollback()  # the payments service failed after asking: nothing may remain

    assert instructions() == before


def test_a_key_recorded_by_another_worker_meanwhile_pays_once(
    make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers sending one payment at once: the second sees the first's instruction only
    when its insert collides. It answers with the first's result and the transaction goes on."""
    user = make_user("partner")
    give_bank_details(user)
    request = payment_to(user)
    provider = BacsProvider()
    first = provider.send_payment(request)

    real_lookup = BacsProvider._instruction
    misses = [1]

    def lookup_before_the_other_commits(key: str) -> BacsInstruction | None:
        if misses[0]:
            misses[0] -= 1
            return None
        return real_lookup(key)

    monkeypatch.setattr(BacsProvider, "_instruction", staticmethod(lookup_before_the_other_commits))
    assert provider.send_payment(request) == first
    assert misses == [0]
    misses[0] = 1
    with pytest.raises(ProviderError) as refused:
        provider.send_payment(dataclasses.replace(request, amount_pence=request.amount_pence + 1))
    assert refused.value.code == "key_reused"

    rows = db.session.scalars(select(BacsInstruction).where(BacsInstruction.key == request.key))
    assert [row.amount_pence for row in rows] == [request.amount_pence]


@pytest.mark.parametrize(
    "reference",
    ["LEP PAYMENT 0000001", "LEP PAY £12", "LEP\tPAY", ""],
    ids=["19 characters", "pound sign", "tab", "empty"],
)
def test_a_reference_the_bank_would_reject_is_refused(
    make_user: Callable[..., User], reference: str
) -> None:
    user = make_user("partner")
    give_bank_details(user)
    request = payment_to(user, reference=reference)

    with pytest.raises(ProviderError) as refused:
        BacsProvider().send_payment(request)

    assert refused.value.code == "reference"
    assert BacsProvider().find_payment(request.key) is None


def test_the_bank_file_has_no_webhooks() -> None:
    with pytest.raises(WebhookError):
        BacsProvider().parse_webhook(b"{}", {"Stripe-Signature": "t=1,v1=00"})


def test_many_at_once_pay_each_key_once(make_user: Callable[..., User]) -> None:
    first, second = make_user("partner"), make_user("partner")
    give_bank_details(first, changed_days_ago=10)
    give_bank_details(second, changed_days_ago=10)
    one, other = payment_to(first, amount=8_000), payment_to(second, amount=1_234)
    again = dataclasses.replace(one)  # the same payment asked for twice in one call
    provider = BacsProvider()
    results = provider.send_many([one, other, again])
    db.session.commit()
    assert instructions() == 2
    amounts = dict(
        db.session.execute(select(BacsInstruction.key, BacsInstruction.amount_pence)).all()
    )
    assert amounts == {one.key: 8_000, other.key: 1_234}
    ids = dict(db.session.execute(select(BacsInstruction.key, BacsInstruction.id)).all())
    assert {key: (r.state, r.provider_reference) for key, r in results.items()} == {
        one.key: (SENT, str(ids[one.key])),
        other.key: (SENT, str(ids[other.key])),
    }
    # Asked again later: the same answers, nothing new recorded.
    assert provider.send_many([one, other]) == results
    assert instructions() == 2
