"""The checkout sheet at 360×740, counting taps: a returning buyer reaches a confirmed cash-on-delivery order in two
taps from the live page and never leaves it; "chốt" in the chat opens the sheet on the reserved order."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, assert_fits_phone, login
from tests.e2e.test_codes import code_sent_to  # the code as the server's SMS log shows it (as `make run` does)

TEA_KOL = "0905000001"  # her shop has no payment settings yet: cash on delivery, confirmed at once
TEA = "Chè Shan tuyết cổ thụ"


def go_live_with_tea(host) -> str:
    """The tea KOL opens her scheduled session, goes on air and pins the tea; returns the live page's path."""
    login(host, TEA_KOL)
    host.goto("/live")
    host.get_by_text("Phiên chè Shan tuyết Tủa Sín Chải").click()
    path = re.search(r"/live/\d+", host.url).group(0)
    host.goto(path + "/host")
    host.get_by_role("button", name="Bắt đầu phát").click()
    expect(host.locator("#live-status")).to_have_text("ĐANG LIVE")
    host.select_option("#pin-product", value=host.locator("#pin-product option", has_text=TEA).get_attribute("value"))
    host.fill("#pin-price", "250000")
    host.fill("#pin-quantity", "30")
    host.fill("#pin-limit", "5")
    host.get_by_role("button", name="Ghim", exact=True).click()
    expect(host.locator("#live-result")).to_have_text("Đã ghim.")
    return path


def test_returning_buyer_confirms_cash_on_delivery_in_two_taps(new_phone_page):
    host = new_phone_page()
    path = go_live_with_tea(host)

    buyer = new_phone_page()
    login(buyer, "0904000002")  # Nam: a saved address from earlier orders
    buyer.goto(path)
    card = buyer.locator(".offer", has=buyer.locator(".offer-title", has_text=TEA))
    expect(card.locator(".offer-left")).to_contain_text("Còn 30")
    taps = 0

    def tap(locator):
        nonlocal taps
        taps += 1
        locator.click()

    tap(card.get_by_role("button", name="Đặt ngay"))
    sheet = buyer.locator("#sheet")
    expect(sheet).to_be_visible()
    expect(sheet.locator(".sheet-addr-summary")).to_contain_text("Nguyễn Văn Nam")  # her saved address
    expect(sheet.get_by_label(re.compile("Tiền mặt khi nhận hàng"))).to_be_checked()  # the way to pay, chosen
    expect(sheet.locator(".sheet-total-value")).to_contain_text("250.000")
    assert_fits_phone(buyer)
    buyer.screenshot(path=str(SCREENSHOTS / "live-sheet-returning.png"))  # the screen she sees
    tap(sheet.get_by_role("button", name="Xác nhận"))
    expect(sheet.locator(".sheet-done")).to_contain_text(re.compile(r"Đơn CP\w+ đã được xác nhận"))
    assert taps == 2
    assert re.search(r"/live/\d+$", buyer.url), buyer.url  # never left the live page
    buyer.screenshot(path=str(SCREENSHOTS / "live-sheet-confirmed.png"))  # the screen she sees
    sheet.get_by_role("button", name="Quay lại phiên live").first.click()
    expect(sheet).to_be_hidden()
    expect(card.locator(".offer-left")).to_contain_text("Còn 29")  # the live kept running under the sheet
    expect(host.locator("#host-orders")).to_contain_text("Nguyễn Văn Nam")

    # "chốt 2" in the chat: her line in the chat, the sheet opens on the reserved order; she confirms
    buyer.fill("#chat-text", "chốt 2")
    buyer.locator("#live-chat-form button[type=submit]").click()
    expect(buyer.locator("#live-chat")).to_contain_text("chốt 2")
    expect(sheet).to_be_visible()
    expect(sheet.locator(".sheet-qty-fixed")).to_contain_text("Đã giữ 2")
    expect(sheet.locator(".sheet-hold")).to_contain_text("Còn 1 bước: chọn địa chỉ và cách trả tiền — giữ hàng đến")
    buyer.screenshot(path=str(SCREENSHOTS / "live-sheet-chot.png"))  # the screen she sees
    # she closes it: the live page keeps saying what is missing, until when, with a countdown; "Hoàn tất" reopens
    sheet.get_by_role("button", name="Quay lại phiên live").first.click()
    pending = buyer.locator("#live-pending li")
    expect(pending).to_contain_text("Còn 1 bước: chọn địa chỉ và cách trả tiền — giữ hàng đến")
    expect(pending.locator(".pending-left")).to_contain_text(re.compile(r"còn \d+:\d\d"))
    pending.scroll_into_view_if_needed()
    buyer.screenshot(path=str(SCREENSHOTS / "live-pending-reminder.png"))
    pending.get_by_role("button", name="Hoàn tất").click()
    expect(sheet).to_be_visible()
    sheet.get_by_role("button", name="Xác nhận").click()
    expect(sheet.locator(".sheet-done")).to_contain_text("đã được xác nhận")
    expect(card.locator(".offer-left")).to_contain_text("Còn 27")
    expect(pending).to_have_count(0)
    sheet.get_by_role("button", name="Quay lại phiên live").first.click()
    # a bad claim: she alone is told how to write it
    buyer.fill("#chat-text", "chốt hai")
    buyer.locator("#live-chat-form button[type=submit]").click()
    expect(buyer.locator("#chat-error")).to_contain_text("Hãy ghi số lượng bằng số")
    assert_fits_phone(buyer)


def test_a_new_buyer_completes_in_the_sheet_without_leaving_the_live(phone_page, server):
    page = phone_page
    page.goto("/live/1")  # the demo's durian session: paid by bank transfer
    card = page.locator(".offer", has=page.locator(".offer-title", has_text="Sầu riêng Ri6"))
    left = card.locator(".offer-left")
    expect(left).to_contain_text("Còn")
    before = int(re.search(r"Còn ([\d.]+)", left.inner_text()).group(1).replace(".", ""))
    addresses = []
    page.on("framenavigated", lambda frame: addresses.append(frame.url) if frame == page.main_frame else None)

    card.get_by_role("button", name="Đặt ngay").click()
    sheet = page.locator("#sheet")
    expect(sheet.locator(".sheet-account")).to_be_visible()  # not logged in: who is ordering, in the sheet
    sheet.locator("#sheet-phone").fill("0987 654 321")
    sheet.locator("#sheet-name").fill("Y Blơ Niê")
    code = code_sent_to(server, "+84987654321", sheet.get_by_role("button", name="Gửi mã qua SMS cho tôi").click)
    expect(sheet.locator(".sheet-code-sent")).to_contain_text("0987 654 321")
    sheet.locator("#sheet-code").fill(code)
    sheet.locator("#sheet-ship_street").fill("Buôn Trấp")
    sheet.locator("#sheet-ship_province").fill("Đắk Lắk")
    expect(sheet.get_by_label(re.compile("Chuyển khoản"))).to_be_checked()
    page.screenshot(path=str(SCREENSHOTS / "live-sheet-new-buyer.png"))  # what she sees (the viewport)
    sheet.get_by_role("button", name="Xác nhận").click()
    expect(sheet.locator(".sheet-done")).to_contain_text(re.compile(r"Đơn CP\w+ đã được lưu"))
    expect(sheet.locator(".qr-box svg")).to_be_visible()  # the VietQR panel, in the sheet
    page.screenshot(path=str(SCREENSHOTS / "live-sheet-new-buyer-qr.png"))
    assert addresses == [] and re.search(r"/live/1$", page.url), addresses  # the page never left /live/1
    sheet.get_by_role("button", name="Quay lại phiên live").first.click()
    expect(left).to_contain_text(f"Còn {before - 1:,}".replace(",", "."))
    assert_fits_phone(page)
