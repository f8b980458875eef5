"""The counters every process of a live room shares: stock versions, hearts, viewers and sales.

One process (no ``REDIS_URL``): ``MemoryBackend`` keeps them here. Several processes: ``RedisBackend``:

- stock: the database is the truth. A change bumps a per-room version in Redis, so that every process re-reads
  the room's offers on its next tick and tells *its own* sockets.
- hearts: ``INCRBY`` per tick of what this process buffered; persisted to the session row now and then.
- viewers: each process reports its own count per room (a hash field per process, with a timestamp so a dead
  process's count fades away); the room's count is the sum.
- sales (the ``sold`` ticker): each process adds its sales to a per-room count and keeps the last one; every
  process tells its sockets the last sale and how many more came since it last told them.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid

import sqlalchemy as sa

from market.extensions import db

VIEWER_REPORT_TTL_MS = 10_000


class MemoryBackend:
    """One process: everything is here."""

    shared = False

    def __init__(self):
        self.hearts: dict[int, int] = {}
        self.sale_counts: dict[int, int] = {}
        self.last_sales: dict[int, dict] = {}

    def clear(self) -> None:
        self.hearts.clear()
        self.sale_counts.clear()
        self.last_sales.clear()

    def sales(self, new: dict[int, list[dict]], session_ids: list[int]) -> dict[int, tuple[int, dict | None]]:
        """Add this process's new sales; every room's (sales so far, last sale)."""
        for sid, items in new.items():
            self.sale_counts[sid] = self.sale_counts.get(sid, 0) + len(items)
            self.last_sales[sid] = items[-1]
        return {sid: (self.sale_counts.get(sid, 0), self.last_sales.get(sid)) for sid in session_ids}

    def push(self, dirty: set[int], hearts: dict[int, int]) -> None:
        for sid, n in hearts.items():
            if sid not in self.hearts:
                self.hearts[sid] = hearts_in_db(sid)
            self.hearts[sid] += n

    def changed(self, session_ids: list[int], seen: dict[int, bytes]) -> set[int]:
        return set()

    def hearts_totals(self, session_ids: list[int]) -> dict[int, int]:
        out = {}
        for sid in session_ids:
            if sid not in self.hearts:
                self.hearts[sid] = hearts_in_db(sid)
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
            pipe.set(self._key("hearts", sid), hearts_in_db(sid), nx=True, ex=86_400)
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
        return {
            sid: (int(n or 0), json.loads(last) if last else None)
            for sid, n, last in zip(session_ids, counts, lasts, strict=True)
        }

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
            out[sid] = int(raw) if raw is not None else hearts_in_db(sid)
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


def hearts_in_db(session_id: int) -> int:
    from market.live.models import LiveSession

    return int(db.session.scalar(sa.select(LiveSession.hearts).where(LiveSession.id == session_id)) or 0)


def make_backend(app) -> MemoryBackend | RedisBackend:
    url = app.config.get("REDIS_URL")
    if url:
        return RedisBackend(url, app.config.get("LIVE_REDIS_PREFIX", "chophien:live"))
    return MemoryBackend()
