"""The Stripe webhook endpoint: signed events applied once; bad, stale and odd ones change nothing.

Events are built around real objects read back from localstripe, signed with the endpoint's
secret as Stripe signs them, and posted to POST /payments/webhooks/stripe with no session and no
CSRF token (the test app checks CSRF on every other form, as production does).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from lep.audit.models import AuditEvent
from lep.expenses import services as expenses
from lep.expenses.models import Claim, ExpenseCategory
from lep.extensions import db
from lep.notifications.models import OutboxMessage
from lep.payments import runs, webhooks
from lep.payments.models import Payee, Payment, PaymentRun, ProviderEventRecord
from lep.payments.providers import get_provider
from lep.payments.providers.base import PayeeDetails, PaymentRequest
from tests.payments.conftest import LocalStripe, signed, stripe_event
from tests.payments.localstripe_connect import complete_onboarding

URL = "/payments/webhooks/stripe"


@pytest.fixture(autouse=True)
def stripe_app(app, stripe_config, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDER", "stripe")
    for key, value in stripe_config.items():
        monkeypatch.setitem(app.config, key, value)
    app.extensions.pop("lep_payment_provider", None)
    yield app
    app.extensions.pop("lep_payment_provider", None)


class HeldQueue:
    """A job queue that keeps jobs instead of running them: the worker has not got to them."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, tuple[Any, ...]]] = []

    def enqueue(self, path: str, *args: Any) -> None:
        self.jobs.append((path, args))


@pytest.fixture
def finance(make_user):
    return make_user("finance", full_name="Fran Finance")


def onboarded_partner(make_user, name: str):
    """A partner who finished Stripe's onboarding, with their Payee stored."""
    user = make_user("partner", full_name=name)
    registration = get_provider().register_payee(
        PayeeDetails(user.id, name, user.email), "http://localhost/account/payments/stripe/return"
    )
    complete_onboarding(registration.onboarding_url)
    db.session.add(
        Payee(
            user_id=user.id, provider="stripe", reference=registration.reference, can_be_paid=True
        )
    )
    db.session.commit()
    return user, registration.reference


def approved_claim(partner, finance, *pence: int) -> Claim:
    claim = expenses.start_claim(partner)
    parking = db.session.scalar(select(ExpenseCategory).where(ExpenseCategory.code == "parking"))
    for amount in pence:
        expenses.add_line(
            claim,
            category=parking,
            spent_on=expenses.london_today() - dt.timedelta(days=2),
            description="Parking for the panel",
            amount_pence=amount,
            no_receipt_reason="The machine gave no ticket",
        )
    expenses.submit_claim(claim)
    expenses.approve_claim(claim, finance, {line.id: line.amount_pence for line in claim.lines})
    return claim


def post(client, payload: str, signature: str | None = None):
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = signed(payload) if signature is None else signature
    return client.post(URL, data=payload, headers=headers)


def reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def events() -> list[ProviderEventRecord]:
    return list(db.session.scalars(select(ProviderEventRecord).order_by(ProviderEventRecord.id)))


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id))) or 0


def emails(template: str) -> dict[str, OutboxMessage]:
    return {
        m.to_address: m
        for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template))
    }


@pytest.fixture
def sending(app, make_user, finance, localstripe: LocalStripe):
    """A run whose one payment the worker marked `sending` and whose transfer Stripe made, but
    whose status was never saved (the moment a webhook can arrive first)."""
    partner, account = onboarded_partner(make_user, "Sam Partner")
    approved_claim(partner, finance, 850, 1_999)
    app.extensions["lep_job_queue"] = HeldQueue()
    run = runs.build_run(finance)
    runs.start_sending(run, finance)
    payment = run.payments[0]
    payment.status = "sending"
    db.session.commit()
    result = get_provider().send_payment(
        PaymentRequest(payment.key, account, 2_849, "gbp", payment.reference, run.reference)
    )
    transfer = localstripe.get(f"/v1/transfers/{result.provider_reference}")
    return payment, transfer


def test_a_transfer_made_moves_the_payment_to_sent_once(client, sending):
    payment, transfer = sending
    body = stripe_event("transfer.created", transfer)

    response = post(client, body)

    assert response.status_code == 200
    assert response.get_json()["outcomes"] == ["payment sent"]
    payment = reload(Payment, payment.id)
    assert (payment.status, payment.provider_reference) == ("sent", transfer["id"])
    sent = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "payment.sent", AuditEvent.subject_id == str(payment.id)
        )
    )
    assert sent.before == {"status": "sending"}
    assert sent.after["via"] == "webhook"
    [record] = events()
    assert (record.type, record.outcome, record.payment_id) == (
        "payment.sent",
        "payment sent",
        payment.id,
    )
    assert record.amount_pence == 2_849

    # Stripe delivers the same event again (it retries until it hears 2xx): ignored.
    changes = audit_count()
    again = post(client, body)
    assert again.status_code == 200
    assert again.get_json()["outcomes"] == ["already received"]
    assert len(events()) == 1
    assert audit_count() == changes


def test_a_bad_signature_is_refused_and_changes_nothing(client, sending):
    payment, transfer = sending
    body = stripe_event("transfer.created", transfer)

    forged = post(client, body, signed(body, secret="whsec_someone_else"))
    unsigned = client.post(URL, data=body, headers={"Content-Type": "application/json"})
    tampered = post(client, body.replace('"amount": 2849', '"amount": 1'), signed(body))

    for response in (forged, unsigned, tampered):
        assert response.status_code == 400
        assert "Stripe-Signature" in response.get_json()["error"]
    assert events() == []
    assert reload(Payment, payment.id).status == "sending"


def test_a_stale_timestamp_is_refused_and_changes_nothing(client, sending):
    payment, transfer = sending
    body = stripe_event("transfer.created", transfer)

    response = post(client, body, signed(body, at=time.time() - 3600))

    assert response.status_code == 400
    assert events() == []
    assert reload(Payment, payment.id).status == "sending"


@pytest.mark.parametrize("ahead", [301, 3600, 86_400], ids=["5m1s", "1h", "1d"])
def test_a_timestamp_in_the_future_is_refused_and_changes_nothing(client, sending, ahead):
    """A validly signed event dated after the tolerance (300 s) is refused like a stale one: a
    signature made ahead of time must not be replayable for as long as its date is ahead."""
    payment, transfer = sending
    body = stripe_event("transfer.created", transfer)

    response = post(client, body, signed(body, at=time.time() + ahead))

    assert response.status_code == 400
    assert "timestamp" in response.get_json()["error"]
    assert events() == []
    assert reload(Payment, payment.id).status == "sending"


def test_a_timestamp_a_little_ahead_is_accepted_as_clock_difference(client, sending):
    payment, transfer = sending
    body = stripe_event("transfer.created", transfer)

    response = post(client, body, signed(body, at=time.time() + 60))

    assert response.status_code == 200
    assert reload(Payment, payment.id).status == "sent"


def test_a_body_that_is_not_an_event_is_refused(client):
    response = post(client, "not json at all")
    assert response.status_code == 400
    assert response.get_json() == {"error": "Not a Stripe event"}
    assert events() == []


def test_an_event_for_a_payment_we_do_not_know_is_kept_for_reconciliation(
    client, make_user, localstripe
):
    _, account = onboarded_partner(make_user, "Kit Partner")
    result = get_provider().send_payment(
        PaymentRequest(f"someone-else-{uuid.uuid4().hex}", account, 1_234, "gbp", "X", "OTHER")
    )
    transfer = localstripe.get(f"/v1/transfers/{result.provider_reference}")
    changes = audit_count()

    response = post(client, stripe_event("transfer.created", transfer))

    assert response.status_code == 200
    [record] = events()
    assert (record.outcome, record.payment_id, record.amount_pence) == (
        "unknown payment",
        None,
        1_234,
    )
    assert record.payload["data"]["object"]["id"] == transfer["id"]
    assert audit_count() == changes + 1  # the event itself, nothing else


def test_an_amount_that_differs_is_recorded_and_changes_nothing(client, sending):
    payment, transfer = sending

    response = post(client, stripe_event("transfer.created", {**transfer, "amount": 2_850}))

    assert response.status_code == 200
    [record] = events()
    assert (record.outcome, record.payment_id, record.amount_pence) == (
        "amount differs",
        payment.id,
        2_850,
    )
    payment = reload(Payment, payment.id)
    assert (payment.status, payment.provider_reference) == ("sending", "")


def test_a_replay_that_slips_past_the_first_look_is_stopped_by_the_unique_event_id(
    client, sending, monkeypatch
):
    """Two deliveries of one event at once: both look, neither finds it; the database's unique
    (provider, event_id) lets one in, and the other is answered 200 and changes nothing."""
    payment, transfer = sending
    body = stripe_event("transfer.created", transfer)
    assert post(client, body).status_code == 200
    changes = audit_count()
    monkeypatch.setattr(webhooks, "_stored", lambda provider, event_id: False)

    response = post(client, body)

    assert response.status_code == 200
    assert response.get_json()["outcomes"] == ["already received"]
    assert len(events()) == 1
    assert audit_count() == changes
    assert reload(Payment, payment.id).status == "sent"


def sent_run(finance, *claims: tuple[Any, tuple[int, ...]]) -> PaymentRun:
    for partner, pence in claims:
        approved_claim(partner, finance, *pence)
    run = runs.build_run(finance)
    runs.start_sending(run, finance)  # the job runs inline: Stripe makes the transfers
    run = reload(PaymentRun, run.id)
    assert [p.status for p in run.payments] == ["sent"] * len(claims)
    return run


def payout(account: str, amount: int, *, status: str = "paid", **extra: Any) -> str:
    obj = {
        "id": f"po_{uuid.uuid4().hex[:24]}",
        "object": "payout",
        "amount": amount,
        "currency": "gbp",
        "status": status,
        "arrival_date": int(time.time()),
        **extra,
    }
    return stripe_event(f"payout.{status}", obj, account=account)


def test_a_payout_to_the_partners_bank_moves_their_sent_payments_to_paid(
    client, make_user, finance
):
    sam, sam_account = onboarded_partner(make_user, "Sam Partner")
    kit, kit_account = onboarded_partner(make_user, "Kit Partner")
    run = sent_run(finance, (sam, (850, 1_200)), (kit, (4_000,)))
    sam_payment = next(p for p in run.payments if p.user_id == sam.id)
    kit_payment = next(p for p in run.payments if p.user_id == kit.id)

    response = post(client, payout(sam_account, 2_050))

    assert response.get_json()["outcomes"] == ["1 payment paid"]
    assert reload(Payment, sam_payment.id).status == "paid"
    assert reload(Payment, kit_payment.id).status == "sent"
    claim = db.session.scalar(select(Claim).where(Claim.claimant_id == sam.id))
    assert claim.status == "paid"
    advice = emails("payment_remittance")
    assert list(advice) == [sam.email]
    assert f"Expenses claim {claim.reference}: £20.50" in advice[sam.email].body_text
    assert reload(PaymentRun, run.id).status == "sent"  # Kit's payment has not arrived yet

    post(client, payout(kit_account, 4_000))

    assert reload(Payment, kit_payment.id).status == "paid"
    assert set(emails("payment_remittance")) == {sam.email, kit.email}
    assert reload(PaymentRun, run.id).status == "paid"
    paid = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "payment.paid", AuditEvent.subject_id == str(kit_payment.id)
        )
    )
    assert (paid.before, paid.after["via"]) == ({"status": "sent"}, "webhook")


def test_a_payout_for_an_amount_no_payment_matches_changes_nothing(client, make_user, finance):
    sam, sam_account = onboarded_partner(make_user, "Sam Partner")
    run = sent_run(finance, (sam, (850,)))

    response = post(client, payout(sam_account, 851))

    assert response.get_json()["outcomes"] == ["amount differs"]
    assert reload(Payment, run.payments[0].id).status == "sent"
    assert emails("payment_remittance") == {}


def test_a_reversed_transfer_fails_the_payment_and_returns_its_claim(
    client, make_user, finance, localstripe
):
    sam, _ = onboarded_partner(make_user, "Sam Partner")
    run = sent_run(finance, (sam, (850,)))
    payment = run.payments[0]
    reversal = localstripe.post(f"/v1/transfers/{payment.provider_reference}/reversals", {})
    assert reversal.status_code == 200, reversal.text
    transfer = localstripe.get(f"/v1/transfers/{payment.provider_reference}")

    response = post(client, stripe_event("transfer.reversed", transfer))

    assert response.get_json()["outcomes"] == ["payment failed"]
    payment = reload(Payment, payment.id)
    assert (payment.status, payment.failure_reason) == ("failed", "Stripe reversed the transfer")
    assert db.session.scalar(select(Claim.status).where(Claim.claimant_id == sam.id)) == "approved"
    assert set(emails("payment_failed_partner")) == {sam.email}
    assert set(emails("payment_failed_finance")) == {finance.email}


def test_a_failed_payout_tells_finance_and_guesses_no_payment(client, make_user, finance):
    sam, sam_account = onboarded_partner(make_user, "Sam Partner")
    run = sent_run(finance, (sam, (850,)))

    response = post(
        client,
        payout(sam_account, 850, status="failed", failure_message="The bank account is closed"),
    )

    assert response.get_json()["outcomes"] == ["payout failed: The bank account is closed"]
    assert reload(Payment, run.payments[0].id).status == "sent"
    told = emails("payout_failed_finance")
    assert list(told) == [finance.email]
    assert "Sam Partner" in told[finance.email].body_text
    assert "£8.50" in told[finance.email].body_text
    assert "The bank account is closed" in told[finance.email].body_text
    [record] = events()
    assert record.payment_id is None


def test_the_endpoint_is_not_there_when_payments_do_not_use_stripe(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDER", "bacs")
    app.extensions.pop("lep_payment_provider", None)
    body = json.dumps({"id": "evt_1", "type": "payout.paid"})
    response = post(client, body)
    assert response.status_code == 404
    assert events() == []
