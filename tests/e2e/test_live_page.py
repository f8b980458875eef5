"""A live page's life in a real browser at 360×740: a KOL schedules a session with a YouTube stream, goes live
and pins a flash deal (a countdown of 0 minutes is refused beside the field); a buyer sees the countdown and
the "Order now" button without scrolling, whatever the player above it; the KOL pastes the replay link while
on air (the edit form no longer asks for the past date) and ends the session; the buyer's page turns into the
ended page: one message, the replay, what sold, no chat, no hearts."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, login, shot, wait_until

# Some element of the selector is shown, whole, between the top of the screen and the bottom menu.
IN_VIEW = """sel => { const nav = document.querySelector('.bottomnav').getBoundingClientRect().top;
  return [...document.querySelectorAll(sel)].some(el => { const r = el.getBoundingClientRect();
    return el.checkVisibility() && r.width > 0 && r.top >= 0 && r.bottom <= nav; }); }"""


def test_flash_deal_layout_replay_and_the_end(new_phone_page):
    host = new_phone_page()
    login(host, "0905000002")  # not the tea KOL: test_live_checkout leaves her session on air
    host.goto("/live/new")
    host.fill("#title", "Chè Shan tuyết giá sốc")
    host.fill("#stream_url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    vietnam = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    host.fill("#scheduled_at", (vietnam + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    host.locator("main form button[type=submit]").click()
    expect(host).to_have_url(re.compile(r"/live/\d+/host$"))
    session_url = host.url.removesuffix("/host").replace(host.url.split("/live/")[0], "")
    host.get_by_role("button", name=re.compile("Bắt đầu phát")).click()
    expect(host.locator("#live-status")).to_have_text("ĐANG LIVE")

    host.fill("#pin-quantity", "20")
    host.fill("#pin-minutes", "0")
    host.get_by_role("button", name="Ghim", exact=True).click()
    expect(host.locator("#pin-minutes-error")).to_contain_text("từ 1 đến 30 phút")
    expect(host.locator(".host-offer")).to_have_count(0)
    host.fill("#pin-minutes", "5")
    host.get_by_role("button", name="Ghim", exact=True).click()
    expect(host.locator("#pin-minutes-error")).to_be_hidden()
    expect(host.locator(".host-offer .offer-timer")).to_contain_text(re.compile(r"còn [45]:\d\d"))

    buyer = new_phone_page()
    login(buyer, "0904000001")
    buyer.goto(session_url)
    expect(buyer.locator(".video-frame iframe")).to_have_attribute("src", re.compile("youtube-nocookie.com/embed/"))
    timer = buyer.locator(".offer .offer-timer")
    expect(timer).to_contain_text(re.compile(r"Giá sốc: còn [45]:\d\d"))
    # The order button is on screen without scrolling (the card's own, or the bar that stands for it).
    wait_until(buyer, IN_VIEW, ".offer .offer-order, #live-bar .live-bar-order")
    expect(buyer.locator("#live-bar")).to_be_visible()
    expect(buyer.locator("#live-bar")).to_contain_text("Giá sốc: còn")
    assert_fits_phone(buyer)
    buyer.screenshot(path=str(shot(buyer, "live-flash-360").with_name("live-flash-360-viewport.png")))
    # Scrolled down to the card itself, the bar steps aside.
    buyer.locator(".offer .offer-order").scroll_into_view_if_needed()
    expect(buyer.locator("#live-bar")).to_be_hidden()

    # The KOL pastes the replay link while on air: the form has no date any more, and it saves.
    host.goto(session_url + "/edit")
    expect(host.locator("#scheduled_at")).to_have_count(0)
    host.fill("#replay_url", "https://youtu.be/dQw4w9WgXcQ")
    host.locator("main form button[type=submit]").click()
    expect(host).to_have_url(re.compile(r"/live/\d+/host$"))
    host.once("dialog", lambda dialog: dialog.accept())
    host.get_by_role("button", name="Kết thúc phiên live").click()
    expect(host.locator("#live-status")).to_have_text("Đã kết thúc")

    # The buyer's page becomes the ended page by itself (within ten seconds).
    expect(buyer.locator("[data-ended-note]")).to_contain_text("Phiên live đã kết thúc", timeout=20000)
    expect(buyer.locator("#live-chat-form")).to_have_count(0)
    expect(buyer.locator("#live-heart")).to_have_count(0)
    expect(buyer.locator(".live-video iframe")).to_have_attribute("src", re.compile("youtube-nocookie"))
    expect(buyer.get_by_role("link", name="Facebook")).to_be_visible()
    expect(buyer.get_by_role("button", name=re.compile("Theo dõi"))).to_be_visible()
    assert_fits_phone(buyer)
    shot(buyer, "live-ended-360")
