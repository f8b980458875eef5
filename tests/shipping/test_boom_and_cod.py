"""Refused cash-on-delivery parcels ("bom hàng"): counted per buyer, shown to shops as a count, and a shop may
ask such buyers for a transfer; and the shop's cash-on-delivery report (collected vs paid out, per order)."""

import re

import sqlalchemy as sa

from market.extensions import db
from market.orders.models import Order
from market.orders.service import transition
from market.orders.states import Actor, OrderStatus
from tests.conftest import post_form
from tests.orders.fixtures import ADDRESS, add_to_cart


def refuse_one(buyer, shop, place):
    """A cash-on-delivery order of ``buyer`` shipped by hand and marked returned by the shop."""
    order = place(buyer, shop.product, 1)
    order.carrier = "Viettel Post"
    for to in (OrderStatus.PACKED, OrderStatus.SHIPPED):
        transition(order, to, actor=shop.user, role=Actor.SELLER)
    transition(order, OrderStatus.RETURNED, actor=shop.user, role=Actor.SELLER, reason="Khách không nghe máy")
    return order


def test_refusals_are_counted_and_a_shop_may_ask_for_a_transfer(
    client, login, buyer, shop, make_shop, place, fee_table
):
    from market.shipping.boom import refusals_of

    stock = shop.product.stock
    refuse_one(buyer, shop, place)
    db.session.refresh(shop.product)
    assert refusals_of(buyer.id) == 1 and shop.product.stock == stock  # the returned unit is back on the shelf
    strict = make_shop("Vườn bơ Ea Tul")
    fee_table(strict.profile, transfer_after_refusals=1)
    login(buyer)
    add_to_cart(client, strict.product, 1)
    page = client.get("/checkout").get_data(as_text=True)
    assert f'name="method-{strict.profile.id}" value="cod"' not in page  # cash is not offered to her here
    attempt = re.search(r'name="attempt"[^>]*value="([0-9a-f]+)"', page).group(1)
    resp = post_form(
        client, "/checkout", {**ADDRESS, "attempt": attempt, f"method-{strict.profile.id}": "cod"}, page="/checkout"
    )
    assert resp.status_code == 400 and "chuyển khoản" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Order.id)).where(Order.seller_id == strict.profile.id)) == 0
    ok = post_form(
        client, "/checkout", {**ADDRESS, "attempt": attempt, f"method-{strict.profile.id}": "vietqr"}, page="/checkout"
    )
    assert ok.status_code == 302
    # the shop sees the count on her order, nothing else about where
    order = db.session.scalar(sa.select(Order).where(Order.seller_id == strict.profile.id))
    login(strict.user)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "từ chối nhận 1 đơn" in page and shop.profile.shop_name not in page


def test_a_shop_without_the_setting_still_offers_cash(client, login, buyer, shop, make_shop, place):
    refuse_one(buyer, shop, place)
    other = make_shop("Tổ mật ong")
    login(buyer)
    add_to_cart(client, other.product, 1)
    assert f'name="method-{other.profile.id}" value="cod"' in client.get("/checkout").get_data(as_text=True)


def test_cod_report(client, login, shop, buyer, place, carriers, connect_carrier):
    from market.shipping.models import Shipment

    connect_carrier(shop.profile, "ghtk")
    orders = [place(buyer, shop.product, 1) for _ in range(3)]
    for i, order in enumerate(orders):
        order.carrier, order.tracking_code = "GHTK", f"S1.A1.{i}"
        db.session.add(
            Shipment(
                order_id=order.id,
                seller_id=shop.profile.id,
                carrier="ghtk",
                tracking_code=f"S1.A1.{i}",
                stage=("delivered", "delivered", "picked_up")[i],
                cod_vnd=79_000,
                cod_collected_vnd=(79_000, 79_000, None)[i],
            )
        )
    db.session.flush()
    login(shop.user)
    page = client.get("/sell/shipping/cod").get_data(as_text=True)
    assert "158.000" in page and page.count("Tôi đã nhận khoản tiền này") == 2
    first = db.session.scalar(sa.select(Shipment).where(Shipment.tracking_code == "S1.A1.0"))
    url = f"/sell/shipping/cod/{first.id}/remitted"
    assert post_form(client, url, {}, page="/sell/shipping/cod").status_code == 302
    page = client.get("/sell/shipping/cod").get_data(as_text=True)
    assert page.count("Tôi đã nhận khoản tiền này") == 1
    third = db.session.scalar(sa.select(Shipment).where(Shipment.tracking_code == "S1.A1.2"))
    url = f"/sell/shipping/cod/{third.id}/remitted"
    assert post_form(client, url, {}, page="/sell/shipping/cod").status_code == 409
