"""The Stripe Connect provider: the only module that imports `stripe`.

Each payee is an Express connected account who enters their bank details on Stripe's own
onboarding page (an Account Link), never on ours. A payment is a Transfer in GBP from the
platform balance, sent with the payment's key as the Idempotency-Key and its run as the transfer
group. Webhooks are verified with the endpoint's signing secret before anything is read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import stripe
from stripe.params import TransferListParams

from lep.payments.providers.base import (
    FAILED,
    PAYEE_UPDATED,
    PAYMENT_REVERSED,
    PAYMENT_SENT,
    PAYOUT_FAILED,
    PAYOUT_PAID,
    SENT,
    PayeeDetails,
    PayeeRegistration,
    PayeeStatus,
    PaymentProvider,
    PaymentRequest,
    PaymentResult,
    ProviderError,
    ProviderEvent,
    WebhookError,
)

ONBOARDING_NOT_FINISHED = "Stripe onboarding not finished"
WEBHOOK_TOLERANCE_SECONDS = 300

EVENT_TYPES = {
    "account.updated": PAYEE_UPDATED,
    "transfer.created": PAYMENT_SENT,
    "transfer.reversed": PAYMENT_REVERSED,
    "payout.paid": PAYOUT_PAID,
    "payout.failed": PAYOUT_FAILED,
}


class StripeProvider(PaymentProvider):
    name = "stripe"
    settled_by_finance = False

    def __init__(
        self,
        api_key: str,
        webhook_secret: str | None = None,
        *,
        api_base: str | None = None,
        return_url: str | None = None,
        refresh_url: str | None = None,
        max_network_retries: int = 2,
        timeout: float = 30.0,
    ) -> None:
        if not api_key:
            raise ValueError("the Stripe provider needs STRIPE_API_KEY")
        self.webhook_secret = webhook_secret
        self.return_url = return_url
        self.refresh_url = refresh_url
        # A client of our own, not the module's global key: two apps never share settings.
        # Retries are safe: every write that moves money carries an idempotency key.
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeProvider:
        api_key = config.get("STRIPE_API_KEY")
        if not api_key:
            raise RuntimeError("PAYMENT_PROVIDER is stripe but STRIPE_API_KEY is not set")
        return cls(
            api_key,
            config.get("STRIPE_WEBHOOK_SECRET"),
            api_base=config.get("STRIPE_API_BASE"),
            return_url=config.get("STRIPE_CONNECT_RETURN_URL"),
            refresh_url=config.get("STRIPE_CONNECT_REFRESH_URL"),
            max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
            timeout=float(config.get("STRIPE_TIMEOUT", 30.0)),
        )

    # -- payees -----------------------------------------------------------------------------------

    def register_payee(
        self, payee: PayeeDetails, return_url: str, existing_reference: str = ""
    ) -> PayeeRegistration:
        account_id = existing_reference
        if not account_id:
            with _mapped_errors():
                account = self.client.v1.accounts.create(
                    {
                        "type": "express",
                        "country": "GB",
                        "email": payee.email,
                        "capabilities": {"transfers": {"requested": True}},
                        "metadata": {"user_id": str(payee.user_id)},
                    }
                )
            account_id = account.id
        # Account Links last minutes and work once, so a returning payee gets a fresh one.
        with _mapped_errors():
            link = self.client.v1.account_links.create(
                {
                    "account": account_id,
                    "type": "account_onboarding",
                    "return_url": self.return_url or return_url,
                    "refresh_url": self.refresh_url or return_url,
                }
            )
        return PayeeRegistration(reference=account_id, onboarding_url=link.url)

    def payee_status(self, reference: str) -> PayeeStatus:
        if not reference:
            return PayeeStatus(False, "Not set up with Stripe yet")
        try:
            with _mapped_errors():
                account = self.client.v1.accounts.retrieve(reference).to_dict()
        except ProviderError as error:
            # Stripe answers 403 account_invalid for an account we cannot see (or that is gone).
            if error.code in ("resource_missing", "account_invalid"):
                return PayeeStatus(False, "Stripe has no such account")
            raise
        return _account_status(account)

    # -- payments ---------------------------------------------------------------------------------

    def send_payment(self, request: PaymentRequest) -> PaymentResult:
        if request.currency.upper() != "GBP":
            raise ProviderError("Stripe payments are in pounds (GBP) only", code="currency")
        # The Idempotency-Key protects a retry within Stripe's 24 hours; looking in the run's
        # transfer group first protects one after that, too.
        found = self._find_transfer(request.key, request.group)
        if found is None:
            with _mapped_errors(), _payee_not_ready():
                found = self.client.v1.transfers.create(
                    {
                        "amount": request.amount_pence,
                        "currency": "gbp",
                        "destination": request.payee_reference,
                        "transfer_group": request.group,
                        "description": request.reference,
                        "metadata": {"payment_key": request.key},
                    },
                    {"idempotency_key": request.key},
                ).to_dict()
        if (found.get("amount"), found.get("currency"), found.get("destination")) != (
            request.amount_pence,
            "gbp",
            request.payee_reference,
        ):
            raise ProviderError(
                f"Payment key {request.key} was already used for a different amount or payee",
                code="key_reused",
            )
        return _transfer_result(request.key, found)

    def find_payment(self, key: str, group: str = "") -> PaymentResult | None:
        transfer = self._find_transfer(key, group)
        return None if transfer is None else _transfer_result(key, transfer)

    def _find_transfer(self, key: str, group: str) -> dict[str, Any] | None:
        # Stripe cannot search transfers by metadata: list the run's transfers (or all of them).
        params: TransferListParams = {"limit": 100}
        if group:
            params["transfer_group"] = group
        with _mapped_errors():
            for transfer in self.client.v1.transfers.list(params).auto_paging_iter():
                data = transfer.to_dict()
                if (data.get("metadata") or {}).get("payment_key") == key:
                    return data
        return None

    # -- webhooks ---------------------------------------------------------------------------------

    def parse_webhook(self, body: bytes, headers: dict[str, str]) -> list[ProviderEvent]:
        if not self.webhook_secret:
            raise WebhookError("STRIPE_WEBHOOK_SECRET is not set", code="no_secret")
        signature = _header(headers, "Stripe-Signature")
        try:
            event = self.client.construct_event(
                body, signature, self.webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            ).to_dict()
        except stripe.SignatureVerificationError as error:
            raise WebhookError(f"Stripe-Signature not valid: {error}", code="signature") from None
        except (ValueError, UnicodeDecodeError):
            raise WebhookError("Not a Stripe event", code="malformed") from None
        try:
            mapped = _event(event)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise WebhookError("Not a Stripe event we can read", code="malformed") from None
        return [] if mapped is None else [mapped]


# -- mapping Stripe's objects to the interface's ---------------------------------------------------


@contextlib.contextmanager
def _mapped_errors() -> Iterator[None]:
    """Turn the stripe library's errors into ProviderError, saying whether a retry may work."""
    try:
        yield
    except stripe.StripeError as error:
        status = error.http_status or 0
        retryable = isinstance(error, stripe.APIConnectionError | stripe.RateLimitError) or (
            status >= 500 or status == 409
        )
        code = error.code or ("resource_missing" if status == 404 else "")
        if isinstance(error, stripe.IdempotencyError):
            code = "key_reused"
        message = error.user_message or str(error) or type(error).__name__
        raise ProviderError(f"Stripe: {message}", retryable=retryable, code=code) from error


@contextlib.contextmanager
def _payee_not_ready() -> Iterator[None]:
    """Stripe refuses a transfer to an account that cannot take one: say so as the bank file
    does, so finance read the same reason whichever provider is in use."""
    try:
        yield
    except stripe.InvalidRequestError as error:
        if error.code == "insufficient_capabilities_for_transfer":
            raise ProviderError(ONBOARDING_NOT_FINISHED, code="payee_not_ready") from error
        raise


def _account_status(account: Mapping[str, Any]) -> PayeeStatus:
    capabilities = account.get("capabilities") or {}
    if not account.get("details_submitted"):
        return PayeeStatus(False, ONBOARDING_NOT_FINISHED)
    if capabilities.get("transfers") != "active":
        return PayeeStatus(False, "Stripe has not enabled transfers to this account yet")
    if not account.get("payouts_enabled"):
        return PayeeStatus(False, "Stripe has not enabled payouts to this account's bank yet")
    return PayeeStatus(True)


def _transfer_result(key: str, transfer: Mapping[str, Any]) -> PaymentResult:
    if transfer.get("reversed"):
        return PaymentResult(key, FAILED, str(transfer["id"]), "Stripe reversed the transfer")
    return PaymentResult(key, SENT, str(transfer["id"]))


def _event(event: Mapping[str, Any]) -> ProviderEvent | None:
    kind = EVENT_TYPES.get(str(event.get("type")))
    if kind is None:
        return None  # an event we did not ask for: nothing to do
    obj: Mapping[str, Any] = (event.get("data") or {}).get("object") or {}
    created = dt.datetime.fromtimestamp(int(event.get("created") or 0), dt.UTC)
    common: dict[str, Any] = {"event_id": str(event["id"]), "type": kind, "created_at": created}
    if kind == PAYEE_UPDATED:
        status = _account_status(obj)
        return ProviderEvent(
            **common,
            payee_reference=str(obj.get("id", "")),
            can_be_paid=status.can_be_paid,
            failure_reason=status.reason,
            raw=dict(event),
        )
    if kind in (PAYMENT_SENT, PAYMENT_REVERSED):
        return ProviderEvent(
            **common,
            payment_key=(obj.get("metadata") or {}).get("payment_key"),
            provider_reference=str(obj.get("id", "")),
            payee_reference=str(obj.get("destination") or ""),
            amount_pence=_int_or_none(
                obj.get("amount_reversed") if kind == PAYMENT_REVERSED else obj.get("amount")
            ),
            failure_reason="Stripe reversed the transfer" if kind == PAYMENT_REVERSED else "",
            raw=dict(event),
        )
    # Payouts happen on the connected account (event.account): its balance to its bank.
    return ProviderEvent(
        **common,
        provider_reference=str(obj.get("id", "")),
        payee_reference=str(event.get("account") or ""),
        amount_pence=_int_or_none(obj.get("amount")),
        failure_reason=str(obj.get("failure_message") or obj.get("failure_code") or "")
        if kind == PAYOUT_FAILED
        else "",
        raw=dict(event),
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None
