"""Property 7: one open Checkout Session per order and attempt, even when Stripe answers slower than
``STRIPE_TIMEOUT`` and the buyer presses Pay again (audit finding 3: the retry opened a second session)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from market.extensions import db
from market.payments.models import Payment
from tests.conftest import login_as
from tests.payments.test_stripe import card_order, start  # noqa: F401 - fixture

TIMEOUT = 1  # seconds: STRIPE_TIMEOUT in this test; the stand-in answers the first create in 3


@pytest.fixture
def slow_stripe(app, stripe_api):
    app.config["STRIPE_TIMEOUT"] = TIMEOUT
    app.extensions.pop("stripe_client", None)
    stripe_api.slow_next.append(TIMEOUT + 2)
    return stripe_api


def creates(stripe_api) -> list[str]:
    return [r.headers.get("idempotency-key") for r in stripe_api.calls("/v1/checkout/sessions")]


def test_pay_again_after_a_timeout_finds_the_first_session(client, slow_stripe, card_order, buyer):  # noqa: F811
    login_as(client, buyer)
    first = start(client, card_order)
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/orders/{card_order.id}")
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "không thể bị trừ tiền hai lần" in page  # the buyer is told to press again, safely
    attempt = db.session.scalar(sa.select(Payment).where(Payment.order_id == card_order.id))
    assert (attempt.status, attempt.provider_ref) == ("pending", None)  # not failed: the session may exist
    # Pressed again at once, while Stripe is still making the first session: refused, still nothing new
    again = start(client, card_order)
    assert again.status_code == 302
    while ("/v1/checkout/sessions", f"chophien-checkout-{card_order.id}-1") in slow_stripe.in_flight:
        time.sleep(0.05)  # Stripe finishes the first request
    assert len(slow_stripe.sessions) == 1
    third = start(client, card_order)
    [session_id] = slow_stripe.sessions
    assert third.status_code == 303 and third.headers["Location"].endswith(session_id)
    assert len(slow_stripe.sessions) == 1  # one session, found again through the same key
    assert set(creates(slow_stripe)) == {f"chophien-checkout-{card_order.id}-1"}
    db.session.expire_all()
    payments = db.session.scalars(sa.select(Payment).where(Payment.order_id == card_order.id)).all()
    assert [(p.attempt, p.status, p.provider_ref) for p in payments] == [(1, "pending", session_id)]
    # and from now on Pay goes straight back to it
    assert start(client, card_order).headers["Location"].endswith(session_id)
    assert len(creates(slow_stripe)) == 3


def test_a_refusal_still_opens_a_new_attempt(client, stripe_api, card_order, buyer):  # noqa: F811
    """What Stripe refused (an error answer, not silence) made no session: the next press is attempt 2."""
    login_as(client, buyer)
    stripe_api.fail_next.append((400, {"error": {"type": "invalid_request_error", "message": "bad"}}))
    assert start(client, card_order).status_code == 302
    assert start(client, card_order).status_code == 303
    assert creates(stripe_api) == [f"chophien-checkout-{card_order.id}-1", f"chophien-checkout-{card_order.id}-2"]
    assert len(stripe_api.sessions) == 1


def test_killed_after_stripe_made_the_session_then_retried(app, client, stripe_api, card_order, buyer):  # noqa: F811
    """Property 15: the process dies (kill -9) after Stripe made the session and before the session id was
    committed. The retry finds that session (same attempt, same key, same parameters): one session, one charge,
    no orphan left open."""
    from market.payments.stripe import checkout
    from tests.payments.standin import stripe_event
    from tests.payments.test_stripe import send

    login_as(client, buyer)
    with app.test_request_context("/"):
        req = checkout.prepare_checkout(card_order.id, buyer)
        db.session.commit()  # what the start view commits before calling Stripe
        made = checkout.create_session(req)  # Stripe made it … and the worker died here: nothing saved
    db.session.expire_all()
    assert db.session.scalar(sa.select(Payment.provider_ref).where(Payment.order_id == card_order.id)) is None
    again = start(client, card_order)
    assert again.status_code == 303 and again.headers["Location"].endswith(made["id"])
    assert list(stripe_api.sessions) == [made["id"]]  # no second session: nothing left open but this one
    resp = send(client, stripe_event("checkout.session.completed", stripe_api.pay(made["id"])))
    assert resp.json["outcome"] == "paid"
    db.session.expire_all()
    payments = db.session.scalars(sa.select(Payment).where(Payment.order_id == card_order.id)).all()
    assert [(p.attempt, p.status, p.provider_ref) for p in payments] == [(1, "succeeded", made["id"])]
