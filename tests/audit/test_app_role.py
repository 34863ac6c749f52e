"""The app runs as a PostgreSQL role that does not own the tables (lep/dbroles.py).

A database of its own (suffix "_approle") is migrated by its owner, then `flask lep grant-app-role
--create` makes the app's login role and gives it its grants. As that role the audit log cannot be
rewritten by any route around the triggers, the app still serves pages and records events, and
two writers at once keep one unbroken chain.

PostgreSQL only: SQLite has no roles.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from lep import audit, create_app
from lep.accounts.services import create_admin
from lep.audit.chain import verify
from lep.audit.models import AuditEvent
from lep.dbroles import DatabaseRoleError, grant_app_role
from lep.extensions import db
from tests.conftest import FreshContextClient, sign_in
from tests.dbutil import database_url, reset_schema

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DATABASE_URL): SQLite has no database roles",
)

PASSWORD = "a long quiet passphrase of the operator"


@pytest.fixture(autouse=True)
def db_session() -> Iterator[None]:
    """Replaces tests/conftest.py's rolled-back transaction: the roles need committed tables."""
    yield


@pytest.fixture(scope="module")
def urls() -> Iterator[tuple[str, str]]:
    """(the owner's URL, the app role's URL) of a database migrated by its owner."""
    owner_url = database_url(suffix="_approle")
    parsed = make_url(owner_url)
    role = f"{parsed.database}_app"
    owner = create_app("test", SQLALCHEMY_DATABASE_URI=owner_url)
    with owner.app_context():
        engine = db.engine
        with engine.begin() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
        reset_schema(engine)
        upgrade()
        db.session.remove()
    app_url = parsed.set(username=role, password=None).render_as_string(hide_password=False)
    result = owner.test_cli_runner().invoke(args=["lep", "grant-app-role", "--create"])
    assert result.exit_code != 0  # this app's own settings name no owner: refused, not guessed
    assert "Set MIGRATION_DATABASE_URL" in result.output
    done = grant_app_role(
        {"SQLALCHEMY_DATABASE_URI": app_url, "MIGRATION_DATABASE_URI": owner_url}, create=True
    )
    assert done[0] == f"Created the login role {role}."
    yield owner_url, app_url
    with owner.app_context():
        reset_schema(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        db.engine.dispose()


@pytest.fixture
def app_role_app(urls) -> Iterator[Flask]:
    app = create_app("test", SQLALCHEMY_DATABASE_URI=urls[1], SERVER_NAME_FOR_EMAIL="http://x")
    app.test_client_class = FreshContextClient
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(
    "statement, refusal",
    [
        ("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete", "must be owner"),
        ("ALTER TABLE audit_event DISABLE TRIGGER USER", "must be owner"),
        ("DROP TRIGGER audit_event_no_update_delete ON audit_event", "must be owner"),
        ("SET session_replication_role = replica", "permission denied"),
        ("UPDATE audit_event SET action = 'tampered'", "permission denied"),
        ("DELETE FROM audit_event", "permission denied"),
        ("TRUNCATE audit_event", "permission denied"),
        ("DELETE FROM audit_chain_head", "permission denied"),
        ("UPDATE alembic_version SET version_num = 'x'", "permission denied"),
    ],
)
def test_the_app_role_cannot_rewrite_the_audit_log(urls, statement, refusal):
    engine = create_engine(urls[1])
    try:
        with engine.connect() as conn, pytest.raises(ProgrammingError, match=refusal):
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_the_app_works_as_that_role_and_its_events_are_chained(app_role_app):
    with app_role_app.app_context():
        admin = create_admin("Ada Admin", "ada@example.org", PASSWORD)
        admin_email = admin.email
        db.session.remove()
    client = app_role_app.test_client()

    assert client.get("/sign-in").status_code == 200
    assert sign_in(client, admin_email, "not the password").status_code == 200
    with app_role_app.app_context():  # an admin's second step: the helper sets up their app
        assert sign_in(client, admin_email, PASSWORD).status_code == 302
        db.session.remove()
    page = client.get("/admin/audit/?action=user.")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "user.signed_in" in html and "user.sign_in_failed" in html
    assert client.get("/account").status_code == 200

    result = app_role_app.test_cli_runner().invoke(args=["lep", "verify-audit"])
    assert result.exit_code == 0, result.output
    assert "the chain is intact" in result.output


def test_two_writers_at_once_keep_one_chain(urls):
    """Two apps (two connections) commit events at the same moment, singly and in batches."""
    apps = [create_app("test", SQLALCHEMY_DATABASE_URI=urls[1]) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    rounds, batch = 15, 40

    def write(app: Flask, name: str) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                for n in range(rounds):
                    audit.record("race.single", name, n, actor_label=name)
                    audit.record_many(
                        [audit.Event("race.batch", name, f"{n}-{i}") for i in range(batch)],
                        actor_label=name,
                    )
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported below, with the thread's name
            errors.append(exc)

    with apps[0].app_context():
        before = db.session.scalar(select(func.count(AuditEvent.id))) or 0
        db.session.remove()
    threads = [threading.Thread(target=write, args=(a, f"writer{i}")) for i, a in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []

    with apps[0].app_context():
        written = db.session.scalar(select(func.count(AuditEvent.id))) or 0
        verdict = verify(db.session())
        db.session.remove()
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    assert written - before == 2 * rounds * (batch + 1)
    assert verdict.intact, verdict.problem


def test_grant_refuses_an_app_role_that_owns_the_tables(urls):
    with pytest.raises(DatabaseRoleError, match="does not own the tables"):
        grant_app_role({"SQLALCHEMY_DATABASE_URI": urls[0], "MIGRATION_DATABASE_URI": urls[0]})
