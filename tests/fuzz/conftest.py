"""Fuzzing helpers: hostile values, the Hypothesis profile that bounds the run, and the log watcher (no ERROR
record and no logged exception, ever)."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from tests.world import world  # noqa: F401 - the fixture

# Examples per route and method (GET), per form or JSON endpoint (POST) and per socket event; scaled by
# MARKET_FUZZ_SCALE (CI: 1; a long local hunt: 20).
SCALE = max(1, int(os.environ.get("MARKET_FUZZ_SCALE", "1")))
# No shrinking: a failure is reported as found (with its reproduce blob), and the run stays bounded.
settings.register_profile(
    "fuzz",
    deadline=None,
    database=None,
    derandomize=False,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
GET_EXAMPLES, POST_EXAMPLES, EVENT_EXAMPLES = 2 * SCALE, 4 * SCALE, 6 * SCALE


def fuzz_settings(examples: int):
    return settings(settings.get_profile("fuzz"), max_examples=examples)


HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "\u200f\u200e",
    "\ufeff",
    "🙂🔥" * 5,
    "e\u0301" * 50,
    "Ｄｕｒｉａｎ",
    "İı",
    "ß" * 20,
    "\U0010ffff",
    "\ud800",
    "\udfff\ud800",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "${7*7}",
    "' OR '1'='1",
    "1; DROP TABLE users; --",
    "%' --",
    "\\",
    "%",
    "_",
    "%00",
    "%2e%2e%2f",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "C:\\boot.ini",
    "//evil.example/x",
    "-1",
    "0",
    "1e309",
    "NaN",
    "Infinity",
    "null",
    "true",
    "[]",
    "{}",
    "9" * 40,
    "-9223372036854775809",
    "85.000",
    "1,2tr",
    "x" * 5000,
    "Sầu riêng " * 300,
    "0904000001",
    "+84904000001",
]


def hostile_text(max_size: int = 40):
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.text(max_size=max_size),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=max_size),
    )


def hostile_scalar():
    return st.one_of(
        hostile_text(),
        st.integers(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.none(),
    )


def hostile_json(max_leaves: int = 12):
    """JSON-like values: wrong types, nesting, unicode edge cases."""
    return st.recursive(
        hostile_scalar(),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(hostile_text(12), inner, max_size=4)),
        max_leaves=max_leaves,
    )


def deep(depth: int, leaf=1):
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


@contextmanager
def fresh_limits():
    """Rate limits forgotten before each example: the fuzzer must reach the code behind them."""
    from market import ratelimit

    ratelimit.reset()
    yield


class LogWatch(logging.Handler):
    """Every ERROR record and every record carrying an exception, from any logger."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.bad: list[str] = []

    def emit(self, record):
        if record.levelno >= logging.ERROR or record.exc_info:
            self.bad.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture
def log_watch():
    watch = LogWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    old = root.level
    root.setLevel(min(old, logging.WARNING) if old else logging.WARNING)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
        root.setLevel(old)
