"""Rate limits counted for a whole batch at once (``ratelimit.hit_many``) hold like one hit at a time: in this
process's memory, and across server processes through Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from market import ratelimit

ROOT = Path(__file__).resolve().parent.parent

# One "server process": an app on the shared Redis counting hits, printing what each hit was told.
PROCESS = """
import json, sys
from market import create_app, ratelimit
app = create_app({"SECRET_KEY": "test-secret-key-0123456789abcdef", "RATELIMIT_STORAGE_URI": sys.argv[1],
                  "SQLALCHEMY_DATABASE_URI": "sqlite://", "LIVE_BACKGROUND_TASKS": False})
who, out = sys.argv[2], []
LIMIT = "10/10 minutes"  # the window outlasts two process starts on a loaded machine (10 s did not: 27 s seen)
with app.app_context():
    for step in sys.argv[3:]:  # "batch:N" (one hit_many of N) or "one:N" (N single hits)
        how, n = step.split(":")
        if how == "batch":
            out.append(ratelimit.hit_many(LIMIT, [("live-order", who)] * int(n)))
        else:
            out.append([ratelimit.hit(LIMIT, "live-order", who) for _ in range(int(n))])
print(json.dumps(out))
"""


def hits_in_another_process(tmp_path, redis_url: str, who: str, *steps: str) -> list[list[bool]]:
    result = subprocess.run(
        [sys.executable, "-c", PROCESS, redis_url, who, *steps],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "MARKET_INSTANCE_PATH": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_batch_counts_every_hit_in_this_process(app):
    assert ratelimit.hit_many("3/10 seconds", [("live-order", "7")] * 2 + [("live-order", "8")]) == [True] * 3
    assert ratelimit.hit_many("3/10 seconds", [("live-order", "7"), ("live-order", "7"), ("live-order", "8")]) == [
        True,
        False,
        True,
    ]
    assert not ratelimit.hit("3/10 seconds", "live-order", "7")  # the same counters as one hit at a time
    assert ratelimit.hit_many("3/10 seconds", []) == []


@pytest.mark.services
@pytest.mark.processes
def test_the_eleventh_order_in_the_window_is_refused_across_two_processes(tmp_path, redis_url):
    """Two server processes on one Redis: six orders counted by one (one batch), then five by the other (a
    batch of four, then one at a time): the eleventh is refused, whichever process and whichever way counted
    the first ten."""
    who = f"test-{uuid.uuid4().hex}"
    assert hits_in_another_process(tmp_path, redis_url, who, "batch:6") == [[True] * 6]
    assert hits_in_another_process(tmp_path, redis_url, who, "batch:4", "one:1") == [[True] * 4, [False]]
