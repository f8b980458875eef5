"""Stripe Checkout with the real ``stripe`` library against a local stand-in, and the signed webhook."""

import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.catalog.models import Product
from market.database import utcnow
from market.extensions import db
from market.notifications.models import Notification
from market.orders.models import OrderEvent
from market.orders.service import expire_holds
from market.payments.models import Payment, ProcessedEvent
from tests.conftest import login_as, post_form
from tests.orders.fixtures import reload
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.standin import sign, stripe_event


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def send(
    client,
    event: dict,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    payload: str | None = None,
    header: str | None = None,
):
    body = payload if payload is not None else json.dumps(event)
    headers = {"Content-Type": "application/json"}
    sig = header if header is not None else sign(json.dumps(event) if payload is None else payload, secret, timestamp)
    if sig:
        headers["Stripe-Signature"] = sig
    return client.post("/webhooks/stripe", data=body, headers=headers)


@pytest.fixture
def card_order(stripe_api, shop, buyer, place):
    return place(buyer, shop.product, 2, method="stripe")


def start(client, order):
    return post_form(client, f"/payments/stripe/{order.id}/start", {}, page=f"/orders/{order.id}")


def started(client, stripe_api, order, buyer) -> str:
    login_as(client, buyer)
    resp = start(client, order)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return resp.headers["Location"].rsplit("/", 1)[1]


def test_checkout_session_in_vnd_with_a_deterministic_key(client, stripe_api, card_order, buyer):
    order = card_order
    session_id = started(client, stripe_api, order, buyer)
    create = stripe_api.calls("/v1/checkout/sessions")
    assert len(create) == 1
    req = create[0]
    assert req.headers["idempotency-key"] == f"chophien-checkout-{order.id}-1"
    line = req.form["line_items"][0]
    assert line["price_data"] == {
        "currency": "vnd",
        "unit_amount": "79000",
        "product_data": {"name": "Cà phê Robusta rang mộc (túi)"},
    }
    assert line["quantity"] == "2"
    assert req.form["metadata"]["order_id"] == str(order.id)
    assert req.form["payment_intent_data"]["metadata"]["order_code"] == order.code
    expires = int(req.form["expires_at"])
    assert 30 * 60 < expires - time.time() < 32 * 60  # the hold (30 min) stretched to Stripe's minimum
    assert f"/payments/stripe/{order.id}/return?session_id={{CHECKOUT_SESSION_ID}}" in req.form["success_url"]
    reload(order)
    assert order.hold_expires_at.timestamp() >= expires  # the session expires with (just before) the hold
    payment = db.session.scalar(sa.select(Payment).where(Payment.order_id == order.id, Payment.method == "stripe"))
    assert (payment.provider_ref, payment.attempt, payment.amount_vnd) == (session_id, 1, 158_000)
    # pressing "pay" again goes back to the same open session: no second session, no second key
    resp = start(client, order)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(session_id)
    assert len(stripe_api.calls("/v1/checkout/sessions")) == 1


def test_stripe_down_then_a_new_attempt(client, stripe_api, card_order, buyer):
    login_as(client, buyer)
    stripe_api.fail_next.append((500, {"error": {"type": "api_error", "message": "boom"}}))
    resp = start(client, card_order)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/orders/{card_order.id}")
    assert "Hiện chưa thể thanh toán bằng thẻ" in client.get(resp.headers["Location"]).get_data(as_text=True)
    first = db.session.scalar(sa.select(Payment).where(Payment.order_id == card_order.id, Payment.method == "stripe"))
    assert first.status == "failed"
    resp = start(client, card_order)
    assert resp.status_code == 303
    keys = [r.headers.get("idempotency-key") for r in stripe_api.calls("/v1/checkout/sessions")]
    assert keys == [f"chophien-checkout-{card_order.id}-1", f"chophien-checkout-{card_order.id}-2"]


def test_completed_webhook_confirms_once(client, stripe_api, card_order, buyer, shop):
    session_id = started(client, stripe_api, card_order, buyer)
    event = stripe_event("checkout.session.completed", stripe_api.pay(session_id))
    resp = send(client, event)
    assert resp.status_code == 200 and resp.json["outcome"] == "paid"
    reload(card_order)
    assert card_order.status == "confirmed" and card_order.paid_at is not None
    payment = db.session.scalar(sa.select(Payment).where(Payment.provider_ref == session_id))
    assert (payment.status, payment.received_vnd, payment.provider_payment_ref) == (
        "succeeded",
        158_000,
        f"pi_test_{session_id[-4:]}",
    )
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(sa.select(Notification))}
    assert {(buyer.id, "order.paid_buyer"), (shop.user.id, "order.paid")} <= kinds
    # replayed, redelivered: answered, counted once
    for _ in range(3):
        again = send(client, event)
        assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OrderEvent.id)).where(
                OrderEvent.order_id == card_order.id, OrderEvent.to_status == "confirmed"
            )
        )
        == 1
    )
    assert db.session.scalar(sa.select(sa.func.count(ProcessedEvent.id))) == 1
    # a different event about the same session changes nothing either
    other = stripe_event("checkout.session.completed", stripe_api.pay(session_id), event_id="evt_other")
    assert send(client, other).json["outcome"] == "already"


@pytest.mark.parametrize(
    "attack",
    [
        "forged",
        "tampered",
        "stale",
        "future",
        "no_header",
        "wrong_scheme",
        "not_json",
        "empty",
        "not_ascii",
        "not_utf8",
        "array",
        "deep",
        "deep_object",
        "huge_timestamp",
    ],
)
def test_bad_webhooks_are_refused_and_change_nothing(client, stripe_api, card_order, buyer, attack):
    session_id = started(client, stripe_api, card_order, buyer)
    event = stripe_event("checkout.session.completed", stripe_api.pay(session_id))
    body = json.dumps(event)
    if attack == "forged":
        resp = send(client, event, secret="whsec_someone_else")
    elif attack == "tampered":
        tampered = json.loads(body)
        tampered["data"]["object"]["amount_total"] = 1
        resp = send(client, event, payload=json.dumps(tampered), header=sign(body, WEBHOOK_SECRET))
    elif attack == "stale":
        resp = send(client, event, timestamp=int(time.time()) - 301)
    elif attack == "future":  # a signature dated ahead is refused as one dated behind
        resp = send(client, event, timestamp=int(time.time()) + 301)
    elif attack == "array":  # validly signed, not an event
        resp = send(client, event, payload=json.dumps([event]))
    elif attack == "deep":
        resp = send(client, event, payload="[" * 100_000 + "]" * 100_000)
    elif attack == "deep_object":  # an event whose object nests deeper than any Stripe sends
        nested: dict = {"x": 1}
        for _ in range(40):
            nested = {"x": nested}
        resp = send(
            client,
            event,
            payload=json.dumps({**event, "data": {"object": {**event["data"]["object"], "metadata": nested}}}),
        )
    elif attack == "no_header":
        resp = send(client, event, header="")
    elif attack == "wrong_scheme":
        resp = send(client, event, header=sign(body, WEBHOOK_SECRET).replace("v1=", "v0="))
    elif attack == "not_ascii":
        resp = send(client, event, header=f"t={int(time.time())},v1=é{'0' * 63}")
    elif attack == "huge_timestamp":  # int() of 5 000 digits raises instead of answering
        resp = send(client, event, header=f"t={'9' * 5000},v1={'0' * 64}")
    elif attack == "not_utf8":
        resp = client.post(
            "/webhooks/stripe",
            data=b"\xff\xfe{}",
            headers={"Stripe-Signature": sign("x", WEBHOOK_SECRET), "Content-Type": "application/json"},
        )
    elif attack == "not_json":
        resp = send(client, event, payload="not json at all")
    else:
        resp = send(client, event, payload="")
    assert resp.status_code == 400
    assert resp.json["ok"] is False
    reload(card_order)
    assert card_order.status == "pending" and card_order.paid_at is None
    assert db.session.scalar(sa.select(sa.func.count(ProcessedEvent.id))) == 0


def test_a_recent_event_within_tolerance_is_accepted(client, stripe_api, card_order, buyer):
    session_id = started(client, stripe_api, card_order, buyer)
    event = stripe_event("checkout.session.completed", stripe_api.pay(session_id))
    assert send(client, event, timestamp=int(time.time()) - 240).status_code == 200
    later = stripe_event("checkout.session.completed", stripe_api.pay(session_id), event_id="evt_clock_ahead")
    assert send(client, later, timestamp=int(time.time()) + 240).status_code == 200  # a clock a little ahead


def test_a_header_signed_with_the_old_and_the_new_secret_is_accepted(client, stripe_api, card_order, buyer):
    """Rolling the webhook secret: Stripe signs with both for a while; either one we hold is enough."""
    import stripe

    session_id = started(client, stripe_api, card_order, buyer)
    event = stripe_event("checkout.session.completed", stripe_api.pay(session_id))
    body, now = json.dumps(event), int(time.time())
    old = stripe.WebhookSignature._compute_signature(f"{now}.{body}", "whsec_the_old_one")
    new = stripe.WebhookSignature._compute_signature(f"{now}.{body}", WEBHOOK_SECRET)
    resp = send(client, event, header=f"t={now},v1={old},v1={new}")
    assert resp.status_code == 200 and resp.json["outcome"] == "paid"
    only_old = stripe_event("checkout.session.completed", stripe_api.pay(session_id), event_id="evt_old_only")
    old_only = stripe.WebhookSignature._compute_signature(f"{now}.{json.dumps(only_old)}", "whsec_the_old_one")
    assert send(client, only_old, header=f"t={now},v1={old_only}").status_code == 400


@pytest.mark.parametrize("amount,currency", [(158_001, "vnd"), (1_580, "vnd"), (158_000, "usd"), (0, "vnd")])
def test_completion_with_wrong_amount_or_currency_is_flagged_not_paid(
    client, stripe_api, card_order, buyer, amount, currency
):
    session_id = started(client, stripe_api, card_order, buyer)
    event = stripe_event("checkout.session.completed", stripe_api.pay(session_id, amount=amount, currency=currency))
    resp = send(client, event)
    assert resp.status_code == 200 and resp.json["outcome"] == "mismatch"
    reload(card_order)
    assert card_order.status == "pending" and card_order.paid_at is None
    assert card_order.payment_flag == "amount_mismatch"
    payment = db.session.scalar(sa.select(Payment).where(Payment.provider_ref == session_id))
    assert payment.status == "mismatch"


@pytest.mark.parametrize("with_metadata", [True, False])
def test_refund_before_completion(client, stripe_api, card_order, buyer, with_metadata):
    session_id = started(client, stripe_api, card_order, buyer)
    paid = stripe_api.pay(session_id)
    refund = stripe_event("charge.refunded", stripe_api.charge_for(session_id, with_metadata=with_metadata))
    first = send(client, refund)
    assert first.status_code == 200
    assert first.json["outcome"] == ("refunded_before_completion" if with_metadata else "parked")
    completed = send(client, stripe_event("checkout.session.completed", paid))
    assert completed.status_code == 200
    assert completed.json["outcome"] == ("already" if with_metadata else "refunded_before")
    reload(card_order)
    # the money came and went back: the order ends as with the events in their usual order (refunded, stock back)
    assert card_order.status == "refunded" and card_order.paid_at is not None
    payment = db.session.scalar(sa.select(Payment).where(Payment.provider_ref == session_id))
    assert payment.status == "refunded"
    # the same two events again, in either order: nothing more
    assert send(client, refund).json["outcome"] == "duplicate"
    assert send(client, stripe_event("checkout.session.completed", paid)).json["outcome"] == "duplicate"


def test_cancelling_a_paid_card_order_refunds_it_through_the_api(client, stripe_api, card_order, buyer, shop):
    session_id = started(client, stripe_api, card_order, buyer)
    send(client, stripe_event("checkout.session.completed", stripe_api.pay(session_id)))
    assert stock_of(shop.product) == 48
    resp = post_form(
        client, f"/orders/{card_order.id}/cancel", {"as": "buyer", "reason": "Đổi ý"}, page=f"/orders/{card_order.id}"
    )
    assert resp.status_code == 302
    refunds = stripe_api.calls("/v1/refunds")
    assert len(refunds) == 1
    payment = db.session.scalar(sa.select(Payment).where(Payment.provider_ref == session_id))
    assert refunds[0].headers["idempotency-key"] == f"chophien-refund-{payment.id}"
    assert refunds[0].form["payment_intent"] == payment.provider_payment_ref
    assert refunds[0].form["amount"] == "158000"
    reload(card_order)
    db.session.refresh(payment)
    assert card_order.status == "refunded" and payment.status == "refunded" and payment.refund_status == "done"
    assert stock_of(shop.product) == 50
    # Stripe then tells us of the refund: already known
    resp = send(client, stripe_event("charge.refunded", stripe_api.charge_for(session_id)))
    assert resp.json["outcome"] == "already"
    # the seller may not mark a card refund by hand
    login_as(client, shop.user)
    assert "Tôi đã trả lại tiền" not in client.get(f"/orders/{card_order.id}").get_data(as_text=True)


def test_refund_that_fails_is_flagged_and_retried(client, stripe_api, card_order, buyer, runner):
    session_id = started(client, stripe_api, card_order, buyer)
    send(client, stripe_event("checkout.session.completed", stripe_api.pay(session_id)))
    stripe_api.fail_next.append((500, {"error": {"type": "api_error", "message": "down"}}))
    post_form(client, f"/orders/{card_order.id}/cancel", {"as": "buyer"}, page=f"/orders/{card_order.id}")
    reload(card_order)
    assert card_order.status == "cancelled" and card_order.payment_flag == "refund_failed"
    result = runner.invoke(args=["retry-refunds"])
    assert result.exit_code == 0 and "1 refund(s) done" in result.output, result.output
    reload(card_order)
    assert card_order.status == "refunded" and card_order.payment_flag is None
    assert len(stripe_api.calls("/v1/refunds")) == 2  # same key both times
    keys = {r.headers["idempotency-key"] for r in stripe_api.calls("/v1/refunds")}
    assert len(keys) == 1


def test_payment_after_the_hold_expired_is_given_back(client, stripe_api, card_order, buyer, shop):
    session_id = started(client, stripe_api, card_order, buyer)
    reload(card_order).hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    assert expire_holds() == 1
    assert not any(r.path.endswith("/expire") for r in stripe_api.seen)  # nothing before the commit
    db.session.commit()  # as `flask expire-holds` does: the open Stripe session is closed after it
    assert stock_of(shop.product) == 50
    resp = send(client, stripe_event("checkout.session.completed", stripe_api.pay(session_id)))
    assert resp.json["outcome"] == "refunding"
    reload(card_order)
    assert card_order.status == "expired" and card_order.paid_at is None
    payment = db.session.scalar(sa.select(Payment).where(Payment.provider_ref == session_id))
    assert payment.status == "refunded"
    assert [r.form["payment_intent"] for r in stripe_api.calls("/v1/refunds")] == [payment.provider_payment_ref]
    assert any(r.path == f"/v1/checkout/sessions/{session_id}/expire" for r in stripe_api.seen)


def test_session_expired_event_closes_the_attempt(client, stripe_api, card_order, buyer):
    session_id = started(client, stripe_api, card_order, buyer)
    resp = send(
        client, stripe_event("checkout.session.expired", {**stripe_api.sessions[session_id], "status": "expired"})
    )
    assert resp.json["outcome"] == "released"  # the hold goes at once (tests/payments/test_event_order.py)
    assert reload(card_order).status == "expired"
    assert db.session.scalar(sa.select(Payment.status).where(Payment.provider_ref == session_id)) == "expired"


def test_refund_from_the_dashboard_cancels_a_confirmed_order(client, stripe_api, card_order, buyer, shop):
    session_id = started(client, stripe_api, card_order, buyer)
    send(client, stripe_event("checkout.session.completed", stripe_api.pay(session_id)))
    resp = send(client, stripe_event("charge.refunded", stripe_api.charge_for(session_id)))
    assert resp.json["outcome"] == "refunded"
    reload(card_order)
    assert card_order.status == "refunded" and stock_of(shop.product) == 50
    assert not stripe_api.calls("/v1/refunds")  # nothing asked back twice


def test_partial_refund_is_flagged(client, stripe_api, card_order, buyer):
    session_id = started(client, stripe_api, card_order, buyer)
    send(client, stripe_event("checkout.session.completed", stripe_api.pay(session_id)))
    resp = send(client, stripe_event("charge.refunded", stripe_api.charge_for(session_id, refunded=50_000)))
    assert resp.json["outcome"] == "partial"
    reload(card_order)
    assert card_order.status == "confirmed" and card_order.payment_flag == "partial_refund"


def test_return_page_reads_the_session_back(client, stripe_api, card_order, buyer):
    session_id = started(client, stripe_api, card_order, buyer)
    stripe_api.pay(session_id)
    resp = client.get(f"/payments/stripe/{card_order.id}/return?session_id={session_id}")
    assert resp.status_code == 200 and "Đã nhận thanh toán" in resp.get_data(as_text=True)
    assert reload(card_order).status == "confirmed"
    # a session id that is not this order's is ignored
    assert client.get(f"/payments/stripe/{card_order.id}/return?session_id=cs_test_9999").status_code == 200


def test_unknown_and_unhandled_events(client, stripe_api, card_order, buyer):
    resp = send(client, stripe_event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert resp.status_code == 200 and resp.json["outcome"] == "ignored"
    resp = send(
        client,
        stripe_event(
            "checkout.session.completed",
            {"id": "cs_nobody", "payment_status": "paid", "metadata": {"order_id": "1", "payment_id": "x"}},
        ),
    )
    assert resp.json["outcome"] == "unknown"


def test_other_peoples_orders_cannot_start_a_payment(client, stripe_api, card_order, make_user):
    login_as(client, make_user(name="Người lạ"))
    assert start(client, card_order).status_code == 404
    assert not stripe_api.seen


def test_stripe_off_means_no_card_and_no_webhook(client, shop, buyer, place):
    order = place(buyer, shop.product, 1, method="vietqr")
    assert client.post("/webhooks/stripe", data="{}", headers={"Stripe-Signature": "t=1,v1=x"}).status_code == 404
    login_as(client, buyer)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'value="stripe"' not in html
    from market.domain import DomainError
    from market.orders.payment import gateway

    with pytest.raises(DomainError):
        gateway().choose(order, "stripe", buyer)


def test_paid_twice_then_cancelled_gives_both_back(client, stripe_api, card_order, buyer, shop):
    """Regression (found by the state machine): the second payment is refunded at once; cancelling then
    refunds the first too, and the order is marked refunded only when both are back."""
    first = started(client, stripe_api, card_order, buyer)
    assert send(client, stripe_event("checkout.session.completed", stripe_api.pay(first))).json["outcome"] == "paid"
    from market.payments.service import new_attempt

    second = new_attempt(reload(card_order), "stripe", provider_ref="cs_test_second")
    db.session.commit()
    session = {
        "id": "cs_test_second",
        "payment_status": "paid",
        "currency": "vnd",
        "amount_total": 158_000,
        "payment_intent": "pi_test_second",
        "metadata": {"order_id": str(card_order.id), "payment_id": str(second.id)},
    }
    assert send(client, stripe_event("checkout.session.completed", session)).json["outcome"] == "refunding"
    assert reload(card_order).status == "confirmed"
    post_form(client, f"/orders/{card_order.id}/cancel", {"as": "buyer"}, page=f"/orders/{card_order.id}")
    refunded = sorted(r.form["payment_intent"] for r in stripe_api.calls("/v1/refunds"))
    assert refunded == sorted([f"pi_test_{first[-4:]}", "pi_test_second"])
    assert reload(card_order).status == "refunded"


def test_the_suite_cannot_reach_the_real_stripe():
    """The guard of property 9 (tests/payments/conftest.py) holds: any address but loopback is refused at once."""
    import socket

    from tests.payments.conftest import NetworkBlocked

    with pytest.raises(NetworkBlocked):
        socket.create_connection(("203.0.113.10", 443), timeout=5)  # documentation range: no DNS involved
    with socket.create_connection(("127.0.0.1", 5432), timeout=5):  # PostgreSQL on loopback still reachable
        pass
