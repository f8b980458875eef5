"""Card holds for orders sold by weight: authorise the most the tolerance allows, capture the weighed amount
(``amount_to_capture``), release the hold on cancel — the real ``stripe`` library against the local stand-in."""

import sqlalchemy as sa

from market.extensions import db
from market.notifications.models import Notification
from market.orders import weights
from market.orders.states import Actor
from market.payments.models import Payment
from tests.conftest import login_as, post_form
from tests.orders.fixtures import reload
from tests.payments.standin import stripe_event
from tests.payments.test_stripe import send, start, stock_of


def held_order(client, stripe_api, fruit_shop, buyer, place, fruits=2):
    """A by-weight order paid by card: the buyer authorises on Stripe, the webhook confirms it."""
    order = place(buyer, fruit_shop.product, fruits, method="stripe")
    login_as(client, buyer)
    resp = start(client, order)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    session_id = resp.headers["Location"].rsplit("/", 1)[1]
    out = send(client, stripe_event("checkout.session.completed", stripe_api.pay(session_id)))
    assert out.status_code == 200 and out.json["outcome"] == "authorised", out.json
    return reload(order), session_id


def hold_of(order) -> Payment:
    return db.session.scalar(
        sa.select(Payment)
        .where(Payment.order_id == order.id, Payment.method == "stripe")
        .execution_options(populate_existing=True)
    )


def calls(stripe_api, suffix):
    return [r for r in stripe_api.seen if r.path.endswith(suffix)]


def weigh(client, order, kg, user):
    login_as(client, user)
    item = order.items[0]
    return post_form(
        client, f"/orders/{order.id}/weights", {"as": "seller", f"weight-{item.id}": kg}, page=f"/orders/{order.id}"
    )


def test_the_checkout_session_authorises_the_most_the_tolerance_allows(client, stripe_api, fruit_shop, buyer, place):
    order, session_id = held_order(client, stripe_api, fruit_shop, buyer, place)
    (create,) = stripe_api.calls("/v1/checkout/sessions")
    assert create.form["payment_intent_data"]["capture_method"] == "manual"
    line = create.form["line_items"][0]
    assert line["price_data"]["unit_amount"] == "280500" and line["quantity"] == "2"  # 255.000 + 10 %
    assert "+10%" in line["price_data"]["product_data"]["name"]
    hold = hold_of(order)
    assert (hold.status, hold.amount_vnd, hold.manual_capture, hold.capture_vnd) == ("authorized", 561_000, True, None)
    assert order.status == "confirmed" and order.paid_at is None and order.total_vnd == 510_000
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(sa.select(Notification))}
    assert {(buyer.id, "order.authorised_buyer"), (fruit_shop.user.id, "order.authorised")} <= kinds
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "561.000" in html  # "authorised for up to …"


def test_weighing_captures_the_weighed_amount(client, stripe_api, fruit_shop, buyer, place):
    order, session_id = held_order(client, stripe_api, fruit_shop, buyer, place)
    assert weigh(client, order, "6,4", fruit_shop.user).status_code == 302
    (capture,) = calls(stripe_api, "/capture")
    hold = hold_of(order)
    assert capture.form["amount_to_capture"] == "544000"
    assert capture.headers["idempotency-key"] == f"chophien-capture-{hold.id}"
    assert (hold.status, hold.received_vnd, hold.capture_vnd) == ("succeeded", 544_000, 544_000)
    reload(order)
    assert order.paid_at is not None and order.total_vnd == 544_000 and order.status == "confirmed"
    assert stripe_api.intent_for(session_id)["amount_received"] == 544_000
    assert "order.charged" in set(
        db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == buyer.id))
    )
    # charged: the weights are final now
    resp = weigh(client, order, "6", fruit_shop.user)
    assert resp.status_code == 409 and len(calls(stripe_api, "/capture")) == 1


def test_a_weight_beyond_the_hold_is_refused(client, stripe_api, fruit_shop, buyer, place):
    order, _ = held_order(client, stripe_api, fruit_shop, buyer, place)
    resp = weigh(client, order, "6,7", fruit_shop.user)  # 569.500 ₫ > 561.000 ₫ held
    assert resp.status_code == 409
    assert "561.000" in resp.get_data(as_text=True)
    reload(order)
    assert order.weight_status == "estimate" and not calls(stripe_api, "/capture")
    assert weigh(client, order, "6,6", fruit_shop.user).status_code == 302  # the top of the band: exactly the hold
    assert calls(stripe_api, "/capture")[0].form["amount_to_capture"] == "561000"


def test_lighter_than_the_tolerance_waits_for_the_buyer_then_captures_less(
    client, stripe_api, fruit_shop, buyer, place
):
    order, _ = held_order(client, stripe_api, fruit_shop, buyer, place)
    assert weigh(client, order, "5", fruit_shop.user).status_code == 302  # −16,7 %
    assert reload(order).weight_status == "to_accept" and not calls(stripe_api, "/capture")
    login_as(client, buyer)
    assert post_form(client, f"/orders/{order.id}/weights/accept", {}, page=f"/orders/{order.id}").status_code == 302
    assert calls(stripe_api, "/capture")[0].form["amount_to_capture"] == "425000"
    assert reload(order).paid_at is not None and hold_of(order).received_vnd == 425_000


def test_cancelling_releases_the_hold_and_nothing_is_charged(client, stripe_api, fruit_shop, buyer, place):
    order, session_id = held_order(client, stripe_api, fruit_shop, buyer, place)
    assert stock_of(fruit_shop.product) == 18
    resp = post_form(
        client, f"/orders/{order.id}/cancel", {"as": "buyer", "reason": "Đổi ý"}, page=f"/orders/{order.id}"
    )
    assert resp.status_code == 302
    (cancel,) = calls(stripe_api, "/cancel")
    hold = hold_of(order)
    assert cancel.headers["idempotency-key"] == f"chophien-release-{hold.id}"
    assert hold.status == "released" and not calls(stripe_api, "/capture") and not calls(stripe_api, "/v1/refunds")
    assert stripe_api.intent_for(session_id)["status"] == "canceled"
    reload(order)
    assert order.status == "cancelled" and order.paid_at is None and stock_of(fruit_shop.product) == 20
    # Stripe then tells us the intent was canceled: already known, no flag
    intent = stripe_api.intent_for(session_id)
    assert send(client, stripe_event("payment_intent.canceled", intent)).json["outcome"] == "already"
    assert reload(order).payment_flag is None


def test_declining_the_weight_releases_the_hold(client, stripe_api, fruit_shop, buyer, place):
    order, session_id = held_order(client, stripe_api, fruit_shop, buyer, place)
    weigh(client, order, "5", fruit_shop.user)
    login_as(client, buyer)
    post_form(client, f"/orders/{order.id}/weights/decline", {}, page=f"/orders/{order.id}")
    assert reload(order).status == "cancelled" and hold_of(order).status == "released"
    assert len(calls(stripe_api, "/cancel")) == 1


def test_a_weighing_left_unanswered_releases_the_hold_at_the_deadline(
    client, stripe_api, fruit_shop, buyer, place, runner
):
    from datetime import timedelta

    from market.database import utcnow
    from market.orders.models import OrderEvent

    order, _ = held_order(client, stripe_api, fruit_shop, buyer, place)
    weigh(client, order, "5", fruit_shop.user)
    assert reload(order).weight_status == "to_accept"
    db.session.execute(
        sa.update(OrderEvent)
        .where(OrderEvent.order_id == order.id, OrderEvent.kind == "weighed")
        .values(created_at=utcnow() - timedelta(hours=49))
    )
    db.session.commit()
    result = runner.invoke(args=["expire-holds"])
    assert result.exit_code == 0 and "1 order(s)" in result.output, result.output
    assert reload(order).status == "cancelled" and hold_of(order).status == "released"
    assert len(calls(stripe_api, "/cancel")) == 1 and not calls(stripe_api, "/capture")


def test_a_failed_capture_is_flagged_and_retried(client, stripe_api, fruit_shop, buyer, place, runner):
    order, _ = held_order(client, stripe_api, fruit_shop, buyer, place)
    stripe_api.fail_next.append((500, {"error": {"type": "api_error", "message": "down"}}))
    weigh(client, order, "6", fruit_shop.user)
    reload(order)
    assert order.payment_flag == "capture_failed" and order.paid_at is None and hold_of(order).status == "authorized"
    result = runner.invoke(args=["retry-refunds"])
    assert result.exit_code == 0 and "1 card hold(s)" in result.output, result.output
    reload(order)
    assert order.payment_flag is None and order.paid_at is not None and hold_of(order).received_vnd == 510_000
    keys = {r.headers["idempotency-key"] for r in calls(stripe_api, "/capture")}
    assert len(calls(stripe_api, "/capture")) == 2 and len(keys) == 1


def test_the_intent_event_may_arrive_before_the_session_completes(client, stripe_api, fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 1, method="stripe")
    login_as(client, buyer)
    session_id = start(client, order).headers["Location"].rsplit("/", 1)[1]
    completed = stripe_api.pay(session_id)
    first = send(client, stripe_event("payment_intent.amount_capturable_updated", stripe_api.intent_for(session_id)))
    assert first.json["outcome"] == "authorised"
    assert send(client, stripe_event("checkout.session.completed", completed)).json["outcome"] == "already"
    assert reload(order).status == "confirmed" and hold_of(order).amount_vnd == 280_500


def test_a_hold_that_lapses_is_flagged_for_the_seller(client, stripe_api, fruit_shop, buyer, place):
    order, session_id = held_order(client, stripe_api, fruit_shop, buyer, place)
    intent = {**stripe_api.intent_for(session_id), "status": "canceled", "cancellation_reason": "automatic"}
    assert send(client, stripe_event("payment_intent.canceled", intent)).json["outcome"] == "released"
    reload(order)
    assert order.payment_flag == "hold_lapsed" and hold_of(order).status == "released"
    assert weights.max_total(order) == 561_000
    # the seller reads why and settles it (asks the buyer to pay another way, or cancels)
    login_as(client, fruit_shop.user)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'class="flag"' in html and f"/payments/{order.id}/resolve" in html


def test_a_hold_of_the_wrong_amount_is_not_accepted_and_is_released(client, stripe_api, fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 1, method="stripe")
    login_as(client, buyer)
    session_id = start(client, order).headers["Location"].rsplit("/", 1)[1]
    out = send(client, stripe_event("checkout.session.completed", stripe_api.pay(session_id, amount=1000)))
    assert out.json["outcome"] == "mismatch"
    reload(order)
    assert order.status == "pending" and order.payment_flag == "amount_mismatch"
    assert len(calls(stripe_api, "/cancel")) == 1 and hold_of(order).status == "mismatch"


def test_a_weighed_order_pays_the_final_amount_by_card_without_a_hold(client, stripe_api, fruit_shop, buyer, place):
    order = place(buyer, fruit_shop.product, 1, method="vietqr")
    weights.weigh(order, fruit_shop.user, Actor.SELLER, {f"weight-{order.items[0].id}": "3,1"})
    db.session.flush()
    login_as(client, buyer)
    post_form(client, f"/orders/{order.id}/method", {"method": "stripe"}, page=f"/orders/{order.id}")
    resp = start(client, order)
    assert resp.status_code == 303
    create = stripe_api.calls("/v1/checkout/sessions")[-1]
    assert "capture_method" not in create.form["payment_intent_data"]
    assert create.form["line_items"][0]["price_data"]["unit_amount"] == "263500"
    session_id = resp.headers["Location"].rsplit("/", 1)[1]
    paid = send(client, stripe_event("checkout.session.completed", stripe_api.pay(session_id)))
    assert paid.json["outcome"] == "paid"
    assert reload(order).paid_at is not None and order.status == "confirmed"
