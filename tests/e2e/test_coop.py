"""On a 360 px phone: the Ea Knuếc KOL opens the demo co-op lot, adds a household (with a bank account), sees
a refusal beside the field for 0 kg, and opens the payout report with its VietQR codes and cash slips.
Screenshots go to tests/e2e/screenshots/."""

import re

from playwright.sync_api import expect

from market.payments.vietqr import parse_payload
from tests.e2e.conftest import assert_fits_phone, login, shot


def test_the_kol_adds_a_household_and_reads_the_payout_report(server, phone_page):
    page = phone_page
    page.on("dialog", lambda d: d.accept())
    login(page, "0903000001")
    page.goto("/sell/lots")
    expect(page.locator("h1")).to_have_text("Lô hàng hợp tác")
    page.get_by_role("link", name="Sầu riêng Ri6 — vụ 2026").click()
    expect(page.locator(".household")).to_have_count(6)
    assert_fits_phone(page)
    # every disclosure on the page is a thumb-sized row (the shipping cost and the sharing rule were 24 px)
    heights = page.locator("summary").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44, heights
    shot(page, "coop-lot")

    # 0 kg is refused beside the field, and what was typed stays
    page.locator("summary", has_text="Thêm hộ").click()
    form = page.locator("form[data-add-household]")
    form.locator("#name").fill("H'Nga Byă")
    form.locator("#village").fill("Buôn Kram")
    form.locator("#kg").fill("0")
    form.get_by_role("button", name="Thêm hộ này").click()
    expect(page.locator("#kg-error")).to_be_visible()
    expect(page.locator("#name")).to_have_value("H'Nga Byă")
    shot(page, "coop-lot-refused")

    form = page.locator("form[data-add-household]")
    form.locator("#kg").fill("42,5")
    form.locator("#phone").fill("0912 000 777")
    form.locator("#bank_bin").select_option("970405")
    form.locator("#account_number").fill("5201 2050 00777")
    form.locator("#account_holder").fill("H'Nga Byă")
    form.get_by_role("button", name="Thêm hộ này").click()
    expect(page.locator(".flash")).to_contain_text("H'Nga Byă")
    expect(page.locator(".household")).to_have_count(7)
    household = page.locator(".household", has_text="H'Nga Byă")
    expect(household).to_contain_text("42,5 kg")
    expect(household).to_contain_text("Nhận tiền bằng chuyển khoản")
    assert_fits_phone(page)
    shot(page, "coop-lot-household-added")

    page.get_by_role("link", name="Báo cáo chia tiền").click()
    expect(page.locator("h1")).to_have_text("Báo cáo chia tiền")
    first = page.locator(".payout-row", has_text="Y Bhin Niê")
    expect(first.locator("[data-kg]")).to_have_text("30 kg")  # first come, first served: sold out first
    expect(first.locator("svg")).to_be_visible()
    payload = first.locator("input.mono").input_value()
    parsed = parse_payload(payload)
    net = int(re.sub(r"\D", "", first.locator("[data-net]").inner_text()))
    assert parsed.amount_vnd == net and parsed.bank_bin == "970405" and parsed.memo.startswith("CP L")
    expect(page.locator(".slip", has_text="H'Lim Mlô")).to_be_visible()  # no bank account: a cash slip
    assert_fits_phone(page)
    shot(page, "coop-payout")
