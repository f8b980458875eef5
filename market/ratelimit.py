"""Rate limits that views and socket handlers check by hand, sharing Flask-Limiter's storage.

Flask-Limiter's decorators count requests; login needs to count *failures* per phone and per IP, and socket
events are not requests at all, so both use the underlying ``limits`` strategy directly. When the shared
storage (Redis) is unreachable the limits fall back to this process's memory: weaker, never absent.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from market.extensions import limiter

log = logging.getLogger(__name__)
_fallback = MovingWindowRateLimiter(MemoryStorage())
# After the shared storage failed, this process counts in its own memory for a while before asking it again:
# a storm of socket events must not each wait for a connection to a Redis that is gone.
RETRY_SHARED_AFTER_S = 5.0
_state = {"down_until": 0.0}
_state_lock = threading.Lock()


def _strategy():
    return limiter.limiter


def _mark_down(exc: Exception) -> None:
    with _state_lock:
        if time.monotonic() >= _state["down_until"]:
            log.warning(
                "rate limit storage unavailable (%s); per-process limits for %.0f s",
                exc.__class__.__name__,
                RETRY_SHARED_AFTER_S,
            )
        _state["down_until"] = time.monotonic() + RETRY_SHARED_AFTER_S


def _run(method: str, limit: str, keys: tuple[str, ...], cost: int = 1) -> bool:
    item = parse(limit)
    if not shared_storage_down():
        try:
            return getattr(_strategy(), method)(item, *keys, cost=cost)
        except Exception as exc:  # storage down: never no limit, fall back to this process
            _mark_down(exc)
    return getattr(_fallback, method)(item, *keys, cost=cost)


def shared_storage_down() -> bool:
    """True while limits are counted per process because the shared storage failed."""
    return time.monotonic() < _state["down_until"]


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def allowed(limit: str, *keys: str) -> bool:
    """True while the limit still has room for ``keys`` (does not count a hit)."""
    return not enabled() or _run("test", limit, keys)


def hit(limit: str, *keys: str) -> bool:
    """Count one hit; False when it went over the limit."""
    return not enabled() or _run("hit", limit, keys)


def take(limit: str, cost: int, *keys: str) -> bool:
    """Count ``cost`` hits at once when they all fit (True); else count nothing (False)."""
    if not enabled() or cost <= 0:
        return True
    return _run("test", limit, keys, cost) and _run("hit", limit, keys, cost)


def hit_many(limit: str, keys: list[tuple[str, ...]]) -> list[bool]:
    """Count one hit for each entry of ``keys`` (repeats count twice); for each, False when it went over.

    The same counters as ``hit``, so a limit holds whichever way each hit was counted and in whichever
    process. With Redis the whole list costs one round trip (a pipeline of the script that ``hit`` runs once
    per call): a burst of a few hundred live orders is checked in one go instead of a few hundred trips.
    """
    if not enabled() or not keys:
        return [True] * len(keys)
    item = parse(limit)
    if not shared_storage_down():
        strategy = _strategy()
        try:
            storage = strategy.storage
            if isinstance(strategy, FixedWindowRateLimiter) and isinstance(storage, RedisStorage):
                pipe = storage.get_connection().pipeline(transaction=False)
                expiry = item.get_expiry()
                for k in keys:
                    storage.lua_incr_expire([storage.prefixed_key(item.key_for(*k))], [expiry, 1], client=pipe)
                return [int(count) <= item.amount for count in pipe.execute()]
            return [strategy.hit(item, *k) for k in keys]  # in-process storage: no round trip to save
        except Exception as exc:  # storage down: never no limit, fall back to this process
            _mark_down(exc)
    return [_fallback.hit(item, *k) for k in keys]


def reset() -> None:
    """Forget every counter (tests)."""
    _state["down_until"] = 0.0
    _fallback.storage.reset()
    try:
        _strategy().storage.reset()
    except Exception:  # noqa: S110 - nothing to reset when storage is down
        pass
