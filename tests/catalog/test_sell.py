"""The seller's listing form over HTTP: the happy path, every bad input of the issue, photos, permissions."""

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from market.accounts.models import SellerStatus
from market.catalog.models import Product, ProductPhoto, ProductStatus
from market.extensions import db
from tests.catalog.conftest import HTML, PDF, SVG, jpeg_bytes, png_bomb, png_bytes, valid_listing, webp_bytes
from tests.conftest import csrf_token


@pytest.fixture
def seller(make_seller, login):
    user = make_seller()
    login(user)
    return user


def media_files(app) -> set[str]:
    root = Path(app.config["MEDIA_DIR"])
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def post_listing(client, url="/sell/products/new", data=None, files=(), headers=None, **fields):
    form = dict(data if data is not None else valid_listing(**fields))
    form.setdefault("csrf_token", csrf_token(client, "/sell/products/new"))
    form.setdefault("action", "submit")
    multi = [(k, v) for k, v in form.items() if not isinstance(v, list)]
    for k, v in form.items():
        if isinstance(v, list):
            multi += [(k, item) for item in v]
    payload = {}
    for k, v in multi:
        payload.setdefault(k, []).append(v)
    payload["photos"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=payload, content_type="multipart/form-data", headers=headers or {})


def products_of(user):
    return db.session.scalars(sa.select(Product).where(Product.seller_id == user.seller_profile.id)).all()


def test_form_is_phone_first(client, seller):
    html = client.get("/sell/products/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*type="file"[^>]*accept="image/\*"[^>]*capture="environment"[^>]*multiple', html)
    assert 'enctype="multipart/form-data"' in html
    assert "catalog-upload.js" in html
    assert "Đăng bán" in html and "85.000, 85000 hoặc 85k" in html
    assert "<script>" not in html and " onclick=" not in html and "style=" not in html


def test_a_seller_lists_a_product_with_two_photos(app, client, seller):
    resp = post_listing(
        client, files=[("a.jpg", jpeg_bytes((1200, 900))), ("b.jpg", jpeg_bytes((400, 300), orientation=6, gps=True))]
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/sell/products"
    (product,) = products_of(seller)
    assert (product.title, product.price_vnd, product.stock, product.status) == (
        "Sầu riêng Ri6",
        85_000,
        50,
        ProductStatus.PENDING_REVIEW,
    )
    assert [(p.position, p.width, p.height) for p in product.photos] == [(0, 1200, 900), (1, 300, 400)]
    names = media_files(app)
    for photo in product.photos:
        assert {
            f"p/{photo.image_hash[:2]}/{photo.image_hash[2:4]}/{photo.image_hash}-{s}.{e}"
            for s in (320, 800, 1600)
            for e in ("webp", "jpg")
        } <= names
    page = client.get("/sell/products").get_data(as_text=True)
    assert "Chờ duyệt" in page and "Đã gửi! Cán bộ xã sẽ sớm duyệt" in page


@pytest.mark.parametrize("typed", ["85.000", "85000", "85k"])
def test_price_as_typed(client, seller, typed):
    assert post_listing(client, price=typed, files=[("a.jpg", jpeg_bytes())]).status_code == 302
    assert products_of(seller)[0].price_vnd == 85_000


def test_draft_needs_no_photo(client, seller):
    resp = post_listing(client, action="draft", title="Bản nháp")
    assert resp.status_code == 302
    assert products_of(seller)[0].status == ProductStatus.DRAFT


BAD_FILES = [
    ("not-an-image.jpg", b"just some text, renamed", "không phải ảnh"),
    ("drawing.svg", SVG, "không phải ảnh"),
    ("drawing.jpg", SVG, "không phải ảnh"),
    ("page.jpg", HTML, "không phải ảnh"),
    ("doc.jpg", PDF, "không phải ảnh"),
    ("cut.jpg", jpeg_bytes((800, 600))[:900], "bị hỏng"),
    ("empty.jpg", b"", "rỗng"),
    ("bomb.png", png_bomb(), "quá nhiều điểm ảnh"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_photos_are_refused_nothing_is_stored_and_fields_are_kept(app, client, seller, name, content, message):
    before = media_files(app)
    resp = post_listing(
        client,
        title="Sầu riêng giữ lại",
        description="Mô tả giữ lại",
        files=[("good.jpg", jpeg_bytes((300, 200), color=(1, 200, 3))), (name, content)],
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in html and 'id="photos-error"' in html
    assert 'value="Sầu riêng giữ lại"' in html and "Mô tả giữ lại" in html  # the other fields are kept
    assert products_of(seller) == []
    assert media_files(app) == before  # not even the good photo was written


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"price": "-85000"}, "price", "lớn hơn 0"),
        ({"price": "tám mươi lăm"}, "price", "ví dụ 85.000"),
        ({"price": "85.000.000.000"}, "price", "quá cao"),
        ({"stock": "-1"}, "stock", "không được âm"),
        ({"title": "S" * 10_240}, "title", "tối đa 120 ký tự"),
        # "Chỉ viết chữ bình thường" (plain text), not "Hãy viết chữ thường", which says "write in lowercase"
        ({"description": "<script>alert('x')</script> ngon"}, "description", "Chỉ viết chữ bình thường: không được"),
        ({"category": "guns"}, "category", "danh mục"),
    ],
)
def test_bad_fields_are_refused_beside_the_field(app, client, seller, fields, field, message):
    before = media_files(app)
    keep = {k: v for k, v in valid_listing().items() if k not in fields}
    resp = post_listing(client, files=[("a.jpg", jpeg_bytes((300, 200), color=(5, 6, 7)))], **fields)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1), html[:2000]
    for name in ("title", "price", "stock", "origin"):
        if name in keep:
            assert f'value="{keep[name]}"' in html  # what was typed right is still there
    assert "<script>alert" not in html  # the description is shown escaped
    assert products_of(seller) == [] and media_files(app) == before


def test_a_ninth_photo_is_refused(app, client, seller):
    before = media_files(app)
    files = [(f"p{i}.jpg", jpeg_bytes((40, 30), color=(i * 20, 0, 0))) for i in range(9)]
    resp = post_listing(client, files=files)
    assert resp.status_code == 400
    assert "tối đa 8 ảnh" in resp.get_data(as_text=True)
    assert products_of(seller) == [] and media_files(app) == before


def test_eight_photos_are_fine(client, seller):
    files = [(f"p{i}.jpg", jpeg_bytes((40, 30), color=(i * 20, 0, 0))) for i in range(8)]
    assert post_listing(client, files=files).status_code == 302
    assert len(products_of(seller)[0].photos) == 8


def test_png_and_webp_are_accepted(client, seller):
    assert post_listing(client, files=[("a.png", png_bytes()), ("b.webp", webp_bytes())]).status_code == 302


def test_a_request_over_the_size_cap_gets_a_413_page_in_vietnamese(app, client, seller):
    app.config["MAX_UPLOAD_BYTES"] = 50_000  # the upload routes' cap (every other route's is MAX_CONTENT_LENGTH)
    try:
        resp = post_listing(client, files=[("big.jpg", b"\xff\xd8\xff" + b"\0" * 80_000)])
    finally:
        app.config["MAX_UPLOAD_BYTES"] = 20 * 1024 * 1024
    assert resp.status_code == 413
    assert "Tệp quá lớn" in resp.get_data(as_text=True)
    assert products_of(seller) == []


def test_a_photo_over_the_per_photo_cap_is_refused(app, client, seller, monkeypatch):
    from market.catalog import images

    monkeypatch.setattr(images, "MAX_FILE_BYTES", 2000)
    resp = post_listing(client, files=[("big.jpg", jpeg_bytes((400, 300), quality=95))])
    assert resp.status_code == 400 and "lớn hơn" in resp.get_data(as_text=True)


def test_xhr_upload_gets_json(client, seller):
    headers = {"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"}
    resp = post_listing(client, price="-1", stock="-1", files=[("x.jpg", SVG)], headers=headers)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["ok"] is False and set(body["errors"]) == {"price", "stock", "photos"}
    assert "lớn hơn 0" in body["errors"]["price"][0]
    resp = post_listing(client, files=[("x.jpg", jpeg_bytes())], headers=headers, photo_order=["n0"])
    assert resp.status_code == 200 and resp.get_json() == {"ok": True, "redirect": "/sell/products"}
    assert "Đã gửi" in client.get("/sell/products").get_data(as_text=True)  # the flash waits for the next page


def test_xhr_413_is_json(app, client, seller):
    app.config["MAX_UPLOAD_BYTES"] = 50_000
    try:
        resp = post_listing(client, files=[("big.jpg", b"\0" * 80_000)], headers={"Accept": "application/json"})
    finally:
        app.config["MAX_UPLOAD_BYTES"] = 20 * 1024 * 1024
    assert resp.status_code == 413 and resp.get_json()["error"] == "too_large"


def test_photo_order_tokens_arrange_new_and_kept_photos(client, seller):
    post_listing(client, files=[("a.jpg", jpeg_bytes(color=(200, 0, 0))), ("b.jpg", jpeg_bytes(color=(0, 200, 0)))])
    (product,) = products_of(seller)
    a, b = product.photos
    a_id, a_hash, b_id, b_hash = a.id, a.image_hash, b.id, b.image_hash
    url = f"/sell/products/{product.id}/edit"
    resp = post_listing(
        client,
        url=url,
        action="save",
        files=[("c.jpg", jpeg_bytes(color=(0, 0, 200)))],
        photo_order=["n0", f"e{b_id}", "bogus", "n7", f"e{a_id}"],
        remove_photo=[str(a_id), "²", "1.0", "-1"],
    )  # not ids: ignored
    assert resp.status_code == 302
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    hashes = [p.image_hash for p in product.photos]
    assert len(hashes) == 2 and hashes[1] == b_hash and a_hash not in hashes
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(ProductPhoto).where(ProductPhoto.product_id == product.id)
        )
        == 2
    )


def test_edit_price_keeps_it_on_sale_but_new_title_sends_it_back(client, seller, make_product):
    product = make_product(seller=seller)
    url = f"/sell/products/{product.id}/edit"
    assert client.get(url).status_code == 200
    keep = [f"e{p.id}" for p in product.photos]
    assert post_listing(client, url=url, action="save", price="90k", photo_order=keep).status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product.id).status == ProductStatus.APPROVED
    assert (
        post_listing(
            client, url=url, action="save", title="Sầu riêng Ri6 VIP", price="90k", photo_order=keep
        ).status_code
        == 302
    )
    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert product.status == ProductStatus.PENDING_REVIEW and product.price_vnd == 90_000
    assert "duyệt lại" in client.get("/sell/products").get_data(as_text=True)


def test_another_sellers_product_is_404(client, seller, make_seller, make_product):
    theirs = make_product(seller=make_seller(shop_name="Gian hàng khác"))
    for url in (f"/sell/products/{theirs.id}/edit",):
        assert client.get(url).status_code == 404
    token = csrf_token(client, "/sell/products/new")
    assert post_listing(client, url=f"/sell/products/{theirs.id}/edit", title="Của tôi").status_code == 404
    for action in ("submit", "archive"):
        assert client.post(f"/sell/products/{theirs.id}/{action}", data={"csrf_token": token}).status_code == 404
    db.session.refresh(theirs)
    assert theirs.title == "Sầu riêng Ri6" and theirs.status == ProductStatus.APPROVED


def test_archive_and_resubmit(client, seller, make_product):
    product = make_product(seller=seller)
    token = csrf_token(client, "/sell/products")
    assert client.post(f"/sell/products/{product.id}/archive", data={"csrf_token": token}).status_code == 302
    db.session.refresh(product)
    assert product.status == ProductStatus.ARCHIVED
    assert client.post(f"/sell/products/{product.id}/submit", data={"csrf_token": token}).status_code == 302
    db.session.refresh(product)
    assert product.status == ProductStatus.PENDING_REVIEW
    again = client.post(f"/sell/products/{product.id}/submit", data={"csrf_token": token})
    assert again.status_code == 400 and "Chờ duyệt" in again.get_data(as_text=True)


def test_sending_a_draft_without_photos_opens_its_form_with_the_reason(client, seller):
    resp = post_listing(client, action="draft")  # a draft may have no photo yet
    assert resp.status_code == 302
    [draft] = products_of(seller)
    token = csrf_token(client, "/sell/products")
    resp = client.post(f"/sell/products/{draft.id}/submit", data={"csrf_token": token})
    html = resp.get_data(as_text=True)
    # the listing's own form with the message beside the photos, not a bare error page to back out of
    assert resp.status_code == 400
    assert f'action="/sell/products/{draft.id}/edit"' in html and 'value="Sầu riêng Ri6"' in html
    assert re.search(r'<p class="error" id="photos-error">[^<]*Hãy thêm ít nhất một ảnh', html), html[:3000]
    db.session.refresh(draft)
    assert draft.status == ProductStatus.DRAFT


def test_rejected_listing_shows_the_reason(client, seller, make_product):
    make_product(seller=seller, status=ProductStatus.REJECTED)
    assert "Ảnh chưa rõ" in client.get("/sell/products?status=rejected").get_data(as_text=True)


@pytest.mark.parametrize("status", [SellerStatus.PENDING, SellerStatus.SUSPENDED, None])
def test_only_approved_sellers_reach_the_form(client, make_user, make_seller, login, status):
    user = make_seller(status=status) if status else make_user()
    login(user)
    resp = client.get("/sell/products/new")
    assert resp.status_code == 302 and resp.headers["Location"] == "/sell/apply"
    token = csrf_token(client, "/")
    assert client.post("/sell/products/new", data={"csrf_token": token, **valid_listing()}).status_code == 403


def test_anonymous_is_sent_to_login(client):
    resp = client.get("/sell/products/new")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_csrf_is_required(client, seller):
    resp = client.post("/sell/products/new", data=valid_listing())
    assert resp.status_code == 400 and products_of(seller) == []


def test_nav_highlights_my_shop_and_status_page_links(client, seller, make_product):
    make_product(seller=seller, status=ProductStatus.PENDING_REVIEW)
    html = client.get("/sell/products").get_data(as_text=True)
    assert re.search(r'<a href="/sell/apply" class="active" aria-current="page">', html)
    status = client.get("/sell/apply").get_data(as_text=True)
    assert "/sell/products/new" in status and "1 chờ duyệt" in status


def test_a_hostile_file_name_is_never_used(app, client, seller):
    """Property 23: ``../../app.py`` is stored under a name made from its content, inside MEDIA_DIR, and served
    as an image with nosniff."""
    from pathlib import Path

    root = Path(app.config["MEDIA_DIR"])
    outside = {p for p in root.parent.rglob("*") if root not in p.parents and p != root}
    resp = post_listing(client, files=[("../../app.py", jpeg_bytes((200, 150)))])
    assert resp.status_code == 302
    [product] = products_of(seller)
    photo = product.photos[0]
    assert "app" not in photo.image_hash and len(photo.image_hash) == 64
    assert {p for p in root.parent.rglob("*") if root not in p.parents and p != root} == outside
    assert not any("app" in p.name or p.suffix == ".py" for p in root.rglob("*"))
    assert len(list(root.rglob(f"{photo.image_hash}-*"))) == 6
    served = client.get(f"/media/p/{photo.image_hash[:2]}/{photo.image_hash[2:4]}/{photo.image_hash}-320.jpg")
    assert served.status_code == 200 and served.mimetype.startswith("image/")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
