"""Fault tolerance with real processes: server processes (tests/servers.py) on a PostgreSQL database of their
own, with the shared Redis or a private ``redis-server`` / PostgreSQL cluster that a test may kill.

These tests start their own databases and services whatever the suite's main database is, so they run once,
in the SQLite pass of ``make test``; the PostgreSQL pass (MARKET_TEST_DATABASE_URL) skips them as duplicates.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from tests.servers import ServerDB

PASSWORD = "chophien123"
LIVE_EVENTS = ("stock", "sold", "chat", "offer", "session", "relay", "viewers", "hearts", "logged_out")


@pytest.fixture(scope="session")
def ops_db(tmp_path_factory, postgres_url):
    """The demo on a PostgreSQL database of its own, migrated and seeded once for every test here, with API
    tokens of 60 bench buyers (``ops_db.tokens``); tests take disjoint slices of them."""
    tmp = tmp_path_factory.mktemp("ops")
    db = ServerDB.create(tmp, postgres_url=postgres_url, suffix="ops", extra_env={"LOG_LEVEL": "WARNING"})
    tokens = tmp / "tokens.txt"
    db.flask("bench-buyers", "60", "--tokens-file", str(tokens))
    db.tokens = tokens.read_text().split()
    db.tmp = tmp
    yield db


def channel_env(redis_url: str) -> dict:
    """Env for servers sharing one Redis: a channel and counter prefix no other test run hears."""
    prefix = f"test-ops-{uuid.uuid4().hex[:10]}"
    return {"REDIS_URL": redis_url, "SOCKETIO_CHANNEL": prefix, "LIVE_REDIS_PREFIX": prefix}


def query(url: str, sql: str, **params):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def ri6_offer(url: str) -> dict:
    [row] = query(
        url,
        "SELECT o.id, o.quantity, o.sold, o.product_id, p.stock FROM live_offers o "
        "JOIN products p ON p.id = o.product_id WHERE o.session_id = 1 AND o.status = 'open' "
        "AND p.title = 'Sầu riêng Ri6'",
    )
    return dict(row._mapping)


def token(url: str, phone: str) -> str:
    resp = requests.post(url + "/api/v1/auth/token", json={"phone": phone, "password": PASSWORD}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


def assert_clean_log(server, allow: tuple[str, ...] = ()) -> None:
    """No traceback and no ERROR line in a server's log, apart from lines containing one of ``allow``."""
    bad = [
        line
        for line in server.log().splitlines()
        if ("Traceback" in line or " ERROR " in line) and not any(a in line for a in allow)
    ]
    assert not bad, server.log()[-5000:]


class LiveClient:
    """A real python-socketio client on /live that remembers what it heard; ``connect`` tries the given
    servers in order, as a proxy sends a client to a live process when its own has died."""

    def __init__(self, token: str | None = None):
        self.token = token
        self.sio = None
        self.url = None
        self.heard: list[tuple[str, object]] = []
        self.cond = threading.Condition()
        self.snapshots: list[tuple[str, dict]] = []

    def _recorder(self, name):
        def record(data=None):
            with self.cond:
                self.heard.append((name, data))
                self.cond.notify_all()

        return record

    def connect(self, urls: list[str], session_id: int = 1, deadline_s: float = 20.0) -> dict:
        import socketio

        deadline = time.monotonic() + deadline_s
        last = None
        while time.monotonic() < deadline:
            for url in urls:
                sio = socketio.Client(reconnection=False)
                for name in LIVE_EVENTS:
                    sio.on(name, self._recorder(name), namespace="/live")
                try:
                    sio.connect(
                        url,
                        namespaces=["/live"],
                        auth={"token": self.token} if self.token else None,
                        transports=["websocket"],
                        wait_timeout=5,
                    )
                    ack = sio.call("join", {"session_id": session_id}, namespace="/live", timeout=5)
                except Exception as exc:  # this server is down: the next one
                    last = exc
                    try:
                        sio.disconnect()
                    except Exception:
                        pass
                    continue
                if not ack.get("ok"):
                    raise AssertionError(ack)
                self.close()
                self.sio, self.url = sio, url
                self.snapshots.append((url, ack["snapshot"]))
                return ack["snapshot"]
            time.sleep(0.2)
        raise AssertionError(f"no server took the connection: {last!r}")

    def join(self, session_id: int = 1) -> dict:
        ack = self.call("join", {"session_id": session_id})
        assert ack["ok"], ack
        self.snapshots.append((self.url, ack["snapshot"]))
        return ack["snapshot"]

    def call(self, event: str, data=None, timeout: float = 10):
        return self.sio.call(event, data if data is not None else {}, namespace="/live", timeout=timeout)

    @property
    def connected(self) -> bool:
        return bool(self.sio and self.sio.connected)

    def wait_for(self, name: str, pred=lambda d: True, timeout: float = 10.0, since: int = 0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event, data in self.heard[since:]:
                    if event == name and pred(data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {name!r} matching within {timeout}s; heard {self.heard[-10:]}")
                self.cond.wait(left)

    def mark(self) -> int:
        with self.cond:
            return len(self.heard)

    def close(self) -> None:
        """Gone, as a closed browser tab: the connection is dropped without waiting for the server's goodbye."""
        if self.sio is not None:
            eio = self.sio.eio
            try:
                if getattr(eio, "ws", None) is not None:
                    eio.ws.shutdown()  # no closing handshake: websocket-client would wait 3 s for the reply
                eio.disconnect(abort=True)
            except Exception:
                pass
            self.sio = None
