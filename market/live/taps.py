"""Order taps per live session, for the post-live report's funnel (taps → reserved → confirmed → delivered).

1. Every order request a buyer sends (``merger.submit``: the "Đặt ngay" button, whatever the answer — ordered,
   sold out, over the limit) counts one tap of its session.
2. Counted in this process's memory under a lock: no database, no Redis on the hot path of an order storm.
3. The tick adds what it counted to the session row every ``LIVE_COUNTERS_MS`` with one
   ``UPDATE … SET order_taps = order_taps + n`` per session: additive, so several processes each add their own.
   A process that dies loses at most its last second of taps (a report figure, not money).
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from market.extensions import db

_lock = threading.Lock()
_pending: dict[int, int] = {}


def count(session_id: int, n: int = 1) -> None:
    with _lock:
        _pending[session_id] = _pending.get(session_id, 0) + n


def flush() -> int:
    """Add the taps counted since the last flush to their sessions (the caller commits); returns how many."""
    from market.live.models import LiveSession

    with _lock:
        pending = dict(_pending)
        _pending.clear()
    for session_id, n in pending.items():
        db.session.execute(
            sa.update(LiveSession)
            .where(LiveSession.id == session_id)
            .values(order_taps=LiveSession.order_taps + n)
            .execution_options(synchronize_session=False)
        )
    return sum(pending.values())


def reset() -> None:
    """Forget what was counted (tests; a fresh process starts empty)."""
    with _lock:
        _pending.clear()
