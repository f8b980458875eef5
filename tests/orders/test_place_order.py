from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.catalog.models import Product
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.orders.models import Order, OrderEvent
from market.orders.service import Line, place_order
from market.orders.states import OrderStatus


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def test_place_order_takes_stock_and_holds_it(app, make_user, make_product):
    buyer = make_user()
    product = make_product(stock=50, price_vnd=79_000)
    placed = place_order(buyer, [Line("product", product.id, 5)], "key-00000001")
    order = placed.order
    assert placed.created
    assert order.status == OrderStatus.PENDING
    assert order.total_vnd == 395_000 and order.subtotal_vnd == 395_000
    assert order.items[0].title == "Sầu riêng Ri6" and order.items[0].qty == 5
    assert order.hold_expires_at - utcnow() > timedelta(minutes=29)
    assert stock_of(product) == 45
    assert [(e.from_status, e.to_status, e.actor_role) for e in order.events] == [(None, "pending", "buyer")]
    assert order.code.startswith("CP") and len(order.code) == 10


def test_same_key_returns_the_first_order(app, make_user, make_product):
    buyer = make_user()
    product = make_product(stock=50)
    first = place_order(buyer, [Line("product", product.id, 5)], "retry-key-1")
    again = place_order(buyer, [Line("product", product.id, 5)], "retry-key-1")
    assert not again.created and again.order.id == first.order.id
    assert stock_of(product) == 45
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1


def test_same_key_of_another_buyer_is_another_order(app, make_user, make_product):
    product = make_product(stock=50)
    a = place_order(make_user(), [Line("product", product.id, 1)], "shared-key-1")
    b = place_order(make_user(), [Line("product", product.id, 1)], "shared-key-1")
    assert a.order.id != b.order.id


@pytest.mark.parametrize("qty", [0, -1, 10**9, 1.5, "3", True, None])
def test_bad_quantities(app, make_user, make_product, qty):
    product = make_product(stock=50)
    with pytest.raises(DomainError) as err:
        place_order(make_user(), [Line("product", product.id, qty)], "bad-qty-key")
    assert err.value.code == "invalid"
    assert stock_of(product) == 50


@pytest.mark.parametrize("key", [None, "", "short", "x" * 65, "has space in it", 12345678])
def test_bad_keys(app, make_user, make_product, key):
    product = make_product()
    with pytest.raises(DomainError, match="thiếu mã"):
        place_order(make_user(), [Line("product", product.id, 1)], key)


def test_sold_out_changes_nothing(app, make_user, make_product):
    product = make_product(stock=3)
    with pytest.raises(DomainError) as err:
        place_order(make_user(), [Line("product", product.id, 4)], "too-many-01")
    assert err.value.code == "sold_out"
    assert stock_of(product) == 3
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_two_lines_one_sold_out_takes_nothing(app, make_user, make_product, make_seller):
    seller = make_seller()
    a = make_product(seller=seller, stock=10)
    b = make_product(seller=seller, title="Sầu riêng Monthong", stock=1)
    with pytest.raises(DomainError):
        place_order(make_user(), [Line("product", a.id, 5), Line("product", b.id, 2)], "two-lines-1")
    assert (stock_of(a), stock_of(b)) == (10, 1)


@pytest.mark.parametrize("status", ["draft", "pending_review", "rejected", "archived"])
def test_only_approved_products(app, make_user, make_product, status):
    product = make_product(status=status)
    with pytest.raises(DomainError):
        place_order(make_user(), [Line("product", product.id, 1)], "not-approved")


def test_one_shop_per_order_and_not_your_own(app, make_user, make_product, make_seller):
    a, b = make_product(), make_product(seller=make_seller(shop_name="Khác"))
    with pytest.raises(DomainError, match="một gian hàng"):
        place_order(make_user(), [Line("product", a.id, 1), Line("product", b.id, 1)], "mixed-shops")
    seller = make_seller(shop_name="Của tôi")
    own = make_product(seller=seller)
    with pytest.raises(DomainError) as err:
        place_order(seller, [Line("product", own.id, 1)], "own-shop-01")
    assert err.value.code == "forbidden"


def test_minimum_order_quantity(app, make_user, make_product):
    product = make_product(min_order_qty=5)
    with pytest.raises(DomainError, match="tối thiểu"):
        place_order(make_user(), [Line("product", product.id, 4)], "min-order-1")


def test_unknown_source_and_product(app, make_user):
    with pytest.raises(DomainError):
        place_order(make_user(), [Line("teleport", 1, 1)], "unknown-src")
    with pytest.raises(DomainError):
        place_order(make_user(), [Line("product", 999999, 1)], "unknown-prd")


def test_phone_order_is_marked_as_entered_on_behalf(app, make_user, make_product, make_staff):
    product = make_product()
    helper = make_staff(product.seller.commune, name="Chị Mai")
    order = place_order(
        make_user(), [Line("product", product.id, 1)], "phone-ord-1", origin="phone", placed_by=helper
    ).order
    event = db.session.scalar(sa.select(OrderEvent).where(OrderEvent.order_id == order.id))
    assert order.placed_by_id == helper.id and event.actor_role == "staff" and "Chị Mai" in event.reason
