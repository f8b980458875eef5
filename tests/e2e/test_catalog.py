"""At a 360 px phone: a seller lists a product with two photos (one turned by EXIF), staff approve it, a visitor
finds it typing without diacritics and opens it. Screenshots go to tests/e2e/screenshots/."""

import io
import re

import requests
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.e2e.conftest import assert_fits_phone, login, shot


def _photo(path, size, color, orientation=None, gps=False):
    im = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, size[0] // 4, size[1] // 4), fill=(0, 0, 255))  # a mark at the stored top-left
    for x in range(0, size[0], 40):
        draw.line([(x, 0), (x, size[1])], fill=(color[0] // 2, color[1] // 2, color[2] // 2), width=3)
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1], gps_ifd[2], gps_ifd[3], gps_ifd[4] = "N", (12.0, 41.0, 30.0), "E", (108.0, 12.0, 5.0)
    im.save(path, "JPEG", quality=90, exif=exif)
    return str(path)


def test_list_approve_find_and_open(new_phone_page, server, tmp_path):
    big = _photo(tmp_path / "vuon-sau-rieng.jpg", (3000, 2250), (90, 150, 60))  # the browser makes it smaller
    turned = _photo(tmp_path / "trai-sau-rieng.jpg", (1200, 900), (200, 170, 60), orientation=6, gps=True)
    fake = tmp_path / "khong-phai-anh.jpg"
    fake.write_bytes(b"this is not a photo at all")

    # ---- the seller ----
    seller = new_phone_page()
    login(seller, "0903000001")
    seller.get_by_role("link", name="Gian hàng").click()
    seller.get_by_role("link", name="Đăng bán").click()
    expect(seller.locator("h1")).to_have_text("Đăng bán")
    seller.wait_for_load_state("load")  # the upload script must be running before photos are chosen
    camera = seller.locator("#photos")
    assert camera.get_attribute("capture") == "environment" and camera.get_attribute("accept") == "image/*"
    assert camera.get_attribute("multiple") is not None

    seller.fill("#title", "Sầu riêng Ri6 vườn mới")
    seller.select_option("#category", "durian")
    seller.select_option("#unit", "kg")
    seller.fill("#price", "85.000")
    seller.fill("#stock", "120")
    seller.fill("#description", "Trái chín cây, cắt cuống trong ngày.")

    # a file that is not a photo: refused beside the photos, everything typed stays
    camera.set_input_files(str(fake))
    expect(seller.locator("#photo-list li")).to_have_count(1)
    seller.get_by_role("button", name="Đăng bán").click()
    expect(seller.locator("#photos-error")).to_contain_text("không phải ảnh")
    expect(seller.locator("#title")).to_have_value("Sầu riêng Ri6 vườn mới")
    expect(seller.locator("#price")).to_have_value("85.000")
    seller.get_by_role("button", name="Bỏ ảnh").click()
    expect(seller.locator("#photo-list li")).to_have_count(0)

    camera.set_input_files([turned, big])
    expect(seller.locator("#photo-list li")).to_have_count(2)
    expect(seller.locator("[data-photo-count]")).to_have_text("2 / 8")
    # put the big garden photo first: it becomes the cover
    seller.locator("#photo-list li").nth(1).get_by_role("button", name="Chuyển lên trước").click()
    expect(seller.locator("#photo-list li").first.locator(".photo-cover")).to_have_text("Ảnh bìa")
    assert_fits_phone(seller)
    shot(seller, "catalog-listing-form")
    for box in [b.bounding_box() for b in seller.locator("#photo-list button, .form-actions button").all()]:
        assert box["height"] >= 44 and box["width"] >= 44, box
    seller.get_by_role("button", name="Đăng bán").click()
    expect(seller.locator(".flash")).to_contain_text("Đã gửi")
    item = seller.locator(".myitem", has_text="Sầu riêng Ri6 vườn mới")
    expect(item.locator(".status-badge")).to_have_text("Chờ duyệt")
    seller.wait_for_load_state("load")
    assert_fits_phone(seller)
    shot(seller, "catalog-listing-pending")
    product_id = item.get_attribute("data-product-id")

    # ---- commune staff of Ea Knuếc ----
    staff = new_phone_page()
    login(staff, "0902000001")
    staff.goto("/staff/")
    staff.get_by_role("link", name=re.compile("tin đăng chờ duyệt")).click()
    staff.get_by_role("link", name=re.compile("Sầu riêng Ri6 vườn mới")).click()
    expect(staff.locator("h1")).to_have_text("Sầu riêng Ri6 vườn mới")
    staff.wait_for_load_state("load")  # a click only waits for the next page to start loading
    assert_fits_phone(staff)
    shot(staff, "catalog-review")
    staff.get_by_role("button", name="Duyệt: cho lên bán").click()
    expect(staff.locator(".flash")).to_contain_text("đã được duyệt")

    # ---- a visitor, typing without diacritics ----
    buyer = new_phone_page()
    buyer.goto("/")
    buyer.fill("#q", "sau rieng vuon moi")
    buyer.press("#q", "Enter")
    first = buyer.locator(".pcard-title").first
    expect(first).to_have_text("Sầu riêng Ri6 vườn mới")
    buyer.wait_for_load_state("load")
    assert_fits_phone(buyer)
    shot(buyer, "catalog-search")
    # a 360 px phone at DPR 2 takes the card's 320 px file, not the 800 px one (the `sizes` of a card)
    assert buyer.locator(".pcard-img img").first.evaluate("i => i.currentSrc").endswith("-320.webp")
    first.click()
    expect(buyer).to_have_url(re.compile(rf"/p/{product_id}-sau-rieng-ri6-vuon-moi$"))
    expect(buyer.locator("h1")).to_have_text("Sầu riêng Ri6 vườn mới")
    expect(buyer.locator(".product-price")).to_contain_text("85.000")
    expect(buyer.locator(".gallery img")).to_have_count(2)
    buyer.wait_for_load_state("load")
    assert_fits_phone(buyer)
    shot(buyer, "catalog-product")

    # the photo turned by EXIF is upright (portrait) and carries no GPS, in every variant the page uses
    sources = buyer.eval_on_selector_all(".gallery img", "imgs => imgs.map(i => i.getAttribute('src'))")
    webps = buyer.eval_on_selector_all(".gallery source", "s => s.map(e => e.getAttribute('srcset'))")
    upright = None
    for url in sources + [part.split()[0] for srcset in webps for part in srcset.split(", ")]:
        data = requests.get(server.url + url, timeout=10).content
        im = Image.open(io.BytesIO(data))
        assert not im.getexif() and b"GPS" not in data
        if im.height > im.width:
            upright = im
    assert upright is not None  # 1200×900 stored sideways → shown 900×1200 (scaled)
    og = buyer.locator('meta[property="og:image"]').get_attribute("content")
    assert og.startswith(server.url + "/media/p/")
