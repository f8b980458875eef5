"""Python's cycle collector set for a process that holds thousands of sockets (what a serving process runs).

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
"""

from __future__ import annotations

import atexit
import gc

THRESHOLDS = (50_000, 20, 10)


def tune_for_serving() -> None:
    """Call once, after ``create_app`` and before the first request."""
    gc.collect()  # what start-up left unreachable goes now, not into the permanent generation
    gc.freeze()
    # At exit the frozen objects are finalised as before: SQLite's last connection closing is what folds its
    # write-ahead log into the database file (a copied file lacked the migrations' tables without this).
    atexit.register(gc.unfreeze)
    gc.set_threshold(*THRESHOLDS)
