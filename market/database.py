"""Database helpers shared by every area: UTC timestamps, SQLite connection settings, side effects after commit,
and running a transaction again when PostgreSQL aborted it for a deadlock or a serialization failure."""

from __future__ import annotations

import enum
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column
from sqlalchemy.types import TypeDecorator

from market.extensions import db

log = logging.getLogger(__name__)
T = TypeVar("T")
E = TypeVar("E", bound=enum.StrEnum)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both SQLite (which stores naive text) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StrEnumType(TypeDecorator[E]):
    """A column of one ``StrEnum``'s values, stored as the plain strings (``VARCHAR(length)``, no database enum):
    it loads enum members, so the model's annotation can say ``Mapped[OrderStatus]``.

    A plain string is accepted wherever a member is (``order.status = "packed"``, ``Order.status == "pending"``,
    ``sa.update(...).values(status=...)``): it is checked against the enum and bound as its value. Anything that
    is not one of the enum's values is refused before it reaches the database (``ValueError``, raised from the
    flush or the statement), so a typo can no longer write a status nobody handles.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[E], length: int) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: E | str | None, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        try:
            return self.enum_class(value).value
        except ValueError:
            known = ", ".join(m.value for m in self.enum_class)
            raise ValueError(f"{value!r} is not a {self.enum_class.__name__} (one of: {known})") from None

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> E | None:
        return None if value is None else self.enum_class(value)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


SQLITE_LOCK_WAIT_S = 10.0  # as long as SQLite's own busy_timeout: a waiter gives up after this, with its error


class SQLiteGate:
    """One transaction at a time in this process, waited for on a lock that yields to other greenlets.

    Every SQLite transaction takes the database's write lock at BEGIN (``configure_sqlite``), and SQLite's own
    wait for it (``busy_timeout``) sleeps in C: under gevent that froze the whole process, so the greenlet holding
    the lock could never run to release it, and each waiter stalled every page and socket for the full 10 s
    before failing ("database is locked"; docs/video.md told of a minute-long stall). Queueing here first, on a
    ``threading.Lock`` (gevent's own once monkey-patched), the waiter yields and the holder finishes. Other
    processes on the same file still meet SQLite's ``busy_timeout``. Transactions were already one at a time
    (BEGIN IMMEDIATE), so this changes how they wait, not what they may do.
    """

    KEY = "sqlite_gate_held"

    def __init__(self, wait_s: float = SQLITE_LOCK_WAIT_S) -> None:
        import threading

        self.lock = threading.Lock()
        self.wait_s = wait_s

    def enter(self, conn: sa.Connection) -> None:
        if not self.lock.acquire(timeout=self.wait_s):
            import sqlite3

            raise sqlite3.OperationalError(f"database is locked (no transaction ended in {self.wait_s:g} s)")
        conn.info[self.KEY] = True

    def leave(self, info: dict[Any, Any]) -> None:
        if info.pop(self.KEY, False):
            self.lock.release()


def configure_sqlite(engine: sa.Engine) -> None:
    """Make pysqlite honour transactions and savepoints, and wait for locks instead of failing at once.

    pysqlite's own transaction handling emits BEGIN lazily and breaks SAVEPOINT; SQLAlchemy documents this
    recipe. Transactions start IMMEDIATE: SQLite is the embedded single-process mode, and taking the write
    lock up front means a transaction that read first can never fail to upgrade to a writer under load
    (SQLITE_BUSY_SNAPSHOT) — it waits its turn instead, on ``SQLiteGate`` within the process. Code must still not
    do network I/O inside a transaction (emit after commit: ``on_commit``): everyone else waits meanwhile.
    """
    if engine.dialect.name != "sqlite":
        return
    gate = SQLiteGate()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_LOCK_WAIT_S * 1000)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        gate.enter(conn)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.leave(conn.info)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn: sa.Connection) -> None:
        if not conn.invalidated:  # an invalidated connection let the gate go in "invalidate" below
            gate.leave(conn.info)

    # A connection given back to the pool, thrown away or closed mid-transaction (an error, a killed greenlet)
    # ends its transaction without the events above.
    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        gate.leave(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        gate.leave(record.info)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection: Any, record: Any) -> None:
        gate.leave(record.info)


def on_commit(callback: Callable[[], object], session: Session | None = None) -> None:
    """Run ``callback()`` once the current transaction commits (never if it, or the savepoint it was
    registered in, rolls back).

    Socket emits, SMS and other side effects go here, so nobody hears of an order that was rolled back.
    """
    session = session or db.session()
    tx = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault("on_commit", []).append((tx, callback))


def install_on_commit() -> None:
    """Make every ORM session run its ``on_commit`` callbacks after the outermost commit and drop those of what
    rolled back (``create_app`` calls it; a listener added twice would run twice)."""
    for name, listener in (("after_commit", _run_on_commit), ("after_soft_rollback", _drop_on_commit)):
        if not event.contains(sa.orm.Session, name, listener):
            event.listen(sa.orm.Session, name, listener)


def _run_on_commit(session: Session) -> None:
    # SQLAlchemy also fires after_commit when a savepoint is released; the outermost transaction is still
    # active then, and the callbacks must wait for it (and be dropped if it rolls back).
    root = session.get_transaction()
    if root is not None and root.is_active:
        return
    callbacks = session.info.pop("on_commit", [])
    for _tx, callback in callbacks:
        try:
            callback()
        except Exception:  # a failed notification must not undo a committed order
            log.exception("after-commit callback failed")


def _drop_on_commit(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get("on_commit")
    if not pending:
        return

    def rolled_back(tx: SessionTransaction | None) -> bool:
        if tx is None:  # registered before the transaction began: goes with the outermost one
            return previous_transaction.parent is None
        while tx is not None:
            if tx is previous_transaction:
                return True
            tx = tx.parent
        return False

    session.info["on_commit"] = [(tx, cb) for tx, cb in pending if not rolled_back(tx)]


def rowcount(result: sa.Result[Any]) -> int:
    """The rows an UPDATE or DELETE run with ``db.session.execute`` matched.

    The session's ``execute`` is typed to return a ``Result``, which has no ``rowcount``; for these statements
    it is a ``CursorResult``, which has."""
    return cast("sa.CursorResult[Any]", result).rowcount


# ---- retrying a transaction that lost a deadlock or a serialization check ------------------------------

CONFLICT_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
RETRY_ATTEMPTS = 4


def _sqlstate(err: BaseException) -> str | None:
    orig = getattr(err, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def is_conflict(err: BaseException) -> bool:
    """PostgreSQL chose this transaction as a deadlock's victim, or could not serialise it: nothing it did
    was kept, and running it again is expected to succeed."""
    return _sqlstate(err) in CONFLICT_SQLSTATES


def retry_on_conflict(
    fn: Callable[..., T],
    *args: Any,
    attempts: int = RETRY_ATTEMPTS,
    before_retry: Callable[[], object] | None = None,
    **kwargs: Any,
) -> T:
    """Run ``fn`` (which commits its own transaction) again, up to ``attempts`` times, when the database
    aborted it for a deadlock or a serialization failure, so nobody sees that error.

    Safe because everything that can be repeated is idempotent: orders by their idempotency key, webhook
    events by their id, and the rolled-back attempt kept nothing (its ``on_commit`` callbacks are dropped).
    Every other error goes through unchanged.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn(*args, **kwargs)
        except DBAPIError as err:
            if attempt == attempts or not is_conflict(err):
                raise
            db.session.rollback()
            from market.metrics import CONFLICT_RETRIES

            CONFLICT_RETRIES.inc()
            log.warning(
                "transaction retried after %s (attempt %d)",
                "a deadlock" if _sqlstate(err) == "40P01" else "a serialization failure",
                attempt,
            )
            if before_retry is not None:
                before_retry()
            time.sleep(random.uniform(0.005, 0.03) * attempt)  # noqa: S311 - jitter, not a secret
    raise AssertionError("unreachable")
