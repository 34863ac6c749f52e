"""The payment provider interface. Nothing outside providers/stripe.py imports `stripe`.

A provider registers (onboards) payees, says whether a payee can be paid, sends one payment
idempotently by its key (the same key twice pays once), looks a payment up by its key, and turns
a webhook request into verified events. Its results and errors are the types below, never a
provider library's own.
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# A payment's state at the provider.
PENDING = "pending"  # accepted, not yet sent to the bank
SENT = "sent"  # on its way (a transfer made, a file handed over)
PAID = "paid"  # arrived
FAILED = "failed"  # will not arrive; the money is back with us
PROVIDER_STATES = (PENDING, SENT, PAID, FAILED)

# The kinds of event a webhook turns into (ProviderEvent.type).
PAYEE_UPDATED = "payee.updated"  # can_be_paid / reason may have changed: ask payee_status
PAYMENT_SENT = "payment.sent"  # a payment left us (Stripe: a transfer was made)
PAYMENT_REVERSED = "payment.reversed"  # the money came back: the payment failed
PAYOUT_PAID = "payout.paid"  # the payee's provider paid their bank (payee_reference, amount)
PAYOUT_FAILED = "payout.failed"  # the payee's bank refused it (failure_reason)
EVENT_TYPES = (PAYEE_UPDATED, PAYMENT_SENT, PAYMENT_REVERSED, PAYOUT_PAID, PAYOUT_FAILED)


class ProviderError(Exception):
    """The provider refused or failed. `retryable` says whether trying again later may work.

    `code` names refusals both providers share: "payee_not_ready" (the message says why),
    "key_reused" (the key was sent before for another amount or payee), "currency"."""

    def __init__(self, message: str, *, retryable: bool = False, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code


class WebhookError(ProviderError):
    """A webhook that cannot be trusted (bad or stale signature, malformed body)."""


@dataclass(frozen=True)
class PayeeDetails:
    """What a provider needs to register a payee: who they are, never their benefits."""

    user_id: int
    full_name: str
    email: str


@dataclass(frozen=True)
class PayeeRegistration:
    reference: str  # the provider's id for the payee (the bank file: the user id)
    onboarding_url: str | None = None  # where the payee finishes setting up, if anywhere


@dataclass(frozen=True)
class PayeeStatus:
    can_be_paid: bool
    reason: str = ""  # why not, in words for finance


@dataclass(frozen=True)
class PaymentRequest:
    key: str  # idempotency key: one payment, however many times it is sent
    payee_reference: str
    amount_pence: int
    currency: str
    reference: str  # what the payee sees on their statement (18 characters for Bacs)
    group: str  # the run it belongs to

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a payment needs its idempotency key")
        if isinstance(self.amount_pence, bool) or not isinstance(self.amount_pence, int):
            raise TypeError("amount_pence must be whole pence (an int)")
        if self.amount_pence <= 0:
            raise ValueError("a payment must be more than 0")


@dataclass(frozen=True)
class PaymentResult:
    key: str
    state: str  # one of PROVIDER_STATES
    provider_reference: str = ""
    failure_reason: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """A verified event from a provider's webhook."""

    event_id: str  # the provider's own id: store it once, ignore replays
    type: str  # one of EVENT_TYPES
    created_at: dt.datetime
    payment_key: str | None = None
    provider_reference: str = ""
    payee_reference: str = ""
    amount_pence: int | None = None
    failure_reason: str = ""  # why a payment failed, or (payee.updated) why they cannot be paid
    can_be_paid: bool | None = None  # payee.updated only
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(abc.ABC):
    name: str = ""
    # True when payments are settled by finance outside the system (a bank file): the run's
    # payments move to paid when finance marks the run paid, not by webhook.
    settled_by_finance: bool = False

    @abc.abstractmethod
    def register_payee(
        self, payee: PayeeDetails, return_url: str, existing_reference: str = ""
    ) -> PayeeRegistration:
        """Register a payee, or (given the reference they already have) send them back to finish
        setting up. `return_url` is where the provider's own pages send them afterwards."""

    @abc.abstractmethod
    def payee_status(self, reference: str) -> PayeeStatus: ...

    @abc.abstractmethod
    def send_payment(self, request: PaymentRequest) -> PaymentResult:
        """Pay once per key: the same request again returns the first result and pays nothing.

        Raises ProviderError if the payee cannot be paid, or the key was used before for a
        different amount or payee (never pays a different amount under the same key)."""

    @abc.abstractmethod
    def find_payment(self, key: str, group: str = "") -> PaymentResult | None:
        """The payment sent with this key, or None if the provider never received it.

        `group` (the run the payment was sent in), when known, narrows the search."""

    @abc.abstractmethod
    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> list[ProviderEvent]:
        """Verify and decode a webhook request. Raise WebhookError if it cannot be trusted."""

    # Many at once. The defaults ask one by one; a provider that can answer in bulk (the bank
    # file, from our own database) overrides them so a run of 10,000 stays quick.

    def payee_statuses(self, references: list[str]) -> dict[str, PayeeStatus]:
        return {reference: self.payee_status(reference) for reference in references}

    def send_many(self, requests: list[PaymentRequest]) -> dict[str, PaymentResult | ProviderError]:
        """Send each request (by key, as send_payment); a refusal is returned, not raised, so one
        payee's problem never stops the others. Results are keyed by payment key."""
        results: dict[str, PaymentResult | ProviderError] = {}
        for request in requests:
            try:
                results[request.key] = self.send_payment(request)
            except ProviderError as exc:
                results[request.key] = exc
        return results
