"""kill -9 one of two server processes during an order storm.

Two real server processes share a PostgreSQL database and the Redis queue; real python-socketio buyers order
on both. One process is killed with SIGKILL while orders are in flight. Its buyers reconnect to the other (as
the proxy would send them), take a fresh snapshot and re-send any order whose answer they never got with the
SAME idempotency key. Afterwards: every acknowledged order is in the database, exactly once; no order was
made twice by a retry; the units sold equal the units acknowledged and the per-buyer counters match.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.ops.conftest import LiveClient, assert_clean_log, channel_env, query, ri6_offer
from tests.servers import start_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.processes]

BUYERS = 12
ORDERS_EACH = 8


class StormBuyer(threading.Thread):
    def __init__(self, n: int, token: str, urls: list[str], offer_id: int):
        super().__init__(daemon=True)
        self.n, self.urls, self.offer_id = n, urls, offer_id
        self.client = LiveClient(token)
        self.acks: dict[str, list[dict]] = {}  # key → every ok answer it got (retries included)
        self.last_remaining: int | None = None
        self.remaining_before_reconnect: int | None = None
        self.reconnects = 0
        self.retries = 0
        self.failed: list[tuple[str, object]] = []
        self.first_url = urls[0]

    def run(self):
        try:
            self.client.connect(self.urls)
            for i in range(ORDERS_EACH):
                self.order(f"storm-{self.n:02d}-{i:02d}")
                time.sleep(0.08)  # a person taps again; the storm lasts long enough to kill a process in it
        except Exception as exc:  # reported by the test, not lost in a thread
            self.failed.append(("crash", repr(exc)))
        finally:
            self.client.close()

    def order(self, key: str) -> None:
        for _attempt in range(8):
            try:
                ack = self.client.call("order", {"offer_id": self.offer_id, "qty": 1, "key": key}, timeout=3)
            except Exception:  # the server died under us: the other one, same key
                self.retries += 1
                self.reconnect()
                continue
            if ack.get("ok"):
                self.acks.setdefault(key, []).append(ack["order"])
                self.last_remaining = ack["remaining"]
                return
            if ack.get("error") == "unavailable":
                self.retries += 1
                time.sleep(0.2)
                continue
            self.failed.append((key, ack))
            return
        self.failed.append((key, "never answered"))

    def reconnect(self) -> None:
        self.remaining_before_reconnect = self.last_remaining
        survivors = [u for u in self.urls if u != self.client.url] + [self.client.url]
        self.client.connect(survivors)
        self.reconnects += 1


def test_kill_9_during_an_order_storm(ops_db, redis_url, tmp_path):
    env = {**channel_env(redis_url), "RATELIMIT_ENABLED": "false", "LIVE_COALESCE_MS": "100"}
    one = start_server(ops_db, tmp_path, env=env, name="one")
    two = start_server(ops_db, tmp_path, env=env, name="two")
    try:
        before = ri6_offer(ops_db.url)
        tokens = ops_db.tokens[:BUYERS]
        buyers = [
            StormBuyer(n, tok, [one.url, two.url] if n % 2 == 0 else [two.url, one.url], before["id"])
            for n, tok in enumerate(tokens)
        ]
        for b in buyers:
            b.start()
        deadline = time.monotonic() + 30
        while sum(len(b.acks) for b in buyers) < BUYERS * ORDERS_EACH // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        one.stop(signal.SIGKILL)  # mid-storm: batches in flight, answers not yet sent
        for b in buyers:
            b.join(timeout=90)
        assert not any(b.is_alive() for b in buyers), "a buyer never finished"
        problems = [(b.n, f) for b in buyers for f in b.failed]
        assert not problems, problems

        # Clients of the dead process went to the other one and took a fresh snapshot there.
        moved = [b for b in buyers if b.first_url == one.url]
        assert moved and all(b.reconnects >= 1 and b.client.snapshots[-1][0] == two.url for b in moved)
        for b in moved:
            fresh = next(o for o in b.client.snapshots[-1][1]["offers"] if o["id"] == before["id"])
            if b.remaining_before_reconnect is not None:
                assert fresh["remaining"] <= b.remaining_before_reconnect
        print("retries", [b.retries for b in buyers], "reconnects", [b.reconnects for b in buyers])
        assert sum(b.retries for b in buyers) >= 1  # some orders were in flight when the process died

        # Every acknowledged order is in the database, once; a retried key got the same order back.
        acked = {}
        for b in buyers:
            assert len(b.acks) == ORDERS_EACH
            for key, answers in b.acks.items():
                assert len({a["id"] for a in answers}) == 1, (key, answers)
                acked[key] = answers[0]
        rows = query(
            ops_db.url,
            "SELECT o.id, o.idempotency_key, o.status, i.qty FROM orders o "
            "JOIN order_items i ON i.order_id = o.id WHERE o.idempotency_key LIKE 'storm-%'",
        )
        in_db = {r.idempotency_key: r for r in rows}
        assert len(rows) == len(in_db) == BUYERS * ORDERS_EACH  # nothing duplicated, nothing extra
        for key, order in acked.items():
            assert in_db[key].id == order["id"] and in_db[key].qty == 1 and in_db[key].status == order["status"]

        # Stock conservation: the offer sold exactly what was acknowledged; the shelf did not move; the
        # per-buyer counters agree with the orders.
        after = ri6_offer(ops_db.url)
        assert after["sold"] - before["sold"] == len(acked)
        assert after["stock"] == before["stock"]
        [(active,)] = query(
            ops_db.url,
            "SELECT COALESCE(SUM(i.qty), 0) FROM order_items i JOIN orders o "
            "ON o.id = i.order_id WHERE i.source = 'offer' AND i.source_id = :offer "
            "AND o.status NOT IN ('cancelled', 'expired', 'refunded')",
            offer=before["id"],
        )
        assert active == after["sold"]
        [(counted,)] = query(
            ops_db.url, "SELECT COALESCE(SUM(qty), 0) FROM live_offer_buyers WHERE offer_id = :o", o=before["id"]
        )
        assert counted == after["sold"]

        # The survivor's snapshot agrees with the database.
        late = LiveClient()
        snap = late.connect([two.url])
        late.close()
        assert (
            next(o for o in snap["offers"] if o["id"] == before["id"])["remaining"] == after["quantity"] - after["sold"]
        )
    finally:
        one.stop(signal.SIGKILL)
        two.stop()
    assert_clean_log(two)
