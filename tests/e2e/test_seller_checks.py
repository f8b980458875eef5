"""On a 360 px phone: a seller's bank account is checked and previewed before it is saved; a buyer reports a
product from its page, with no reason chosen for her."""

from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, login, shot

SELLER_QUANG_PHU = "0903000002"
BUYER = "0904000002"


def test_a_bad_account_number_is_refused_and_a_good_one_previewed_before_saving(phone_page):
    page = phone_page
    login(page, SELLER_QUANG_PHU)
    page.goto("/sell/payments")
    page.select_option("#bank_bin", "970436")  # Vietcombank
    page.fill("#account_number", "52012O5123456")  # a letter O among the digits
    page.fill("#account_holder", "Trần Văn Phú")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("#account_number-error")).to_contain_text("6 đến 19 chữ số")
    shot(page, "bank-account-error")
    page.fill("#account_number", "0071 000.654 321")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("h1")).to_have_text("Kiểm tra tài khoản ngân hàng")
    expect(page.locator(".facts")).to_contain_text("Vietcombank")
    expect(page.locator(".facts")).to_contain_text("0071000654321")
    expect(page.locator(".facts")).to_contain_text("TRAN VAN PHU")
    expect(page.locator(".qr-box svg")).to_be_visible()
    assert_fits_phone(page)
    shot(page, "bank-account-preview")
    page.get_by_role("button", name="Đúng rồi: lưu").click()
    expect(page.locator(".flash")).to_contain_text("Đã lưu cài đặt thanh toán")


def test_a_buyer_reports_a_product_from_its_page(phone_page):
    page = phone_page
    login(page, BUYER)
    page.goto("/")
    page.locator("main a[href^='/p/']").first.click()
    page.get_by_role("link", name="Báo cáo vi phạm").click()
    expect(page.locator("#category")).to_have_value("")
    page.locator("form:not(.lang) button[type=submit]").last.click()
    expect(page.locator("#category-error")).to_contain_text("Hãy chọn vấn đề trong danh sách")
    shot(page, "report-no-reason")
    page.select_option("#category", "fake")
    page.locator("form:not(.lang) button[type=submit]").last.click()
    expect(page.locator(".flash")).to_contain_text("Cảm ơn")
    assert_fits_phone(page)
