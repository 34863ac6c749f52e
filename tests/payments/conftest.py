"""localstripe (with Connect added) on 127.0.0.1 for the session, and providers pointed at it."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from aiohttp import web

from lep.accounts.models import User
from lep.db import utcnow
from lep.extensions import db
from lep.partners.models import BankDetails
from lep.payments.providers.stripe import StripeProvider
from tests.payments.localstripe_connect import register

API_KEY = "sk_test_lep_payments"
WEBHOOK_SECRET = "whsec_lep_payments_test"


@dataclass
class LocalStripe:
    """The running server, and a plain HTTP view of it that does not go through the provider."""

    base_url: str
    api_key: str = API_KEY

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = requests.get(
            self.base_url + path, params=params, auth=(self.api_key, ""), timeout=5
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def post(self, path: str, data: dict[str, Any], **headers: str) -> requests.Response:
        return requests.post(
            self.base_url + path, data=data, headers=headers, auth=(self.api_key, ""), timeout=5
        )

    def transfers(self, payment_key: str) -> list[dict[str, Any]]:
        """Every transfer made with this payment key in its metadata."""
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = self.get("/v1/transfers", **params)
            found += [t for t in page["data"] if t["metadata"].get("payment_key") == payment_key]
            if not page["has_more"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(app: web.Application) -> tuple[str, Callable[[], None]]:
    """Run the aiohttp app on its own event loop in a thread, on a port the OS picks."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # never every interface, as localstripe's CLI does
    port = sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    started = threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.SockSite(runner, sock).start())
        except BaseException as error:  # reported to the test session below
            failures.append(error)
            started.set()
            return
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, name="localstripe", daemon=True)
    thread.start()
    if not started.wait(10) or failures:
        raise RuntimeError(f"localstripe did not start: {failures}")

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        sock.close()

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    from localstripe import resources, server

    # localstripe pickles its whole store to /tmp/localstripe.pickle after every write (a file
    # shared with anything else on the machine): keep this session's store in memory instead.
    resources.store.dump_to_disk = lambda: None
    resources.store.clear()
    register(server.app)
    base_url, stop = _serve(server.app)
    try:
        yield LocalStripe(base_url)
    finally:
        stop()
        resources.store.clear()
        del resources.store.dump_to_disk


@pytest.fixture
def stripe_config(localstripe: LocalStripe) -> dict[str, Any]:
    return {
        "STRIPE_API_KEY": localstripe.api_key,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": localstripe.base_url,
    }


@pytest.fixture
def stripe_provider(stripe_config: dict[str, Any]) -> StripeProvider:
    return StripeProvider.from_config(stripe_config)


def give_bank_details(user: User, *, changed_days_ago: float = 30) -> BankDetails:
    """Bank details as the partners pages will store them (the ciphertext is not read here)."""
    details = BankDetails(
        user_id=user.id,
        ciphertext="not-read-by-the-provider",
        masked="Account ending 1234",
        changed_at=utcnow() - dt.timedelta(days=changed_days_ago),
    )
    db.session.add(details)
    db.session.flush()
    return details


def signed(payload: str, secret: str = WEBHOOK_SECRET, *, at: float | None = None) -> str:
    """A Stripe-Signature header: HMAC-SHA256 of "timestamp.payload" with the endpoint secret."""
    timestamp = int(time.time() if at is None else at)
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def stripe_event(
    kind: str, obj: dict[str, Any], *, account: str | None = None, event_id: str = ""
) -> str:
    """A webhook body as Stripe sends it, around a real object read from localstripe."""
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "account": account,
        "data": {"object": obj},
    }
    return json.dumps(event)
