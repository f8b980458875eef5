"""The live page tells its viewer it is reconnecting while the servers have lost Redis, and catches up after.

A second server process on the e2e database with a PRIVATE ``redis-server`` (never the shared one), which the
test kills and restarts; the page's script shows its banner on ``relay {ok: false}`` and joins again on
``relay {ok: true}``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import REQUIRE_SERVICES
from tests.e2e.conftest import PHONE, SCREENSHOTS, wait_until
from tests.servers import RedisServer, start_server

pytestmark = pytest.mark.services


@pytest.fixture
def redis_backed_server(server, tmp_path):
    redis = RedisServer(tmp_path)
    if not redis.available:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is required (MARKET_REQUIRE_SERVICES=1) to stop a private Redis")
        pytest.skip("redis-server is not installed: cannot stop a private Redis")
    redis.start()
    prefix = f"test-e2e-banner-{redis.port}"
    srv = start_server(
        server.db,
        tmp_path,
        env={"REDIS_URL": redis.url, "SOCKETIO_CHANNEL": prefix, "LIVE_REDIS_PREFIX": prefix},
        name="banner",
    )
    srv.redis = redis
    yield srv
    srv.stop()
    redis.stop()
    log = srv.log()
    assert "Traceback" not in log, log


def test_the_live_page_says_it_is_reconnecting_while_redis_is_down(browser, redis_backed_server):
    srv, redis = redis_backed_server, redis_backed_server.redis
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN", base_url=srv.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/live/1")
        banner = page.locator("#live-banner")
        expect(page.locator("#live-offers .offer").first).to_be_visible()
        wait_until(page, "() => window.ChoPhienLive && window.ChoPhienLive.socket.connected")
        expect(banner).to_be_hidden()
        redis.kill()
        expect(banner).to_be_visible(timeout=10000)
        expect(banner).to_have_text(re.compile("Đang kết nối lại"))
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "live-reconnecting-redis.png"))
        redis.start()
        expect(banner).to_be_hidden(timeout=15000)
    finally:
        context.close()
    assert not errors, errors
