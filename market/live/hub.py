"""What each live room will hear, buffered per process until the next tick (``live/tick.py``) sends it.

Whatever the rate of orders, hearts and joins, a room hears of them at most every ``LIVE_COALESCE_MS``: the
services and order batches only mark a room dirty, add hearts, or record sales here (after commit). The hub
also keeps the sockets of each room this process serves, what it last told them (``Sent``), and the room's
join snapshot, built once per change and shared by every joiner. Counters shared with other processes live
in a backend (``live/counters.py``): memory alone, Redis with several processes. Room names and emits are in
``live/rooms.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from market.live.counters import MemoryBackend, RedisBackend, hearts_in_db, make_backend

log = logging.getLogger(__name__)

KEEP_BUFFERED = 1000  # sales and host-feed items kept per room between ticks (a tick sends the last ones)


@dataclass
class Sent:
    """What this process last told its sockets of one room."""

    stock: dict[int, int] = field(default_factory=dict)
    hearts: int | None = None
    viewers: int | None = None
    viewers_at: float = 0.0
    host_stats: tuple | None = None
    peak: int = 0
    hearts_saved: int = 0


@dataclass
class Changes:
    """What one tick takes from the hub's buffers."""

    local: dict[int, int]  # room → this process's sockets in it (rooms just emptied included, once, as 0)
    dirty: set[int]
    dirty_since: dict[int, float]
    hearts: dict[int, int]
    sales: dict[int, list[dict]]
    host_feed: dict[int, list[dict]]


class Hub:
    def __init__(self):
        self.lock = threading.Lock()
        self.backend: MemoryBackend | RedisBackend = MemoryBackend()
        self.shared_ok = True
        self.reset()

    def configure(self, app) -> None:
        self.backend = make_backend(app)

    def reset(self) -> None:
        """Forget everything (tests; a fresh process starts empty)."""
        with self.lock:
            self.rooms: dict[int, set[str]] = {}
            self.hosts: dict[int, set[str]] = {}
            self.dirty: set[int] = set()
            self.dirty_since: dict[int, float] = {}  # room → when its first unsent change happened (metrics)
            self.hearts: dict[int, int] = {}
            self.sales: dict[int, list[dict]] = {}
            self.sales_told: dict[int, int] = {}  # room → the shared sales count this process's sockets heard of
            self.host_feed: dict[int, list[dict]] = {}
            self.sent: dict[int, Sent] = {}
            self.versions: dict[int, bytes] = {}  # room → the stock version last read from Redis
            self.snapshots: dict[int, tuple[float, object]] = {}
            self.generations: dict[int, int] = {}
            self.builders: dict[int, threading.Lock] = {}
            self.ended: set[int] = set()  # rooms of sessions this process knows are over: hearts are refused
            self.last_persist = time.monotonic()
        if isinstance(self.backend, MemoryBackend):
            self.backend.clear()

    # -- sockets ------------------------------------------------------------------------------------
    def enter(self, session_id: int, sid: str, host: bool = False) -> None:
        with self.lock:
            self.rooms.setdefault(session_id, set()).add(sid)
            if host:
                self.hosts.setdefault(session_id, set()).add(sid)

    def leave(self, session_id: int | None, sid: str) -> None:
        if session_id is None:
            return
        with self.lock:
            self.rooms.get(session_id, set()).discard(sid)
            self.hosts.get(session_id, set()).discard(sid)

    def local_viewers(self, session_id: int) -> int:
        return len(self.rooms.get(session_id, ()))

    # -- changes (called after commit) --------------------------------------------------------------
    def mark_dirty(self, session_id: int) -> None:
        with self.lock:
            self._mark_dirty(session_id)

    def invalidate(self, session_id: int) -> None:
        with self.lock:
            self._changed(session_id)

    def add_heart(self, session_id: int, n: int = 1) -> None:
        with self.lock:
            if session_id in self.ended:
                return
            self.hearts[session_id] = self.hearts.get(session_id, 0) + n

    def mark_ended(self, session_id: int) -> None:
        """The session is over: its hearts stop counting (in this process at once; the others notice on their
        next counters tick, and the session row never counts a heart after its end)."""
        with self.lock:
            self.ended.add(session_id)
            self.hearts.pop(session_id, None)

    def record_sales(self, session_id: int, items: list[dict], host_items: list[dict]) -> None:
        """Orders were committed: the room's stock changed; the ticker and the host console will hear."""
        with self.lock:
            self._mark_dirty(session_id)
            _append_bounded(self.sales.setdefault(session_id, []), items)
            _append_bounded(self.host_feed.setdefault(session_id, []), host_items)

    def _mark_dirty(self, session_id: int) -> None:
        self.dirty.add(session_id)
        self.dirty_since.setdefault(session_id, time.monotonic())
        self._changed(session_id)

    def take_changes(self, counters: bool) -> Changes:
        """Empty the buffers for one tick. ``counters``: this tick also takes the hearts (and forgets rooms
        this process has emptied, after reporting them once more with a count of 0)."""
        with self.lock:
            local = {sid: len(socks) for sid, socks in self.rooms.items()}
            if counters:
                for sid in [s for s, socks in self.rooms.items() if not socks]:
                    del self.rooms[sid]
                    self.hosts.pop(sid, None)
                    self.sales_told.pop(sid, None)
            changes = Changes(
                local=local,
                dirty=self.dirty,
                dirty_since=self.dirty_since,
                hearts=self.hearts if counters else {},
                sales=self.sales,
                host_feed=self.host_feed,
            )
            self.dirty, self.dirty_since, self.sales, self.host_feed = set(), {}, {}, {}
            if counters:
                self.hearts = {}
        return changes

    # -- values for a snapshot ---------------------------------------------------------------------
    def totals(self, session_id: int) -> tuple[int, int]:
        """(viewers, hearts) as last known to this process (exact enough for a snapshot)."""
        sent = self.sent.get(session_id)
        viewers = sent.viewers if sent and sent.viewers is not None else None
        hearts = sent.hearts if sent and sent.hearts is not None else None
        try:
            if viewers is None:
                viewers = self.backend.viewer_totals({session_id: self.local_viewers(session_id)}).get(session_id, 0)
            if hearts is None:
                hearts = self.backend.hearts_totals([session_id]).get(session_id, 0)
        except Exception as exc:  # Redis down: this process's own figures (a join must not fail for a count)
            self.shared(False, exc)
            viewers = self.local_viewers(session_id) if viewers is None else viewers
            hearts = hearts_in_db(session_id) if hearts is None else hearts
        return viewers, hearts + self.hearts.get(session_id, 0)

    def cached_snapshot(self, session_id: int, ttl: float, build):
        """The room's join snapshot (whatever ``build`` returns), built at most once per ``ttl`` and change:
        when a crowd joins at once, one of them builds it while the others wait for that one (a build yields on
        the database, and every joiner building its own copy was a quarter of a join storm's CPU)."""
        cached = self.snapshots.get(session_id)
        if cached and time.monotonic() - cached[0] < ttl:
            return cached[1]
        with self._builder(session_id):
            cached = self.snapshots.get(session_id)
            if cached and time.monotonic() - cached[0] < ttl:
                return cached[1]
            started, generation = time.monotonic(), self.generations.get(session_id, 0)
            data = build()
            with self.lock:
                if self.generations.get(session_id, 0) == generation:  # nothing changed while it was built
                    self.snapshots[session_id] = (started, data)
            return data

    def _builder(self, session_id: int) -> threading.Lock:
        with self.lock:
            return self.builders.setdefault(session_id, threading.Lock())

    def _changed(self, session_id: int) -> None:
        """(Under ``self.lock``) the room's snapshot is stale, and so is one being built."""
        self.snapshots.pop(session_id, None)
        self.generations[session_id] = self.generations.get(session_id, 0) + 1

    def shared(self, ok: bool, exc: Exception | None = None) -> None:
        """Log when the shared counters go away and come back, not on every tick in between."""
        if ok == self.shared_ok:
            return
        self.shared_ok = ok
        if ok:
            log.warning("live hub: shared counters are back")
        else:
            log.warning(
                "live hub: shared counters unavailable (%s); this process's own changes only",
                exc.__class__.__name__ if exc else "?",
            )


def _append_bounded(buffer: list, items: list) -> None:
    buffer.extend(items)
    if len(buffer) > KEEP_BUFFERED:
        del buffer[: len(buffer) - KEEP_BUFFERED]


hub = Hub()
