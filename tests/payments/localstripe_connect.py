"""Stripe Connect for localstripe: Account, AccountLink and Transfer (with its reversals).

localstripe fakes much of Stripe's API but has no Connect. These classes follow its StripeObject
patterns (check everything, then `super().__init__()` stores the object; only _underscored
methods, because `_export()` publishes every public attribute) and `register(app)` adds their
routes to its aiohttp app before it starts.

localstripe ignores the Idempotency-Key header; real Stripe does not, so every POST added here
honours it: the same key with the same parameters replays the first (successful) response, with
other parameters it is an idempotency_error. A failed request is not remembered, as at Stripe.

The Account Link's URL is a page served here that stands in for Stripe's hosted onboarding:
submitting it completes the account (details submitted, transfers active, payouts enabled) and
sends the person to the link's return_url, as finishing Stripe's page would.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import requests
from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import StripeObject, random_id, store, try_convert_to_int

with warnings.catch_warnings():
    # localstripe's own routes are plain functions, which aiohttp now warns about on import.
    warnings.simplefilter("ignore", DeprecationWarning)
    from localstripe import server

ACCOUNT_LINK_SECONDS = 300  # Stripe's links expire after a few minutes
# Replies to idempotent POSTs: (API key, Idempotency-Key) -> (request fingerprint, status, body).
_replies: dict[tuple[str, str], tuple[str, int, bytes]] = {}


def _fail(message: str, *, code: str = "", param: str = "") -> UserError:
    contents = {key: value for key, value in (("code", code), ("param", param)) if value}
    return UserError(400, message, contents=contents)


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        type: str | None = None,
        country: str | None = None,
        email: str | None = None,
        capabilities: dict[str, Any] | None = None,
        business_type: str | None = None,
        metadata: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        if type not in ("express", "standard", "custom"):
            raise _fail("type must be express, standard or custom", param="type")
        if country is not None and (not isinstance(country, str) or len(country) != 2):
            raise _fail("country must be a two-letter code", param="country")
        if email is not None and (not isinstance(email, str) or "@" not in email):
            raise _fail("Invalid email address", param="email")
        if capabilities is not None and not isinstance(capabilities, dict):
            raise _fail("capabilities must be a hash", param="capabilities")
        if metadata is not None and not isinstance(metadata, dict):
            raise _fail("metadata must be a hash", param="metadata")
        requested = [
            name
            for name, wanted in (capabilities or {}).items()
            if isinstance(wanted, dict) and str(wanted.get("requested")).lower() == "true"
        ]

        super().__init__()  # stores the account: nothing may fail after this

        self.type = type
        self.country = country or "US"
        self.email = email
        self.business_type = business_type
        self.metadata = metadata or {}
        self.default_currency = "gbp" if self.country == "GB" else "usd"
        self.capabilities = {name: "inactive" for name in requested}
        self.details_submitted = False
        self.charges_enabled = False
        self.payouts_enabled = False
        self.requirements = _requirements(
            ["external_account", "individual.dob.day", "tos_acceptance.date"]
        )

    def _complete_onboarding(self) -> None:
        """What finishing Stripe's hosted onboarding does to an Express account."""
        self.details_submitted = True
        self.capabilities = {name: "active" for name in self.capabilities}
        self.charges_enabled = self.capabilities.get("card_payments") == "active"
        self.payouts_enabled = True
        self.requirements = _requirements([])


def _requirements(due: list[str]) -> dict[str, Any]:
    return {
        "currently_due": list(due),
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
        "disabled_reason": "requirements.past_due" if due else None,
    }


class AccountLink(StripeObject):
    object = "account_link"
    _id_prefix = "acctlink_"

    def __init__(
        self,
        account: str | None = None,
        type: str | None = None,
        return_url: str | None = None,
        refresh_url: str | None = None,
        collect: str | None = None,
        _origin: str = "",
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        if not isinstance(account, str) or store.get("account:" + account) is None:
            raise _fail(f"No such account: '{account}'", code="resource_missing", param="account")
        if type not in ("account_onboarding", "account_update"):
            raise _fail("type must be account_onboarding or account_update", param="type")
        for name, url in (("return_url", return_url), ("refresh_url", refresh_url)):
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise _fail(f"{name} must be a URL", param=name)

        super().__init__()

        self.expires_at = self.created + ACCOUNT_LINK_SECONDS
        self.url = f"{_origin}/_config/connect/onboarding/{self.id}"
        self._account = account
        self._return_url = return_url
        self._refresh_url = refresh_url
        self._used = False


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer: Transfer, amount: int, metadata: dict[str, str]) -> None:
        super().__init__()
        self.amount = amount
        self.currency = transfer.currency
        self.transfer = transfer.id
        self.metadata = metadata


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        amount: Any = None,
        currency: str | None = None,
        destination: str | None = None,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        transfer_group: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        amount = try_convert_to_int(amount)
        if not isinstance(amount, int) or amount <= 0:
            raise _fail("amount must be a positive whole number", param="amount")
        if not isinstance(currency, str) or currency.lower() not in ("gbp", "eur", "usd"):
            raise _fail(f"Invalid currency: {currency}", param="currency")
        if metadata is not None and not isinstance(metadata, dict):
            raise _fail("metadata must be a hash", param="metadata")
        account = store.get(f"account:{destination}") if isinstance(destination, str) else None
        if account is None:
            raise _fail(
                f"No such destination: '{destination}'",
                code="resource_missing",
                param="destination",
            )
        if account.capabilities.get("transfers") != "active":
            raise _fail(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
            )

        super().__init__()

        self.amount = amount
        self.amount_reversed = 0
        self.currency = currency.lower()
        self.destination = destination
        self.destination_payment = "py_" + random_id(24)
        self.balance_transaction = "txn_" + random_id(24)
        self.description = description
        self.metadata = metadata or {}
        self.transfer_group = transfer_group
        self.reversed = False
        self.reversals: dict[str, Any] = {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/transfers/{self.id}/reversals",
        }

    @classmethod
    def _api_list_all(
        cls,
        url: str,
        destination: str | None = None,
        transfer_group: str | None = None,
        limit: Any = None,
        starting_after: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        listing = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        # Newest first, as Stripe lists them.
        listing._list = [
            transfer
            for transfer in reversed(listing._list)
            if (destination is None or transfer.destination == destination)
            and (transfer_group is None or transfer.transfer_group == transfer_group)
        ]
        return listing

    @classmethod
    def _api_reverse(
        cls, id: str, amount: Any = None, metadata: dict[str, str] | None = None, **kwargs: Any
    ) -> TransferReversal:
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        transfer = cls._api_retrieve(id)
        left = transfer.amount - transfer.amount_reversed
        amount = left if amount is None else try_convert_to_int(amount)
        if not isinstance(amount, int) or not 0 < amount <= left:
            raise _fail("amount must be more than 0 and at most what is left", param="amount")
        reversal = TransferReversal(transfer, amount, metadata or {})
        transfer.amount_reversed += amount
        transfer.reversed = transfer.amount_reversed == transfer.amount
        transfer.reversals["data"].append(reversal._export())
        transfer.reversals["total_count"] += 1
        return reversal


# -- routes ---------------------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _idempotent(action: Callable[[web.Request, dict[str, Any]], Any]) -> Handler:
    """A POST handler that honours Idempotency-Key as Stripe does."""

    async def handler(request: web.Request) -> web.StreamResponse:
        data = await server.get_post_data(request) or {}
        data.update(request.match_info)
        key = request.headers.get("Idempotency-Key")
        if not key:
            return server.json_response(action(request, data))
        scope = (server.get_api_key(request) or "", key)
        fingerprint = json.dumps([request.method, request.path, data], sort_keys=True)
        seen = _replies.get(scope)
        if seen is not None:
            if seen[0] != fingerprint:
                return server.json_response(
                    {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with the "
                            "same parameters they were first used with. Try using a key other "
                            f"than '{key}' if you meant to execute a different request.",
                        }
                    },
                    status=400,
                )
            return web.Response(
                body=seen[2],
                status=seen[1],
                content_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        response = server.json_response(action(request, data))
        _replies[scope] = (fingerprint, response.status, bytes(response.body))
        return response

    return handler


def _create(cls: type[StripeObject]) -> Callable[[web.Request, dict[str, Any]], Any]:
    def action(request: web.Request, data: dict[str, Any]) -> Any:
        expand = data.pop("expand", None)
        if cls is AccountLink:
            data["_origin"] = f"{request.scheme}://{request.host}"
        return cls._api_create(**data)._export(expand=expand)

    return action


def _reverse(request: web.Request, data: dict[str, Any]) -> Any:
    data.pop("expand", None)
    return Transfer._api_reverse(**data)._export()


def _read(cls: type[StripeObject], url: str, read: Callable[..., Any]) -> Handler:
    """localstripe's GET handler for cls, as a coroutine (aiohttp wants async handlers)."""
    sync = read(cls, url)

    async def handler(request: web.Request) -> web.StreamResponse:
        return sync(request)

    return handler


def _link(request: web.Request) -> AccountLink:
    link = store.get("account_link:" + request.match_info["id"])
    if link is None:
        raise UserError(404, "Not Found")
    return link


async def _onboarding_page(request: web.Request) -> web.Response:
    _link(request)
    return web.Response(
        text=(
            '<!doctype html><html lang="en"><title>Set up payments (localstripe)</title>'
            '<form method="post"><button type="submit">Agree and submit</button></form></html>'
        ),
        content_type="text/html",
    )


async def _onboarding_submit(request: web.Request) -> web.Response:
    link = _link(request)
    if link._used or time.time() > link.expires_at:
        raise web.HTTPSeeOther(link._refresh_url)
    link._used = True
    store["account:" + link._account]._complete_onboarding()
    raise web.HTTPSeeOther(link._return_url)


_registered = False


def register(app: web.Application) -> None:
    """Add the Connect routes to localstripe's app (once: its router freezes when it starts)."""
    global _registered
    if _registered:
        return
    app.router.add_post("/v1/accounts", _idempotent(_create(Account)))
    app.router.add_get(
        "/v1/accounts/{id}", _read(Account, "/v1/accounts/{id}", server.api_retrieve)
    )
    app.router.add_get("/v1/accounts", _read(Account, "/v1/accounts", server.api_list_all))
    app.router.add_post("/v1/account_links", _idempotent(_create(AccountLink)))
    app.router.add_post("/v1/transfers", _idempotent(_create(Transfer)))
    app.router.add_get(
        "/v1/transfers/{id}", _read(Transfer, "/v1/transfers/{id}", server.api_retrieve)
    )
    app.router.add_get("/v1/transfers", _read(Transfer, "/v1/transfers", server.api_list_all))
    app.router.add_post("/v1/transfers/{id}/reversals", _idempotent(_reverse))
    app.router.add_get("/_config/connect/onboarding/{id}", _onboarding_page)
    app.router.add_post("/_config/connect/onboarding/{id}", _onboarding_submit)
    _registered = True


def forget_idempotency_keys() -> None:
    """What 24 hours do at Stripe: a key used before is new again."""
    _replies.clear()


def complete_onboarding(onboarding_url: str) -> str:
    """Submit the onboarding page as the payee would; the address they are sent back to."""
    response = requests.post(onboarding_url, allow_redirects=False, timeout=5)
    assert response.status_code == 303, response.text
    return str(response.headers["Location"])
