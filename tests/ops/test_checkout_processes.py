"""Property 11 through HTTP: four buyers on two server processes check out carts holding the same three
products in opposite order, 15 rounds; not one sees an error, every stock goes down by 4 each round."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.ops.conftest import PASSWORD, assert_clean_log, query
from tests.servers import start_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.processes]

BUYERS = ["0904000001", "0904000002", "0903000001", "0902000001"]  # none sells what they buy here
TITLES = ["Cà phê Robusta rang mộc", "Hồ tiêu đen Quảng Phú", "Vải thổ cẩm dệt tay"]  # two shops
ROUNDS = 15


def _field(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]+)"', html).group(1)


def _login(url: str, phone: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{url}/login", timeout=10).text
    resp = s.post(
        f"{url}/login",
        data={"csrf_token": _field(page, "csrf_token"), "phone": phone, "password": PASSWORD},
        timeout=10,
        allow_redirects=False,
    )
    assert resp.status_code == 302, resp.text[:500]
    return s


def stocks(url: str) -> dict[str, int]:
    return dict(query(url, "SELECT title, stock FROM products WHERE title = ANY(:t)", t=TITLES))


def test_opposite_carts_through_two_server_processes(ops_db, tmp_path):
    a = start_server(ops_db, tmp_path, name="a")
    b = start_server(ops_db, tmp_path, name="b")
    try:
        ids = dict(query(ops_db.url, "SELECT title, id FROM products WHERE title = ANY(:t)", t=TITLES))
        sellers = {
            sid
            for (sid,) in query(ops_db.url, "SELECT DISTINCT seller_id FROM products WHERE title = ANY(:t)", t=TITLES)
        }
        servers = [a.url, b.url, a.url, b.url]
        sessions = [_login(url, phone) for url, phone in zip(servers, BUYERS, strict=True)]
        barrier = threading.Barrier(len(BUYERS))
        before = stocks(ops_db.url)
        failures: list[str] = []
        after: list[dict[str, int]] = []

        tokens = [
            _field(s.get(f"{url}/checkout", timeout=10).text, "csrf_token")  # one per session, reused
            for s, url in zip(sessions, servers, strict=True)
        ]

        def one(i: int, r: int) -> None:
            s, url = sessions[i], servers[i]
            for title in TITLES if i % 2 == 0 else list(reversed(TITLES)):
                resp = s.post(
                    f"{url}/cart/add",
                    data={"csrf_token": tokens[i], "product_id": ids[title], "qty": 1},
                    timeout=10,
                    allow_redirects=False,
                )
                assert resp.status_code == 302, resp.text[:300]
            data = {
                "csrf_token": tokens[i],
                "attempt": f"round{r:04d}buyer{i:04d}",  # what the page's would be
                "ship_name": "Khách thử",
                "ship_phone": "0912345678",
                "ship_street": "12 Lê Duẩn",
                "ship_commune": "Ea Knuếc",
                "ship_province": "Đắk Lắk",
                **{f"method-{sid}": "cod" for sid in sellers},
            }
            barrier.wait(timeout=60)
            resp = s.post(f"{url}/checkout", data=data, timeout=30, allow_redirects=False)
            if resp.status_code != 302 or "/checkout/done/" not in resp.headers.get("Location", ""):
                failures.append(f"{resp.status_code}: {resp.text[:200]}")

        with ThreadPoolExecutor(max_workers=len(BUYERS)) as pool:
            for r in range(ROUNDS):
                list(pool.map(lambda i, r=r: one(i, r), range(len(BUYERS))))
                after.append(stocks(ops_db.url))
        assert failures == []
        for r, seen in enumerate(after, start=1):
            assert seen == {t: before[t] - len(BUYERS) * r for t in TITLES}, f"round {r}"
        for server in (a, b):
            assert_clean_log(server)
            assert "deadlock" not in server.log()
    finally:
        a.stop()
        b.stop()
