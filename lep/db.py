"""Declarative base, the UTC datetime column type and small column helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import DateTime, MetaData, event, func
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime everywhere; SQLite stores it naive, PostgreSQL as timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), server_default=func.now())


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # Only SQLite: turn on foreign keys and let SQLAlchemy own transactions, so SAVEPOINT works
    # (the pysqlite recipe in SQLAlchemy's documentation).
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE: a transaction takes SQLite's write lock when it begins, so two requests at once
    # wait for each other (up to busy_timeout) instead of both reading and then deadlocking when
    # both write ("database is locked" at once: two audited downloads of one recording did it).
    # SQLite is for development and the demo; PostgreSQL serves real traffic.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK constraint's text: `column IN ('a', 'b')`, for a column that holds one of a fixed
    set of codes (statuses, kinds). The values are the code's own constants, never input."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class KnownPage(Pagination):
    """A page whose items and total the caller has already read (in queries of its own shape):
    Flask-SQLAlchemy's pagination for the pager, with no queries of its own."""

    def _query_items(self) -> list[Any]:
        return list(self._query_args["items"])

    def _query_count(self) -> int:
        return int(self._query_args["total"])
