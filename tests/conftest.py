"""Shared fixtures: an app on a migrated database, one rolled-back transaction per test."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session, sessionmaker

from lep import create_app
from lep.accounts.auth import hash_password
from lep.accounts.models import User
from lep.db import utcnow
from lep.extensions import db, limiter
from tests.dbutil import database_url, reset_schema

PASSWORD = "correct horse battery"


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
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    def do(user: User, password: str = PASSWORD) -> FlaskClient:
        response = sign_in(client, user.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do
