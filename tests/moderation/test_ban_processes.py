"""A ban reaches the banned user's socket held by another server process (through Redis)."""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests

from tests.servers import ServerDB, start_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.processes]

BUYER = "0904000002"  # a demo buyer with orders in Ea Knuếc
STAFF = "0902000001"  # staff of Ea Knuếc
PASSWORD = "chophien123"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_a_ban_on_one_process_closes_the_socket_on_another(tmp_path, redis_url):
    import socketio

    db = ServerDB.create(tmp_path)
    env = {"REDIS_URL": redis_url}
    a = start_server(db, tmp_path, env=env, name="a")
    b = start_server(db, tmp_path, env=env, name="b")
    client = socketio.Client(reconnection=False)
    try:
        token = requests.post(
            f"{b.url}/api/v1/auth/token", json={"phone": BUYER, "password": PASSWORD}, timeout=10
        ).json()["token"]
        user_id = requests.get(f"{b.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()[
            "user"
        ]["id"]
        banned = threading.Event()
        got: list = []

        def on_banned(data):
            got.append(data)
            banned.set()
            client.disconnect()  # what the page's script does

        client.on("banned", on_banned, namespace="/live")
        client.connect(b.url, namespaces=["/live"], auth={"token": token}, transports=["websocket"], wait_timeout=10)
        assert client.connected

        staff = requests.Session()
        page = staff.get(f"{a.url}/login", timeout=10).text
        staff.post(f"{a.url}/login", data={"csrf_token": _csrf(page), "phone": STAFF, "password": PASSWORD}, timeout=10)
        page = staff.get(f"{a.url}/staff/users/{user_id}", timeout=10)
        assert page.status_code == 200
        started = time.monotonic()
        resp = staff.post(
            f"{a.url}/staff/users/{user_id}/ban",
            data={"csrf_token": _csrf(page.text), "ban-reason": "Đặt đơn ảo liên tục"},
            timeout=10,
        )
        assert resp.status_code == 200 and "Tài khoản đã bị khóa" in resp.text  # after the redirect
        assert banned.wait(10), "the banned event never reached the other process's socket"
        print(f"ban → socket on the other process told in {1000 * (time.monotonic() - started):.0f} ms")
        assert "Đặt đơn ảo liên tục" in got[0]["message"]
        # the old token no longer opens a socket anywhere
        late = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            late.connect(b.url, namespaces=["/live"], auth={"token": token}, transports=["websocket"], wait_timeout=10)
    finally:
        if client.connected:
            client.disconnect()
        a.stop()
        b.stop()
