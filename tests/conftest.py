"""Shared fixtures: an app on a migrated database, one rolled-back transaction per test."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from lep import create_app
from lep.accounts import two_factor
from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.db import utcnow
from lep.extensions import db, limiter
from tests.dbutil import database_url, reset_schema

PASSWORD = "correct horse battery"
# The authenticator app secret the sign-in helpers set up for staff (hr, finance, admin).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECOND_STEP_PATHS = ("/sign-in/security-code", "/account/authenticator-app")


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production.

    Tests hold an app context open; without this, Flask would reuse it for every request and
    `g` (the signed-in user, the CSRF token) would leak from one request into the next.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_url(),
        SERVER_NAME_FOR_EMAIL="http://localhost",
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        reset_schema(db.engine)
        upgrade()  # the real migrations, from empty, on SQLite or PostgreSQL
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def db_session(app: Flask) -> Iterator[object]:
    """Every test runs in a transaction that is rolled back: tests never see each other's rows."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        # A plain Session: Flask-SQLAlchemy's own would pick the engine over this connection.
        session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        original = db.session
        db.session = session
        limiter.reset()
        app.extensions.pop("lep_job_queue", None)
        try:
            yield session
        finally:
            session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user() -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        *roles: str,
        email: str | None = None,
        password: str = PASSWORD,
        full_name: str = "Test Person",
        confirmed: bool = True,
        active: bool = True,
    ) -> User:
        n = next(counter)
        user = User(
            email=email or f"{'-'.join(roles) or 'nobody'}{n}@example.org",
            full_name=full_name,
            password_hash=hash_password(password) if password else None,
            email_confirmed_at=utcnow() if confirmed else None,
            active=active,
        )
        user.set_roles(set(roles))
        db.session.add(user)
        db.session.commit()
        return user

    return make


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Sign in as a person would, including the second step for staff who need one.

    Returns the last response: for staff, the one to the security code (a redirect onwards)."""
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )
    return finish_second_step(client, response, email)


def current_code(user: User) -> str:
    """A code the person's app would show now that the server has not used yet.

    The server takes codes from the step before and after too (clock drift); this helper uses
    this step and the next, so a test can sign the same person in twice in one 30-second step;
    past that, the last used step is put back as if the next step had come."""
    cred = two_factor.credential(user)
    assert cred is not None and cred.confirmed_at is not None, "no authenticator app set up"
    totp = pyotp.TOTP(cred.secret)
    now = totp.timecode(utcnow())
    window = range(now - two_factor.VALID_WINDOW, now + two_factor.VALID_WINDOW + 1)
    # Only this step or the next: a code from the step before would be refused if the server's
    # clock crossed into the next step before it checked (a flaky sign-in at a 30 s boundary).
    free = [
        step
        for step in window
        if step >= now and (cred.last_used_step is None or step > cred.last_used_step)
    ]
    if not free:
        cred.last_used_step = now - 1
        db.session.commit()
        free = [now]
    return totp.generate_otp(free[0])


def set_up_app(user: User, secret: str = TOTP_SECRET) -> None:
    """Give the person an authenticator app with a known secret (as if they had scanned it)."""
    if not two_factor.is_enrolled(user):
        two_factor.enrol_with_secret(user, secret)
        db.session.commit()


def finish_second_step(client: FlaskClient, response, email: str):  # type: ignore[no-untyped-def]
    """If the password led to the second step, set up the app if needed and send a code."""
    location = response.headers.get("Location", "") if response.status_code == 302 else ""
    path = location.removeprefix("http://localhost")
    if not path.startswith(SECOND_STEP_PATHS):
        return response
    user = db.session.scalar(db.select(User).where(User.email == email.strip().lower()))
    assert user is not None
    set_up_app(user)
    query = path.partition("?")[2]
    url = "/sign-in/security-code" + (f"?{query}" if query else "")
    page = client.get(url)
    assert page.status_code == 200, page.headers.get("Location")
    return client.post(
        url,
        data={"code": current_code(user), "csrf_token": csrf_from(page.get_data(as_text=True))},
    )


def signed_in_session(client: FlaskClient, user: User) -> None:
    """Make the client's session one where this person has signed in, second step included."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session[two_factor.SESSION_KEY] = [user.id, "passed"]


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    def do(user: User, password: str = PASSWORD) -> FlaskClient:
        response = sign_in(client, user.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do
