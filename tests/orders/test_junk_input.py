"""Junk sent to every order, cart, payment and notification endpoint: a 4xx (or a redirect), never a 500."""

import pytest

from tests.conftest import login_as, post_form

JUNK = [
    {},
    {"to": "x" * 5000, "as": "god", "reason": "\x00\u202e" * 300, "carrier": "=cmd|' /C calc'!A0"},
    {"qty": "9" * 40, "product_id": "-1", "method": "../../etc", "rating": "NaN", "order_id": ["1", "x"]},
    {
        "ship_name": "a" * 500,
        "ship_phone": "+84" + "9" * 40,
        "ship_street": "",
        "attempt": "A" * 41,
        "action": "ship",
        "tracking_code": "<script>alert(1)</script>",
    },
]


@pytest.mark.parametrize("junk", JUNK)
def test_no_500_anywhere(client, shop, buyer, place, junk):
    order = place(buyer, shop.product, 1, method="vietqr")
    urls = [f"/orders/{order.id}/{a}" for a in ("cancel", "status", "paid", "complete", "method", "review")] + [
        "/cart/add",
        f"/cart/{shop.product.id}",
        f"/cart/{shop.product.id}/remove",
        "/checkout",
        f"/payments/{order.id}/transfer-sent",
        f"/payments/{order.id}/resolve",
        f"/payments/stripe/{order.id}/start",
        "/sell/orders/batch",
        "/sell/payments",
        "/notifications/read",
    ]
    for user in (buyer, shop.user):
        login_as(client, user)
        for url in urls:
            resp = post_form(client, url, junk, page="/orders")
            assert resp.status_code < 500, (url, resp.status_code)
            assert "Traceback" not in resp.get_data(as_text=True)
    for path in (
        "/checkout/done/x",
        "/sell/orders?status=x&live=-1&page=abc",
        "/sell/orders/live/99999/packing",
        "/api/v1/orders?before=-1",
        "/notifications/999999",
        "/cart/add?product=abc",
        "/reviews/%00",
    ):
        assert client.get(path).status_code < 500, path
