"""PostgreSQL restarts in the middle of an order, or is down for a moment.

A PRIVATE PostgreSQL cluster (initdb in a temp dir, its own port; never the shared server) holds a copy of the
demo database; one real server process uses it. An order blocked on a row lock when the database restarts
fails cleanly — a 503 page, or the live ack ``unavailable`` — and leaves nothing half-written; the very next
request succeeds on the same process (the pool drops its dead connections: ``pool_pre_ping``). While the
database is down pages answer 503 in the user's language, the JSON API a 503 JSON error, sockets
``unavailable``; never a traceback.
"""

from __future__ import annotations

import re
import threading
import time
from html.parser import HTMLParser

import psycopg
import pytest
import requests

from tests.conftest import REQUIRE_SERVICES
from tests.ops.conftest import PASSWORD, LiveClient, assert_clean_log, query
from tests.servers import PostgresCluster, start_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.processes]

BUYER = "0904000002"
# What a dropped database connection makes the server say in its log (warnings, never a traceback).
DB_DOWN_LINES = (
    "database unavailable",
    "could not be settled",
    "fell back to one by one",
    "hold sweep",
    "live tick",
    "healthz: database",
    "no database connection",
    "is not an accepted origin",
)  # the refused cross-site socket (engine.io logs it as an error)


@pytest.fixture(scope="module")
def private_pg(ops_db):
    cluster = PostgresCluster()
    if not cluster.available:
        if REQUIRE_SERVICES:
            pytest.fail(
                "PostgreSQL server binaries (initdb, pg_ctl) are required (MARKET_REQUIRE_SERVICES=1) "
                "to restart a private cluster"
            )
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql/*/bin) are not installed")
    cluster.init().start()
    cluster.db_url = cluster.copy_database(ops_db.url, "chophien")
    yield cluster
    cluster.remove()


class FormFields(HTMLParser):
    """The fields a browser would send for the form whose action matches."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action", "").split("?")[0] == self.action
        elif self.inside and tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "radio":
                if "checked" in a or a["name"] not in self.fields:
                    self.fields[a["name"]] = a.get("value", "")
            elif kind not in ("submit", "button", "checkbox"):
                self.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_fields(html: str, action: str) -> dict:
    parser = FormFields(action)
    parser.feed(html)
    assert parser.fields, f"no form to {action}"
    return parser.fields


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def raw_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def wait_until_blocked(url: str, timeout: float = 15) -> str:
    """Until a backend waits on a row lock: the order, mid-transaction (it has written, not committed)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(raw_url(url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()
            if row:
                return row[0]
            time.sleep(0.05)
    raise AssertionError("no request got blocked on the locked row")


def lock_row(url: str, table: str, row_id: int):
    conn = psycopg.connect(raw_url(url))
    conn.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", (row_id,))  # noqa: S608 - test's own names
    return conn  # the transaction stays open: the row stays locked until the restart cuts it


def assert_unavailable_page(resp) -> None:
    html = resp.text
    assert resp.status_code == 503, html[:500]
    assert "Tạm thời gián đoạn" in html and "Traceback" not in html and "psycopg" not in html


@pytest.fixture(scope="module")
def server(private_pg, ops_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pg-restart")
    srv = start_server(
        ops_db,
        tmp,
        env={"DATABASE_URL": private_pg.db_url, "RATELIMIT_ENABLED": "false", "PROXY_COUNT": "1"},
        name="pg",
    )  # as behind nginx
    yield srv
    srv.stop()
    assert_clean_log(srv, allow=DB_DOWN_LINES)


def _login(url: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(url + "/login", timeout=10).text
    resp = browser.post(
        url + "/login",
        data={"csrf_token": csrf(page), "phone": BUYER, "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text[:500]
    return browser


def test_checkout_when_postgres_restarts_mid_order(server, private_pg):
    db_url = private_pg.db_url
    [(product_id, stock_before)] = query(db_url, "SELECT id, stock FROM products WHERE title = 'Sầu riêng Monthong'")
    browser = _login(server.url)
    page = browser.get(f"{server.url}/cart/add?product_id={product_id}", timeout=10).text
    fields = form_fields(page, "/cart/add")
    fields["qty"] = "2"
    assert browser.post(server.url + "/cart/add", data=fields, allow_redirects=False, timeout=10).status_code == 302
    fields = form_fields(browser.get(server.url + "/checkout", timeout=10).text, "/checkout")
    attempt = fields["attempt"]

    locker = lock_row(db_url, "products", product_id)
    answer: dict = {}
    worker = threading.Thread(
        target=lambda: answer.update(
            resp=browser.post(server.url + "/checkout", data=fields, allow_redirects=False, timeout=60)
        )
    )
    worker.start()
    try:
        assert wait_until_blocked(db_url).startswith("UPDATE products")
        private_pg.restart()  # every connection is cut, the blocked order's transaction with them
    finally:
        worker.join(timeout=60)
        locker.close()
    assert_unavailable_page(answer["resp"])

    # Nothing half-written: no order for this attempt, the stock untouched, the cart as it was.
    assert not query(db_url, "SELECT id FROM orders WHERE idempotency_key LIKE :k", k=f"cart-{attempt}-%")
    assert query(db_url, "SELECT stock FROM products WHERE id = :p", p=product_id)[0][0] == stock_before
    assert query(db_url, "SELECT qty FROM cart_items WHERE product_id = :p", p=product_id)[0][0] == 2

    # The very next request succeeds on the same process: the pool threw its dead connections away.
    again = browser.post(server.url + "/checkout", data=fields, allow_redirects=False, timeout=30)
    assert again.status_code == 302 and f"/checkout/done/{attempt}" in again.headers["Location"], again.text[:500]
    orders = query(db_url, "SELECT id FROM orders WHERE idempotency_key LIKE :k", k=f"cart-{attempt}-%")
    assert len(orders) == 1
    assert query(db_url, "SELECT stock FROM products WHERE id = :p", p=product_id)[0][0] == stock_before - 2


def test_live_order_when_postgres_restarts_mid_order(server, private_pg, ops_db):
    db_url = private_pg.db_url
    [(offer_id, sold_before)] = query(
        db_url,
        "SELECT o.id, o.sold FROM live_offers o JOIN products p ON "
        "p.id = o.product_id WHERE o.session_id = 1 AND o.status = 'open' "
        "AND p.title = 'Sầu riêng Ri6'",
    )
    buyer = LiveClient(ops_db.tokens[30])
    buyer.connect([server.url])
    try:
        locker = lock_row(db_url, "live_offers", offer_id)
        answer: dict = {}
        worker = threading.Thread(
            target=lambda: answer.update(
                ack=buyer.call("order", {"offer_id": offer_id, "qty": 3, "key": "pg-restart-1"}, timeout=60)
            )
        )
        worker.start()
        try:
            wait_until_blocked(db_url)  # the batch: its counters and orders written, the offer next
            private_pg.restart()
        finally:
            worker.join(timeout=60)
            locker.close()
        ack = answer["ack"]
        made = query(
            db_url,
            "SELECT o.id, i.qty FROM orders o JOIN order_items i ON i.order_id = o.id "
            "WHERE o.idempotency_key = 'pg-restart-1'",
        )
        if ack["ok"]:  # the one-by-one fallback ran once the database was back: then it is there, once
            assert [(r.id, r.qty) for r in made] == [(ack["order"]["id"], 3)]
        else:  # refused cleanly, nothing written
            assert ack["error"] == "unavailable" and ack["message"], ack
            assert not made
        # the same key again: exactly one order, the offer's count agrees
        retry = buyer.call("order", {"offer_id": offer_id, "qty": 3, "key": "pg-restart-1"}, timeout=30)
        assert retry["ok"], retry
        made = query(db_url, "SELECT o.id FROM orders o WHERE o.idempotency_key = 'pg-restart-1'")
        assert [r.id for r in made] == [retry["order"]["id"]]
        assert query(db_url, "SELECT sold FROM live_offers WHERE id = :o", o=offer_id)[0][0] == sold_before + 3
    finally:
        buyer.close()


def test_postgres_down_then_back(server, private_pg, ops_db):
    browser = _login(server.url)
    api_token = requests.post(
        server.url + "/api/v1/auth/token", json={"phone": BUYER, "password": PASSWORD}, timeout=10
    ).json()["token"]
    viewer = LiveClient(ops_db.tokens[31])
    viewer.connect([server.url])
    offer_id = next(o["id"] for o in viewer.snapshots[-1][1]["offers"] if o["title"] == "Sầu riêng Ri6")
    private_pg.stop()
    try:
        assert_unavailable_page(requests.get(server.url + "/", timeout=10))
        assert_unavailable_page(browser.get(server.url + "/orders", timeout=10))
        resp = requests.get(server.url + "/api/v1/orders", headers={"Authorization": f"Bearer {api_token}"}, timeout=10)
        assert resp.status_code == 503 and resp.json()["error"] == "unavailable" and resp.json()["message"]
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 503
        ack = viewer.call("order", {"offer_id": offer_id, "qty": 1, "key": "pg-down-1"}, timeout=30)
        assert ack == {"ok": False, "error": "unavailable", "message": ack["message"]} and ack["message"]
        # Within a counters' period (LIVE_COUNTERS_MS, 1 s) a join is answered from the room's shared snapshot
        # without the database; past it the snapshot must be read again, and the database's absence is said.
        time.sleep(1.2)
        ack = viewer.call("join", {"session_id": 1}, timeout=30)
        assert ack["ok"] is False and ack["error"] == "unavailable"
    finally:
        private_pg.start()
    assert requests.get(server.url + "/", timeout=10).status_code == 200
    assert browser.get(server.url + "/orders", timeout=10).status_code == 200
    assert (
        requests.get(
            server.url + "/api/v1/orders", headers={"Authorization": f"Bearer {api_token}"}, timeout=10
        ).status_code
        == 200
    )
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    ack = viewer.call("order", {"offer_id": offer_id, "qty": 1, "key": "pg-down-1"}, timeout=30)
    assert ack["ok"], ack
    viewer.close()


def test_behind_the_proxy_https_is_seen_and_hsts_sent(server):
    """PROXY_COUNT=1 (the proxy's X-Forwarded-* headers are trusted): HSTS over HTTPS only, the request id kept."""
    plain = requests.get(server.url + "/", headers={"X-Request-ID": "proxy-req-0001"}, timeout=10)
    assert "Strict-Transport-Security" not in plain.headers
    assert plain.headers["X-Request-ID"] == "proxy-req-0001"
    tls = requests.get(
        server.url + "/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}, timeout=10
    )
    assert tls.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "frame-ancestors 'none'" in tls.headers["Content-Security-Policy"]


def test_sockets_only_from_the_site_origin(server):
    """SITE_URL is the only origin a browser may open a socket from (cross-site websocket hijacking)."""
    import websocket

    ws_url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    good = websocket.create_connection(ws_url, origin=server.url, timeout=10)
    assert good.recv().startswith("0{")  # the engine.io open packet
    good.shutdown()
    with pytest.raises(websocket.WebSocketException):
        websocket.create_connection(ws_url, origin="https://evil.example", timeout=10).recv()
