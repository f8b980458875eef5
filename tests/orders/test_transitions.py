import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.catalog.models import Product
from market.database import utcnow
from market.domain import DomainError, NotFound
from market.extensions import db
from market.orders.models import Order, OrderEvent
from market.orders.service import Line, expire_holds, get_order_for, place_order, transition
from market.orders.states import TRANSITIONS, Actor, OrderStatus


@pytest.fixture
def world(app, make_user, make_product, make_staff, make_commune):
    product = make_product(stock=20)
    seller = product.seller.user
    buyer = make_user(name="Hoàng Thị Hoa")
    staff = make_staff(product.seller.commune)
    other_staff = make_staff(make_commune("Xã Khác"))
    return {
        "product": product,
        "seller": seller,
        "buyer": buyer,
        "staff": staff,
        "other_staff": other_staff,
        "stranger": make_user(name="Người lạ"),
    }


_keys = itertools.count()


def order_in(world, status: OrderStatus) -> Order:
    """An order brought to ``status`` through allowed moves."""
    order = place_order(world["buyer"], [Line("product", world["product"].id, 2)], f"order-key-{next(_keys):04d}").order
    path = {
        OrderStatus.PENDING: [],
        OrderStatus.CONFIRMED: [OrderStatus.CONFIRMED],
        OrderStatus.PACKED: [OrderStatus.CONFIRMED, OrderStatus.PACKED],
        OrderStatus.SHIPPED: [OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.SHIPPED],
        OrderStatus.DELIVERED: [OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED],
        OrderStatus.CANCELLED: [OrderStatus.CANCELLED],
        OrderStatus.EXPIRED: [OrderStatus.EXPIRED],
        OrderStatus.REFUNDED: [OrderStatus.CONFIRMED, OrderStatus.CANCELLED, OrderStatus.REFUNDED],
        OrderStatus.RETURNED: [OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.RETURNED],
    }[status]
    for step in path:
        transition(order, step, actor=None, role=Actor.SYSTEM, reason="test step") if (
            Actor.SYSTEM in TRANSITIONS[(OrderStatus(order.status), step)]
        ) else transition(order, step, actor=world["seller"], role=Actor.SELLER, reason="test step")
    return order


ACTOR_USER = {Actor.BUYER: "buyer", Actor.SELLER: "seller", Actor.STAFF: "staff", Actor.SYSTEM: None}


@pytest.mark.parametrize("to", list(OrderStatus))
@pytest.mark.parametrize("frm", list(OrderStatus))
def test_transition_table(world, frm, to):
    """Every (from, to, role): allowed exactly when the table says so; a refusal changes nothing."""
    for role in Actor:
        order = order_in(world, frm)
        events_before = db.session.scalar(
            sa.select(sa.func.count(OrderEvent.id)).where(OrderEvent.order_id == order.id)
        )
        user = world[ACTOR_USER[role]] if ACTOR_USER[role] else None
        expected = role in TRANSITIONS.get((frm, to), frozenset())
        if expected:
            transition(order, to, actor=user, role=role, reason="lý do")
            assert order.status == to
        else:
            with pytest.raises(DomainError):
                transition(order, to, actor=user, role=role, reason="lý do")
            db.session.refresh(order)
            assert order.status == frm
            assert (
                db.session.scalar(sa.select(sa.func.count(OrderEvent.id)).where(OrderEvent.order_id == order.id))
                == events_before
            )


def test_cancel_gives_stock_back_and_logs_who(world):
    product = world["product"]
    order = order_in(world, OrderStatus.CONFIRMED)
    assert db.session.get(Product, product.id).stock == 18
    transition(order, OrderStatus.CANCELLED, actor=world["buyer"], role=Actor.BUYER)
    assert db.session.get(Product, product.id).stock == 20
    last = order.events[-1] if order.events else None
    db.session.refresh(order)
    last = order.events[-1]
    assert (last.from_status, last.to_status, last.actor_id, last.actor_role) == (
        "confirmed",
        "cancelled",
        world["buyer"].id,
        "buyer",
    )


def test_seller_cancel_needs_a_reason(world):
    order = order_in(world, OrderStatus.CONFIRMED)
    with pytest.raises(DomainError, match="lý do"):
        transition(order, OrderStatus.CANCELLED, actor=world["seller"], role=Actor.SELLER, reason="  ")
    transition(order, OrderStatus.CANCELLED, actor=world["seller"], role=Actor.SELLER, reason="Hết hàng do mưa")
    assert order.cancel_reason == "Hết hàng do mưa"


@pytest.mark.parametrize("who", ["stranger", "other_staff"])
def test_people_without_a_role_get_404(world, who):
    order = order_in(world, OrderStatus.PENDING)
    with pytest.raises(NotFound):
        get_order_for(order.id, world[who])
    with pytest.raises(NotFound):
        transition(order, OrderStatus.CANCELLED, actor=world[who], role=Actor.BUYER)
    with pytest.raises(NotFound):
        transition(order, OrderStatus.CANCELLED, actor=world[who], role=Actor.STAFF, reason="x")


def test_claiming_a_role_you_do_not_hold_is_refused(world):
    order = order_in(world, OrderStatus.CONFIRMED)
    with pytest.raises(NotFound):  # a buyer pretending to be the seller
        transition(order, OrderStatus.PACKED, actor=world["buyer"], role=Actor.SELLER)


def test_stale_status_loses_the_race(world):
    order = order_in(world, OrderStatus.PENDING)
    db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id)
        .values(status="confirmed")
        .execution_options(synchronize_session=False)
    )  # as another process would
    # ``order`` still believes it is pending; the conditional update refuses
    with pytest.raises(DomainError, match="vừa thay đổi"):
        transition(order, OrderStatus.EXPIRED, actor=None, role=Actor.SYSTEM)
    assert db.session.get(Product, world["product"].id).stock == 18  # nothing given back twice


def test_expire_holds(world):
    due = order_in(world, OrderStatus.PENDING)
    fresh = order_in(world, OrderStatus.PENDING)
    paid = order_in(world, OrderStatus.CONFIRMED)
    due.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    assert expire_holds() == 1
    for o in (due, fresh, paid):
        db.session.refresh(o)
    assert (due.status, fresh.status, paid.status) == ("expired", "pending", "confirmed")
    assert db.session.get(Product, world["product"].id).stock == 16
    assert expire_holds() == 0


def test_expire_holds_cli(world, runner):
    order = order_in(world, OrderStatus.PENDING)
    order.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    result = runner.invoke(args=["expire-holds"])
    assert result.exit_code == 0 and "1 order(s) expired" in result.output
    db.session.refresh(order)
    assert order.status == "expired"
