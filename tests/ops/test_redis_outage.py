"""Redis stops during a live session, then comes back.

Two server processes on one PostgreSQL database and a PRIVATE ``redis-server`` (never the shared one), which
the test kills and restarts on the same port. While it is down: pages and the API keep answering, orders
commit, rate limits still hold (per process), viewers on the other process miss the updates and are told the
queue is reconnecting (``relay {ok: false}``); once it is back they hear ``relay {ok: true}``, take a fresh
snapshot that has everything they missed, and hear new updates live again. With Redis up, rate limits hold
across the processes. On the same two processes: logging out or being banned closes the person's sockets in
every process.
"""

from __future__ import annotations

import re
import threading

import pytest
import requests
import socketio

from tests.conftest import REQUIRE_SERVICES
from tests.ops.conftest import PASSWORD, LiveClient, assert_clean_log, query, ri6_offer, token
from tests.servers import RedisServer, start_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.processes]

# The queue's own warnings while Redis is away are expected in the logs; nothing else is.
OUTAGE_LINES = ("socket.io queue", "rate limit storage", "shared counters", "healthz: redis")


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory):
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    if not redis.available:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is required (MARKET_REQUIRE_SERVICES=1) to stop Redis in a test")
        pytest.skip("redis-server is not installed: cannot stop a private Redis")
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture(scope="module")
def pair(ops_db, private_redis, tmp_path_factory):
    """Two server processes sharing the ops database and the private Redis."""
    tmp = tmp_path_factory.mktemp("pair")
    prefix = f"test-ops-pair-{private_redis.port}"
    env = {
        "REDIS_URL": private_redis.url,
        "SOCKETIO_CHANNEL": prefix,
        "LIVE_REDIS_PREFIX": prefix,
        "LIVE_COALESCE_MS": "100",
        "LIVE_COUNTERS_MS": "200",
    }
    one = start_server(ops_db, tmp, env=env, name="one")
    two = start_server(ops_db, tmp, env=env, name="two")
    yield one, two
    one.stop()
    two.stop()
    for srv in (one, two):
        assert_clean_log(srv, allow=OUTAGE_LINES)


def _remaining(snapshot: dict, offer_id: int) -> int:
    return next(o for o in snapshot["offers"] if o["id"] == offer_id)["remaining"]


def test_redis_stops_during_a_live_session(ops_db, private_redis, pair):
    one, two = pair
    viewer, buyer = LiveClient(), LiveClient(ops_db.tokens[20])
    on_one = on_two = viewer
    try:
        offer = ri6_offer(ops_db.url)
        viewer.connect([one.url])
        buyer.connect([two.url])
        viewer.wait_for("viewers", lambda d: d["count"] >= 2)  # the processes hear each other through Redis
        ack = buyer.call("order", {"offer_id": offer["id"], "qty": 1, "key": "outage-before"})
        assert ack["ok"], ack
        viewer.wait_for("stock", lambda d: d["remaining"] == ack["remaining"])
        hoa = token(two.url, "0904000001")

        # Rate limits hold across processes: one person's five chats in ten seconds, on either process; the
        # sixth is refused wherever it arrives.
        on_one, on_two = LiveClient(ops_db.tokens[21]), LiveClient(ops_db.tokens[21])
        on_one.connect([one.url])
        on_two.connect([two.url])
        chats = [c.call("chat", {"text": f"Còn hàng không {n}?"}) for n, c in enumerate([on_one, on_two] * 3)]
        assert [a["ok"] for a in chats] == [True] * 5 + [False] and chats[-1]["error"] == "rate_limited"
        assert on_one.call("chat", {"text": "lần nữa"})["error"] == "rate_limited"

        # ---- Redis goes away ----
        mark = viewer.mark()
        private_redis.kill()
        viewer.wait_for("relay", lambda d: d == {"ok": False}, since=mark)
        buyer.wait_for("relay", lambda d: d == {"ok": False})
        for srv in (one, two):  # HTTP keeps serving; health says degraded, not down
            assert requests.get(srv.url + "/", timeout=10).status_code == 200
            health = requests.get(srv.url + "/healthz", timeout=10)
            assert health.status_code == 200 and health.json()["degraded"] == ["redis"]
        resp = requests.get(two.url + "/api/v1/orders", headers={"Authorization": f"Bearer {hoa}"}, timeout=10)
        assert resp.status_code == 200
        mark = viewer.mark()
        during = buyer.call("order", {"offer_id": offer["id"], "qty": 2, "key": "outage-during"})
        assert during["ok"], during  # orders still commit
        assert query(ops_db.url, "SELECT id FROM orders WHERE idempotency_key = 'outage-during'")
        buyer.wait_for("stock", lambda d: d["remaining"] == during["remaining"])  # its own process still tells
        assert not [d for e, d in viewer.heard[mark:] if e == "stock"]  # the other process cannot know yet
        # Rate limits never vanish: per process now (counted in this process's memory), a login too.
        chatty = LiveClient(ops_db.tokens[22])
        chatty.connect([one.url])
        chats = [chatty.call("chat", {"text": f"Redis đâu rồi {n}?"}) for n in range(6)]
        assert [a["ok"] for a in chats] == [True] * 5 + [False] and chats[-1]["error"] == "rate_limited"
        chatty.close()
        assert token(one.url, "0904000001")  # logging in works (its failure limits count here meanwhile)

        # ---- Redis comes back (empty: it keeps nothing that must survive) ----
        private_redis.start()
        viewer.wait_for("relay", lambda d: d == {"ok": True}, since=mark, timeout=15)
        snapshot = viewer.join()  # what the page does on relay ok: a fresh snapshot
        assert _remaining(snapshot, offer["id"]) == during["remaining"]
        mark = viewer.mark()
        after = buyer.call("order", {"offer_id": offer["id"], "qty": 1, "key": "outage-after"})
        assert after["ok"], after
        viewer.wait_for("stock", lambda d: d["remaining"] == after["remaining"], since=mark)  # live again
        assert buyer.call("chat", {"text": "Redis đã trở lại"})["ok"]
        viewer.wait_for("chat", lambda d: d["text"] == "Redis đã trở lại", since=mark)
    finally:
        for client in (viewer, buyer, on_one, on_two):
            client.close()
        if private_redis.process.poll() is not None:
            private_redis.start()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _login(url: str, phone: str) -> requests.Session:
    s = requests.Session()
    page = s.get(url + "/login", timeout=10).text
    assert (
        s.post(
            url + "/login",
            data={"csrf_token": _csrf(page), "phone": phone, "password": PASSWORD},
            allow_redirects=False,
            timeout=10,
        ).status_code
        == 302
    )
    return s


def _stubborn_socket(url: str, cookie: str, namespace: str = "/live") -> tuple[socketio.Client, threading.Event]:
    """A socket with the browser's cookie that ignores every event (it would never close itself)."""
    closed = threading.Event()
    client = socketio.Client(reconnection=False)
    client.on("disconnect", lambda *a: closed.set(), namespace=namespace)
    client.connect(
        url, namespaces=[namespace], headers={"Cookie": f"session={cookie}"}, transports=["websocket"], wait_timeout=10
    )
    assert client.connected
    return client, closed


def test_logout_and_ban_close_sockets_in_every_process(pair):
    """Logging out, or being banned, closes that person's open sockets in every server process — server-side, even
    for a client that ignores the events its page's script would act on."""
    one, two = pair
    clients = []
    try:
        # logout on process one closes the person's sockets on process two
        hoa = _login(one.url, "0904000001")
        live, live_closed = _stubborn_socket(two.url, hoa.cookies["session"])
        notify, notify_closed = _stubborn_socket(two.url, hoa.cookies["session"], "/notify")
        clients += [live, notify]
        page = hoa.get(one.url + "/account", timeout=10).text
        assert hoa.post(one.url + "/logout", data={"csrf_token": _csrf(page)}, timeout=10).status_code == 200
        assert live_closed.wait(10) and notify_closed.wait(10), "sockets on the other process stayed open"

        # a ban by staff on process one closes the banned person's sockets on process two
        nam = _login(two.url, "0904000002")  # a buyer with orders in Ea Knuếc
        banned_live, banned_closed = _stubborn_socket(two.url, nam.cookies["session"])
        clients.append(banned_live)
        user_id = requests.post(
            two.url + "/api/v1/auth/token", json={"phone": "0904000002", "password": PASSWORD}, timeout=10
        ).json()["user"]["id"]
        staff = _login(one.url, "0902000001")
        page = staff.get(f"{one.url}/staff/users/{user_id}", timeout=10).text
        resp = staff.post(
            f"{one.url}/staff/users/{user_id}/ban",
            data={"csrf_token": _csrf(page), "ban-reason": "Đặt đơn ảo"},
            timeout=10,
        )
        assert resp.status_code == 200
        assert banned_closed.wait(10), "the banned person's socket on the other process stayed open"
    finally:
        for c in clients:
            if c.connected:
                c.disconnect()
