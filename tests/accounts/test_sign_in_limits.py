"""Sign-in limits (issue 13 item 8, issue 15 item 7): failures are counted per account and per
address apart, successes count against nobody, X-Forwarded-For is read only from as many
proxies as TRUSTED_PROXY_COUNT says, and the page says how long the wait really is."""

from __future__ import annotations

import logging
import re

import pytest
from cryptography.fernet import Fernet

from config import ProductionConfig
from lep import create_app
from lep.accounts import limits
from tests.conftest import PASSWORD, csrf_from


def attempt(client, email: str, password: str, address: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-For": address} if address else {}
    page = client.get("/sign-in", headers=headers)
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
        headers=headers,
    )
    if response.status_code == 302:  # signed in: sign out again, as the next person would
        html = client.get("/account").get_data(as_text=True)
        client.post("/sign-out", data={"csrf_token": csrf_from(html)})
    return response


def test_a_whole_organisation_signing_in_through_one_address_is_never_locked_out(app, make_user):
    """Before: about 50 sign-ins in an hour from one address locked out every account."""
    client = app.test_client()
    people = [make_user("hr") for _ in range(12)]
    statuses = [attempt(client, p.email, PASSWORD).status_code for p in people * 6]  # 72
    assert statuses == [302] * 72


def test_wrong_passwords_lock_that_account_only_and_say_how_long(app, make_user):
    client = app.test_client()
    target, colleague = make_user("finance"), make_user("finance")
    statuses = [attempt(client, target.email, "wrong password!").status_code for _ in range(10)]
    assert statuses == [200] * 10
    refused = attempt(client, target.email, PASSWORD)  # even the right password, for now
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "too many wrong passwords for this email address" in html
    wait = re.search(r"Try again in (\d+) (minute|minutes)\.", html)
    assert wait and 1 <= int(wait.group(1)) <= 15, "the real wait, not 'a few minutes'"
    assert "a few minutes" not in html
    assert int(refused.headers["Retry-After"]) <= 15 * 60
    # Someone else at the same address signs in as usual.
    assert attempt(client, colleague.email, PASSWORD).status_code == 302


def test_an_unknown_email_is_counted_like_a_real_one(app):
    client = app.test_client()
    statuses = [attempt(client, "nobody@example.org", "guess").status_code for _ in range(10)]
    assert statuses == [200] * 10
    refused = attempt(client, "Nobody@Example.org ", "guess")
    assert refused.status_code == 429
    assert "too many wrong passwords for this email address" in refused.get_data(as_text=True)


def test_many_failures_from_one_address_pause_that_address(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "5 per 15 minutes")
    client = app.test_client()
    emails = [f"spray{n}@example.org" for n in range(5)]
    assert [attempt(client, e, "password1").status_code for e in emails] == [200] * 5
    paused = attempt(client, make_user("hr").email, PASSWORD)
    assert paused.status_code == 429
    html = paused.get_data(as_text=True)
    assert "paused attempts from your connection" in html
    assert re.search(r"Try again in \d+ minutes?\.", html)


@pytest.fixture
def behind_one_proxy(app, monkeypatch):
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # put back after the test
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_COUNT", 1)
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "3 per 15 minutes")
    limits.trust_proxies(app)
    return app


def test_with_a_trusted_proxy_each_person_is_counted_at_their_own_address(
    behind_one_proxy, make_user
):
    client = behind_one_proxy.test_client()
    for n in range(3):
        assert attempt(client, f"x{n}@example.org", "nope", "203.0.113.7").status_code == 200
    assert attempt(client, "x9@example.org", "nope", "203.0.113.7").status_code == 429
    assert attempt(client, make_user("hr").email, PASSWORD, "198.51.100.2").status_code == 302


def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "3 per 15 minutes")
    client = app.test_client()
    for n in range(3):
        assert attempt(client, f"y{n}@example.org", "nope", f"192.0.2.{n}").status_code == 200
    assert attempt(client, "y9@example.org", "nope", "192.0.2.99").status_code == 429


def test_production_without_redis_says_the_limits_are_per_worker(caplog):
    with caplog.at_level(logging.WARNING):
        create_app(
            ProductionConfig,
            SECRET_KEY="x" * 48,
            BANK_DETAILS_KEY=Fernet.generate_key().decode(),
            SQLALCHEMY_DATABASE_URI="sqlite://",
            RATELIMIT_STORAGE_URI="memory://",
        )
    assert "sign-in limits are counted in each worker's memory" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert "each worker's memory" not in caplog.text
