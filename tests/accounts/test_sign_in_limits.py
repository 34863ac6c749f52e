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


def attempt(app, email: str, password: str, address: str | None = None):  # type: ignore[no-untyped-def]
    """One sign-in from a fresh browser (as the next person at the same address would)."""
    client = app.test_client()
    headers = {"X-Forwarded-For": address} if address else {}
    page = client.get("/sign-in", headers=headers)
    return client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
        headers=headers,
    )


def test_a_whole_organisation_signing_in_through_one_address_is_never_locked_out(app, make_user):
    """Before: about 50 sign-ins in an hour from one address locked out every account."""
    people = [make_user("hr") for _ in range(12)]
    statuses = [attempt(app, p.email, PASSWORD).status_code for p in people * 6]  # 72
    assert statuses == [302] * 72


def test_wrong_passwords_lock_that_account_only_and_say_how_long(app, make_user):
    target, colleague = make_user("finance"), make_user("finance")
    statuses = [attempt(app, target.email, "wrong password!").status_code for _ in range(10)]
    assert statuses == [200] * 10
    refused = attempt(app, target.email, PASSWORD)  # even the right password, for now
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "too many wrong passwords for this email address" in html
    wait = re.search(r"Try again in (\d+) (minute|minutes)\.", html)
    assert wait and 1 <= int(wait.group(1)) <= 15, "the real wait, not 'a few minutes'"
    assert "a few minutes" not in html
    assert int(refused.headers["Retry-After"]) <= 15 * 60
    # Someone else at the same address signs in as usual.
    assert attempt(app, colleague.email, PASSWORD).status_code == 302


def test_an_unknown_email_is_counted_like_a_real_one(app):
    statuses = [attempt(app, "nobody@example.org", "guess").status_code for _ in range(10)]
    assert statuses == [200] * 10
    refused = attempt(app, "Nobody@Example.org ", "guess")
    assert refused.status_code == 429
    assert "too many wrong passwords for this email address" in refused.get_data(as_text=True)


def test_many_failures_from_one_address_pause_that_address(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "5 per 15 minutes")
    emails = [f"spray{n}@example.org" for n in range(5)]
    assert [attempt(app, e, "password1").status_code for e in emails] == [200] * 5
    paused = attempt(app, make_user("hr").email, PASSWORD)
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
    app = behind_one_proxy
    for n in range(3):
        assert attempt(app, f"x{n}@example.org", "nope", "203.0.113.7").status_code == 200
    assert attempt(app, "x9@example.org", "nope", "203.0.113.7").status_code == 429
    assert attempt(app, make_user("hr").email, PASSWORD, "198.51.100.2").status_code == 302


def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ADDRESS", "3 per 15 minutes")
    for n in range(3):
        assert attempt(app, f"y{n}@example.org", "nope", f"192.0.2.{n}").status_code == 200
    assert attempt(app, "y9@example.org", "nope", "192.0.2.99").status_code == 429


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


def test_wrong_codes_at_the_second_step_stay_counted_after_signing_out_and_in(app, make_user):
    """Sign-out moves the account's session version on: the count of wrong codes must be the
    account's, or signing out and in again would start a fresh one each time."""
    from tests.conftest import set_up_app

    hr = make_user("hr")
    set_up_app(hr)

    def wrong_codes(times: int) -> list[int]:
        client = app.test_client()
        page = client.get("/sign-in")
        client.post(
            "/sign-in",
            data={
                "email": hr.email,
                "password": PASSWORD,
                "csrf_token": csrf_from(page.get_data(as_text=True)),
            },
        )
        statuses = []
        for _ in range(times):
            step = client.get("/sign-in/security-code")
            token = csrf_from(step.get_data(as_text=True))
            statuses.append(
                client.post(
                    "/sign-in/security-code", data={"code": "000000", "csrf_token": token}
                ).status_code
            )
        html = client.get("/sign-in/security-code").get_data(as_text=True)
        client.post("/sign-out", data={"csrf_token": csrf_from(html)})
        return statuses

    assert wrong_codes(3) == [200, 200, 200]
    after = wrong_codes(3)
    assert after[:2] == [200, 200] and after[2] == 429  # 5 a minute, across both sessions
