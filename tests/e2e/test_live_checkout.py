"""The checkout sheet at 360×740, counting taps: a returning buyer reaches a confirmed cash-on-delivery order in two
taps from the live page and never leaves it; "chốt" in the chat opens the sheet on the reserved order."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, login, shot

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
    shot(buyer, "live-sheet-returning")
    tap(sheet.get_by_role("button", name="Xác nhận"))
    expect(sheet.locator(".sheet-done")).to_contain_text(re.compile(r"Đơn CP\w+ đã được xác nhận"))
    assert taps == 2
    assert re.search(r"/live/\d+$", buyer.url), buyer.url  # never left the live page
    shot(buyer, "live-sheet-confirmed")
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
    shot(buyer, "live-sheet-chot")
    sheet.get_by_role("button", name="Xác nhận").click()
    expect(sheet.locator(".sheet-done")).to_contain_text("đã được xác nhận")
    expect(card.locator(".offer-left")).to_contain_text("Còn 27")
    sheet.get_by_role("button", name="Quay lại phiên live").first.click()
    # a bad claim: she alone is told how to write it
    buyer.fill("#chat-text", "chốt hai")
    buyer.locator("#live-chat-form button[type=submit]").click()
    expect(buyer.locator("#chat-error")).to_contain_text("Hãy ghi số lượng bằng số")
    assert_fits_phone(buyer)
