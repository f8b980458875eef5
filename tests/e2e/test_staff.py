"""Commune staff on a laptop (and a check at 360 px): approve a shop, grant the KOL badge, read the figures."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, login, shot

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
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and ("Content Security Policy" in msg.text or "Refused" in msg.text) else None)
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
    for path, name in [("/staff/", "staff-desk-phone"), ("/staff/sellers?status=all", "staff-sellers-phone"),
                       ("/staff/dashboard", "staff-dashboard-phone"), ("/staff/reports", "staff-reports-phone"),
                       ("/staff/audit", "staff-audit-phone"), ("/staff/assisted/new", "staff-assisted-phone")]:
        page.goto(path)
        assert_fits_phone(page)
        shot(page, name)
    # five entries at most in the bottom bar, with "Cán bộ" among them
    labels = [t.strip() for t in page.locator(".bottomnav a").all_inner_texts()]
    assert "Cán bộ" in labels and len(labels) <= 5
    for box in [a.bounding_box() for a in page.locator(".staff-tabs a").all()]:
        assert box["height"] >= 44
