"""Real python-socketio clients against real server processes (gevent, as in production).

One server on SQLite with the demo seeded: join, order, sold out, chat, hearts, mute, removal, reconnect.
Two servers sharing PostgreSQL and Redis: a viewer on one process sees what happens through the other.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
import socketio
import sqlalchemy as sa

from tests.live.conftest import masked
from tests.servers import ServerDB, start_server

pytestmark = [pytest.mark.services, pytest.mark.processes]
EVENTS = (
    "stock",
    "sold",
    "chat",
    "chat_removed",
    "hearts",
    "viewers",
    "offer",
    "session",
    "muted",
    "host_orders",
    "host_stats",
)
PASSWORD = "chophien123"


class Viewer:
    """A real Socket.IO client on /live that remembers everything it heard."""

    def __init__(self, url: str, token: str | None = None):
        self.heard: list[tuple[str, object]] = []
        self.cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for name in EVENTS:
            self.sio.on(name, self._recorder(name), namespace="/live")
        self.sio.connect(
            url,
            namespaces=["/live"],
            auth={"token": token} if token else None,
            transports=["websocket"],
            wait_timeout=10,
        )

    def _recorder(self, name):
        def record(data=None):
            with self.cond:
                self.heard.append((name, data))
                self.cond.notify_all()

        return record

    def call(self, event: str, data=None, timeout: float = 10):
        return self.sio.call(event, data if data is not None else {}, namespace="/live", timeout=timeout)

    def join(self, session_id: int) -> dict:
        ack = self.call("join", {"session_id": session_id})
        assert ack["ok"], ack
        return ack["snapshot"]

    def wait_for(self, name: str, pred=lambda d: True, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event, data in self.heard:
                    if event == name and pred(data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {name!r} matching within {timeout}s; heard {self.heard[-10:]}")
                self.cond.wait(left)

    def count(self, name: str) -> int:
        with self.cond:
            return sum(1 for event, _ in self.heard if event == name)

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()


def token(url: str, phone: str, password: str = PASSWORD) -> str:
    resp = requests.post(url + "/api/v1/auth/token", json={"phone": phone, "password": password}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live-srv")
    db = ServerDB.create(tmp, suffix="live")
    tokens_file = tmp / "tokens.txt"
    db.flask("bench-buyers", "6", "--tokens-file", str(tokens_file))
    srv = start_server(db, tmp, env={"LIVE_COALESCE_MS": "100"}, name="live")
    srv.db = db
    srv.tokens = tokens_file.read_text().split()
    yield srv
    srv.stop()
    log = srv.log()
    assert "Traceback" not in log and " ERROR " not in log, log


@pytest.fixture
def viewers():
    made = []

    def factory(url, tok=None):
        v = Viewer(url, tok)
        made.append(v)
        return v

    yield factory
    # Together: a client's disconnect waits about 3 s for the transport to close, one after another it was
    # three quarters of a minute for fifteen viewers.
    closing = [threading.Thread(target=v.close) for v in made]
    for t in closing:
        t.start()
    for t in closing:
        t.join(15)


def test_bench_buyers_tokens_work(live_server):
    resp = requests.get(
        live_server.url + "/api/v1/me", headers={"Authorization": "Bearer " + live_server.tokens[0]}, timeout=10
    )
    assert resp.status_code == 200 and resp.json()["user"]["phone"].startswith("+8499")


def test_real_clients_order_chat_and_hearts(live_server, viewers):
    url = live_server.url
    watcher = viewers(url)
    snap = watcher.join(1)
    assert snap["session"]["status"] == "live"
    [offer] = [o for o in snap["offers"] if o["title"] == "Sầu riêng Ri6"]
    assert offer["per_buyer_limit"] == 20 and offer["price_vnd"] == 79_000
    buyer = viewers(url, token(url, "0904000001"))
    buyer.join(1)
    ack = buyer.call("order", {"offer_id": offer["id"], "qty": 5, "key": "real-client-1"})
    assert ack["ok"] and ack["order"]["qty"] == 5 and ack["order"]["total_vnd"] == 395_000
    left = ack["remaining"]
    assert left == offer["remaining"] - 5
    watcher.wait_for("stock", lambda d: d == {"offer_id": offer["id"], "remaining": left})
    assert watcher.wait_for("sold")["buyer"] == "Hoa H."
    again = buyer.call("order", {"offer_id": offer["id"], "qty": 5, "key": "real-client-1"})
    assert again["order"]["id"] == ack["order"]["id"]
    assert buyer.call("chat", {"text": "Ngon quá chị ơi"})["ok"]
    assert watcher.wait_for("chat")["text"] == "Ngon quá chị ơi"
    for _ in range(7):
        buyer.sio.emit("heart", {}, namespace="/live")
    watcher.wait_for("hearts", lambda d: d["total"] >= 7)
    watcher.wait_for("viewers", lambda d: d["count"] == 2)
    bad = buyer.call("order", {"offer_id": offer["id"], "qty": 1.5, "key": "real-client-2"})
    assert bad["ok"] is False and bad["error"] == "invalid" and bad["message"]


def test_real_clients_sold_out_mute_and_removal(live_server, viewers):
    url = live_server.url
    host = viewers(url, token(url, "0903000001"))
    snap = host.join(1)
    assert snap["you"]["is_host"]
    watcher = viewers(url)
    watcher.join(1)
    # Pin a small offer of Monthong (closing any earlier one).
    for o in snap["offers"]:
        if o["title"] == "Sầu riêng Monthong":
            assert host.call("close_offer", {"offer_id": o["id"]})["ok"]
    engine = sa.create_engine(live_server.db.url)
    with engine.connect() as conn:
        monthong = conn.execute(sa.text("SELECT id FROM products WHERE title = 'Sầu riêng Monthong'")).scalar_one()
    engine.dispose()
    ack = host.call("pin", {"product_id": monthong, "price_vnd": 99_000, "quantity": 3, "per_buyer_limit": 3})
    assert ack["ok"], ack
    pinned = ack["offer"]
    watcher.wait_for("offer", lambda d: d["id"] == pinned["id"])
    a, b = viewers(url, live_server.tokens[0]), viewers(url, live_server.tokens[1])
    a.join(1)
    b.join(1)
    assert a.call("order", {"offer_id": pinned["id"], "qty": 3, "key": "sold-out-a1"})["remaining"] == 0
    refused = b.call("order", {"offer_id": pinned["id"], "qty": 1, "key": "sold-out-b1"})
    assert refused["ok"] is False and refused["error"] == "sold_out"
    watcher.wait_for("stock", lambda d: d == {"offer_id": pinned["id"], "remaining": 0})
    # chat, removal, mute
    message = b.call("chat", {"text": "hàng giả, mua ở chỗ khác"})["chat"]
    watcher.wait_for("chat", lambda d: d["id"] == message["id"])
    assert host.call("remove_chat", {"message_id": message["id"]}) == {"ok": True}
    watcher.wait_for("chat_removed", lambda d: d["id"] == message["id"])
    assert host.call("mute", {"user_id": message["user_id"], "minutes": 10})["ok"]
    b.wait_for("muted")
    muted = b.call("chat", {"text": "lại đây"})
    assert muted["ok"] is False and muted["error"] == "muted"
    assert a.call("remove_chat", {"message_id": message["id"]})["error"] == "forbidden"


def test_a_megabyte_chat_is_answered_and_the_socket_stays(live_server, viewers):
    """Through the real transport (not only the test client): a 1 MB chat, or 1 MB of spaces, gets its ack."""
    sender = viewers(live_server.url, live_server.tokens[2])
    sender.join(1)
    for text in ("x" * (1024 * 1024), " " * (1024 * 1024)):
        ack = sender.call("chat", {"text": text}, timeout=20)
        assert ack["ok"] is False and ack["error"] == "invalid" and ack["message"], ack
    assert sender.sio.connected
    assert sender.call("chat", {"text": "Còn hàng không chị?"})["ok"]


def test_reconnect_gets_a_fresh_snapshot(live_server, viewers):
    url = live_server.url
    first = viewers(url)
    before = first.join(1)
    first.close()
    buyer = viewers(url, live_server.tokens[2])
    buyer.join(1)
    ri6 = next(o for o in before["offers"] if o["title"] == "Sầu riêng Ri6")
    ack = buyer.call("order", {"offer_id": ri6["id"], "qty": 2, "key": "while-offline-1"})
    assert ack["ok"]
    again = viewers(url)
    after = again.join(1)
    assert next(o for o in after["offers"] if o["id"] == ri6["id"])["remaining"] <= ri6["remaining"] - 2


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, postgres_url, redis_url):
    """Two server processes sharing PostgreSQL and Redis (seeded once: the tests below use different offers)."""
    tmp = tmp_path_factory.mktemp("live-2p")
    prefix = f"test-live-{uuid.uuid4().hex[:8]}"
    db = ServerDB.create(
        tmp,
        postgres_url=postgres_url,
        suffix="live2p",
        extra_env={"REDIS_URL": redis_url, "LIVE_REDIS_PREFIX": prefix, "SOCKETIO_CHANNEL": prefix},
    )
    tokens_file = tmp / "tokens.txt"
    db.flask("bench-buyers", "12", "--tokens-file", str(tokens_file))
    env = {"LIVE_FLASH_SWEEP_MS": "100"}
    one = start_server(db, tmp, env=env, name="one")
    two = start_server(db, tmp, env=env, name="two")
    one.db = two.db = db
    one.tokens = tokens_file.read_text().split()
    yield one, two
    one.stop()
    two.stop()
    for srv in (one, two):
        assert "Traceback" not in srv.log(), srv.log()


@pytest.mark.slow
def test_two_processes_share_every_room(two_servers, viewers):
    """PostgreSQL + Redis, two server processes: an order through one is seen on the other within a second."""
    one, two = two_servers
    watcher = viewers(one.url)
    snap = watcher.join(1)
    ri6 = next(o for o in snap["offers"] if o["title"] == "Sầu riêng Ri6")
    buyer = viewers(two.url, token(two.url, "0904000002"))
    buyer.join(1)
    watcher.wait_for("viewers", lambda d: d["count"] == 2, timeout=3)
    started = time.monotonic()
    ack = buyer.call("order", {"offer_id": ri6["id"], "qty": 4, "key": "cross-process-1"})
    assert ack["ok"], ack
    watcher.wait_for("stock", lambda d: d == {"offer_id": ri6["id"], "remaining": ack["remaining"]}, timeout=1.5)
    assert watcher.wait_for("sold", timeout=1.5)["buyer"] == "Nam N."
    assert time.monotonic() - started < 1.0 + 0.5  # "within a second" (plus the ack's own trip)
    assert buyer.call("chat", {"text": "từ máy chủ hai"})["ok"]
    watcher.wait_for("chat", lambda d: d["text"] == "từ máy chủ hai", timeout=1)
    for _ in range(3):
        buyer.sio.emit("heart", {}, namespace="/live")
        watcher.sio.emit("heart", {}, namespace="/live")
    watcher.wait_for("hearts", lambda d: d["total"] == 6, timeout=4)
    buyer.wait_for("hearts", lambda d: d["total"] == 6, timeout=4)
    # each viewer heard this stock change once, not once per process (another offer's tick may be heard too)
    assert sum(1 for name, d in watcher.heard if name == "stock" and d["offer_id"] == ri6["id"]) == 1, watcher.heard


@pytest.mark.slow
def test_a_flash_deal_closes_itself_once_across_two_processes(two_servers, viewers):
    """Buyers on both processes keep ordering while a flash deal's countdown ends: each order is taken or
    refused ``offer_closed``; the offer closes exactly once (whichever process sweeps first), every viewer
    hears it closed once, and the shelf gets exactly the unsold units back."""
    one, two = two_servers
    engine = sa.create_engine(one.db.url)
    try:
        with engine.connect() as conn:
            product_id, stock_before = conn.execute(
                sa.text("SELECT id, stock FROM products WHERE title = 'Bơ sáp 034'")
            ).one()
        host = viewers(one.url, token(one.url, "0903000001"))
        watchers = [viewers(one.url), viewers(two.url)]
        host.join(1)
        for w in watchers:
            w.join(1)
        pin = {"product_id": product_id, "price_vnd": 40_000, "quantity": 200, "per_buyer_limit": 200}
        refused = host.call("pin", {**pin, "minutes": 31})
        assert refused["ok"] is False and refused["error"] == "invalid" and refused["field"] == "minutes"
        ack = host.call("pin", {**pin, "minutes": 1})
        assert ack["ok"], ack
        offer = ack["offer"]
        assert 55 <= offer["seconds_left"] <= 60
        for w in watchers:
            w.wait_for("offer", lambda d: d["id"] == offer["id"] and d["ends_at"] == offer["ends_at"])
        # Bring the end near instead of waiting a minute: 1.5 s from now.
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE live_offers SET ends_at = now() + interval '1.5 seconds' WHERE id = :id"),
                {"id": offer["id"]},
            )
        buyers = [viewers((one if i % 2 else two).url, tok) for i, tok in enumerate(one.tokens)]
        for b in buyers:
            b.join(1)
        acks: list[dict] = []
        lock = threading.Lock()

        def keep_ordering(n: int, buyer: Viewer) -> None:
            for i in range(30):
                got = buyer.call("order", {"offer_id": offer["id"], "qty": 1, "key": f"flash-{n}-{i}"})
                with lock:
                    acks.append(got)
                if not got["ok"] and got["error"] == "offer_closed":
                    return
                time.sleep(0.25)

        threads = [threading.Thread(target=keep_ordering, args=(n, b)) for n, b in enumerate(buyers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for w in watchers:
            w.wait_for("offer", lambda d: d["id"] == offer["id"] and d["status"] == "closed", timeout=5)
        time.sleep(0.5)  # a second close would have been heard by now
        for w in watchers:
            closes = [
                d for name, d in w.heard if name == "offer" and d["id"] == offer["id"] and d["status"] == "closed"
            ]
            assert len(closes) == 1, closes
        taken = sum(a["order"]["qty"] for a in acks if a["ok"])
        codes = {a["error"] for a in acks if not a["ok"]}
        assert taken > 0 and "offer_closed" in codes and codes <= {"offer_closed", "rate_limited"}, codes
        with engine.connect() as conn:
            status, sold = conn.execute(
                sa.text("SELECT status, sold FROM live_offers WHERE id = :id"), {"id": offer["id"]}
            ).one()
            stock_after = conn.execute(
                sa.text("SELECT stock FROM products WHERE id = :id"), {"id": product_id}
            ).scalar()
            in_orders = conn.execute(
                sa.text("SELECT coalesce(sum(qty), 0) FROM order_items WHERE source = 'offer' AND source_id = :id"),
                {"id": offer["id"]},
            ).scalar()
        assert status == "closed" and sold == taken == in_orders
        assert stock_after == stock_before - taken  # the 200 − taken unsold units back on the shelf, once
    finally:
        engine.dispose()


def test_coalescing_holds_under_a_burst(live_server, viewers):
    """Thirty orders in a burst: a viewer hears at most one stock message per tick (100 ms here)."""
    url = live_server.url
    watcher = viewers(url)
    snap = watcher.join(1)
    ri6 = next(o for o in snap["offers"] if o["title"] == "Sầu riêng Ri6")
    buyers = [viewers(url, tok) for tok in live_server.tokens[3:6]]
    for b in buyers:
        b.join(1)
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=lambda b=b, n=n: [
                b.call("order", {"offer_id": ri6["id"], "qty": 1, "key": f"burst-{n}-{i}"}) for i in range(8)
            ]
        )
        for n, b in enumerate(buyers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.5)
    elapsed = time.monotonic() - started
    stock = [d for name, d in watcher.heard if name == "stock"]
    sold = [d for name, d in watcher.heard if name == "sold"]
    assert stock and stock[-1]["remaining"] == ri6["remaining"] - 24
    assert len(stock) <= elapsed / 0.1 + 2
    assert len(sold) <= elapsed / 0.1 + 2 and sum(1 + d.get("more", 0) for d in sold) == 24


def _rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status").read().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _last(viewer: Viewer, name: str):
    with viewer.cond:
        return next((data for event, data in reversed(viewer.heard) if event == name), None)


def _raw_socket(url: str, auth: str = "", rcvbuf: int | None = None):
    """A bare Engine.IO websocket on /live (cheaper than a client: a crowd of them in a test)."""
    import socket as stdsocket

    import websocket

    options = [(stdsocket.SOL_SOCKET, stdsocket.SO_RCVBUF, rcvbuf)] if rcvbuf else []
    ws = websocket.create_connection(
        url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=10, sockopt=options
    )
    ws.recv()  # the Engine.IO open packet
    ws.send("40/live," + auth)
    return ws


def test_a_crowd_that_comes_and_goes_leaves_the_room_up_and_memory_bounded(live_server, viewers):
    """Waves of viewers connecting, joining and leaving, sockets that never join, connections with bad tokens
    and a viewer that reads nothing: the room keeps answering the others at once, counts its viewers right,
    and the process's memory stays bounded."""
    url, pid = live_server.url, live_server.process.pid
    steady = viewers(url, live_server.tokens[4])
    steady.join(1)
    silent = _raw_socket(url, rcvbuf=4096)  # joins, then reads nothing
    silent.send('42/live,0["join",{"session_id":1}]')
    rss_before = _rss_mb(pid)
    idle = []
    peak = 0
    for wave in range(3):
        crowd = [_raw_socket(url) for _ in range(100)]
        for ws in crowd:
            assert ws.recv().startswith("40/live,")
            ws.send('42/live,1["join",{"session_id":1}]')
        for ws in crowd:
            while not (frame := ws.recv()).startswith("43/live,1"):  # the join's ack, after any room updates
                pass
            assert '"ok":true' in frame
            ws.close()
        for _ in range(10):
            bad = _raw_socket(url, '{"token":"not-a-token-%s"}' % uuid.uuid4().hex)
            assert bad.recv().startswith("44/live,")  # refused
            bad.close()
        idle += [_raw_socket(url) for _ in range(30)]  # connected, never joining
        time.sleep(1.2)  # a viewers count goes out
        peak = max(peak, _last(steady, "viewers")["count"])
        started = time.monotonic()
        ack = steady.call("chat", {"text": f"vẫn ở đây {wave}"}, timeout=5)
        assert ack["ok"], ack
        steady.wait_for("chat", lambda d, w=wave: d["text"] == f"vẫn ở đây {w}", timeout=2)
        assert time.monotonic() - started < 2
    assert peak == 2, "sockets that never joined are not viewers; those that left are not either"
    for ws in idle:
        ws.close()
    # Everyone who came went: the room counts the steady viewer and the silent one again.
    deadline = time.monotonic() + 6
    while _last(steady, "viewers") != {"count": 2} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _last(steady, "viewers") == {"count": 2}
    assert _rss_mb(pid) - rss_before < 40, "memory grew with sockets that are gone"
    silent.close()


@pytest.mark.slow
def test_chot_from_two_processes_at_once(two_servers, viewers):
    """ "chốt" in the chat from both processes at once for the last units of a small offer: one order fits, the
    other buyer alone is told what is left; with several offers open the offer's number is needed."""
    one, two = two_servers
    engine = sa.create_engine(one.db.url)
    try:
        with engine.connect() as conn:
            monthong = conn.execute(sa.text("SELECT id FROM products WHERE title = 'Sầu riêng Monthong'")).scalar()
    finally:
        engine.dispose()
    host = viewers(one.url, token(one.url, "0903000001"))
    host.join(1)
    pinned = host.call("pin", {"product_id": monthong, "price_vnd": 99_000, "quantity": 3, "per_buyer_limit": 2})
    assert pinned["ok"], pinned
    number = pinned["offer"]["number"]
    watcher = viewers(two.url)
    watcher.join(1)
    first, second = viewers(one.url, token(one.url, "0904000001")), viewers(two.url, token(two.url, "0904000002"))
    first.join(1)
    second.join(1)
    assert first.call("chat", {"text": "chốt 2"})["chot"]["message"].startswith("Đang bán nhiều sản phẩm")
    answers = {}
    go = threading.Barrier(2)

    def claim(name, viewer):
        go.wait()
        answers[name] = viewer.call("chat", {"text": f"CHOT 2 #{number}"})["chot"]

    threads = [threading.Thread(target=claim, args=pair) for pair in (("first", first), ("second", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    oks = [a for a in answers.values() if a["ok"]]
    refused = [a for a in answers.values() if not a["ok"]]
    assert len(oks) == 1 and len(refused) == 1, answers
    assert refused[0]["error"] == "sold_out" and "Chỉ còn 1" in refused[0]["message"]
    assert oks[0]["order"]["missing"] == ["address", "method"]
    watcher.wait_for("stock", lambda d: d == {"offer_id": pinned["offer"]["id"], "remaining": 1}, timeout=2)


class RawSocket:
    """A bare websocket that offers permessage-deflate as every browser does, speaking Engine.IO frames by hand:
    what arrives is checked byte by byte (compressed frames inflated), not through a client library."""

    def __init__(self, url: str):
        import base64
        import os
        import socket
        import zlib
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
            ).encode()
        )
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(4096)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.handshake = head.decode().lower()
        self.inflate = zlib.decompressobj(-15)
        self.compressed = 0

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            assert chunk, "closed"
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def receive(self) -> str:
        b0, b1 = self._read(2)
        assert b0 & 0x80, "a fragmented frame"
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(self._read(2), "big")
        elif n == 127:
            n = int.from_bytes(self._read(8), "big")
        payload = self._read(n)
        if b0 & 0x40:  # RSV1: a compressed message
            self.compressed += 1
            payload = self.inflate.decompress(payload + b"\x00\x00\xff\xff")
        assert b0 & 0x0F == 1, f"opcode {b0 & 0x0F}"
        return payload.decode()

    def send(self, text: str) -> None:
        self.sock.sendall(masked(0x1, text.encode()))

    def until(self, prefix: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.receive()
            if msg == "2":
                self.send("3")
            elif msg.startswith(prefix):
                return msg
        raise AssertionError(f"nothing starting with {prefix!r}")


@pytest.fixture(scope="module")
def production_server(live_server, tmp_path_factory):
    """gunicorn with deploy/gunicorn.conf.py (one gevent worker) on the live server's database: the websocket
    driver hands the connection back to gunicorn differently from gevent's WSGI server."""
    srv = start_server(
        live_server.db, tmp_path_factory.mktemp("gunicorn"), env={"LIVE_COALESCE_MS": "100"}, gunicorn=True
    )
    yield srv
    srv.stop()
    log = srv.log()
    assert "Traceback" not in log and " ERROR " not in log, log


@pytest.fixture(params=["make run", "gunicorn"])
def either_server(request, live_server):
    return live_server if request.param == "make run" else request.getfixturevalue("production_server")


def test_a_browser_offering_deflate_gets_plain_frames_and_reads_broadcasts_and_acks(either_server, viewers):
    """permessage-deflate is declined (market/live/websocket.py): the answer names no extension, and every
    frame, broadcast or ack, comes uncompressed; hearts (handled where they are read) still count. Under
    ``make run``'s server and production's gunicorn alike."""
    import json

    url = either_server.url
    raw = RawSocket(url)
    assert raw.handshake.startswith("http/1.1 101") and "sec-websocket-extensions" not in raw.handshake
    assert raw.until("0").startswith("0{")
    raw.send("40/live,")
    raw.until("40/live,")
    raw.send('42/live,1["join",{"session_id":1}]')
    ack = json.loads(raw.until("43/live,1")[len("43/live,1") :])[0]
    assert ack["ok"] and ack["snapshot"]["session"]["status"] == "live"
    chatter = viewers(url, token(url, "0904000001"))
    chatter.join(1)
    assert chatter.call("chat", {"text": "Khung hình chung cho mọi người"})["ok"]
    chat = json.loads(raw.until('42/live,["chat"')[len("42/live,") :])
    assert chat == ["chat", chatter.wait_for("chat", lambda d: d["text"] == "Khung hình chung cho mọi người")]
    before, raw_hearts = ack["snapshot"]["hearts"], None
    for _ in range(5):
        raw.send('42/live,["heart",{}]')
    deadline = time.monotonic() + 10
    while raw_hearts is None or raw_hearts < before + 5:
        assert time.monotonic() < deadline, (before, raw_hearts)
        raw_hearts = json.loads(raw.until('42/live,["hearts"')[len("42/live,") :])[1]["total"]
    assert raw.compressed == 0
    raw.sock.close()


def _raw_upgrade(url: str, **headers: str) -> tuple[str, object]:
    """The answer's head to a websocket upgrade sent by hand, and the open socket."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    fields = {
        "Host": parts.netloc,
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    request = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
    sock.sendall((request + "".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode())
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got.decode(errors="replace"), sock


def _closing_status(sock) -> int:
    """Read frames until the server's close frame; its status."""
    buf = b""
    while True:
        chunk = sock.recv(65536)
        assert chunk, f"closed without a close frame: {buf!r}"
        buf += chunk
        while len(buf) >= 2 and len(buf) >= 2 + (buf[1] & 0x7F):
            b0, n = buf[0], buf[1] & 0x7F
            assert n < 126  # the server's frames here are short
            if b0 & 0x0F == 0x8:
                return int.from_bytes(buf[2:4], "big")
            buf = buf[2 + n :]


def test_the_websocket_refuses_bad_handshakes_and_bad_frames(either_server):
    """A bad upgrade gets its HTTP status and never a session; a frame breaking the protocol gets the close
    status RFC 6455 names, and the server stays up (its log free of tracebacks: the fixtures' teardown)."""
    import os

    url = either_server.url
    head, sock = _raw_upgrade(url, Sec_WebSocket_Version="8")
    assert head.startswith("HTTP/1.1 426") and "sec-websocket-version: 13" in head.lower()
    sock.close()
    head, sock = _raw_upgrade(url, Sec_WebSocket_Key="short")
    assert head.startswith("HTTP/1.1 400")
    sock.close()
    head, sock = _raw_upgrade(url)
    assert head.startswith("HTTP/1.1 101") and "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
    sock.sendall(masked(0x9, b"hi"))  # a ping
    buf = b""
    while bytes((0x8A, 2)) + b"hi" not in buf:  # its pong, among the Engine.IO open packet
        chunk = sock.recv(4096)
        assert chunk, buf
        buf += chunk
    sock.sendall(masked(0x1, b"x", rsv=0x40))  # compressed: deflate was declined
    assert _closing_status(sock) == 1002
    sock.close()
    head, sock = _raw_upgrade(url)
    sock.sendall(bytes((0x81, 0xFF)) + (2**40).to_bytes(8, "big") + os.urandom(4))  # announces a terabyte
    assert _closing_status(sock) == 1009
    sock.close()
    assert requests.get(url + "/healthz", timeout=5).status_code == 200
