"""Acting for villagers after sign-up: a helper lists a product for a villager (the catalog's own listing path)
and enters phone orders (orders' place_order), each with the consent of the person acted for, marked with the
helper's name and audited."""

from __future__ import annotations

import html as htmllib
import io

import pytest
import sqlalchemy as sa

from market.catalog.models import Product, ProductStatus
from market.extensions import db
from market.moderation.models import AuditEntry, Consent
from market.orders.models import Order
from tests.catalog.conftest import jpeg_bytes
from tests.conftest import csrf_token, login_as, post_form


def text(resp) -> str:
    """The page as a reader sees it (Jinja escapes the apostrophe of H'Jih)."""
    return htmllib.unescape(resp.get_data(as_text=True))


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def products_of(profile_id: int) -> list[Product]:
    return list(db.session.scalars(sa.select(Product).where(Product.seller_id == profile_id)))


def listing_form(**overrides) -> dict:
    data = {
        "title": "Sầu riêng của bà H'Jih",
        "category": "durian",
        "unit": "kg",
        "price": "80k",
        "stock": "120",
        "min_order_qty": "1",
        "description": "Sầu riêng Ri6 vườn nhà, chín cây.",
        "origin": "Ea Knuếc",
        "harvest_date": "",
        "ocop_stars": "",
        "ocop_certificate_no": "",
        "consent": "y",
        "action": "submit",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_listing(client, profile_id, files=(("sau-rieng.jpg", jpeg_bytes((800, 600))),), **fields):
    url = f"/staff/assisted/{profile_id}/listings/new"
    payload = {k: [v] for k, v in listing_form(**fields).items()}
    payload["csrf_token"] = [csrf_token(client, url)]
    payload["photos"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=payload, content_type="multipart/form-data")


def test_a_helper_lists_a_product_for_a_villager(client, world_b):
    w = world_b
    login_as(client, w.staff)
    page = text(client.get(f"/staff/assisted/{w.villager.id}/listings/new"))
    assert "Bà H'Jih" in page and 'name="consent"' in page and "catalog-upload.js" in page
    resp = post_listing(client, w.villager.id)
    assert resp.status_code == 302
    [product] = products_of(w.villager.id)
    assert product.status == ProductStatus.PENDING_REVIEW and product.created_by_id == w.staff.id
    assert len(product.photos) == 1 and product.price_vnd == 80_000
    [consent] = db.session.scalars(sa.select(Consent)).all()
    assert (consent.user_id, consent.helper_id, consent.helper_name, consent.purpose, consent.object_id) == (
        w.villager.user_id,
        w.staff.id,
        "Cán bộ Ea Knuếc",
        "listing",
        product.id,
    )
    [entry] = entries("listing.assisted_create")
    assert entry.object_id == product.id and entry.details["villager_id"] == w.villager.user_id
    assert entry.commune_id == w.a.id
    # it waits in the queue, saying who listed it for whom
    queue = text(client.get("/staff/listings"))
    assert "Đăng bởi Cán bộ Ea Knuếc cho Bà H'Jih" in queue
    detail = text(client.get(f"/staff/listings/{product.id}"))
    assert "Đã ghi nhận sự đồng ý" in detail
    # once approved (by someone else: the helper cannot approve what she entered), the product page says it too
    login_as(client, w.admin)
    assert post_form(client, f"/staff/listings/{product.id}/approve").status_code == 302
    html = text(client.get(f"/p/{product.id}-{product.slug}"))
    assert "Cán bộ Ea Knuếc (tổ công nghệ số cộng đồng) đăng giúp Bà H'Jih" in html and "data-listed-by" in html


def test_the_upload_script_gets_json(client, world_b):
    w = world_b
    login_as(client, w.staff)
    url = f"/staff/assisted/{w.villager.id}/listings/new"
    payload = {k: [v] for k, v in listing_form(consent=None, price="abc").items()}
    payload["csrf_token"] = [csrf_token(client, url)]
    resp = client.post(url, data=payload, content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert resp.status_code == 400 and resp.json["ok"] is False
    assert {"consent", "price"} <= set(resp.json["errors"])
    assert not products_of(w.villager.id)


def test_without_consent_nothing_is_written_and_the_form_keeps_what_was_typed(client, world_b):
    w = world_b
    login_as(client, w.staff)
    resp = post_listing(client, w.villager.id, consent=None)
    html = text(resp)
    assert resp.status_code == 400 and 'id="consent-error"' in html and "Bà H'Jih" in html
    assert 'value="Sầu riêng của bà H\'Jih"' in html  # what was typed is kept
    assert not products_of(w.villager.id) and not db.session.scalars(sa.select(Consent)).all()
    assert not entries("listing.assisted_create")


def test_only_villagers_registered_with_help_and_only_in_her_communes(client, world_b):
    w = world_b
    login_as(client, w.staff)
    assert client.get(f"/staff/assisted/{w.seller.seller_profile.id}/listings/new").status_code == 404
    login_as(client, w.other_staff)
    assert client.get(f"/staff/assisted/{w.villager.id}/listings/new").status_code == 404
    assert post_listing(client, w.villager.id).status_code == 404
    assert not products_of(w.villager.id)


def test_the_helpers_page_lists_her_villagers(client, world_b):
    w = world_b
    login_as(client, w.staff)
    html = text(client.get("/staff/assisted"))
    assert "Bà H'Jih" in html and f"/staff/assisted/{w.villager.id}/listings/new" in html
    login_as(client, w.other_staff)
    assert "Bà H'Jih" not in text(client.get("/staff/assisted"))


# ---- phone orders -------------------------------------------------------------------------------------------


def phone_form(product, **overrides) -> dict:
    data = {
        "product_id": str(product.id),
        "qty": "3",
        "buyer_phone": "0912 888 777",
        "buyer_name": "Chị Mai",
        "ship_street": "Thôn 3, buôn Ea Knuếc",
        "ship_commune": "Ea Knuếc",
        "ship_province": "Đắk Lắk",
        "method": "cod",
        "acting_for": "buyer",
        "consent": "y",
        "key": "phone-0123456789abcdef",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def orders() -> list[Order]:
    return list(db.session.scalars(sa.select(Order).order_by(Order.id)))


def test_a_helper_enters_a_phone_order_for_a_buyer(client, world_b):
    w = world_b
    stock = w.product.stock
    login_as(client, w.staff)
    page = client.get(f"/staff/orders/phone?product={w.product.id}").get_data(as_text=True)
    assert 'name="key"' in page and 'value="cod"' in page
    resp = post_form(client, "/staff/orders/phone", phone_form(w.product))
    [order] = orders()
    assert resp.status_code == 302 and f"placed={order.id}" in resp.headers["Location"]
    # the result is shown beside the form, ready for the next caller
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="phone-result"' in page and order.code in page and "0912 888 777" in page
    assert page.index('id="phone-result"') < page.index('name="buyer_phone"')
    assert (order.origin, order.placed_by_id, order.payment_method) == ("phone", w.staff.id, "cod")
    assert order.buyer.display_name == "Chị Mai" and order.buyer.password_hash.startswith("!")
    assert order.ship_street == "Thôn 3, buôn Ea Knuếc" and order.qty == 3
    db.session.refresh(w.product)
    assert w.product.stock == stock - 3
    assert "Cán bộ Ea Knuếc" in order.events[0].reason  # "Entered on the buyer's behalf by …"
    [consent] = db.session.scalars(sa.select(Consent)).all()
    assert (consent.user_id, consent.purpose, consent.object_type, consent.object_id) == (
        order.buyer_id,
        "order",
        "order",
        order.id,
    )
    [entry] = entries("order.phone_placed")
    assert entry.object_id == order.id and entry.commune_id == w.a.id and entry.details["acting_for"] == "buyer"
    # staff see the order page, which says who entered it
    assert "Cán bộ Ea Knuếc" in client.get(f"/orders/{order.id}").get_data(as_text=True)
    # the same form sent again (a double tap) finds the first order
    post_form(client, "/staff/orders/phone", phone_form(w.product))
    assert len(orders()) == 1 and len(entries("order.phone_placed")) == 1


def test_an_order_for_a_villagers_shop_records_the_villagers_consent(client, world_b, make_product):
    w = world_b
    durian = make_product(seller=w.villager.user, title="Sầu riêng bà H'Jih", stock=40)
    login_as(client, w.staff)
    resp = post_form(client, "/staff/orders/phone", phone_form(durian, acting_for="seller"))
    assert resp.status_code == 302
    [consent] = db.session.scalars(sa.select(Consent)).all()
    assert consent.user_id == w.villager.user_id and orders()[0].seller_id == w.villager.id


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent": None}, "consent", "đồng ý"),
        ({"qty": "-5"}, "qty", "số nguyên"),
        ({"qty": "0"}, "qty", "ít nhất là 1"),
        ({"qty": "9" * 5000}, "qty", "quá lớn"),
        ({"qty": "²"}, "qty", "số nguyên"),  # a digit int() refuses
        ({"buyer_phone": "123"}, "buyer_phone", "điện thoại"),
        ({"buyer_phone": "028 3822 4567"}, "buyer_phone", "số di động"),
        ({"buyer_name": "", "ship_street": "Thôn 9 Chị Mai"}, "buyer_name", "tên"),
        ({"ship_street": ""}, "ship_street", "địa chỉ"),
        ({"method": "bitcoin"}, "method", "Hãy chọn một"),
        ({"acting_for": "nobody"}, "acting_for", "Hãy chọn một"),
        ({"qty": "100000"}, None, "đủ hàng"),
        ({"key": "x"}, None, "tải lại trang"),
    ],
)
def test_bad_phone_orders_are_refused_and_nothing_is_written(client, world_b, overrides, field, message):
    w = world_b
    stock = w.product.stock
    login_as(client, w.staff)
    resp = post_form(client, "/staff/orders/phone", phone_form(w.product, **overrides))
    html = text(resp)
    assert resp.status_code in (400, 409) and message in html, html[-2500:]
    if field:
        assert f'id="{field}-error"' in html
    assert not orders() and not entries("order.phone_placed") and not db.session.scalars(sa.select(Consent)).all()
    db.session.refresh(w.product)
    assert w.product.stock == stock
    assert 'value="Chị Mai"' in html or 'value="Thôn 9 Chị Mai"' in html  # what was typed is kept


def test_the_same_call_entered_twice_asks_the_helper_to_confirm(client, world_b):
    w = world_b
    login_as(client, w.staff)
    assert post_form(client, "/staff/orders/phone", phone_form(w.product)).status_code == 302
    resp = post_form(client, "/staff/orders/phone", phone_form(w.product, key="phone-second-0000000001"))
    html = text(resp)
    assert resp.status_code == 409 and 'id="confirm_duplicate-error"' in html and orders()[0].code in html
    assert len(orders()) == 1
    resp = post_form(
        client, "/staff/orders/phone", phone_form(w.product, key="phone-second-0000000001", confirm_duplicate="y")
    )
    assert resp.status_code == 302 and len(orders()) == 2


def test_another_communes_product_is_404(client, world_b):
    w = world_b
    login_as(client, w.other_staff)
    assert client.get(f"/staff/orders/phone?product={w.product.id}").status_code == 404
    assert post_form(client, "/staff/orders/phone", phone_form(w.product)).status_code == 404
    assert not orders()
