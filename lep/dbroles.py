"""The app's database role on PostgreSQL: it does not own the tables and holds only what it needs.

The owner (MIGRATION_DATABASE_URL) runs the migrations and `flask lep grant-app-role`; the app
(DATABASE_URL) connects as another role. Not owning the tables, the app's role cannot
`ALTER TABLE ... DISABLE TRIGGER` (nor drop the audit log's append-only triggers), and not being
a superuser it cannot `SET session_replication_role = replica`; it is granted no UPDATE, DELETE or
TRUNCATE on the audit log, so even a hijacked app cannot rewrite what was recorded.

Run the grant after every `flask db upgrade` (make run and the Docker image do): it sets each
table's grants afresh, so a table added by a migration is covered and nothing else is left over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

# Tables whose grants differ from the rest.
GRANTS: dict[str, tuple[str, ...]] = {
    "audit_event": ("SELECT", "INSERT"),  # append-only: never UPDATE, DELETE or TRUNCATE
    "audit_chain_head": ("SELECT", "UPDATE"),  # the chain's one row, moved by each writer
    "alembic_version": ("SELECT",),  # which migrations ran: read, never written, by the app
}
EVERY_OTHER_TABLE = ("SELECT", "INSERT", "UPDATE", "DELETE")


class DatabaseRoleError(Exception):
    """The roles cannot be set up as asked: the message says why and what to do."""


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"  # standard_conforming_strings is on by default


def grant_app_role(
    config: Mapping[str, Any], role: str | None = None, *, create: bool = False
) -> list[str]:
    """Connect as the owner and give `role` (default: DATABASE_URL's user) the app's grants.
    Returns what was done, line by line."""
    app_url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if app_url.get_backend_name() != "postgresql":
        return [f"{app_url.get_backend_name()} has no database roles: nothing to grant."]
    owner_url = config.get("MIGRATION_DATABASE_URI")
    if not owner_url:
        raise DatabaseRoleError(
            "Set MIGRATION_DATABASE_URL to the URL of the role that owns the tables (it runs "
            "the migrations) and DATABASE_URL to a role that does not: a role that owns the "
            "tables can set the audit log's triggers aside and rewrite it."
        )
    role = role or app_url.username
    if not role:
        raise DatabaseRoleError("DATABASE_URL names no user: name the app's role")
    engine = create_engine(owner_url)
    try:
        with engine.begin() as conn:
            return _grant(
                conn, role, app_url.password if role == app_url.username else None, create
            )
    finally:
        engine.dispose()


def _grant(conn: Connection, role: str, password: str | None, create: bool) -> list[str]:
    done: list[str] = []
    owner = conn.scalar(text("SELECT current_user"))
    if role == owner:
        raise DatabaseRoleError(
            f"DATABASE_URL and MIGRATION_DATABASE_URL both connect as {role}: the app must "
            "connect as a role that does not own the tables"
        )
    found = conn.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    quoted = _quote(conn, role)
    if found is None:
        if not create:
            raise DatabaseRoleError(
                f"There is no database role {role}: create it (CREATE ROLE {quoted} LOGIN "
                "PASSWORD '...'), or pass --create"
            )
        conn.execute(
            text(
                f"CREATE ROLE {quoted} LOGIN"
                + (f" PASSWORD {_literal(password)}" if password else "")
            )
        )
        done.append(f"Created the login role {role}.")
    elif found.rolsuper:
        raise DatabaseRoleError(f"{role} is a superuser: no grant can hold it back")
    if conn.scalar(text("SELECT pg_has_role(:role, current_user, 'MEMBER')"), {"role": role}):
        raise DatabaseRoleError(f"{role} is a member of {owner}, so it can act as the owner")

    schema = conn.scalar(text("SELECT current_schema()"))
    tables = list(
        conn.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
                "AND tableowner = current_user ORDER BY tablename"
            ),
            {"schema": schema},
        )
    )
    if "audit_event" not in tables:
        raise DatabaseRoleError(
            f"{owner} owns no audit_event table in {schema}: run `flask db upgrade` first, as "
            "the owner (MIGRATION_DATABASE_URL)"
        )
    in_schema = _quote(conn, schema)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {in_schema} TO {quoted}"))
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {in_schema} FROM {quoted}"))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {in_schema} FROM {quoted}"))
    for table in tables:
        privileges = GRANTS.get(table, EVERY_OTHER_TABLE)
        conn.execute(text(f"GRANT {', '.join(privileges)} ON {_quote(conn, table)} TO {quoted}"))
    conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {in_schema} TO {quoted}"))
    special = ", ".join(f"{t} ({' '.join(GRANTS[t])})" for t in sorted(GRANTS) if t in tables)
    done.append(
        f"{role} may SELECT, INSERT, UPDATE and DELETE on {len(tables) - len(GRANTS)} tables, "
        f"only {special}, and use the sequences; {owner} owns them all."
    )
    return done
