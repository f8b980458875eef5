"""Property 37: fields a form does not offer (``approved``, ``status``, ``is_admin``, a price, a seller) are
ignored when a request sends them anyway; what they decide comes from the rules and the database."""

from __future__ import annotations

import sqlalchemy as sa

from market.accounts.models import SellerProfile, SellerStatus, User
from market.catalog.models import Product
from market.extensions import db
from market.orders.models import CartItem, Order
from tests.catalog.test_sell import post_listing
from tests.conftest import post_form

SMUGGLED = {
    "approved": "1",
    "status": "approved",
    "is_admin": "1",
    "is_staff": "1",
    "is_kol": "1",
    "paid_at": "2026-01-01T00:00:00Z",
    "price_vnd": "1",
    "total_vnd": "1",
    "seller_id": "1",
    "user_id": "1",
}


def test_registering_cannot_make_staff_or_admin(client):
    resp = post_form(
        client,
        "/register",
        {"phone": "0912 345 670", "display_name": "Lan", "password": "mat-khau-123", **SMUGGLED},
        page="/register",
    )
    assert resp.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.phone == "+84912345670"))
    assert (user.is_admin, user.is_staff) == (False, False)


def test_applying_to_sell_cannot_approve_the_shop(client, login, make_user, make_commune):
    commune = make_commune()
    user = make_user()
    login(user)
    resp = post_form(
        client,
        "/sell/apply",
        {"shop_name": "Vườn Hà", "commune_id": str(commune.id), "story": "", **SMUGGLED},
        page="/sell/apply",
    )
    assert resp.status_code == 302
    profile = db.session.scalar(sa.select(SellerProfile).where(SellerProfile.user_id == user.id))
    assert profile.status == SellerStatus.PENDING and not profile.is_kol


def test_a_listing_cannot_approve_itself_or_change_its_owner(client, make_seller, login):
    other = make_seller(shop_name="Vườn khác")
    seller = make_seller()
    login(seller)
    from tests.catalog.conftest import jpeg_bytes

    resp = post_listing(client, title="Sầu riêng tự duyệt", files=[("a.jpg", jpeg_bytes())], **SMUGGLED)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    product = db.session.scalar(sa.select(Product).where(Product.title == "Sầu riêng tự duyệt"))
    assert (
        product.status == "pending_review" and product.seller_id == seller.seller_profile.id != other.seller_profile.id
    )


def test_the_cart_and_the_order_take_the_price_from_the_database(client, make_product, make_user, login):
    from tests.orders.fixtures import add_to_cart

    product = make_product(price_vnd=79_000, stock=10)
    buyer = make_user()
    login(buyer)
    assert add_to_cart(client, product, 2, **SMUGGLED).status_code == 302
    item = db.session.scalar(sa.select(CartItem).where(CartItem.user_id == buyer.id))
    assert item.qty == 2 and not hasattr(item, "price_vnd")
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0  # nothing "paid" appeared either
