"""Partners setting up how they are paid at an outside provider (Stripe Connect onboarding).

A partner is registered with the provider once (a Payee row holds the provider's id for them) and
sent to the provider's own pages to give their bank details, never ours. When they come back, or
when the provider tells us by webhook, we ask the provider whether they can be paid yet and keep
the answer (Payee.can_be_paid, with the reason in words) for the payment run's preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lep import audit
from lep.db import utcnow
from lep.extensions import db
from lep.payments.models import Payee
from lep.payments.providers import get_provider
from lep.payments.providers.base import PayeeDetails, PaymentProvider, ProviderError
from lep.service import commit
from lep.timeutil import to_london


class OnboardingError(Exception):
    """Onboarding cannot start or continue now; the message says why, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PaymentSetup:
    """What the partner's page shows: whether they can be paid yet, and if not, why."""

    started: bool
    can_be_paid: bool
    reason: str = ""


def uses_onboarding(provider: PaymentProvider | None = None) -> bool:
    """True when payees set up at the provider (Stripe), not by giving us bank details."""
    return (provider or get_provider()).name != "bacs"


def may_onboard(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", True) and user.has_role("partner"))


def payee_for(user_id: int, provider_name: str) -> Payee | None:
    return db.session.scalar(
        select(Payee).where(Payee.user_id == user_id, Payee.provider == provider_name)
    )


def setup_for(user: Any) -> PaymentSetup:
    """What we last heard from the provider about this person (no call to the provider)."""
    payee = payee_for(user.id, get_provider().name)
    if payee is None or not payee.reference:
        return PaymentSetup(False, False, "You have not set up how to be paid yet")
    return PaymentSetup(True, payee.can_be_paid, payee.reason)


def start(user: Any, return_url: str) -> str:
    """Register the partner with the provider if they are not yet, keep their Payee, and return
    the address of the provider's onboarding page (a fresh one each time: links work once)."""
    if not may_onboard(user):
        raise OnboardingError("Only lived experience partners set up payments here")
    provider = get_provider()
    if not uses_onboarding(provider):
        raise OnboardingError("You do not need to set up payments with a provider")
    payee = payee_for(user.id, provider.name)
    existing = payee.reference if payee is not None else ""
    registration = _register(provider, user, return_url, existing)
    if not registration.onboarding_url:
        raise OnboardingError("The payment provider did not give us a page to send you to")
    if payee is not None and payee.reference == registration.reference:
        commit()  # nothing to keep: a new link to the same account
        return registration.onboarding_url
    before = {"reference": payee.reference} if payee is not None else None
    if payee is None:
        payee = Payee(user_id=user.id, provider=provider.name)
    payee.reference = registration.reference
    payee.can_be_paid = False
    payee.reason = "Onboarding not finished"
    try:
        with db.session.begin_nested():
            db.session.add(payee)
    except IntegrityError:
        # Two clicks at once registered twice: keep the Payee the other request stored and send
        # this person on to finish setting up that account (the other one is never used).
        winner = payee_for(user.id, provider.name)
        if winner is None or not winner.reference:
            raise
        registration = _register(provider, user, return_url, winner.reference)
        commit()
        return registration.onboarding_url or ""
    audit.record(
        "payee.registered",
        "payee",
        payee.id,
        before=before,
        after={"provider": provider.name, "reference": payee.reference, "user_id": user.id},
        actor=user,
    )
    commit()
    return registration.onboarding_url


def _register(provider: PaymentProvider, user: Any, return_url: str, existing: str) -> Any:
    try:
        return provider.register_payee(
            PayeeDetails(user.id, user.full_name, user.email), return_url, existing
        )
    except ProviderError as error:
        db.session.rollback()
        raise OnboardingError(
            "We could not reach our payment provider. Try again in a few minutes"
            if error.retryable
            else "Our payment provider could not set up your account. Contact the finance team"
        ) from error


def refresh(user: Any) -> PaymentSetup:
    """Ask the provider whether this partner can be paid now, and keep the answer."""
    provider = get_provider()
    payee = payee_for(user.id, provider.name)
    if payee is None or not payee.reference:
        return PaymentSetup(False, False, "You have not set up how to be paid yet")
    try:
        update_payee(payee, provider, actor=user)
    except ProviderError as error:
        db.session.rollback()
        raise OnboardingError(
            "We could not check with our payment provider just now. Try again in a few minutes"
        ) from error
    commit()
    return PaymentSetup(True, payee.can_be_paid, payee.reason)


def update_payee(
    payee: Payee, provider: PaymentProvider, *, actor: Any = None, actor_label: str | None = None
) -> bool:
    """Refresh can_be_paid and the reason from the provider (the caller commits). True when
    they changed; the change is audited."""
    status = provider.payee_status(payee.reference)
    reason = "" if status.can_be_paid else (status.reason or "Cannot be paid yet")
    if (payee.can_be_paid, payee.reason) == (status.can_be_paid, reason):
        return False
    before = {"can_be_paid": payee.can_be_paid, "reason": payee.reason}
    payee.can_be_paid = status.can_be_paid
    payee.reason = reason
    audit.record(
        "payee.status_changed",
        "payee",
        payee.id,
        before=before,
        after={"can_be_paid": payee.can_be_paid, "reason": payee.reason},
        actor=actor,
        actor_label=actor_label,
    )
    if payee.can_be_paid:
        # Claims approved while we could not pay them are promised a date from today.
        from lep.expenses.services import start_payment_promises

        today = to_london(utcnow()).date()
        start_payment_promises(payee.user_id, today, actor=actor, actor_label=actor_label)
    return True
