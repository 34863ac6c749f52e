"""The security baseline: CSRF, headers, error pages, body limit, production settings."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from flask import Blueprint
from sqlalchemy import func, select

from config import ProductionConfig
from lep import ConfigError, create_app
from lep.access import public
from lep.accounts.models import User
from lep.extensions import db


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def test_form_posted_without_csrf_token_gets_400_page_and_writes_nothing(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = count_users()
    response = client.post(
        "/register",
        data={
            "full_name": "No Token",
            "email": "notoken@example.org",
            "password": "a long enough password",
            "confirm_password": "a long enough password",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your form could not be sent" in html
    assert "Traceback" not in html
    assert count_users() == before


def test_state_changing_requests_need_the_token_even_when_signed_in(client, make_user, login):
    login(make_user("admin"))
    other = make_user("panel")
    response = client.post(f"/admin/users/{other.id}/active", data={"active": "0"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, other.id).active is True


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # only in production
    assert "<script>" not in response.get_data(as_text=True)  # no inline script anywhere


def test_unknown_url_gets_the_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html
    assert "nhsuk-header" in html


def test_oversized_body_gets_413(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/register", data={"full_name": "x" * 5000})
    assert response.status_code == 413
    assert "What you sent is too large" in response.get_data(as_text=True)


def test_an_unexpected_error_shows_the_500_page_without_a_stack_trace():
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")
    broken = Blueprint("broken", __name__)

    @broken.route("/broken")
    @public
    def explode():
        raise RuntimeError("secret internals")

    app.register_blueprint(broken)
    response = app.test_client().get("/broken")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_production_refuses_a_missing_or_default_secret_key(monkeypatch):
    with pytest.raises(ConfigError):
        create_app(ProductionConfig, SECRET_KEY="dev-only-secret-key-change-me")
    with pytest.raises(ConfigError):
        create_app(ProductionConfig, SECRET_KEY="")
    with pytest.raises(ConfigError):
        create_app(ProductionConfig, SECRET_KEY="short")


def test_production_refuses_a_missing_or_bad_bank_details_key():
    for key in (None, "", "not-a-fernet-key"):
        with pytest.raises(ConfigError, match="BANK_DETAILS_KEY"):
            create_app(ProductionConfig, SECRET_KEY="x" * 48, BANK_DETAILS_KEY=key)
    # Stripe holds the bank details itself: no key is needed then.
    create_app(
        ProductionConfig,
        SECRET_KEY="x" * 48,
        PAYMENT_PROVIDER="stripe",
        SQLALCHEMY_DATABASE_URI="sqlite://",
    )


def test_production_cookies_and_hsts():
    app = create_app(
        ProductionConfig,
        SECRET_KEY="x" * 48,
        BANK_DETAILS_KEY=Fernet.generate_key().decode(),
        SQLALCHEMY_DATABASE_URI="sqlite://",
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    response = app.test_client().get("/sign-in")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_signed_in_pages_are_not_cached(client, make_user, login):
    login(make_user("hr"))
    assert client.get("/dashboard").headers["Cache-Control"] == "no-store"


@pytest.mark.redis
def test_sign_in_limits_are_shared_through_redis_when_configured():
    """Two app processes behind a load balancer count attempts together when REDIS_URL is set."""
    import uuid

    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    settings = {
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": f"lep-test-{uuid.uuid4().hex}",
        "LOGIN_FAILURES_PER_ACCOUNT": "3 per minute",
        "WTF_CSRF_ENABLED": False,
    }
    first, second = create_app("test", **settings), create_app("test", **settings)
    from lep.extensions import limiter

    try:
        assert type(limiter.storage).__name__ == "RedisStorage"
        data = {"email": "x@example.org", "password": "wrong password"}
        for app in (first, second):
            with app.app_context():
                db.create_all()
        statuses = [first.test_client().post("/sign-in", data=data).status_code for _ in range(2)]
        statuses += [second.test_client().post("/sign-in", data=data).status_code for _ in range(2)]
        assert statuses == [200, 200, 200, 429]
        keys = redis.Redis.from_url(url).keys("*" + settings["RATELIMIT_KEY_PREFIX"] + "*")
        assert keys, "the attempts were not counted in Redis"
    finally:
        limiter.storage.reset()
        # The limiter is one object per process: put the suite back on in-memory counting.
        create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")


def test_wrong_method_gets_the_405_page_and_says_what_is_allowed(client):
    response = client.put("/sign-in")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "nhsuk-header" in response.get_data(as_text=True)


def test_control_characters_are_stripped_before_any_form_sees_them(client):
    """NUL in a name would be refused by PostgreSQL: it is dropped, the rest is kept."""
    from tests.conftest import csrf_from

    page = client.get("/register?q=a%00b")
    response = client.post(
        "/register",
        data={
            "full_name": "Sam\x00 Carer\x07",
            "email": "nul@example.org",
            "password": "a long enough\x00 password",
            "confirm_password": "a long enough password",
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "nul@example.org"))
    assert user.full_name == "Sam Carer"
    assert client.get("/roles?type=employed%00").status_code == 200


@pytest.mark.parametrize("path", ["/roles/0", "/roles/2147483648", "/roles/99999999999999999999"])
def test_ids_no_row_can_have_are_404_before_the_database_is_asked(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert client.get("/api/v1" + path).status_code == 404
