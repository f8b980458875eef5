"""Public pages: home, commune, category, shop, product (slug redirects, previews, share cards), media."""

import re

import pytest

from market.accounts.models import SellerStatus
from market.catalog.models import ProductStatus
from market.extensions import db


@pytest.fixture
def durian(make_product, make_commune, make_seller):
    seller = make_seller(commune=make_commune("Ea Knuếc"), shop_name="Vườn sầu riêng H'Hà", story="Trồng 15 năm.")
    return make_product(
        seller=seller, title="Sầu riêng Ri6", price="85.000", ocop_stars="4", ocop_certificate_no="OCOP-1", photos=2
    )


def test_approved_product_appears_everywhere(client, durian, make_product):
    hidden = make_product(seller=durian.seller.user, title="Chưa duyệt", status=ProductStatus.PENDING_REVIEW)
    pages = ["/", "/c/ea-knuec", "/category/durian", f"/s/{durian.seller.slug}", "/search?q=sau+rieng"]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert "Sầu riêng Ri6" in html and "85.000" in html, url
        assert hidden.title not in html, url
        assert f'href="/p/{durian.id}-sau-rieng-ri6"' in html, url


def test_product_page(client, durian):
    resp = client.get(f"/p/{durian.id}-sau-rieng-ri6")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<h1" in html and "Sầu riêng Ri6" in html
    assert "85.000\xa0₫" in html and "/ kg" in html
    assert "Còn 50 kg" in html
    assert "OCOP 4★ · tự khai" in html
    assert "Vườn sầu riêng H'Hà" in html or "Vườn sầu riêng H&#39;Hà" in html
    assert html.count('type="image/webp"') == 2  # the gallery: both photos, WebP first with a JPEG fallback
    assert "<script>" not in html and "style=" not in html


def test_share_tags_are_absolute_and_carry_photo_title_and_price(app, client, durian):
    html = client.get(f"/p/{durian.id}-sau-rieng-ri6").get_data(as_text=True)
    site = app.config["SITE_URL"]
    meta = dict(re.findall(r'<meta (?:property|name)="((?:og|twitter|product):[^"]+)" content="([^"]*)"', html))
    assert meta["og:title"] == "Sầu riêng Ri6 — 85.000\xa0₫/kg"
    assert meta["og:type"] == "product"
    assert meta["og:url"] == f"{site}/p/{durian.id}-sau-rieng-ri6"
    assert meta["og:image"].startswith(f"{site}/media/p/") and meta["og:image"].endswith("-1600.jpg")
    assert meta["twitter:card"] == "summary_large_image" and meta["twitter:image"] == meta["og:image"]
    assert meta["product:price:amount"] == "85000" and meta["product:price:currency"] == "VND"
    assert f'<link rel="canonical" href="{site}/p/{durian.id}-sau-rieng-ri6">' in html
    for url in ("/c/ea-knuec", f"/s/{durian.seller.slug}"):
        page = client.get(url).get_data(as_text=True)
        assert 'property="og:title"' in page and 'name="twitter:card"' in page and f'content="{site}/' in page


@pytest.mark.parametrize("path", ["/p/{id}", "/p/{id}-wrong-slug", "/p/{id}-SAU-RIENG-RI6"])
def test_wrong_slug_redirects_permanently(client, durian, path):
    resp = client.get(path.format(id=durian.id))
    assert resp.status_code == 301 and resp.headers["Location"] == f"/p/{durian.id}-sau-rieng-ri6"


@pytest.mark.parametrize(
    "status", [ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW, ProductStatus.REJECTED, ProductStatus.ARCHIVED]
)
def test_unapproved_products_are_404_to_the_public_but_previewable_by_owner_and_staff(
    client, login, make_product, make_staff, make_commune, status
):
    product = make_product(status=status)
    url = f"/p/{product.id}-{product.slug}"
    assert client.get(url).status_code == 404
    login(product.seller.user)
    html = client.get(url).get_data(as_text=True)
    assert "Xem trước" in html and 'name="robots" content="noindex"' in html
    login(make_staff(product.seller.commune))
    assert client.get(url).status_code == 200
    login(make_staff(make_commune("Xã khác")))
    assert client.get(url).status_code == 404


def test_suspended_shop_hides_its_products(client, durian):
    durian.seller.status = SellerStatus.SUSPENDED
    db.session.flush()
    assert client.get(f"/p/{durian.id}-sau-rieng-ri6").status_code == 404
    assert client.get(f"/s/{durian.seller.slug}").status_code == 404
    assert "Sầu riêng Ri6" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/p/999999-x", "/category/weapons", "/s/no-such-shop", "/c/no-such-commune"])
def test_missing_pages_are_404(client, url):
    assert client.get(url).status_code == 404


def test_pagination(client, make_product, make_seller, make_commune):
    seller = make_seller(commune=make_commune("Nam Ka"))
    for i in range(23):
        make_product(seller=seller, title=f"Mật ong số {i:02d}", category="honey")
    first = client.get("/category/honey").get_data(as_text=True)
    assert first.count('class="pcard"') == 20 and "Trang 1 / 2" in first and 'href="/category/honey?page=2"' in first
    second = client.get("/category/honey?page=2").get_data(as_text=True)
    assert second.count('class="pcard"') == 3 and 'rel="prev"' in second
    assert client.get("/category/honey?page=99").status_code == 200
    assert client.get("/category/honey?page=abc").status_code == 200
    assert "Trang 1 / 2" in client.get("/c/nam-ka").get_data(as_text=True)


def test_slots_for_other_areas(app, client, durian):
    from market import ui

    ui.slot("product.actions", "test-actions", "catalog/_test_slot.html", lambda product: {"text": product.title})
    ui.slot("shop.top", "test-shop", "catalog/_test_slot.html", lambda profile: {"text": profile.shop_name})
    from jinja2 import ChoiceLoader, DictLoader

    original = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"catalog/_test_slot.html": "<p class=slot>{{ slot.text }}</p>"}), original]
    )
    try:
        html = client.get(f"/p/{durian.id}-sau-rieng-ri6").get_data(as_text=True)
        assert "<p class=slot>Sầu riêng Ri6</p>" in html
        html = client.get(f"/s/{durian.seller.slug}").get_data(as_text=True)
        assert "<p class=slot>Vườn sầu riêng H" in html
    finally:
        app.jinja_env.loader = original
        ui._slots["product.actions"].pop("test-actions")
        ui._slots["shop.top"].pop("test-shop")


def test_pages_fit_phone_conventions(client, durian):
    for url in [
        "/",
        "/c/ea-knuec",
        "/category/durian",
        f"/s/{durian.seller.slug}",
        f"/p/{durian.id}-sau-rieng-ri6",
        "/search?q=sau",
    ]:
        html = client.get(url).get_data(as_text=True)
        assert 'name="viewport"' in html and "<script>" not in html and " onclick=" not in html, url
        assert "catalog.css" in html, url


# ---- media ---------------------------------------------------------------------------------------------------


def test_media_served_with_long_cache_type_and_nosniff(client, durian):
    photo = durian.photos[0]
    for ext, mime in (("webp", "image/webp"), ("jpg", "image/jpeg")):
        resp = client.get(f"/media/p/{photo.image_hash[:2]}/{photo.image_hash[2:4]}/{photo.image_hash}-800.{ext}")
        assert resp.status_code == 200
        assert resp.headers["Content-Type"] == mime
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "max-age=31536000" in resp.headers["Cache-Control"] and "immutable" in resp.headers["Cache-Control"]
        assert resp.headers.get("ETag")


@pytest.mark.parametrize(
    "path",
    [
        "../secret_key",
        "..%2f..%2fsecret_key",
        "p/../../secret_key",
        "/etc/passwd",
        "p/00/00/" + "0" * 64 + "-800.svg",
        "p/00/00/" + "0" * 64 + "-800.webp",
        "p/ab/cd/evil.html",
        "p/AB/CD/" + "A" * 64 + "-800.jpg",
        "test.sqlite3",
        "p/00/00/" + "0" * 64 + "-801.jpg",
    ],
)
def test_media_paths_cannot_escape(app, client, path):
    (__import__("pathlib").Path(app.config["MEDIA_DIR"]).parent / "secret_key").write_text("s3cret")
    resp = client.get(f"/media/{path}", follow_redirects=True)  # "//" is merged by a redirect first
    assert resp.status_code == 404
    assert b"s3cret" not in resp.data


@pytest.mark.parametrize(
    "url",
    [
        "/p/99999999999999999999999-x",
        "/p/2147483648",
        "/api/v1/products/99999999999999999",
        "/staff/listings/99999999999999999999",
    ],
)
def test_absurd_ids_are_404_not_500(client, url):
    assert client.get(url).status_code in (404, 302)


def test_pagination_links_keep_the_query_without_clashing(client, make_product, make_seller, make_commune):
    seller = make_seller(commune=make_commune("Nam Ka"))
    for i in range(21):
        make_product(seller=seller, title=f"Mật ong {i}", category="honey")
    html = client.get("/c/nam-ka?slug=evil&x=1").get_data(as_text=True)
    assert 'href="/c/nam-ka?x=1&amp;page=2"' in html
