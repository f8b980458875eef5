"""Migrations keep people's data: a seeded database goes down past the later migrations and back up without
losing a row in the tables that exist throughout.

On SQLite a batch migration rebuilds a table (copy, DROP, rename); with foreign keys on, that DROP deleted the
rows pointing at the table (ON DELETE CASCADE: product photos) or was refused (order lines), so env.py turns
foreign keys off for the run and checks them at the end.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import TEST_DB_URL
from tests.servers import ServerDB

# Down to the live sessions' migration: every migration after it (brands, co-op lots and weights, OCOP
# verification and the chat word filter …) runs down and up again over the demo's data.
TARGET = "27c3a8d79630"


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            return {
                t: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()
                for t in tables
                if t != "alembic_version"
            }
    finally:
        engine.dispose()


def _head(db: ServerDB) -> str:
    return db.flask("db", "current").split()[0]


@pytest.fixture
def seeded(tmp_path, request):
    """The demo on SQLite in the SQLite run, on PostgreSQL in the PostgreSQL run."""
    if TEST_DB_URL and TEST_DB_URL.startswith("postgresql"):
        return ServerDB.create(tmp_path, postgres_url=request.getfixturevalue("postgres_url"), suffix="migrations")
    return ServerDB.create(tmp_path, suffix="migrations")


def _sql(url: str, statement: str, **params):
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _stream_url_nullable(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return next(c for c in sa.inspect(conn).get_columns("live_sessions") if c["name"] == "stream_url")[
                "nullable"
            ]
    finally:
        engine.dispose()


def test_down_and_up_again_loses_no_row(seeded):
    db = seeded
    head = _head(db)
    # a session streamed only here (no outside link, 20261208_0900): downgraded with an empty link, back to NULL
    [(linkless,)] = _sql(db.url, "SELECT MIN(id) FROM live_sessions")
    _sql(db.url, "UPDATE live_sessions SET stream_url = NULL WHERE id = :id", id=linkless)
    before = _counts(db.url)
    assert before["product_photos"] > 0 and before["order_items"] > 0

    db.flask("db", "downgrade", TARGET)
    assert _head(db) == TARGET
    down = _counts(db.url)
    kept = {t: n for t, n in before.items() if t in down}
    assert down == kept, {t: (kept[t], down[t]) for t in down if down[t] != kept.get(t)}
    assert not _stream_url_nullable(db.url)
    assert _sql(db.url, "SELECT stream_url FROM live_sessions WHERE id = :id", id=linkless) == [("",)]

    db.flask("db", "upgrade")
    assert _head(db) == head
    up = _counts(db.url)
    assert {t: up[t] for t in down} == down
    assert _stream_url_nullable(db.url)
    assert _sql(db.url, "SELECT stream_url FROM live_sessions WHERE id = :id", id=linkless) == [(None,)]
    assert _sql(db.url, "SELECT COUNT(*) FROM live_sessions WHERE stream_url LIKE 'https://%'")[0][0] > 0


def test_the_migrations_make_exactly_what_the_models_declare(seeded):
    """Every model change ships its migration: after ``upgrade`` Alembic's autogenerate finds nothing to add,
    drop or alter (``flask db check``), on SQLite and on PostgreSQL."""
    out = seeded.flask("db", "check")
    assert "No new upgrade operations detected" in out, out
