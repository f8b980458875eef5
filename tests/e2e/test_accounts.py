"""A new visitor on a 360 px phone: register, switch language, log out and in, apply to sell."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, login, shot


def test_home_fits_a_phone_and_shows_communes(phone_page):
    phone_page.goto("/")
    expect(phone_page.locator("h1")).to_have_text("Ngày nào cũng là phiên chợ")
    expect(phone_page.get_by_role("link", name=re.compile("^Ea Knuếc"))).to_be_visible()
    assert_fits_phone(phone_page)
    # big touch targets in the bottom navigation
    for box in [a.bounding_box() for a in phone_page.locator(".bottomnav a").all()]:
        assert box["height"] >= 44 and box["width"] >= 44
    shot(phone_page, "home-vi")


def test_register_switch_language_logout_login_and_apply(phone_page):
    page = phone_page
    page.goto("/register")
    page.fill("#phone", "0987 654 321")
    page.fill("#display_name", "Y Moan Êban")
    page.fill("#password", "short")
    page.click("form:not(.lang) button[type=submit]")
    expect(page.locator("#password-error")).to_contain_text("Mật khẩu cần từ 8")
    expect(page.locator("#display_name")).to_have_value("Y Moan Êban")  # kept what was typed
    expect(page.locator("#password")).to_have_value("")  # never the password
    shot(page, "register-error")

    page.fill("#password", "mat-khau-an-toan")
    page.click("form:not(.lang) button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Chào mừng Y Moan Êban")
    assert_fits_phone(page)

    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("Market day, every day")
    shot(page, "home-en")
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("h1")).to_have_text("Ngày nào cũng là phiên chợ")

    page.get_by_role("link", name="Tài khoản").click()
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.locator(".flash")).to_contain_text("Bạn đã đăng xuất")

    login(page, "0987654321", "mat-khau-an-toan")
    page.get_by_role("link", name="Bán hàng").click()
    page.fill("#shop_name", "Mật ong Nam Ka")
    page.select_option("#commune_id", label="Nam Ka — Đắk Lắk")
    page.fill("#story", "Mật ong hoa cà phê, nuôi ong ven hồ Lắk.")
    shot(page, "apply-form")
    page.get_by_role("button", name="Gửi đăng ký").click()
    expect(page.locator(".badge-wait")).to_contain_text("Đang chờ cán bộ xã duyệt")
    assert_fits_phone(page)
    shot(page, "apply-pending")


def test_demo_login_works(phone_page):
    login(phone_page, "0903000001")
    phone_page.goto("/account")
    expect(phone_page.locator("h1")).to_have_text("H'Hà Niê")


def test_five_navigation_labels_fit_on_one_line_each(phone_page):
    """A seller with unread notifications has five items, one with a count, and the active one in bold."""
    login(phone_page, "0903000001")
    phone_page.goto("/sell/products")
    expect(phone_page.locator(".bottomnav .nav-badge")).to_be_visible()
    labels = phone_page.eval_on_selector_all(
        ".bottomnav a > span",
        """spans => spans.map(s => ({
        text: s.textContent.trim(),
        lines: Math.round(s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).lineHeight)),
        cut: s.scrollWidth > s.clientWidth}))""",
    )
    assert len(labels) == 5
    for label in labels:
        assert label["lines"] == 1 and not label["cut"], labels
    shot(phone_page, "nav-seller")
