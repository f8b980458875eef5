"""Our own live video in real browsers: the host's phone publishes Chromium's fake camera through the app to
Janus; a viewer at 360×740 plays it (decoded frames counted) with the pinned offer's order button on screen; a
second phone of the host is refused until it takes the stream over; the first phone is told."""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import expect

from tests.conftest import need_service
from tests.e2e.conftest import CHROMIUM_ARGS, PHONE, login, shot, wait_until
from tests.servers import PYTHON, ROOT

HOST_PHONE = "0906000018"  # a KOL of this test only (tests share one seeded server)
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

SETUP = """
from market import create_app
from market.extensions import db
app = create_app()
with app.app_context():
    from market.live import offers, sessions
    from market.live.seed import _kol, _product
    from market.live.models import LiveSession, SessionStatus
    from market.database import utcnow
    kol = _kol("{phone}", "Ksor H'Bia", "Ea Knuếc", "Vườn bơ Ea Knuếc", "Bơ sáp 034.")
    product = _product(kol, "Bơ sáp 034", "avocado", "kg", 45000, 300, "Bơ sáp dẻo.")
    session = LiveSession(seller_id=kol.seller_profile.id, commune_id=kol.seller_profile.commune_id,
                          title="Phiên bơ sáp có video", description="", scheduled_at=utcnow(),
                          stream_url="https://www.tiktok.com/@chophien.bo/live", status=SessionStatus.SCHEDULED)
    db.session.add(session)
    db.session.flush()
    sessions.start_session(session, kol)
    db.session.refresh(session)
    offers.pin_offer(session, kol, product.id, 39000, 100, 5)
    db.session.commit()
    print(session.id)
"""


@pytest.fixture(scope="module")
def media_browser(playwright_driver, chromium_path):
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_path, args=CHROMIUM_ARGS + MEDIA_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def phones(media_browser, server):
    contexts, problems = [], []

    def new():
        context = media_browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN", base_url=server.url
        )
        context.set_default_timeout(20000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on(
            "console", lambda m: problems.append(m.text) if m.type == "error" and "Content Security" in m.text else None
        )
        return page

    yield new
    for context in contexts:
        context.close()
    assert not problems, problems


def frames(page) -> int:
    return page.evaluate("() => document.getElementById('video-live').getVideoPlaybackQuality().totalVideoFrames")


def in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        """s => [...document.querySelectorAll(s)].some(el => {
        const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
        return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && st.visibility !== 'hidden';
    })""",
        selector,
    )


def test_the_host_streams_from_her_phone_and_a_viewer_watches_beside_the_order_button(server, phones):
    need_service("Janus", getattr(server, "video", False), "the test Janus does not answer (deploy/janus.sh)")
    out = subprocess.run(
        [PYTHON, "-c", SETUP.format(phone=HOST_PHONE)],
        cwd=ROOT,
        env=server.db.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    session_id = int(out.stdout.strip().splitlines()[-1])

    host = phones()
    login(host, HOST_PHONE)
    host.goto(f"/live/{session_id}/host")
    panel = host.locator("#video-host")
    expect(panel.locator("h2")).to_contain_text("Phát trực tiếp từ điện thoại này")
    host.get_by_role("button", name="Bật camera").click()
    expect(host.locator("#video-host-check")).to_contain_text("kbit/s")  # the uplink check
    wait_until(host, "() => document.getElementById('video-preview').videoWidth > 0")
    shot(host, "video-host-preview")
    host.get_by_role("button", name="Bắt đầu", exact=True).click()
    expect(host.locator("#video-host-status")).to_contain_text("Bạn đang phát trực tiếp", timeout=45000)
    expect(panel).to_have_attribute("data-on-air", "1")

    viewer = phones()
    ended = []  # the viewer's DELETEs of its subscriptions, answered
    viewer.on(
        "response",
        lambda r: ended.append(r.status) if r.request.method == "DELETE" and "/video/whep/" in r.url else None,
    )
    viewer.goto(f"/live/{session_id}")
    expect(viewer.locator("#video-player")).to_be_visible()
    wait_until(
        viewer,
        "n => document.getElementById('video-live').getVideoPlaybackQuality().totalVideoFrames > n",
        5,
        timeout=30,
    )
    first = frames(viewer)
    # the pinned offer's order button stays on screen, without scrolling, while the video plays
    assert viewer.evaluate("() => scrollY") == 0
    assert in_viewport(viewer, ".offer .offer-order") or in_viewport(viewer, "#live-bar:not([hidden]) .live-bar-order")
    viewer.wait_for_timeout(1500)
    assert frames(viewer) > first  # still playing: frames keep being decoded
    expect(viewer.locator("#video-unmute")).to_be_visible()
    viewer.locator("#video-unmute").click()
    assert viewer.evaluate("() => document.getElementById('video-live').muted") is False
    shot(viewer, "video-viewer-360")

    # a second phone of the host: refused while the first one streams, then takes it over
    second = phones()
    login(second, HOST_PHONE)
    second.goto(f"/live/{session_id}/host")
    second.get_by_role("button", name="Bật camera").click()
    second.get_by_role("button", name="Bắt đầu", exact=True).click()
    expect(second.locator("#video-host-status")).to_contain_text("đang được phát từ một điện thoại", timeout=45000)
    second.locator("#video-replace").click()
    expect(second.locator("#video-host-status")).to_contain_text("Bạn đang phát trực tiếp", timeout=45000)
    # the first phone is told, and does not take the stream back when its connection drops
    expect(host.locator("#video-host-status")).to_contain_text("đã chuyển sang", timeout=45000)
    # the viewer follows the new feed (its keepalive says the feed changed, or its stall check): frames keep coming
    before = frames(viewer)
    wait_until(
        viewer,
        "n => document.getElementById('video-live').getVideoPlaybackQuality().totalVideoFrames > n",
        before + 10,
        timeout=60,
    )
    assert ended and all(status < 300 for status in ended)  # it ended the old subscription while making the new
    second.get_by_role("button", name="Dừng phát").click()
    expect(second.locator("#video-host-status")).to_contain_text("Đã dừng phát")
