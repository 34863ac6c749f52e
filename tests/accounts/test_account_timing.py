"""Register and forgot-password do not tell by their timing whether an address has an account
(issue 15, item 6): the same work either way, and no answer sooner than a floor."""

from __future__ import annotations

import statistics
import time

import pytest
from argon2 import PasswordHasher

from lep.accounts import services
from tests.conftest import csrf_from

TRIES = 7


@pytest.fixture(autouse=True)
def no_request_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1000 per minute")


def timed_post(client, url: str, data: dict[str, str]) -> float:  # type: ignore[no-untyped-def]
    page = client.get(url)
    data = {**data, "csrf_token": csrf_from(page.get_data(as_text=True))}
    started = time.perf_counter()
    response = client.post(url, data=data)
    took = time.perf_counter() - started
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    return took


def register(client, email: str) -> float:  # type: ignore[no-untyped-def]
    password = "a long enough password"
    return timed_post(
        client,
        "/register",
        {"full_name": "Sam", "email": email, "password": password, "confirm_password": password},
    )


def forgot(client, email: str) -> float:  # type: ignore[no-untyped-def]
    return timed_post(client, "/forgot-password", {"email": email})


@pytest.fixture
def real_hash_cost(app, monkeypatch):
    """A hash that costs something (the suite's is nearly free), as argon2 does in production."""
    monkeypatch.setitem(
        app.extensions, "lep_argon2", PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1)
    )


def test_registering_an_address_that_has_an_account_hashes_the_password_too(
    client, make_user, monkeypatch
):
    existing = make_user("applicant")
    hashed: list[str] = []
    real = services.hash_password
    monkeypatch.setattr(services, "hash_password", lambda pw: hashed.append(pw) or real(pw))
    register(client, existing.email)
    register(client, "new-person@example.org")
    assert hashed == ["a long enough password"] * 2


def test_register_takes_as_long_for_an_existing_address_as_for_a_new_one(
    app, make_user, real_hash_cost, monkeypatch
):
    """With a real hash cost and the floor as production has it (raised a little for a busy
    test machine), the two answers are within 50 ms: before, the existing address answered in a
    fraction of the time. Without the floor a new account still costs an insert and an email,
    which is what the floor is for; that both paths hash is the test above."""
    monkeypatch.setitem(app.config, "ACCOUNT_ANSWER_MIN_SECONDS", 0.5)
    client = app.test_client()
    existing = make_user("applicant")
    register(client, "warm-up@example.org")
    taken = [register(client, existing.email) for _ in range(TRIES)]
    new = [register(client, f"new{n}@example.org") for n in range(TRIES)]
    a, b = statistics.median(taken), statistics.median(new)
    assert abs(a - b) <= 0.05, (a, b)


def test_forgot_password_answers_no_sooner_than_the_floor_either_way(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "ACCOUNT_ANSWER_MIN_SECONDS", 0.15)
    client = app.test_client()
    user = make_user("partner")
    known = [forgot(client, user.email) for _ in range(TRIES)]
    unknown = [forgot(client, f"nobody{n}@example.org") for n in range(TRIES)]
    assert min(known + unknown) >= 0.15
    a, b = statistics.median(known), statistics.median(unknown)
    assert abs(a - b) <= 0.05, (a, b)


def test_register_answers_no_sooner_than_the_floor_either_way(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "ACCOUNT_ANSWER_MIN_SECONDS", 0.15)
    client = app.test_client()
    existing = make_user("applicant")
    assert register(client, existing.email) >= 0.15
    assert register(client, "another-new@example.org") >= 0.15
