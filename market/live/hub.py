"""What each live room hears, coalesced: one background tick per process sends every room's changes at most
every ``LIVE_COALESCE_MS``, whatever the rate of orders, hearts and joins behind them.

Per process the hub keeps the sockets of each room it serves, and buffers (hearts tapped, units sold, orders
for the host). Counters shared by every process live in a backend: this process's memory when the app runs
alone, Redis when ``REDIS_URL`` is set (several processes):

- stock: the database is the truth. A change marks the room dirty; with Redis a per-room version number is
  bumped so that every process re-reads the room's offers on its next tick and tells *its own* sockets.
- hearts: buffered per tick, then INCRBY in Redis (or added in memory); persisted to the session row now and
  then.
- viewers: each process reports its own count per room (a Redis hash field per process, with a timestamp so
  a dead process's count fades away); the room's count is the sum.
- sales (the ``sold`` ticker): each process adds its sales to a per-room count and keeps the last one; every
  process tells its sockets the last sale and how many more came since it last told them.

Values everyone shares (stock, hearts, viewers, sales) go to a process's own sockets only (``ignore_queue``):
N processes then never send N copies, and a viewer hears one ``sold`` per tick however many processes sold.
New orders for the host console go through the message queue (a few host sockets), sampled per tick.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa

from market.extensions import db, socketio
from market.live.connection import NAMESPACE
from market.metrics import BROADCAST_LAG

log = logging.getLogger(__name__)

HOST_FEED_PER_TICK = 50
PERSIST_EVERY_S = 5.0
VIEWER_REPORT_TTL_MS = 10_000


def room(session_id: int) -> str:
    return f"live-{session_id}"


def host_room(session_id: int) -> str:
    return f"live-{session_id}-host"


def user_room(user_id: int) -> str:
    return f"user-{user_id}"


def emit_room(session_id: int, event: str, data, host: bool = False) -> None:
    """To every socket of the room in every process (through the message queue when there is one)."""
    socketio.emit(event, data, namespace=NAMESPACE, to=host_room(session_id) if host else room(session_id))


def emit_local(target: str, event: str, data) -> None:
    """To this process's sockets of a room only."""
    socketio.emit(event, data, namespace=NAMESPACE, to=target, ignore_queue=True)


# ---- shared counters -----------------------------------------------------------------------------------

class MemoryBackend:
    """One process: everything is here."""

    shared = False

    def __init__(self):
        self.hearts: dict[int, int] = {}
        self.sale_counts: dict[int, int] = {}
        self.last_sales: dict[int, dict] = {}

    def sales(self, new: dict[int, list[dict]], session_ids: list[int]) -> dict[int, tuple[int, dict | None]]:
        """Add this process's new sales; every room's (sales so far, last sale)."""
        for sid, items in new.items():
            self.sale_counts[sid] = self.sale_counts.get(sid, 0) + len(items)
            self.last_sales[sid] = items[-1]
        return {sid: (self.sale_counts.get(sid, 0), self.last_sales.get(sid)) for sid in session_ids}

    def push(self, dirty: set[int], hearts: dict[int, int]) -> None:
        for sid, n in hearts.items():
            if sid not in self.hearts:
                self.hearts[sid] = _hearts_in_db(sid)
            self.hearts[sid] += n

    def changed(self, session_ids: list[int], seen: dict[int, bytes]) -> set[int]:
        return set()

    def hearts_totals(self, session_ids: list[int]) -> dict[int, int]:
        out = {}
        for sid in session_ids:
            if sid not in self.hearts:
                self.hearts[sid] = _hearts_in_db(sid)
            out[sid] = self.hearts[sid]
        return out

    def viewer_totals(self, local_counts: dict[int, int]) -> dict[int, int]:
        return dict(local_counts)


class RedisBackend:
    """Several processes: stock versions, hearts and viewer counts in Redis."""

    shared = True

    def __init__(self, url: str, prefix: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.prefix = prefix
        self.process = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._writes = itertools.count(1)

    def _key(self, kind: str, sid: int) -> str:
        return f"{self.prefix}:{kind}:{sid}"

    def push(self, dirty: set[int], hearts: dict[int, int]) -> None:
        if not dirty and not hearts:
            return
        missing = [sid for sid in hearts if not self.redis.exists(self._key("hearts", sid))]
        pipe = self.redis.pipeline(transaction=False)
        for sid in missing:
            pipe.set(self._key("hearts", sid), _hearts_in_db(sid), nx=True, ex=86_400)
        for sid in dirty:
            # A value never written before (not a counter): a Redis that restarted empty would count 1, 2 … again
            # and another process that had seen 1 before the outage would miss the next change.
            pipe.set(self._key("stockver", sid), f"{self.process}:{next(self._writes)}", ex=86_400)
        for sid, n in hearts.items():
            pipe.incrby(self._key("hearts", sid), n)
            pipe.expire(self._key("hearts", sid), 86_400)
        pipe.execute()

    def sales(self, new: dict[int, list[dict]], session_ids: list[int]) -> dict[int, tuple[int, dict | None]]:
        """Add this process's new sales to the shared counts (one round trip); every room's (sales so far, last
        sale, from whichever process)."""
        if not new and not session_ids:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for sid, items in new.items():
            pipe.incrby(self._key("sales", sid), len(items))
            pipe.expire(self._key("sales", sid), 86_400)
            pipe.set(self._key("lastsale", sid), json.dumps(items[-1]), ex=86_400)
        if session_ids:
            pipe.mget([self._key("sales", sid) for sid in session_ids])
            pipe.mget([self._key("lastsale", sid) for sid in session_ids])
        results = pipe.execute()
        if not session_ids:
            return {}
        counts, lasts = results[-2], results[-1]
        return {sid: (int(n or 0), json.loads(last) if last else None)
                for sid, n, last in zip(session_ids, counts, lasts, strict=True)}

    def changed(self, session_ids: list[int], seen: dict[int, bytes]) -> set[int]:
        if not session_ids:
            return set()
        values = self.redis.mget([self._key("stockver", sid) for sid in session_ids])
        out = set()
        for sid, raw in zip(session_ids, values, strict=True):
            version = raw or b""
            if sid not in seen:  # a room new to this process: its viewers just got a snapshot
                seen[sid] = version
            elif seen[sid] != version:
                seen[sid] = version
                out.add(sid)
        return out

    def hearts_totals(self, session_ids: list[int]) -> dict[int, int]:
        if not session_ids:
            return {}
        values = self.redis.mget([self._key("hearts", sid) for sid in session_ids])
        out = {}
        for sid, raw in zip(session_ids, values, strict=True):
            out[sid] = int(raw) if raw is not None else _hearts_in_db(sid)
        return out

    def viewer_totals(self, local_counts: dict[int, int]) -> dict[int, int]:
        now_ms = int(time.time() * 1000)
        pipe = self.redis.pipeline(transaction=False)
        sids = list(local_counts)
        for sid in sids:
            key = self._key("viewers", sid)
            pipe.hset(key, self.process, f"{local_counts[sid]}:{now_ms}")
            pipe.pexpire(key, VIEWER_REPORT_TTL_MS * 6)
            pipe.hgetall(key)
        results = pipe.execute()
        totals, stale = {}, []
        for i, sid in enumerate(sids):
            fields = results[i * 3 + 2]
            total = 0
            for proc, value in fields.items():
                count, _sep, stamp = value.decode().partition(":")
                if now_ms - int(stamp or 0) > VIEWER_REPORT_TTL_MS:
                    stale.append((sid, proc))
                    continue
                total += int(count)
            totals[sid] = total
        for sid, proc in stale:
            self.redis.hdel(self._key("viewers", sid), proc)
        return totals

    def forget_process(self, session_ids: list[int]) -> None:
        for sid in session_ids:
            self.redis.hdel(self._key("viewers", sid), self.process)


def _hearts_in_db(session_id: int) -> int:
    from market.live.models import LiveSession

    return int(db.session.scalar(sa.select(LiveSession.hearts).where(LiveSession.id == session_id)) or 0)


# ---- the hub ------------------------------------------------------------------------------------------

@dataclass
class Sent:
    """What this process last told its sockets of one room."""

    stock: dict[int, int] = field(default_factory=dict)
    hearts: int | None = None
    viewers: int | None = None
    host_stats: tuple | None = None
    peak: int = 0
    hearts_saved: int = 0


class Hub:
    def __init__(self):
        self.lock = threading.Lock()
        self.backend: MemoryBackend | RedisBackend = MemoryBackend()
        self.shared_ok = True
        self.reset()

    def configure(self, app) -> None:
        url = app.config.get("REDIS_URL")
        if url:
            self.backend = RedisBackend(url, app.config.get("LIVE_REDIS_PREFIX", "chophien:live"))
        else:
            self.backend = MemoryBackend()

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
            self.snapshots: dict[int, tuple[float, dict]] = {}
            self.generations: dict[int, int] = {}
            self.builders: dict[int, threading.Lock] = {}
            self.ended: set[int] = set()  # rooms of sessions this process knows are over: hearts are refused
            self.last_persist = time.monotonic()
        if isinstance(self.backend, MemoryBackend):
            self.backend.hearts.clear()
            self.backend.sale_counts.clear()
            self.backend.last_sales.clear()

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
            self.dirty.add(session_id)
            self.dirty_since.setdefault(session_id, time.monotonic())
            self._changed(session_id)

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
            self.dirty.add(session_id)
            self.dirty_since.setdefault(session_id, time.monotonic())
            self._changed(session_id)
            sales = self.sales.setdefault(session_id, [])
            sales.extend(items)
            if len(sales) > 1000:
                del sales[: len(sales) - 1000]
            feed = self.host_feed.setdefault(session_id, [])
            feed.extend(host_items)
            if len(feed) > 1000:
                del feed[: len(feed) - 1000]

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
            self._shared_ok(False, exc)
            viewers = self.local_viewers(session_id) if viewers is None else viewers
            hearts = _hearts_in_db(session_id) if hearts is None else hearts
        return viewers, hearts + self.hearts.get(session_id, 0)

    def cached_snapshot(self, session_id: int, ttl: float, build) -> dict:
        """The room's join snapshot, built at most once per ``ttl`` and change: when a crowd joins at once,
        one of them builds it while the others wait for that one (a build yields on the database, and every
        joiner building its own copy was a quarter of a join storm's CPU)."""
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

    # -- the tick ----------------------------------------------------------------------------------
    def flush(self, counters: bool = True) -> None:
        """Send every room what changed since the last tick. Runs in an app context; commits its own writes.

        ``counters``: this tick also sends hearts and viewer counts (the background loop does it every
        ``LIVE_COUNTERS_MS``, slower than stock: with a thousand viewers tapping hearts the total changes on
        every tick, and five messages a second per viewer of a vanity count cost more than they tell).
        """
        with self.lock:
            # Rooms this process just emptied are reported once more (count 0), then forgotten.
            local = {sid: len(socks) for sid, socks in self.rooms.items()}
            if counters:
                for sid in [s for s, socks in self.rooms.items() if not socks]:
                    del self.rooms[sid]
                    self.hosts.pop(sid, None)
                    self.sales_told.pop(sid, None)
            dirty, self.dirty = self.dirty, set()
            since, self.dirty_since = self.dirty_since, {}
            hearts, self.hearts = (self.hearts, {}) if counters else ({}, self.hearts)
            sales, self.sales = self.sales, {}
            feed, self.host_feed = self.host_feed, {}
        try:
            self.backend.push(dirty, hearts)
            changed = (dirty | self.backend.changed(list(local), self.versions)) & set(local)
            self._shared_ok(True)
        except Exception as exc:  # Redis down: keep serving this process's own changes
            self._shared_ok(False, exc)
            changed = dirty & set(local)
        if changed:
            self._send_stock(changed)
            now = time.monotonic()
            for sid in changed & since.keys():
                BROADCAST_LAG.observe(now - since[sid])
        self._send_sales(sales, list(local))
        for sid, items in feed.items():
            emit_room(sid, "host_orders", {"orders": items[-HOST_FEED_PER_TICK:],
                                           "more": max(0, len(items) - HOST_FEED_PER_TICK)}, host=True)
        if local and counters:
            self._send_counters(local)
        db.session.commit()

    def _shared_ok(self, ok: bool, exc: Exception | None = None) -> None:
        """Log when the shared counters go away and come back, not on every tick in between."""
        if ok == self.shared_ok:
            return
        self.shared_ok = ok
        if ok:
            log.warning("live hub: shared counters are back")
        else:
            log.warning("live hub: shared counters unavailable (%s); this process's own changes only",
                        exc.__class__.__name__ if exc else "?")

    def _send_stock(self, session_ids: set[int]) -> None:
        from market.live.models import LiveOffer, OfferStatus

        rows = db.session.execute(
            sa.select(LiveOffer.id, LiveOffer.session_id, LiveOffer.status, LiveOffer.quantity, LiveOffer.sold)
            .where(LiveOffer.session_id.in_(session_ids)).order_by(LiveOffer.id)
        ).all()
        by_session: dict[int, list] = {}
        for row in rows:
            by_session.setdefault(row.session_id, []).append(row)
        for sid in session_ids:
            sent = self.sent.setdefault(sid, Sent())
            stats = []
            for row in by_session.get(sid, []):
                remaining = max(0, row.quantity - row.sold) if row.status == OfferStatus.OPEN else 0
                stats.append((row.id, row.sold, row.quantity, remaining, row.status))
                if sent.stock.get(row.id) != remaining:
                    sent.stock[row.id] = remaining
                    emit_local(room(sid), "stock", {"offer_id": row.id, "remaining": remaining})
            stats_key = tuple(stats)
            if self.hosts.get(sid) and stats_key != sent.host_stats:
                sent.host_stats = stats_key
                emit_local(host_room(sid), "host_stats", {"offers": [
                    {"offer_id": i, "sold": s, "quantity": q, "remaining": r, "status": st}
                    for i, s, q, r, st in stats]})

    def _send_sales(self, new: dict[int, list[dict]], session_ids: list[int]) -> None:
        """Add this process's new sales to the shared counts, then tell each room's sockets here the last sale
        and how many ``more`` came since they last heard (from every process): one ``sold`` per tick at most."""
        try:
            totals = self.backend.sales(new, session_ids)
        except Exception as exc:  # Redis down: this process's own sales, to its own sockets
            self._shared_ok(False, exc)
            for sid, items in new.items():
                if sid in self.rooms:
                    self._tell_sale(sid, items[-1], len(items) - 1)
            return
        for sid, (count, last) in totals.items():
            told = self.sales_told.get(sid)
            if told is None:  # a room new to this process: its viewers' snapshot is newer than older sales
                told = count - len(new.get(sid, ()))
            elif told > count:  # the count went back (Redis restarted empty): every sale it holds is news
                told = 0
            if count > told and last:
                self._tell_sale(sid, last, count - told - 1)
            self.sales_told[sid] = count

    @staticmethod
    def _tell_sale(session_id: int, item: dict, more: int) -> None:
        payload = dict(item)
        if more > 0:
            payload["more"] = more
        emit_local(room(session_id), "sold", payload)

    def _send_counters(self, local: dict[int, int]) -> None:
        from market.live.models import LiveSession

        sids = list(local)
        try:
            viewers = self.backend.viewer_totals(local)
            hearts = self.backend.hearts_totals(sids)
        except Exception as exc:
            self._shared_ok(False, exc)
            viewers, hearts = dict(local), {}
        persist = time.monotonic() - self.last_persist >= PERSIST_EVERY_S
        if persist:
            self.last_persist = time.monotonic()
        for sid in db.session.scalars(sa.select(LiveSession.id).where(
                LiveSession.id.in_([s for s in sids if s not in self.ended]), LiveSession.status == "ended")):
            self.mark_ended(sid)  # ended through another process
        for sid in sids:
            sent = self.sent.setdefault(sid, Sent())
            count = viewers.get(sid)
            if count is not None and count != sent.viewers:
                sent.viewers = count
                emit_local(room(sid), "viewers", {"count": count})
            if count is not None and count > sent.peak:
                sent.peak = count
                db.session.execute(sa.update(LiveSession).where(LiveSession.id == sid, LiveSession.peak_viewers < count)
                                   .values(peak_viewers=count).execution_options(synchronize_session=False))
            total = hearts.get(sid)
            if total is not None and total != sent.hearts:
                sent.hearts = total
                emit_local(room(sid), "hearts", {"total": total})
            if persist and total is not None and total > sent.hearts_saved:
                sent.hearts_saved = total
                db.session.execute(sa.update(LiveSession).where(LiveSession.id == sid, LiveSession.hearts < total,
                                                                LiveSession.status != "ended")
                                   .values(hearts=total).execution_options(synchronize_session=False))


hub = Hub()
