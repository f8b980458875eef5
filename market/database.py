"""Database helpers shared by every area: UTC timestamps and SQLite connection settings."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.types import TypeDecorator

from market.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on both SQLite (which stores naive text) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TimestampMixin:
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)


def is_sqlite(engine_or_session=None) -> bool:
    bind = engine_or_session or db.engine
    if hasattr(bind, "get_bind"):
        bind = bind.get_bind()
    return bind.dialect.name == "sqlite"


def configure_sqlite(engine) -> None:
    """Make pysqlite honour transactions and savepoints, and wait for locks instead of failing at once.

    pysqlite's own transaction handling emits BEGIN lazily and breaks SAVEPOINT; SQLAlchemy documents this
    recipe. WAL lets readers go on while one writer writes.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN")
