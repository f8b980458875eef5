"""Whole journeys with SMS codes on a 360 px phone: sign up by code, change the number, recover the password;
a villager staff registered claims her shop by code and sets a password."""

import re
import time

from playwright.sync_api import expect

from market.securitylog import mask_phone
from tests.e2e.conftest import assert_fits_phone, login, shot

STAFF_EA_KNUEC = "0902000001"


def _codes(server, e164: str) -> list[str]:
    # the log masks the number (+849*****22) but shows the code, as `make run` does
    return re.findall(rf"SMS to {re.escape(mask_phone(e164))}: .*?\b(\d{{6}})\b", server.log_path.read_text())


def code_sent_to(server, e164: str, send, timeout: float = 10.0) -> str:
    """Do ``send()`` (a click that asks for a code), then wait for the new code to ``e164`` in the server's SMS
    log (as `make run` shows it)."""
    before = len(_codes(server, e164))
    send()
    deadline = time.monotonic() + timeout
    while len(found := _codes(server, e164)) <= before:
        if time.monotonic() > deadline:
            raise AssertionError(f"no new SMS code to {e164} in the server log")
        time.sleep(0.2)
    return found[-1]


def test_sign_up_by_code_change_the_number_then_recover_the_password(phone_page, server):
    page = phone_page
    page.goto("/login")
    shot(page, "login-with-links")
    page.get_by_role("link", name="Đăng nhập bằng mã SMS").click()
    page.fill("#phone", "0978 111 222")
    code = code_sent_to(server, "+84978111222", page.get_by_role("button", name="Gửi mã cho tôi").click)
    expect(page.locator(".flash")).to_contain_text("Chúng tôi đã gửi mã 6 chữ số qua SMS tới 0978 111 222")
    page.fill("#code", "12345")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#code-error")).to_contain_text("6 chữ số")
    shot(page, "code-login-error")
    page.fill("#code", code)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Tạo tài khoản")
    page.fill("#display_name", "Y Moan Êban")
    shot(page, "code-signup-name")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.locator(".flash")).to_contain_text("Chào mừng Y Moan Êban")
    assert_fits_phone(page)

    page.goto("/account")
    page.get_by_role("link", name="Đổi số điện thoại").click()
    page.fill("#phone", "0978 333 444")
    page.fill("#code", code_sent_to(server, "+84978333444", page.get_by_role("button", name="Gửi mã tới số mới").click))
    shot(page, "phone-change-code")
    page.get_by_role("button", name="Dùng số này").click()
    expect(page.locator(".flash")).to_contain_text("Số điện thoại của bạn nay là 0978 333 444")
    page.get_by_role("button", name="Đăng xuất").click()

    page.goto("/login")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    page.fill("#phone", "0978 333 444")
    page.fill("#code", code_sent_to(server, "+84978333444", page.get_by_role("button", name="Gửi mã cho tôi").click))
    page.fill("#password", "mat-khau-moi-123")
    shot(page, "forgot-password-code")
    assert_fits_phone(page)
    page.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(page.locator(".flash")).to_contain_text("Đã lưu mật khẩu mới")
    page.get_by_role("link", name="Tài khoản").click()
    page.get_by_role("button", name="Đăng xuất").click()
    login(page, "0978333444", "mat-khau-moi-123")
    page.goto("/account")
    expect(page.locator("h1")).to_have_text("Y Moan Êban")


def test_a_villager_claims_the_shop_staff_opened_for_her(new_phone_page, server):
    staff = new_phone_page()
    login(staff, STAFF_EA_KNUEC)
    expect(staff).to_have_url(re.compile(r"/staff/$"))  # staff land on their desk
    staff.goto("/staff/assisted/new")
    staff.fill("#phone", "0978 555 666")
    staff.fill("#display_name", "H'Blen Niê")
    staff.fill("#shop_name", "Rẫy cà phê H'Blen")
    staff.fill("#story", "Cà phê hái chín.")
    staff.check("#consent")
    staff.locator("form button[type=submit]").last.click()
    expect(staff.locator(".flash")).to_be_visible()

    page = new_phone_page()
    page.goto("/login")
    page.fill("#phone", "0978555666")
    page.fill("#password", "doan-bua-thoi")
    page.click("form:not(.lang) button[type=submit]")
    expect(page.locator(".form-errors")).to_contain_text("Số điện thoại hoặc mật khẩu chưa đúng")
    page.get_by_role("link", name="Đăng nhập bằng mã SMS").click()
    page.fill("#phone", "0978555666")
    page.fill("#code", code_sent_to(server, "+84978555666", page.get_by_role("button", name="Gửi mã cho tôi").click))
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator(".flash")).to_contain_text("Tài khoản này đã là của bạn")
    shot(page, "claim-welcome")
    page.goto("/account")
    expect(page.locator("body")).to_contain_text("Rẫy cà phê H'Blen")
    page.get_by_role("link", name="Đặt mật khẩu").click()
    page.fill(
        "#code", code_sent_to(server, "+84978555666", page.get_by_role("button", name="Gửi mã qua SMS cho tôi").click)
    )
    page.fill("#password", "mat-khau-blen-1")
    shot(page, "claim-set-password")
    assert_fits_phone(page)
    page.get_by_role("button", name="Lưu mật khẩu mới").click()
    expect(page.locator(".flash")).to_contain_text("Đã lưu mật khẩu mới")
