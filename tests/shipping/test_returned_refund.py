"""A card-paid order whose parcel is refused and comes back: the card is refunded through Stripe (the stand-in)
and the order ends refunded, the buyer told — whether the carrier's webhook or the seller says it came back."""

import sqlalchemy as sa

from market.extensions import db
from market.notifications.models import Notification
from market.payments.models import Payment
from tests.conftest import login_as, post_form
from tests.orders.fixtures import reload
from tests.payments.standin import stripe_event
from tests.payments.test_stripe import send, started
from tests.shipping.test_shipments import create, ghtk_hook, stock_of, the_shipment


def paid_by_card(client, stripe_api, shop, buyer, place):
    order = place(buyer, shop.product, 2, method="stripe")
    session_id = started(client, stripe_api, order, buyer)
    assert send(client, stripe_event("checkout.session.completed", stripe_api.pay(session_id))).status_code == 200
    reload(order)
    assert order.status == "confirmed" and order.paid_at is not None
    return order


def kinds_for(user) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def test_a_card_order_refused_and_returned_is_refunded(
    client, login, shop, buyer, place, stripe_api, carriers, connect_carrier
):
    order = paid_by_card(client, stripe_api, shop, buyer, place)
    account = connect_carrier(shop.profile, "ghtk")
    login(shop.user)
    create(client, order)
    client.get("/logout")
    shipment = the_shipment(order)
    assert shipment.cod_vnd == 0  # paid: nothing to collect at the door
    start = stock_of(shop.product)
    for status in (3, 9, 21):  # picked up, refused, back at the shop
        assert ghtk_hook(client, account.webhook_secret, shipment.tracking_code, status).status_code == 200
    refunds = stripe_api.calls("/v1/refunds")
    payment = db.session.scalar(sa.select(Payment).where(Payment.order_id == order.id))
    assert len(refunds) == 1 and refunds[0].form["amount"] == str(order.total_vnd)
    assert refunds[0].form["payment_intent"] == payment.provider_payment_ref
    reload(order)
    db.session.refresh(payment)
    assert (order.status, payment.status, payment.refund_status) == ("refunded", "refunded", "done")
    assert stock_of(shop.product) == start + 2
    assert kinds_for(buyer)[-2:] == ["order.returned", "order.refunded"]
    # Stripe's own word of the refund afterwards changes nothing
    assert (
        send(client, stripe_event("charge.refunded", stripe_api.charge_for(payment.provider_ref))).json["outcome"]
        == "already"
    )
    reload(order)
    assert order.status == "refunded"


def test_the_seller_saying_it_came_back_refunds_too_and_a_failed_refund_is_retried(
    client, shop, buyer, place, stripe_api, runner
):
    order = paid_by_card(client, stripe_api, shop, buyer, place)
    login_as(client, shop.user)
    for to in ("packed", "shipped"):
        data = {
            "to": to,
            "as": "seller",
            **({"carrier": "Viettel Post", "tracking_code": "VTP1"} if to == "shipped" else {}),
        }
        assert post_form(client, f"/orders/{order.id}/status", data, page=f"/orders/{order.id}").status_code == 302
    stripe_api.fail_next.append((500, {"error": {"type": "api_error", "message": "down"}}))
    resp = post_form(
        client, f"/orders/{order.id}/status", {"to": "returned", "as": "seller"}, page=f"/orders/{order.id}"
    )
    assert resp.status_code == 302
    reload(order)
    assert order.status == "returned" and order.payment_flag == "refund_failed"  # Stripe down: flagged, kept
    result = runner.invoke(args=["retry-refunds"])
    assert result.exit_code == 0 and "1 refund(s) done" in result.output, result.output
    reload(order)
    assert (order.status, order.payment_flag) == ("refunded", None)
    assert "order.refunded" in kinds_for(buyer)
