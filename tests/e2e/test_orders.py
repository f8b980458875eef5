"""On a 360 px phone: a new buyer fills her cart from two shops, checks out once (cash on delivery for the
coffee, a VietQR transfer for the brocade), the sellers confirm, pack and ship, and she follows the timeline,
confirms receipt and rates. Screenshots go to tests/e2e/screenshots/."""

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from market.payments.vietqr import parse_payload
from tests.e2e.conftest import assert_fits_phone, login, shot


def product_path(server, title: str) -> str:
    """The product page of a seeded product (the catalog's page, where our add-to-cart form sits)."""
    engine = sa.create_engine(server.db.url)
    try:
        with engine.connect() as conn:
            pid, slug = conn.execute(sa.text("SELECT id, slug FROM products WHERE title = :t"), {"t": title}).one()
            return f"/p/{pid}-{slug}"
    finally:
        engine.dispose()


def register(page, phone: str, name: str) -> None:
    page.goto("/register")
    page.fill("#phone", phone)
    page.fill("#display_name", name)
    page.fill("#password", "mat-khau-an-toan")
    page.click("form:not(.lang) button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Chào mừng")


def add_to_cart(page, product: str, qty: int) -> None:
    page.goto(product)
    page.fill("#qty", str(qty))
    page.get_by_role("button", name="Thêm vào giỏ").click()
    expect(page.locator(".flash")).to_contain_text("Đã thêm")


def order_link(page, code_shop: str) -> str:
    card = page.locator("section.card", has_text=code_shop)
    return card.get_by_role("link").first.get_attribute("href")


def test_cart_checkout_cod_and_vietqr_then_ship_track_and_rate(server, new_phone_page):
    coffee, brocade = product_path(server, "Cà phê Robusta rang mộc"), product_path(server, "Khăn thổ cẩm")
    buyer = new_phone_page()
    buyer.on("dialog", lambda d: d.accept())
    register(buyer, "0987 222 333", "Lê Thị Mai")

    buyer.goto(coffee)
    assert_fits_phone(buyer)
    shot(buyer, "orders-product-add-to-cart")
    add_to_cart(buyer, coffee, 2)
    add_to_cart(buyer, brocade, 1)
    buyer.goto("/cart")
    expect(buyer.locator(".cart-group")).to_have_count(2)
    assert_fits_phone(buyer)
    shot(buyer, "orders-cart")

    buyer.get_by_role("link", name="Đặt hàng").click()
    buyer.fill("#ship_street", "48 Y Jút, tổ dân phố 5")
    buyer.fill("#ship_commune", "Phường Tân An")
    buyer.fill("#ship_province", "Đắk Lắk")
    # the demo shops have fee tables: the shipping for this address is shown before anything is placed
    buyer.get_by_role("button", name="Cập nhật phí giao hàng cho địa chỉ này").click()
    coffee_group = buyer.locator(".cart-group", has_text="Cà phê Robusta")
    expect(coffee_group.locator(".fee")).to_contain_text("25.000")  # same province as the roaster
    brocade_group = buyer.locator(".cart-group", has_text="Khăn thổ cẩm")
    expect(brocade_group.locator(".fee")).to_contain_text(re.compile("miễn phí", re.I))  # from 200.000 ₫
    coffee_group.get_by_label(re.compile("Tiền mặt khi nhận hàng")).check()
    brocade_group.get_by_label(re.compile("Chuyển khoản ngân hàng")).check()
    assert_fits_phone(buyer)
    shot(buyer, "orders-checkout")
    buyer.get_by_role("button", name="Đặt 2 đơn hàng").click()
    expect(buyer.locator("h1")).to_have_text("Cảm ơn bạn!")
    expect(buyer.locator("section.card")).to_have_count(2)
    shot(buyer, "orders-placed")

    # the transfer order shows a VietQR code with the exact amount and the memo
    buyer.locator("section.card", has_text="Tổ dệt thổ cẩm").get_by_role("link", name="Thanh toán ngay").click()
    expect(buyer.locator(".qr-box svg")).to_be_visible()
    payload = buyer.locator("#qr-payload").input_value()
    parsed = parse_payload(payload)
    code = buyer.locator("h1").inner_text().split()[-1]
    assert (parsed.bank_bin, parsed.amount_vnd, parsed.memo) == ("970418", 250_000, code)
    assert_fits_phone(buyer)
    shot(buyer, "orders-vietqr")
    buyer.get_by_role("button", name="Tôi đã chuyển khoản").click()
    expect(buyer.locator(".flash")).to_contain_text("Người bán sẽ xác nhận")
    brocade_order = buyer.url

    # the weaver sees the new order, confirms the transfer, packs and ships it
    seller = new_phone_page()
    seller.on("dialog", lambda d: d.accept())
    login(seller, "0903000003")
    seller.goto("/sell/orders")
    expect(seller.locator(".order-card", has_text=code)).to_be_visible()
    assert_fits_phone(seller)
    shot(seller, "orders-seller-list")
    seller.locator(".order-card", has_text=code).get_by_role("link", name="Mở đơn").click()
    expect(seller.get_by_text("0987 222 333").first).to_be_visible()  # the buyer's phone, for this seller
    seller.get_by_role("button", name="Đã nhận chuyển khoản").click()
    expect(seller.locator(".flash")).to_contain_text("Đã ghi nhận thanh toán")
    seller.get_by_role("button", name="Đã đóng gói").click()
    seller.fill("#carrier", "Viettel Post")
    seller.fill("#tracking_code", "VTP555000111")
    assert_fits_phone(seller)
    shot(seller, "orders-seller-ship")
    seller.get_by_role("button", name="Đã gửi hàng").click()
    expect(seller.locator(".badge.status")).to_have_text("Đang giao")

    # the buyer is told (badge) and follows the timeline; she confirms receipt and rates
    buyer.goto("/orders")
    expect(buyer.locator(".bottomnav .nav-badge")).to_be_visible()
    shot(buyer, "orders-list")
    buyer.goto(brocade_order)
    timeline = buyer.locator(".timeline")
    for step in ("Đã đặt hàng", "Đã xác nhận", "Đã đóng gói", "Đang giao"):
        expect(timeline).to_contain_text(step)
    expect(buyer.locator("body")).to_contain_text("VTP555000111")
    shot(buyer, "orders-timeline")
    buyer.get_by_role("button", name="Tôi đã nhận được hàng").click()
    expect(buyer.locator(".badge.status")).to_have_text("Đã giao")
    buyer.locator(".star", has_text="★★★★★").click()
    buyer.fill("#comment", "Khăn dệt rất đẹp, màu bền. Cảm ơn chị!")
    buyer.get_by_role("button", name="Gửi đánh giá").click()
    expect(buyer.locator(".flash")).to_contain_text("Cảm ơn bạn đã đánh giá")
    expect(buyer.locator(".reviews")).to_contain_text("Khăn dệt rất đẹp")
    assert_fits_phone(buyer)
    shot(buyer, "orders-rated")

    # the coffee order was confirmed at once (cash on delivery); the address is kept for next time
    buyer.goto("/orders")
    expect(buyer.locator(".order-card", has_text="Cà phê Quảng Phú")).to_contain_text("Đã xác nhận")
    add_to_cart(buyer, coffee, 1)
    buyer.goto("/checkout")
    expect(buyer.locator("#ship_street")).to_have_value("48 Y Jút, tổ dân phố 5")


def test_live_order_is_finished_from_the_order_page(server, new_phone_page):
    """A buyer who ordered in two taps during a live (no address, no payment yet) finishes from the order link."""
    page = new_phone_page()
    login(page, "0904000002")
    page.goto("/orders")
    # the seeded live order (other browser tests may add live orders of hers: take the oldest)
    card = page.locator(".order-card", has_text="Cần thêm địa chỉ và cách thanh toán").last
    expect(card).to_be_visible()
    assert_fits_phone(page)
    shot(page, "orders-demo-buyer")
    card.click()
    expect(page.locator("h2", has_text="Hoàn tất đơn hàng")).to_be_visible()
    expect(page.locator("#ship_street")).to_have_value("Thôn 3")  # her saved address is offered
    expect(page.get_by_label(re.compile("Tiền mặt khi nhận hàng"))).to_have_count(0)  # durian: no cash on delivery
    page.get_by_label(re.compile("Chuyển khoản ngân hàng")).check()
    shot(page, "orders-finish-live-order")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".flash")).to_contain_text("Đã lưu")
    expect(page.locator(".qr-box svg")).to_be_visible()
    assert_fits_phone(page)
