"""Reads that arrive together, made as one: the join storm's version of order merging.

A crowd opening a live page at once sends a thousand socket connections in a few seconds, and each needs its
user's login checked (auth version, ban, language, staff flags). One query per socket costs the database a
pool checkout (with its ping), BEGIN, the query and COMMIT — four round trips — and the process a few hundred
microseconds of driver and ORM work each. Here the first caller starts a short background task that waits
``LIVE_GATHER_MS`` for the others, reads every key they asked for in ONE query, and hands each caller its own
row. A caller alone waits one window (2 ms by default); ``LIVE_GATHER_MS=0`` reads at once (no gathering).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterable

from flask import current_app

from market.extensions import db, socketio

log = logging.getLogger(__name__)

MOST_PER_READ = 1000


class _Waiter:
    __slots__ = ("key", "done", "value", "failed")

    def __init__(self, key: Hashable):
        self.key, self.done, self.value, self.failed = key, socketio.server.eio.create_event(), None, None


class Gather:
    """``get(key)`` → ``fetch(keys)[key]`` (None when absent), with the keys of concurrent callers read
    together. ``fetch`` runs in its own app context and database session (released at once)."""

    def __init__(self, fetch: Callable[[list], dict], name: str):
        self.fetch, self.name = fetch, name
        self._lock = threading.Lock()
        self._waiting: list[_Waiter] = []
        self._running = False

    def get(self, key: Hashable, timeout: float = 20.0):
        app = current_app._get_current_object()
        window = app.config.get("LIVE_GATHER_MS", 2) / 1000
        if window <= 0 or socketio.server is None:
            return self.fetch([key]).get(key)
        waiter = _Waiter(key)
        with self._lock:
            self._waiting.append(waiter)
            start, self._running = not self._running, True
        if start:
            socketio.start_background_task(self._run, app, window)
        if not waiter.done.wait(timeout):
            raise TimeoutError(f"{self.name}: no answer in {timeout} s")
        if waiter.failed is not None:
            raise waiter.failed
        return waiter.value

    def _run(self, app, window: float) -> None:
        socketio.sleep(window)
        while True:
            with self._lock:
                batch, self._waiting = self._waiting[:MOST_PER_READ], self._waiting[MOST_PER_READ:]
                if not batch:
                    self._running = False
                    return
            values, failed = {}, None
            with app.app_context():
                try:
                    values = self.fetch(list(_unique(w.key for w in batch)))
                    db.session.commit()
                except Exception as exc:  # every caller hears of it (the database is away: "unavailable")
                    db.session.rollback()
                    failed = exc
                finally:
                    db.session.remove()
            for waiter in batch:
                waiter.value, waiter.failed = values.get(waiter.key), failed
                waiter.done.set()


def _unique(keys: Iterable[Hashable]) -> dict:
    return dict.fromkeys(keys)
