"""The migrations: one head, and the migrated schema is exactly what the models describe.

The session's `app` fixture already built the test database by upgrading from empty to head
(tests/conftest.py), on SQLite or on PostgreSQL when DATABASE_URL points there.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from lep.extensions import db


def script_directory() -> ScriptDirectory:
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def test_there_is_one_head():
    assert len(script_directory().get_heads()) == 1


def test_database_is_at_head():
    # The test's own connection: on SQLite another one would wait for its write lock.
    connection = db.session.connection()
    current = MigrationContext.configure(connection).get_current_heads()
    assert set(current) == set(script_directory().get_heads())


def test_models_match_the_migrated_schema():
    context = MigrationContext.configure(
        db.session.connection(), opts={"compare_type": True, "render_as_batch": True}
    )
    diff = compare_metadata(context, db.metadata)
    assert diff == []
