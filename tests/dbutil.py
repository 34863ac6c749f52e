"""Test databases: one per pytest worker, built from empty by the migrations."""

from __future__ import annotations

import os
import tempfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def database_url(suffix: str = "") -> str:
    """The URL for this test run: DATABASE_URL (PostgreSQL) or a fresh SQLite file."""
    url = os.environ.get("DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="lep-test-")
        return f"sqlite:///{folder}/lep{suffix}{worker}.sqlite3"
    parsed = make_url(url)
    name = f"{parsed.database}{suffix}{('_' + worker) if worker else ''}"
    ensure_pg_database(parsed.set(database="postgres"), name)
    return parsed.set(database=name).render_as_string(hide_password=False)


def ensure_pg_database(admin_url, name: str) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def reset_schema(engine) -> None:  # type: ignore[no-untyped-def]
    """Empty the database completely, so the migrations run from nothing."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("DROP FUNCTION IF EXISTS audit_event_append_only() CASCADE"))
