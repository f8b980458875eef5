"""Orders sold by weight: weighing at packing, the tolerance, the buyer's answer, and every bad weight."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.catalog.models import Product
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.notifications.models import Notification
from market.notifications.sms import LogSms
from market.orders import weights
from market.orders.models import OrderEvent
from market.orders.states import Actor, OrderStatus
from market.payments.vietqr import parse_payload
from tests.conftest import login_as, post_form
from tests.orders.fixtures import reload


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def weigh_form(client, order, kg, role="seller"):
    item = weights.weighed_lines(order)[0]
    return post_form(
        client, f"/orders/{order.id}/weights", {"as": role, f"weight-{item.id}": kg}, page=f"/orders/{order.id}"
    )


def kinds(user) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def test_an_order_carries_the_estimate(fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 2)
    item = order.items[0]
    assert (item.est_weight_g, item.weight_tolerance_pct, item.packed_weight_g) == (3000, 10, None)
    assert order.weight_status == "estimate" and order.total_vnd == 510_000 and order.status == "confirmed"
    assert weights.tolerance_band(item) == (5400, 6600)
    assert weights.max_total(order) == 2 * 280_500


def test_within_the_tolerance_the_weighed_amount_applies_and_the_buyer_is_told(client, fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 2)
    login_as(client, fruit_shop.user)
    LogSms.sent.clear()
    resp = weigh_form(client, order, "6,4")
    assert resp.status_code == 302
    reload(order)
    assert order.weight_status == "final" and order.items[0].packed_weight_g == 6400
    assert order.items[0].line_total_vnd == 544_000 and order.total_vnd == 544_000  # 6,4 kg × 85.000
    event = db.session.scalar(
        sa.select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == "weighed")
    )
    assert event.from_status == event.to_status == "confirmed" and event.actor_role == "seller"
    assert "6,4 kg" in event.reason
    assert kinds(buyer) == ["order.weighed"]
    assert any(phone == buyer.phone and "544.000" in text for phone, text in LogSms.sent)
    cod = [p for p in order.payments if p.method == "cod"][0]
    assert cod.amount_vnd == 544_000  # the cash to collect follows the weight
    # then it can be packed
    resp = post_form(client, f"/orders/{order.id}/status", {"as": "seller", "to": "packed"}, page=f"/orders/{order.id}")
    assert resp.status_code == 302 and reload(order).status == "packed"


def test_outside_the_tolerance_the_buyer_accepts_first(client, fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 1)
    login_as(client, fruit_shop.user)
    assert weigh_form(client, order, "3,5").status_code == 302  # +16,7 %
    reload(order)
    assert order.weight_status == "to_accept" and order.total_vnd == 255_000  # not applied yet
    assert weights.proposed_total(order) == 297_500
    assert kinds(buyer) == ["order.weight_to_accept"]
    # the seller cannot pack it meanwhile
    resp = post_form(client, f"/orders/{order.id}/status", {"as": "seller", "to": "packed"}, page=f"/orders/{order.id}")
    assert resp.status_code == 409 and reload(order).status == "confirmed"
    # the buyer sees accept / decline and accepts
    login_as(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "data-weight-answer" in html and f"/orders/{order.id}/weights/accept" in html
    assert post_form(client, f"/orders/{order.id}/weights/accept", {}, page=f"/orders/{order.id}").status_code == 302
    reload(order)
    assert order.weight_status == "final" and order.total_vnd == 297_500
    assert "order.weight_accepted" in kinds(fruit_shop.user)
    assert [
        e.kind
        for e in db.session.scalars(
            sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
        if e.kind
    ] == ["weighed", "weight_accepted"]
    # answering twice is refused
    assert post_form(client, f"/orders/{order.id}/weights/accept", {}, page=f"/orders/{order.id}").status_code == 409


def test_declining_cancels_and_gives_the_stock_back(client, fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 2)
    assert stock_of(fruit_shop.product) == 18
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {f"weight-{order.items[0].id}": "4,5"})  # −25 %
    db.session.flush()
    login_as(client, buyer)
    resp = post_form(client, f"/orders/{order.id}/weights/decline", {}, page=f"/orders/{order.id}")
    assert resp.status_code == 302
    reload(order)
    assert order.status == "cancelled" and stock_of(fruit_shop.product) == 20
    assert "weight_declined" in [e.kind for e in order.events]


def test_only_the_buyer_answers_and_only_the_seller_weighs(client, fruit_shop, buyer, place, make_user):
    order = place(buyer, fruit_shop.product, 1)
    login_as(client, buyer)
    item = order.items[0]
    assert (
        post_form(
            client, f"/orders/{order.id}/weights", {"as": "buyer", f"weight-{item.id}": "3"}, page=f"/orders/{order.id}"
        ).status_code
        == 404
    )
    login_as(client, make_user())
    assert post_form(client, f"/orders/{order.id}/weights", {f"weight-{item.id}": "3"}, page="/").status_code == 404
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {f"weight-{item.id}": "4"})
    db.session.flush()
    assert post_form(client, f"/orders/{order.id}/weights/accept", {}, page="/").status_code == 404
    login_as(client, fruit_shop.user)
    assert post_form(client, f"/orders/{order.id}/weights/accept", {}, page="/").status_code == 404
    assert reload(order).weight_status == "to_accept"


@pytest.mark.parametrize(
    ("kg", "why"),
    [
        ("0", "more than 0"),
        ("-3", "negative"),
        ("30", "ten times"),
        ("6,1", "twice"),
        ("0,5", "a sixth"),
        ("3000", "grams as kg"),
        ("ba ký", "words"),
        ("3,2,1", "two commas"),
        ("", "empty"),
        ("3,0001", "below a gram"),
        ("1e3", "exponent"),
    ],
)
def test_absurd_weights_are_refused_beside_the_field_and_nothing_is_written(client, fruit_shop, buyer, place, kg, why):
    order = place(buyer, fruit_shop.product, 1)
    login_as(client, fruit_shop.user)
    resp = weigh_form(client, order, kg)
    assert resp.status_code == 400, why
    html = resp.get_data(as_text=True)
    item = order.items[0]
    assert f'id="weight-{item.id}-error"' in html and re.search(
        rf'name="weight-{item.id}"[^>]*value="{re.escape(kg)}"', html.replace("&#34;", '"')
    ), why
    reload(order)
    assert order.weight_status == "estimate" and order.items[0].packed_weight_g is None
    assert not [e for e in order.events if e.kind]
    assert kinds(buyer) == []


def test_reweighing_before_payment_is_allowed_after_payment_it_is_not(fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 1)
    item_field = f"weight-{order.items[0].id}"
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {item_field: "3,9"})  # to accept
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {item_field: "3,1"})  # corrected: within, applies
    assert order.weight_status == "final" and order.total_vnd == 263_500
    from market.orders.payment import gateway

    gateway().mark_paid(order, fruit_shop.user, Actor.SELLER)  # cash received (cod: confirmed, paid)
    with pytest.raises(DomainError) as err:
        weights.weigh(order, fruit_shop.user, Actor.SELLER, {item_field: "3"})
    assert err.value.status == 409


def test_a_transfer_is_asked_for_only_once_weighed(client, fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 2, method="vietqr")
    assert order.status == "pending"
    assert order.hold_expires_at > utcnow() + timedelta(hours=23)  # held while the shop weighs it
    login_as(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "data-awaiting-weight" in html and "qr-payload" not in html
    from market.orders.payment import gateway

    assert gateway().describe(order).get("awaiting_weight") is True and "vietqr" not in gateway().describe(order)
    assert not gateway().can_mark_paid(order)
    login_as(client, fruit_shop.user)
    assert weigh_form(client, order, "6,2").status_code == 302
    reload(order)
    assert order.status == "pending" and order.total_vnd == 527_000
    login_as(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    payload = re.search(r'id="qr-payload"[^>]*value="([^"]+)"', html).group(1)
    assert parse_payload(payload).amount_vnd == 527_000 and parse_payload(payload).memo == order.code
    assert gateway().describe(order)["vietqr"]["amount_vnd"] == 527_000


def test_a_card_order_is_weighed_only_once_authorised(fruit_shop, buyer, place, app):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x")
    try:
        order = place(buyer, fruit_shop.product, 1, method="stripe")
        with pytest.raises(DomainError) as err:
            weights.weigh(order, fruit_shop.user, Actor.SELLER, {f"weight-{order.items[0].id}": "3"})
        assert err.value.status == 409 and order.weight_status == "estimate"
    finally:
        app.config.update(STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None)


def test_batch_pack_refuses_unweighed_orders(client, fruit_shop, buyer, place, make_shop):
    order = place(buyer, fruit_shop.product, 1)
    login_as(client, fruit_shop.user)
    resp = post_form(client, "/sell/orders/batch", {"order_id": str(order.id), "action": "pack"}, page="/sell/orders")
    assert resp.status_code == 302 and reload(order).status == OrderStatus.CONFIRMED


def test_the_order_page_shows_the_estimate_and_the_weigh_form(client, fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 2)
    login_as(client, fruit_shop.user)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "data-weigh" in html and f'name="weight-{order.items[0].id}"' in html and "≈" in html
    assert 'name="to" value="packed"' not in html  # no "Mark packed" before weighing
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {f"weight-{order.items[0].id}": "6"})
    db.session.flush()
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'name="to" value="packed"' in html and "6 kg" in html


def test_the_api_says_what_is_weighed(client, fruit_shop, buyer, place):
    from market.accounts.tokens import issue_token

    order = place(buyer, fruit_shop.product, 2, method="vietqr")
    headers = {"Authorization": f"Bearer {issue_token(buyer)}"}
    data = client.get(f"/api/v1/orders/{order.id}", headers=headers).json["order"]
    assert data["weight_status"] == "estimate" and data["payment"]["awaiting_weight"] is True
    assert "vietqr" not in data["payment"]
    assert data["items"][0]["by_weight"] == {"est_weight_g": 6000, "tolerance_pct": 10, "packed_weight_g": None}
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {f"weight-{order.items[0].id}": "6,2"})
    db.session.flush()
    data = client.get(f"/api/v1/orders/{order.id}", headers=headers).json["order"]
    assert data["weight_status"] == "final" and data["items"][0]["by_weight"]["packed_weight_g"] == 6200
    assert data["payment"]["vietqr"]["amount_vnd"] == 527_000
    assert [e["event"] for e in data["timeline"] if "event" in e] == ["weighed"]


def test_an_unanswered_weighing_is_declined_for_the_buyer_after_the_deadline(client, fruit_shop, buyer, place, app):
    assert app.config["WEIGHING_ANSWER_HOURS"] == 48
    order = place(buyer, fruit_shop.product, 2)  # cash on delivery: confirmed
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {f"weight-{order.items[0].id}": "4,5"})  # −25 %: to accept
    db.session.commit()
    assert stock_of(fruit_shop.product) == 18
    deadline = weights.answer_deadline(order)
    assert timedelta(hours=47, minutes=59) < deadline - utcnow() <= timedelta(hours=48)
    login_as(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "data-answer-deadline" in html and "Hãy trả lời trước" in html
    login_as(client, fruit_shop.user)
    assert "Nếu người mua không trả lời trước" in client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert weights.expire_unanswered(now=utcnow() + timedelta(hours=47)) == 0  # not yet
    assert reload(order).status == "confirmed" and order.weight_status == "to_accept"
    assert weights.expire_unanswered(now=utcnow() + timedelta(hours=49)) == 1
    db.session.commit()
    reload(order)
    assert order.status == "cancelled" and stock_of(fruit_shop.product) == 20
    declined = [e for e in order.events if e.kind == "weight_declined"]
    assert len(declined) == 1 and declined[0].actor_role == "system" and declined[0].actor_id is None
    cancelled = [e for e in order.events if e.to_status == "cancelled"]
    assert cancelled[0].actor_role == "system" and "48" in cancelled[0].reason
    assert weights.answer_deadline(order) is None
    assert weights.expire_unanswered(now=utcnow() + timedelta(hours=49)) == 0  # once
    # the buyer's late answer is refused, clearly
    login_as(client, buyer)
    assert post_form(client, f"/orders/{order.id}/weights/accept", {}, page=f"/orders/{order.id}").status_code == 409


def test_the_deadline_runs_from_the_last_weighing_and_an_answer_stops_it(fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 1)
    field = f"weight-{order.items[0].id}"
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {field: "3,6"})
    db.session.execute(
        sa.update(OrderEvent).where(OrderEvent.order_id == order.id).values(created_at=utcnow() - timedelta(days=3))
    )
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {field: "3,5"})  # re-weighed today: a new deadline
    db.session.commit()
    assert weights.expire_unanswered() == 0 and reload(order).status == "confirmed"
    weights.accept(order, buyer)
    db.session.commit()
    assert weights.expire_unanswered(now=utcnow() + timedelta(days=5)) == 0
    assert reload(order).status == "confirmed" and order.weight_status == "final"


def test_the_hold_sweep_declines_unanswered_weighings(fruit_shop, buyer, place, app):
    from market.live.tasks import sweep_holds

    order = place(buyer, fruit_shop.product, 1)
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {f"weight-{order.items[0].id}": "2,5"})
    db.session.execute(
        sa.update(OrderEvent).where(OrderEvent.order_id == order.id).values(created_at=utcnow() - timedelta(hours=49))
    )
    db.session.commit()
    assert sweep_holds(app) == 1
    assert reload(order).status == "cancelled"


def test_origin_weight_status_and_flag_are_stored_as_their_words(fruit_shop, buyer, place):
    """The enums are str enums: the columns hold the same words as before (no migration), and a row read back
    compares equal to the member."""
    from market.orders.states import OrderOrigin, PaymentFlag, WeightStatus

    order = place(buyer, fruit_shop.product, 2)
    order.payment_flag = PaymentFlag.AMOUNT_MISMATCH
    db.session.flush()
    row = db.session.execute(
        sa.text("SELECT origin, weight_status, payment_flag FROM orders WHERE id = :id"), {"id": order.id}
    ).one()
    assert tuple(row) == ("cart", "estimate", "amount_mismatch") and all(type(v) is str for v in row)
    db.session.expire(order)
    assert (order.origin, order.weight_status, order.payment_flag) == (
        OrderOrigin.CART,
        WeightStatus.ESTIMATE,
        PaymentFlag.AMOUNT_MISMATCH,
    )
