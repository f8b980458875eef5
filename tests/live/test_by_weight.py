"""A product sold by weight pinned in a live session: ordered by the piece at its estimate, through the merged
batch insert (COPY on PostgreSQL) and through the one-by-one fallback."""

import sqlalchemy as sa

from market.extensions import db
from market.live.ordering import OrderRequest, settle_batch, settle_one
from market.orders import weights
from market.orders.checkout import clean_address, complete_order
from market.orders.models import Order, OrderItem
from market.orders.states import Actor
from tests.live.conftest import new_key
from tests.orders.fixtures import ADDRESS


def fruit_offer(make_offer, make_session, make_product):
    session = make_session()
    product = make_product(
        seller=session.seller.user,
        title="Sầu riêng Ri6",
        unit="piece",
        stock=40,
        price_vnd=255_000,
        piece_weight_g=3000,
        price_per_kg_vnd=85_000,
        weight_tolerance_pct=10,
    )
    return make_offer(session=session, product=product, quantity=30, per_buyer_limit=5, price_vnd=240_000)


def req(buyer, offer, qty):
    return OrderRequest(
        user_id=buyer.id,
        auth_version=buyer.auth_version,
        session_id=offer.session_id,
        offer_id=offer.id,
        qty=qty,
        key=new_key("w"),
    )


def test_the_merged_batch_carries_the_estimate(make_offer, make_session, make_product, make_user):
    offer = fruit_offer(make_offer, make_session, make_product)
    buyers = [make_user(name=f"Khách {i}") for i in range(6)]
    outcomes = settle_batch([req(b, offer, 1 + i % 2) for i, b in enumerate(buyers)])
    assert all(o.ok and o.created for o in outcomes)
    db.session.expire_all()  # read back what the batch insert (COPY on PostgreSQL) wrote
    rows = db.session.execute(
        sa.select(
            OrderItem.qty,
            OrderItem.unit_price_vnd,
            OrderItem.est_weight_g,
            OrderItem.weight_tolerance_pct,
            OrderItem.packed_weight_g,
            Order.weight_status,
            Order.total_vnd,
        )
        .join(Order, Order.id == OrderItem.order_id)
        .order_by(Order.id)
    ).all()
    assert len(rows) == 6
    for qty, price, est, pct, packed, status, total in rows:
        assert (price, est, pct, packed, status, total) == (240_000, 3000, 10, None, "estimate", 240_000 * qty)


def test_a_live_order_by_weight_is_weighed_at_its_live_price(make_offer, make_session, make_product, make_user):
    offer = fruit_offer(make_offer, make_session, make_product)
    buyer = make_user()
    outcome = settle_batch([req(buyer, offer, 2)])[0]
    order = db.session.get(Order, outcome.order["id"])
    complete_order(order, buyer, clean_address(*ADDRESS.values()), "cod")
    host = offer.session.seller.user
    weights.weigh(order, host, Actor.SELLER, {f"weight-{order.items[0].id}": "6,3"})
    assert order.weight_status == "final" and order.total_vnd == 504_000  # 2 × 240.000 × 6,3 / 6


def test_the_fallback_path_carries_the_estimate_too(make_offer, make_session, make_product, make_user):
    offer = fruit_offer(make_offer, make_session, make_product)
    outcome = settle_one(req(make_user(), offer, 3))
    assert outcome.ok
    order = db.session.get(Order, outcome.order["id"])
    assert order.weight_status == "estimate" and order.items[0].est_weight_g == 3000
    assert order.items[0].weight_tolerance_pct == 10 and order.total_vnd == 720_000
