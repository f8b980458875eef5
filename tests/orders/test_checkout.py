"""Cart and checkout over HTTP: one order per shop, all or nothing, the address kept, retries safe."""

import re

import pytest
import sqlalchemy as sa

from market.catalog.models import Product
from market.extensions import db
from market.orders.models import CartItem, DeliveryAddress, Order
from tests.conftest import post_form
from tests.orders.fixtures import ADDRESS, add_to_cart


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def attempt_of(client) -> str:
    html = client.get("/checkout").get_data(as_text=True)
    return re.search(r'name="attempt"[^>]*value="([0-9a-f]+)"', html).group(1)


@pytest.fixture
def two_shops(make_shop):
    coffee = make_shop("Cà phê Quảng Phú", titles=("Cà phê Robusta rang mộc",), price=120_000)
    brocade = make_shop("Tổ dệt thổ cẩm Xuân Lãnh", titles=("Khăn thổ cẩm",), price=250_000, unit="piece")
    return coffee, brocade


def add(client, product, qty=1):
    return add_to_cart(client, product, qty)


def test_two_shops_one_checkout_two_orders(client, login, buyer, two_shops):
    coffee, brocade = two_shops
    login(buyer)
    assert add(client, coffee.product, 2).status_code == 302
    assert add(client, brocade.product, 1).status_code == 302
    page = client.get("/cart").get_data(as_text=True)
    assert "Cà phê Quảng Phú" in page and "Tổ dệt thổ cẩm Xuân Lãnh" in page
    attempt = attempt_of(client)
    data = {
        **ADDRESS,
        "attempt": attempt,
        f"method-{coffee.profile.id}": "cod",
        f"method-{brocade.profile.id}": "vietqr",
    }
    resp = post_form(client, "/checkout", data, page="/checkout")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    orders = db.session.scalars(sa.select(Order).order_by(Order.id)).all()
    assert [(o.seller_id, o.status, o.payment_method, o.total_vnd) for o in orders] == [
        (coffee.profile.id, "confirmed", "cod", 240_000),
        (brocade.profile.id, "pending", "vietqr", 250_000),
    ]
    assert all(o.ship_province == "Đắk Lắk" and o.ship_phone == "+84912345678" for o in orders)
    assert stock_of(coffee.product) == 48 and stock_of(brocade.product) == 49
    assert db.session.scalar(sa.select(sa.func.count(CartItem.id))) == 0
    saved = db.session.scalar(sa.select(DeliveryAddress).where(DeliveryAddress.user_id == buyer.id))
    assert saved.street == "12 Lê Lợi, thôn 3"
    done = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert orders[0].code in done and orders[1].code in done
    # the retried POST (same attempt) places nothing new
    again = post_form(client, "/checkout", data, page="/cart")
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 2
    # the address is offered at the next checkout
    add(client, coffee.product, 1)
    assert "12 Lê Lợi, thôn 3" in client.get("/checkout").get_data(as_text=True)


def test_sold_out_meanwhile_refuses_the_whole_checkout(client, login, buyer, two_shops, make_user, place):
    coffee, brocade = two_shops
    login(buyer)
    add(client, coffee.product, 2)
    add(client, brocade.product, 3)
    attempt = attempt_of(client)
    place(make_user(name="Người khác"), brocade.product, 48)  # someone else buys nearly all of it meanwhile
    data = {**ADDRESS, "attempt": attempt, f"method-{coffee.profile.id}": "cod", f"method-{brocade.profile.id}": "cod"}
    resp = post_form(client, "/checkout", data, page="/cart")
    assert resp.status_code == 409
    assert "Khăn thổ cẩm" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Order.id)).where(Order.buyer_id == buyer.id)) == 0
    assert stock_of(coffee.product) == 50 and stock_of(brocade.product) == 2
    assert db.session.scalar(sa.select(sa.func.count(CartItem.id)).where(CartItem.user_id == buyer.id)) == 2
