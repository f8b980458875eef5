"""Background tasks of every server process: the hub's tick (coalesced room updates), the hold sweep and the
flash-deal sweep (offers whose countdown ran out close themselves).

Started once per process, lazily (first request or socket), with ``socketio.start_background_task`` so they
are greenlets under gevent and threads in the threading mode. Several processes run them at once safely: the
tick only reads shared state and tells its own sockets, and expiring a hold is a conditional UPDATE on the
order's status that only one process can win, and so is closing a flash deal. Off by default under tests
(``LIVE_BACKGROUND_TASKS``), which call ``tick(app)``, ``sweep_holds()`` and ``sweep_flash_offers()``
themselves.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from market.extensions import db, socketio
from market.live import tick as room_tick
from market.live.hub import hub

log = logging.getLogger(__name__)
_lock = threading.Lock()
_started = False
TICK_BACKOFF = 3


def init_app(app: Flask) -> None:
    hub.configure(app)

    @app.before_request
    def _start_live_tasks() -> None:
        ensure_started(app)


def enabled(app: Flask) -> bool:
    return bool(app.config.get("LIVE_BACKGROUND_TASKS", not app.testing))


def ensure_started(app: Flask) -> None:
    global _started
    if _started or not enabled(app):
        return
    with _lock:
        if _started:
            return
        _started = True
    socketio.start_background_task(_tick_loop, app)
    socketio.start_background_task(_hold_loop, app)
    socketio.start_background_task(_flash_loop, app)


def tick(app: Flask, counters: bool = True) -> None:
    with app.app_context():
        try:
            room_tick.flush(hub, counters=counters)
        except (DBAPIError, PoolTimeout) as exc:
            db.session.rollback()
            log.warning("live tick: database unavailable (%s)", exc.__class__.__name__)
        finally:
            db.session.remove()


def _tick_loop(app: Flask) -> None:
    interval = app.config["LIVE_COALESCE_MS"] / 1000
    counters_every = max(interval, app.config["LIVE_COUNTERS_MS"] / 1000)
    last_counters = 0.0
    while True:
        started = time.monotonic()
        counters = started - last_counters >= counters_every - interval / 2
        if counters:
            last_counters = started
        try:
            tick(app, counters=counters)
        except Exception:
            log.exception("live tick failed")
        took = time.monotonic() - started
        # A tick that took long (a thousand sockets to tell, in a process busy with an order storm) waits
        # three times as long before the next: the room's updates then take at most a quarter of the process,
        # and the orders' acks are not kept waiting behind stock messages. Never longer than a second.
        socketio.sleep(max(0.005, interval - took, min(TICK_BACKOFF * took, 1.0)))


def sweep_holds(app: Flask) -> int:
    """Expire unpaid live (and other) orders whose hold ran out, and decline weighings left unanswered past
    their deadline (their units go back to the offer or the shelf); remind buyers at half a live hold."""
    from market.orders.service import expire_holds, run_hold_tasks
    from market.orders.weights import expire_unanswered

    total = 0
    with app.app_context():
        try:
            while True:
                n = expire_holds() + expire_unanswered()
                db.session.commit()
                total += n
                if n == 0:
                    break
            run_hold_tasks()  # reminders at half the hold (live/holds.py)
            db.session.commit()
        except (DBAPIError, PoolTimeout) as exc:
            db.session.rollback()
            log.warning("hold sweep: database unavailable (%s)", exc.__class__.__name__)
        finally:
            db.session.remove()
    return total


def _hold_loop(app: Flask) -> None:
    every = app.config["LIVE_HOLD_SWEEP_SECONDS"]
    # processes drift apart instead of sweeping together
    _sweep_loop(app, lambda: every * (0.5 + random.random()), sweep_holds, "hold sweep: %d order(s) expired")


def _sweep_loop(app: Flask, wait: Callable[[], float], sweep: Callable[[Flask], int], done: str) -> None:
    """Call ``sweep(app)`` after each ``wait()`` seconds, forever; log what it did and, once, each failure."""
    while True:
        socketio.sleep(wait())
        try:
            n = sweep(app)
            if n:
                log.info(done, n)
        except Exception:
            log.exception("%s failed", done.split(":")[0])


def sweep_flash_offers(app: Flask) -> int:
    """Close every flash deal whose countdown ran out (``offers.close_due_offers``); one commit."""
    from market.live.offers import close_due_offers

    with app.app_context():
        try:
            n = close_due_offers()
            db.session.commit()
            return n
        except (DBAPIError, PoolTimeout) as exc:
            db.session.rollback()
            log.warning("flash sweep: database unavailable (%s)", exc.__class__.__name__)
            return 0
        finally:
            db.session.remove()


def _flash_loop(app: Flask) -> None:
    every = app.config["LIVE_FLASH_SWEEP_MS"] / 1000
    _sweep_loop(app, lambda: every, sweep_flash_offers, "flash sweep: %d offer(s) closed")
