"""Python's cycle collector (and gevent's greenlet bookkeeping) set for a process that holds thousands of
sockets (what a serving process runs).

Measured (docs/performance.md, "The cycle collector"): with the interpreter's defaults, 5 000 viewers joining
one process set off ten full collections in 8 s — the heap grows by a quarter again and again — which took
2.4 s of the join's CPU, and a full collection in the middle of an order storm held every ack for 0.58 s.
Two changes, both standard CPython API:

- ``gc.freeze()`` once the app is built: the modules, the app and its configuration (everything alive then,
  and alive for the life of the process) move to a permanent generation no collection walks again;
- a youngest generation of 50 000 objects instead of 700 and 20 young collections per middle one (10 middle
  ones per full collection, as before): a crowd's joins, messages and orders are collected in fewer, larger
  passes, and a full pass comes after millions of allocations rather than after each quarter of growth.

Cycles are still collected: a crowd leaves some behind (sockets, greenlets and their frames), ~650 000
objects in a 5 000-viewer run, so the collector stays on.

gevent's ``track_greenlet_tree`` is turned off: with it, every greenlet spawned (one per connection, one per
received event under Engine.IO's ``async_handlers``) captured ten frames of the stack that spawned it and kept
a reference to its parent. Measured here: 4.2 µs and 14 tracked objects per ``Greenlet()`` with it, 1.8 µs
and 4 without. Nothing in the project reads ``spawning_stack`` or ``spawn_tree_locals``.

A burst of orders holds the collector back (``burst``): a young collection that falls inside an order storm
walks every request still queued or being settled (5 000 of them, ~300 000 objects: 144 ms with every ack
waiting), while the same collection a moment later finds them freed by their reference counts and walks
nothing of theirs. So while live orders are queued the automatic collector waits, for at most
``BURST_MOST_S``; then it runs as before, at the first allocation after the burst.
"""

from __future__ import annotations

import atexit
import gc
import threading
import time

THRESHOLDS = (50_000, 20, 10)
BURST_MOST_S = 2.0  # however long orders keep coming, the collector runs again after this


def tune_for_serving() -> None:
    """Call once, after ``create_app`` and before the first request."""
    gc.collect()  # what start-up left unreachable goes now, not into the permanent generation
    gc.freeze()
    # At exit the frozen objects are finalised as before: SQLite's last connection closing is what folds its
    # write-ahead log into the database file (a copied file lacked the migrations' tables without this).
    atexit.register(gc.unfreeze)
    gc.set_threshold(*THRESHOLDS)
    import gevent

    gevent.config.track_greenlet_tree = False


class Burst:
    """The automatic collector held back while work that allocates many short-lived objects is in flight.

    Nested and shared: every live offer with orders queued holds it, and it runs again when the last lets go,
    or once ``BURST_MOST_S`` have passed since it stopped (``due``, checked between batches), whichever comes
    first. A collector someone else turned off stays off.
    """

    def __init__(self, most_s: float = BURST_MOST_S):
        self.most_s = most_s
        self._lock = threading.Lock()
        self._holders = 0
        self._since: float | None = None  # when this held the collector back; None while it does not

    def hold(self) -> None:
        with self._lock:
            self._holders += 1
            if self._holders == 1 and gc.isenabled():
                gc.disable()
                self._since = time.monotonic()

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                self._resume()

    def due(self) -> None:
        """Between two pieces of the burst's work: past ``most_s``, the collector runs again until it ends."""
        with self._lock:
            if self._since is not None and time.monotonic() - self._since > self.most_s:
                self._resume()

    def _resume(self) -> None:
        if self._since is not None:
            self._since = None
            gc.enable()


burst = Burst()
