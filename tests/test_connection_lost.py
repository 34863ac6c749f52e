"""The database connection ended mid-request (pg_terminate_backend from a second connection):
a read is tried once more on a fresh connection; an interrupted write says what to check; never
the bare 500 page."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from lep import create_app
from lep.accounts.models import User
from lep.extensions import db

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DATABASE_URL): a backend ended by pg_terminate_backend",
)


@dataclass
class Terminator:
    """Ends this app's database connection, from a second connection, just before a statement
    matching `pattern` runs: as a failover or a DBA would, in the middle of the request."""

    admin_dsn: str
    pattern: str = ""
    times: int = 1
    ended: list[int] = field(default_factory=list)

    def before_cursor_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not self.pattern or len(self.ended) >= self.times:
            return
        if not re.search(self.pattern, statement):
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(self.admin_dsn, autocommit=True) as other:
            # With a timeout, pg_terminate_backend waits until the backend has gone.
            other.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        self.ended.append(pid)


@pytest.fixture
def live(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, Terminator]]:
    """An app with its own engine and a real session (not the test's rolled-back transaction)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    live = create_app("test", SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False)
    monkeypatch.setattr(db, "session", db._make_scoped_session({}))
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    terminator = Terminator(dsn)
    with live.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", terminator.before_cursor_execute)
    try:
        yield live, terminator
    finally:
        event.remove(engine, "before_cursor_execute", terminator.before_cursor_execute)
        db.session.remove()
        engine.dispose()
        create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://")  # the limiter back on the suite


def test_a_read_whose_connection_ends_is_tried_again_on_a_fresh_one(
    live: tuple[Flask, Terminator], caplog: pytest.LogCaptureFixture
) -> None:
    app, terminator = live
    terminator.pattern = r"FROM role\b"

    with caplog.at_level(logging.WARNING, logger="lep.dbfaults"):
        response = app.test_client().get("/roles")

    assert len(terminator.ended) == 1, "the connection was not ended mid-request"
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Sorry, there is a problem" not in html
    assert "<h1" in html
    assert "database connection lost during GET /roles: trying it once more" in caplog.text


def test_a_read_that_cannot_reach_the_database_twice_says_try_again_not_500(
    live: tuple[Flask, Terminator],
) -> None:
    app, terminator = live
    terminator.pattern, terminator.times = r"FROM role\b", 2

    response = app.test_client().get("/roles")

    assert len(terminator.ended) == 2
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Sorry, we could not reach our database" in html
    assert "Try again in a moment" in html
    assert response.headers["Retry-After"] == "5"


def test_an_interrupted_write_says_the_change_may_have_been_saved(
    live: tuple[Flask, Terminator],
) -> None:
    app, terminator = live
    terminator.pattern = r"^INSERT INTO user_account\b"
    email = "interrupted-register@example.org"
    client = app.test_client()

    response = client.post(
        "/register",
        data={
            "full_name": "Ada Lovelace",
            "email": email,
            "password": "a long enough password",
            "confirm_password": "a long enough password",
        },
        headers={"Referer": "http://localhost/register"},
    )

    assert len(terminator.ended) == 1, "the connection was not ended mid-request"
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Your change may have been saved" in html
    assert "Reload the page you were on" in html
    assert 'href="/register"' in html
    # Never repeated: the write was not tried again behind the person's back.
    assert len(terminator.ended) == 1
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == email)) is None
