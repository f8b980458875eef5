"""Commune staff on a laptop (and a check at 360 px): approve a shop, grant the KOL badge, read the figures."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, login, shot, wait_until

LAPTOP = {"width": 1280, "height": 800}
STAFF_EA_KNUEC = "0902000001"
PENDING_SELLER = "0903000004"


@pytest.fixture
def laptop_page(browser, server):
    """A laptop-sized page; fails the test on CSP violations or JavaScript errors, like the phone pages."""
    problems: list[str] = []
    context = browser.new_context(viewport=LAPTOP, locale="vi-VN", base_url=server.url, accept_downloads=True)
    context.set_default_timeout(15000)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and ("Content Security Policy" in msg.text or "Refused" in msg.text)
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    yield page
    context.close()
    assert not problems, problems


def test_staff_approves_a_shop_and_grants_the_kol_badge(laptop_page, new_phone_page):
    page = laptop_page
    login(page, STAFF_EA_KNUEC)
    page.get_by_role("link", name="Cán bộ").click()
    expect(page.locator("h1")).to_have_text("Bàn làm việc của cán bộ")
    shot(page, "staff-desk-laptop")
    page.get_by_role("link", name=re.compile("gian hàng chờ duyệt")).click()
    expect(page.get_by_role("link", name="Hồ tiêu Y Điêng")).to_be_visible()
    shot(page, "staff-sellers-queue-laptop")
    page.get_by_role("link", name="Hồ tiêu Y Điêng").click()
    expect(page.locator(".badge-wait")).to_have_text("Chờ duyệt")
    shot(page, "staff-seller-pending-laptop")

    # refusing needs a reason, shown beside the field
    page.get_by_role("button", name="Từ chối và tạm ngừng").click()
    expect(page.locator("#suspend-reason-error")).to_contain_text("Hãy nêu lý do")

    page.get_by_role("button", name="Duyệt: mở gian hàng").click()
    expect(page.locator(".flash")).to_contain_text("Gian hàng đã được mở")
    page.get_by_role("button", name="Cấp huy hiệu KOL").click()
    expect(page.locator(".flash")).to_contain_text("Đã cấp huy hiệu KOL")
    expect(page.locator(".card .badge-kol").first).to_have_text("KOL của xã")
    expect(page.locator(".history")).to_contain_text("Đã duyệt người bán")
    shot(page, "staff-seller-approved-kol-laptop")

    # the audit log has both, with the staff member's name
    page.get_by_role("link", name="Nhật ký thao tác", exact=True).click()
    expect(page.locator("table.audit")).to_contain_text("Đã cấp huy hiệu KOL")
    expect(page.locator("table.audit")).to_contain_text("Cán bộ xã Ea Knuếc")
    shot(page, "staff-audit-laptop")

    # the seller sees the outcome on their phone
    seller = new_phone_page()
    login(seller, PENDING_SELLER)
    seller.goto("/sell/apply")
    expect(seller.locator(".badge-ok")).to_have_text("Gian hàng của bạn đã mở")
    expect(seller.locator(".badge-kol")).to_have_text("KOL của xã")
    expect(seller.locator(".history")).to_contain_text("Đã cấp huy hiệu KOL")
    assert_fits_phone(seller)
    shot(seller, "seller-approved-kol-phone")


def test_dashboard_on_a_laptop_with_csv_export(laptop_page):
    page = laptop_page
    login(page, STAFF_EA_KNUEC)
    page.goto("/staff/dashboard")
    expect(page.locator("h1")).to_have_text("Kinh tế số xã Ea Knuếc")
    delivered = page.locator('[data-figure="delivered_value"]')
    expect(delivered).to_contain_text("₫")
    assert delivered.inner_text().strip() != "0 ₫"  # the demo's month of orders
    assert page.locator("figure.chart svg rect").count() >= 30
    shot(page, "staff-dashboard-laptop")
    with page.expect_download() as info:
        page.get_by_role("link", name="Xuất CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("ea-knuec-") and download.suggested_filename.endswith(".csv")
    text = open(download.path(), encoding="utf-8-sig").read()
    rows = {(r[0], r[1]): r[2] for r in csv.reader(io.StringIO(text)) if len(r) == 3}
    assert int(rows[("Đơn hàng", "Giá trị đã giao (đồng)")]) > 0


def test_staff_pages_fit_a_phone(new_phone_page):
    page = new_phone_page()
    login(page, STAFF_EA_KNUEC)
    for path, name in [
        ("/staff/", "staff-desk-phone"),
        ("/staff/sellers?status=all", "staff-sellers-phone"),
        ("/staff/dashboard", "staff-dashboard-phone"),
        ("/staff/reports", "staff-reports-phone"),
        ("/staff/audit", "staff-audit-phone"),
        ("/staff/assisted/new", "staff-assisted-phone"),
    ]:
        page.goto(path)
        assert_fits_phone(page)
        shot(page, name)
    # five entries at most in the bottom bar, with "Cán bộ" among them
    labels = [t.strip() for t in page.locator(".bottomnav a").all_inner_texts()]
    assert "Cán bộ" in labels and len(labels) <= 5
    for box in [a.bounding_box() for a in page.locator(".staff-tabs a").all()]:
        assert box["height"] >= 44


# ---- the review queue and the live moderator view, at 360 px ------------------------------------------------

KOL = "0903000001"  # H'Hà Niê, whose shop has the demo's listing waiting for review
PENDING_LISTING = "Sầu riêng Ri6 loại 2 (trái nhỏ)"


def test_review_queue_reject_resubmit_bulk_approve_and_ocop_on_a_phone(new_phone_page):
    staff = new_phone_page()
    login(staff, STAFF_EA_KNUEC)
    staff.goto("/staff/")
    staff.get_by_role("link", name=re.compile("tin đăng chờ duyệt")).click()
    item = staff.locator(".review-item", has_text=PENDING_LISTING)
    expect(item.locator(".review-photos img").first).to_be_visible()  # photos right in the queue
    wait_until(staff, "() => [...document.querySelectorAll('.review-photos img')].every(i => i.naturalWidth > 0)")
    assert_fits_phone(staff)
    shot(staff, "staff-review-queue-phone")

    item.get_by_role("link", name=PENDING_LISTING).click()
    expect(staff.locator("h1")).to_have_text(PENDING_LISTING)
    staff.get_by_role("button", name="Từ chối", exact=True).click()  # no reason: refused beside the field
    expect(staff.locator("#reject-reason-error")).to_contain_text("Hãy nêu lý do")
    staff.get_by_label(re.compile("Ảnh bị mờ")).check()
    staff.fill("#reject-reason", "Chụp cả trái, rõ cuống.")
    assert_fits_phone(staff)
    shot(staff, "staff-review-reject-phone")
    staff.get_by_role("button", name="Từ chối", exact=True).click()
    expect(staff.locator(".flash")).to_contain_text("người bán sẽ thấy lý do")

    # the seller reads the reason beside the listing, and sends it again
    seller = new_phone_page()
    login(seller, KOL)
    seller.goto("/sell/products?status=rejected")
    row = seller.locator(".myitem", has_text=PENDING_LISTING)
    expect(row.locator(".reason")).to_contain_text(
        "Ảnh bị mờ hoặc không chụp chính sản phẩm. Vui lòng chụp lại. Chụp cả trái, rõ cuống."
    )
    shot(seller, "seller-reads-rejection-phone")
    row.get_by_role("button", name="Gửi duyệt").click()
    expect(seller.locator(".flash")).to_contain_text("Đã gửi")

    # back in the queue: tick it and approve in bulk
    staff.goto("/staff/listings")
    staff.locator(".review-item", has_text=PENDING_LISTING).locator("input[name=ids]").check()
    staff.get_by_role("button", name="Duyệt các tin đã chọn").click()
    expect(staff.locator(".flash")).to_contain_text("Đã duyệt 1 tin đăng")
    expect(staff.locator(".review-item", has_text=PENDING_LISTING)).to_have_count(0)

    # the OCOP 4★ claim of the Monthong durian, checked against its certificate
    staff.get_by_role("link", name="OCOP", exact=True).click()
    staff.locator("#check-h ~ .queue").get_by_role("link", name="Sầu riêng Monthong").click()
    staff.fill("#ocop-certificate_no", "OCOP-DL-2025-0412")
    staff.select_option("#ocop-stars", "4")
    staff.fill("#ocop-issued_on", (date.today() - timedelta(days=120)).isoformat())
    staff.get_by_role("button", name="Xác minh", exact=True).click()
    expect(staff.locator(".flash")).to_contain_text("Đã xác minh OCOP")
    expect(staff.locator('[data-ocop="verified"]').first).to_be_visible()
    assert_fits_phone(staff)
    shot(staff, "staff-ocop-verified-phone")
    staff.get_by_role("link", name=re.compile("Mở trang sản phẩm")).click()
    expect(staff.locator('dd[data-ocop="verified"]')).to_contain_text("4 sao: cấp tỉnh")


def chat_item(page, text):
    return page.locator("#live-chat .chat-item", has=page.locator(".chat-text", has_text=text))


def test_the_moderator_view_on_a_phone(new_phone_page):
    staff = new_phone_page()
    login(staff, STAFF_EA_KNUEC)
    staff.goto("/staff/live")
    staff.get_by_role("link", name="Phiên sầu riêng Ea Knuếc").click()
    expect(staff.locator("#live-status")).to_have_text("ĐANG LIVE")
    expect(staff.locator("#live-banner")).to_be_hidden()

    buyer = new_phone_page()
    login(buyer, "0904000002")
    buyer.goto("/live/1")
    viewer = new_phone_page()
    viewer.goto("/live/1")
    expect(viewer.locator("#live-status")).to_have_text("ĐANG LIVE")
    buyer.fill("#chat-text", "Mua hàng giả ở đây rẻ hơn nhiều")
    buyer.get_by_role("button", name="Gửi", exact=True).click()
    message = chat_item(staff, "Mua hàng giả ở đây")
    expect(message).to_be_visible()  # the moderator sees it as it happens
    expect(chat_item(viewer, "Mua hàng giả ở đây")).to_be_visible()
    assert_fits_phone(staff)
    shot(staff, "staff-moderator-view-phone")

    # removed: it vanishes for every viewer at once
    message.get_by_role("button", name="Gỡ tin nhắn").click()
    expect(chat_item(viewer, "Mua hàng giả ở đây")).to_have_count(0)
    expect(chat_item(buyer, "Mua hàng giả ở đây")).to_have_count(0)
    expect(message).to_have_count(0)

    # muted for 10 minutes (an absurd length is refused first)
    buyer.fill("#chat-text", "Sao lại gỡ của tôi")
    buyer.get_by_role("button", name="Gửi", exact=True).click()
    second = chat_item(staff, "Sao lại gỡ")
    second.get_by_role("button", name="Cấm chat…").click()
    expect(staff.locator("#mute-panel")).to_be_visible()
    staff.fill("#mute-minutes", "-5")
    staff.locator("#mute-form").get_by_role("button", name="Cấm chat", exact=True).click()
    expect(staff.locator("#mute-error")).to_contain_text("1 phút")
    staff.get_by_role("button", name="10 phút").click()
    shot(staff, "staff-mute-panel-phone")
    staff.locator("#mute-form").get_by_role("button", name="Cấm chat", exact=True).click()
    expect(staff.locator("#live-result")).to_contain_text("không thể chat cho đến")
    # the time is the commune's (Vietnam), as on every page, not the browser's time zone (UTC here)
    shown = re.search(r"cho đến (\d\d:\d\d)", staff.locator("#live-result").inner_text()).group(1)
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert shown in {(now + timedelta(minutes=m)).strftime("%H:%M") for m in (9, 10, 11)}
    buyer.fill("#chat-text", "Tôi vẫn muốn nói")
    buyer.get_by_role("button", name="Gửi", exact=True).click()
    expect(buyer.locator("#chat-error")).to_contain_text("tạm thời không thể")
    shot(buyer, "buyer-muted-phone")

    # a word added to the commune's filter is refused, whatever the accents and capitals
    staff.fill("#word-word", "Hàng nhái")
    staff.get_by_role("button", name="Thêm vào bộ lọc").click()
    expect(staff.locator(".flash")).to_contain_text("bị chặn")
    expect(staff.locator(".word-list")).to_contain_text("Hàng nhái")
    assert_fits_phone(staff)
    shot(staff, "staff-word-filter-phone")
    other = new_phone_page()
    login(other, "0904000001")
    other.goto("/live/1")
    other.fill("#chat-text", "Có phải HANG NHAI không shop?")
    other.get_by_role("button", name="Gửi", exact=True).click()
    expect(other.locator("#chat-error")).to_contain_text("không được phép")
    shot(other, "buyer-word-refused-phone")


def test_a_long_unbroken_chat_message_reported_fits_the_phone(new_phone_page):
    """User text with no space to break at (a 300-letter "word") wraps on every page that shows it: the report
    form, the reporter's list and the staff queue were 1500 px wide with it."""
    word = "Q" * 300
    buyer = new_phone_page()
    login(buyer, "0904000001")
    buyer.goto("/live/1")
    expect(buyer.locator("#live-banner")).to_be_hidden()
    buyer.fill("#chat-text", word)
    buyer.get_by_role("button", name="Gửi", exact=True).click()
    other = new_phone_page()
    login(other, "0904000002")
    other.goto("/live/1")
    message = chat_item(other, word[:50])
    expect(message).to_have_count(1)
    assert_fits_phone(other)
    message.get_by_role("link", name="Báo cáo").click()
    expect(other.get_by_role("heading", name="Báo cáo vi phạm")).to_be_visible()
    assert_fits_phone(other)
    other.select_option("#category", "spam")
    other.fill("#text", "R" * 300)
    other.get_by_role("button", name="Gửi báo cáo").click()
    expect(other).to_have_url(re.compile(r"/reports$"))
    assert_fits_phone(other)
    staff = new_phone_page()
    login(staff, STAFF_EA_KNUEC)
    staff.goto("/staff/reports")
    expect(staff.locator(".queue").get_by_text(word[:50], exact=False).first).to_be_visible()
    assert_fits_phone(staff)
    shot(staff, "staff-reports-long-word-phone")
