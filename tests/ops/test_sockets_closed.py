"""Logging out, or being banned, closes that person's open sockets in every server process — server-side, even
for a client that ignores the events its page's script would act on."""

from __future__ import annotations

import re
import threading

import pytest
import requests
import socketio

from tests.ops.conftest import PASSWORD, channel_env
from tests.servers import start_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.processes]


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _login(url: str, phone: str) -> requests.Session:
    s = requests.Session()
    page = s.get(url + "/login", timeout=10).text
    assert s.post(url + "/login", data={"csrf_token": _csrf(page), "phone": phone, "password": PASSWORD},
                  allow_redirects=False, timeout=10).status_code == 302
    return s


def _stubborn_socket(url: str, cookie: str, namespace: str = "/live") -> tuple[socketio.Client, threading.Event]:
    """A socket with the browser's cookie that ignores every event (it would never close itself)."""
    closed = threading.Event()
    client = socketio.Client(reconnection=False)
    client.on("disconnect", lambda *a: closed.set(), namespace=namespace)
    client.connect(url, namespaces=[namespace], headers={"Cookie": f"session={cookie}"}, transports=["websocket"],
                   wait_timeout=10)
    assert client.connected
    return client, closed


def test_logout_and_ban_close_sockets_in_every_process(ops_db, redis_url, tmp_path):
    env = channel_env(redis_url)
    one = start_server(ops_db, tmp_path, env=env, name="one")
    two = start_server(ops_db, tmp_path, env=env, name="two")
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
        user_id = requests.post(two.url + "/api/v1/auth/token", json={"phone": "0904000002", "password": PASSWORD},
                                timeout=10).json()["user"]["id"]
        staff = _login(one.url, "0902000001")
        page = staff.get(f"{one.url}/staff/users/{user_id}", timeout=10).text
        resp = staff.post(f"{one.url}/staff/users/{user_id}/ban",
                          data={"csrf_token": _csrf(page), "ban-reason": "Đặt đơn ảo"}, timeout=10)
        assert resp.status_code == 200
        assert banned_closed.wait(10), "the banned person's socket on the other process stayed open"
    finally:
        for c in clients:
            if c.connected:
                c.disconnect()
        one.stop()
        two.stop()
    for srv in (one, two):
        assert "Traceback" not in srv.log(), srv.log()


def test_sockets_only_from_the_site_origin(ops_db, tmp_path):
    """SITE_URL is the only origin a browser may open a socket from (cross-site websocket hijacking)."""
    import websocket

    srv = start_server(ops_db, tmp_path, name="origin")
    ws_url = srv.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    try:
        good = websocket.create_connection(ws_url, origin=srv.url, timeout=10)
        assert good.recv().startswith("0{")  # the engine.io open packet
        good.close()
        with pytest.raises(websocket.WebSocketException):
            bad = websocket.create_connection(ws_url, origin="https://evil.example", timeout=10)
            bad.recv()
    finally:
        srv.stop()
