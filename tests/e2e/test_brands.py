"""At a 360 px phone: a visitor opens the demo brand "Ami kao Durian" (photos, story, products), taps Follow,
makes an account and comes back to the brand, follows it and finds it on the account page; the KOL opens her
brand's page in the seller area. Screenshots go to tests/e2e/screenshots/."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, login, shot, wait_until


def test_visitor_sees_the_brand_and_follows_it_after_signing_up(phone_page):
    page = phone_page
    page.goto("/c/ea-knuec")
    expect(page.locator(".follow-bar").get_by_role("link", name="Theo dõi Ea Knuếc")).to_be_visible()
    expect(page.locator(".brands-slot").get_by_role("link", name=re.compile("Ami kao Durian"))).to_be_visible()
    assert_fits_phone(page)
    shot(page, "brand-commune-page")
    page.goto("/")
    expect(page.locator(".brands-slot h2")).to_have_text("Thương hiệu của xã")
    assert_fits_phone(page)
    shot(page, "brand-home")
    page.locator(".brands-slot").get_by_role("link", name=re.compile("Ami kao Durian")).click()
    expect(page).to_have_url(re.compile(r"/b/ami-kao-durian$"))
    expect(page.locator("h1")).to_have_text("Ami kao Durian")
    expect(page.locator(".brand-story")).to_contain_text("mẹ tôi")

    # photos: two in the gallery, the first one really loaded
    expect(page.locator(".gallery li")).to_have_count(2)
    first = page.locator(".gallery img").first
    expect(first).to_be_visible()
    wait_until(page, "img => img.complete && img.naturalWidth > 0", first.element_handle())
    # products of the brand
    cards = page.locator(".pgrid .pcard")
    expect(cards.filter(has_text="Sầu riêng Ri6")).to_have_count(2)  # the shelf's and the co-op lot
    expect(cards.filter(has_text="Sầu riêng Ri6 — vụ 2026")).to_have_count(1)
    expect(cards.filter(has_text="Sầu riêng Monthong")).to_have_count(1)
    follow = page.locator(".hero .follow")
    expect(follow.locator("[data-follow-count]")).to_have_text("2 người theo dõi")
    assert_fits_phone(page)
    button = follow.get_by_role("link", name="Theo dõi Ami kao Durian")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    shot(page, "brand-page-visitor")

    # Follow while logged out: log in (here: make an account) and come back to the brand
    button.click()
    expect(page).to_have_url(re.compile(r"/login\?next=/b/ami-kao-durian$"))
    page.get_by_role("link", name="Tạo tài khoản").click()
    page.fill("#phone", "0987 111 222")
    page.fill("#display_name", "H'Bia Mlô")
    page.fill("#password", "sau-rieng-ngon")
    page.click("form:not(.lang) button[type=submit]")
    expect(page).to_have_url(re.compile(r"/b/ami-kao-durian$"))
    page.locator(".hero .follow").get_by_role("button", name="Theo dõi Ami kao Durian").click()
    expect(page.locator(".flash")).to_contain_text("Bạn đang theo dõi Ami kao Durian")
    follow = page.locator(".hero .follow")
    expect(follow.locator("[data-follow-count]")).to_have_text("3 người theo dõi")
    expect(follow.locator(".follow-state")).to_contain_text("Bạn đang theo dõi")
    expect(follow.get_by_role("button", name="Bỏ theo dõi Ami kao Durian")).to_be_visible()
    assert_fits_phone(page)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "brand-page-following")

    # the account page lists it
    page.get_by_role("link", name="Tài khoản").click()
    expect(page.get_by_role("link", name="Đang theo dõi (1)")).to_be_visible()
    expect(page.locator(".following-mini").get_by_role("link", name="Ami kao Durian")).to_be_visible()
    assert_fits_phone(page)
    shot(page, "brand-account-following")

    # a shop of the brand links to it, and has its own follow button
    page.goto("/b/ami-kao-durian")
    page.locator(".seller-card").click()
    expect(page.locator(".brand-of").get_by_role("link", name=re.compile("Ami kao Durian"))).to_be_visible()
    expect(page.locator(".follow-bar").get_by_role("button", name=re.compile("^Theo dõi"))).to_be_visible()
    assert_fits_phone(page)


def test_kol_manages_her_brand(phone_page):
    page = phone_page
    login(page, "0903000001")
    page.goto("/sell/brands")
    expect(page.locator("h1")).to_have_text("Thương hiệu của xã")
    page.get_by_role("link", name="Ami kao Durian").click()
    expect(page.locator("h1")).to_have_text("Ami kao Durian")
    expect(page.locator(".following-list").first).to_contain_text("Vườn sầu riêng Ea Knuếc")
    expect(page.get_by_role("link", name="Sầu riêng Ri6", exact=True)).to_be_visible()
    assert_fits_phone(page)
    shot(page, "brand-kol-manage")
    page.get_by_role("link", name="Sửa tên, câu chuyện và ảnh").click()
    expect(page.locator("#name")).to_have_value("Ami kao Durian")
    expect(page.locator("#photo-list li")).to_have_count(2)
    assert_fits_phone(page)
    shot(page, "brand-kol-edit")
