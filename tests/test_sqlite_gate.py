"""SQLite under gevent (`make run`): a greenlet that waits for another's transaction yields instead of freezing the
process (market.database.SQLiteGate).

It runs in a child process that gevent has monkey-patched, like `python wsgi.py`: one greenlet holds a transaction
across a pause (as a request waiting on a network call would), a second wants a transaction meanwhile, and a
third ticks every 10 ms. SQLite's own wait for its lock sleeps in C, which froze all three for the full busy
timeout and failed the second; with the gate the ticks go on, the holder commits after its pause and the second
follows at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
from gevent import monkey
monkey.patch_all()

import json, sys, time
import gevent
import sqlalchemy as sa
from market.database import configure_sqlite

engine = sa.create_engine(f"sqlite:///{sys.argv[1]}", poolclass=sa.pool.QueuePool)
configure_sqlite(engine)
with engine.begin() as conn:
    conn.exec_driver_sql("CREATE TABLE t (who TEXT, at REAL)")

start = time.monotonic()
ticks, done, errors = [], {}, []

def holder():
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES ('holder', 0)")
        gevent.sleep(0.5)  # a network call made with the transaction open
    done["holder"] = time.monotonic() - start

def waiter():
    gevent.sleep(0.05)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES ('waiter', 0)")
        done["waiter"] = time.monotonic() - start
    except Exception as exc:
        errors.append(repr(exc))

def ticker():
    while time.monotonic() - start < 1.0:
        ticks.append(time.monotonic() - start)
        gevent.sleep(0.01)

gevent.joinall([gevent.spawn(holder), gevent.spawn(waiter), gevent.spawn(ticker)])
with engine.connect() as conn:
    rows = [r[0] for r in conn.exec_driver_sql("SELECT who FROM t ORDER BY rowid")]
gaps = [b - a for a, b in zip(ticks, ticks[1:])]
print(json.dumps({"done": done, "errors": errors, "rows": rows, "ticks": len(ticks), "max_gap": max(gaps),
                  "elapsed": time.monotonic() - start}))
"""


def test_a_greenlet_waiting_for_the_sqlite_lock_lets_the_others_run(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "gate.sqlite3")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["errors"] == []
    assert out["rows"] == ["holder", "waiter"]
    assert out["done"]["holder"] < out["done"]["waiter"] < out["done"]["holder"] + 0.3
    assert out["max_gap"] < 0.25, out  # nothing froze the process (it was the whole 10 s busy timeout)
    assert out["elapsed"] < 3, out


def test_a_transaction_ended_by_invalidation_close_or_error_lets_the_next_one_in(tmp_path, recwarn):
    """However a transaction ends — commit, rollback, an error, the connection invalidated or dropped — the gate is
    let go: a leak would make the next transaction wait 10 s and fail with "database is locked"."""
    import sqlalchemy as sa

    from market.database import configure_sqlite

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ends.sqlite3'}")
    configure_sqlite(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    conn = engine.connect()
    conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    conn.invalidate()
    conn.close()
    conn = engine.connect()
    conn.exec_driver_sql("INSERT INTO t VALUES (2)")
    conn.close()
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO nowhere VALUES (3)")
    except sa.exc.OperationalError:
        pass
    conn = engine.connect()
    conn.exec_driver_sql("INSERT INTO t VALUES (4)")
    del conn  # garbage-collected mid-transaction: the pool resets it
    import gc

    gc.collect()
    started = time.monotonic()
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM t").scalar_one() == 0  # none of those committed
    assert time.monotonic() - started < 1
    assert not [w for w in recwarn if "signature" in str(w.message)]  # the pool listeners use 2.0's signatures
    engine.dispose()
