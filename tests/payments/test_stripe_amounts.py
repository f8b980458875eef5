"""Property 8: đồng are never multiplied by 100 (VND is zero-decimal at Stripe), and the sum of the lines sent
= the amount Stripe is asked for = the order's total in the database, whatever the prices and quantities."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.extensions import db
from market.orders.checkout import apply_address, clean_address
from market.orders.payment import gateway
from market.orders.service import Line, place_order
from market.payments.stripe.checkout import prepare_checkout, session_params
from tests.orders.fixtures import ADDRESS

_keys = itertools.count()


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    lines=st.lists(st.tuples(st.integers(1_000, 50_000_000), st.integers(1, 500)), min_size=1, max_size=5),
    shipping=st.sampled_from([0, 15_000, 32_500]),
)
def test_lines_amount_and_total_agree_in_dong(app, stripe_api, make_seller, make_product, make_user, lines, shipping):
    seller, buyer = make_seller(), make_user()
    products = [make_product(seller=seller, price_vnd=price, stock=qty) for price, qty in lines]
    order = place_order(
        buyer,
        [Line("product", p.id, qty) for p, (_, qty) in zip(products, lines, strict=True)],
        f"amounts-{next(_keys):06d}",
        shipping_vnd=shipping,
    ).order
    apply_address(order, clean_address(*ADDRESS.values()))
    gateway().choose(order, "stripe", buyer)
    db.session.flush()
    with app.test_request_context("/"):
        params = session_params(prepare_checkout(order.id, buyer))
    sent = [(int(li["price_data"]["unit_amount"]), li["quantity"]) for li in params["line_items"]]
    assert all(li["price_data"]["currency"] == "vnd" for li in params["line_items"])
    expected = [(price, qty) for price, qty in lines] + ([(shipping, 1)] if shipping else [])
    assert sent == expected  # each unit at its price in đồng: 79.000 ₫ is 79000, never 7900000
    assert sum(price * qty for price, qty in sent) == order.total_vnd == order.payments[-1].amount_vnd
