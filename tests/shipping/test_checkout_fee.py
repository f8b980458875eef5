"""The fee at checkout: shown with the grand total before the buyer commits, kept on the order, charged by
every way to pay (cash, VietQR, Stripe) — on SQLite and PostgreSQL alike (the suite runs on both)."""

import re

import sqlalchemy as sa

from market.extensions import db
from market.orders.models import Order
from market.payments.models import Payment
from tests.conftest import post_form
from tests.orders.fixtures import ADDRESS, add_to_cart, reload

FAR = {**ADDRESS, "ship_commune": "Phường 3", "ship_province": "TP. Hồ Chí Minh"}


def attempt_of(html: str) -> str:
    return re.search(r'name="attempt"[^>]*value="([0-9a-f]+)"', html).group(1)


def shown_fee(html: str, seller_id: int) -> str:
    return re.search(rf'name="fee-{seller_id}" value="(\d*)"', html).group(1)


def orders():
    return db.session.scalars(sa.select(Order).order_by(Order.id)).all()


def test_fee_shown_then_charged(client, login, buyer, shop, fee_table):
    fee_table(shop.profile)
    login(buyer)
    add_to_cart(client, shop.product, 3)  # 3 bags of coffee at 79.000 ₫, 1 kg each
    cart = client.get("/cart").get_data(as_text=True)
    assert "từ 15.000" in cart and "Tổng cộng" in cart  # no address yet: "from …" and the grand total so far
    page = client.get("/checkout").get_data(as_text=True)
    assert shown_fee(page, shop.profile.id) == ""
    data = {**FAR, "attempt": attempt_of(page), f"method-{shop.profile.id}": "cod", f"fee-{shop.profile.id}": ""}
    # first press: the address makes the fee known, so nothing is placed and the page shows it
    resp = post_form(client, "/checkout", data, page="/checkout")
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    fee = 35_000 + 6_000  # elsewhere, 3 kg: one kilogram over the 2 kg the fee covers
    assert shown_fee(html, shop.profile.id) == str(fee)
    assert "41.000" in html and "278.000" in html  # the fee and the grand total (237.000 + 41.000)
    assert orders() == []
    resp = post_form(client, "/checkout", {**data, f"fee-{shop.profile.id}": "²"}, page="/checkout")
    assert resp.status_code == 409 and orders() == []  # not a fee ("²" is a digit int() refuses): none shown
    # second press, at the fee shown: placed with it
    resp = post_form(client, "/checkout", {**data, f"fee-{shop.profile.id}": str(fee)}, page="/checkout")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    [order] = orders()
    assert (order.subtotal_vnd, order.shipping_vnd, order.total_vnd, order.delivery_option) == (
        237_000,
        fee,
        278_000,
        "ship",
    )
    cod = db.session.scalar(sa.select(Payment).where(Payment.order_id == order.id))
    assert cod.amount_vnd == 278_000  # the cash to collect includes shipping
    detail = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "41.000" in detail and "278.000" in detail
    # the saved address now prices the cart: the next cart shows the fee itself
    add_to_cart(client, shop.product, 1)
    assert "35.000" in client.get("/cart").get_data(as_text=True)


def test_vietqr_asks_for_goods_plus_shipping(client, login, buyer, shop, fee_table):
    from market.orders.payment import gateway

    fee_table(shop.profile)
    login(buyer)
    add_to_cart(client, shop.product, 1)
    page = client.get("/checkout").get_data(as_text=True)
    data = {**ADDRESS, "attempt": attempt_of(page), f"method-{shop.profile.id}": "vietqr"}
    assert post_form(client, "/checkout", data, page="/checkout").status_code == 302  # no fee field: unchecked
    [order] = orders()
    assert (order.shipping_vnd, order.total_vnd) == (25_000, 104_000)  # the buyer's province, 1 kg
    from market.payments.vietqr import parse_payload

    qr = gateway().describe(order)["vietqr"]
    assert qr["amount_vnd"] == parse_payload(qr["payload"]).amount_vnd == 104_000


def test_pickup_costs_nothing(client, login, buyer, shop, fee_table):
    fee_table(shop.profile, pickup_enabled=True, pickup_note="Quầy số 3, chợ xã")
    login(buyer)
    add_to_cart(client, shop.product, 1)
    page = client.get("/checkout").get_data(as_text=True)
    assert "Nhận tại cửa hàng" in page and "Quầy số 3, chợ xã" in page
    data = {
        **FAR,
        "attempt": attempt_of(page),
        f"method-{shop.profile.id}": "cod",
        f"delivery-{shop.profile.id}": "pickup",
        f"fee-{shop.profile.id}": "0",
    }
    assert post_form(client, "/checkout", data, page="/checkout").status_code == 302
    [order] = orders()
    assert (order.shipping_vnd, order.total_vnd, order.delivery_option) == (0, 79_000, "pickup")


def test_a_place_the_shop_does_not_serve_is_refused_beside_the_shop(client, login, buyer, shop, fee_table):
    fee_table(shop.profile, fee_elsewhere_vnd=None)
    login(buyer)
    add_to_cart(client, shop.product, 1)
    page = client.get("/checkout").get_data(as_text=True)
    data = {**FAR, "attempt": attempt_of(page), f"method-{shop.profile.id}": "cod"}
    resp = post_form(client, "/checkout", data, page="/checkout")
    assert resp.status_code == 400
    assert "không giao đến TP. Hồ Chí Minh" in resp.get_data(as_text=True)
    assert orders() == []


def test_update_shipping_button_places_nothing(client, login, buyer, shop, fee_table):
    fee_table(shop.profile)
    login(buyer)
    add_to_cart(client, shop.product, 1)
    page = client.get("/checkout").get_data(as_text=True)
    resp = post_form(client, "/checkout", {**FAR, "attempt": attempt_of(page), "recalc": "1"}, page="/checkout")
    assert resp.status_code == 200
    assert shown_fee(resp.get_data(as_text=True), shop.profile.id) == "35000"
    assert orders() == []


def test_by_weight_counts_the_estimated_grams(client, login, buyer, fruit_shop, fee_table):
    fee_table(fruit_shop.profile)
    login(buyer)
    add_to_cart(client, fruit_shop.product, 2)  # two durians of ~3 kg: 6 kg, 4 kg over the base
    page = client.get("/checkout").get_data(as_text=True)
    data = {**ADDRESS, "attempt": attempt_of(page), f"method-{fruit_shop.profile.id}": "cod"}
    assert post_form(client, "/checkout", data, page="/checkout").status_code == 302
    [order] = orders()
    assert order.shipping_vnd == 25_000 + 4 * 4_000
    assert order.total_vnd == 510_000 + order.shipping_vnd


def test_stripe_charges_the_shipping_line(client, login, buyer, shop, fee_table, stripe_api):
    fee_table(shop.profile)
    login(buyer)
    add_to_cart(client, shop.product, 2)
    page = client.get("/checkout").get_data(as_text=True)
    data = {**ADDRESS, "attempt": attempt_of(page), f"method-{shop.profile.id}": "stripe"}
    assert post_form(client, "/checkout", data, page="/checkout").status_code == 302
    [order] = orders()
    resp = post_form(client, f"/payments/stripe/{order.id}/start", {}, page=f"/orders/{order.id}")
    assert resp.status_code == 303
    [session] = stripe_api.sessions.values()
    assert session["amount_total"] == order.total_vnd == 158_000 + 25_000
    assert [li["price_data"]["unit_amount"] for li in session["line_items_sent"]] == ["79000", "25000"]


def test_a_live_order_gets_its_fee_when_the_buyer_gives_the_address(app, buyer, shop, place, fee_table):
    from market.orders.checkout import clean_address, complete_order

    fee_table(shop.profile)
    order = place(buyer, shop.product, 1, method=None, address=False, origin="live")
    assert (order.shipping_vnd, order.total_vnd) == (0, 79_000)
    complete_order(order, buyer, clean_address(*FAR.values()), "vietqr")
    assert (order.shipping_vnd, order.total_vnd, order.delivery_option) == (35_000, 114_000, "ship")
    transfer = db.session.scalar(sa.select(Payment).where(Payment.order_id == order.id))
    assert transfer.amount_vnd == 114_000
    # still unpaid, the buyer moves it to her own province: the fee follows, and so does the amount asked
    complete_order(order, buyer, clean_address(*ADDRESS.values()), "vietqr")
    reload(transfer)
    assert (order.total_vnd, transfer.amount_vnd) == (104_000, 104_000)


def test_a_fee_the_buyer_has_not_seen_is_refused(app, buyer, shop, place, fee_table):
    import pytest

    from market.domain import DomainError
    from market.orders.checkout import clean_address, complete_order

    fee_table(shop.profile)
    order = place(buyer, shop.product, 1, method=None, address=False, origin="live")
    with pytest.raises(DomainError) as err:
        complete_order(order, buyer, clean_address(*FAR.values()), "cod", shown_fee=25_000)
    assert err.value.code == "fee_changed" and "35.000" in err.value.message


def test_the_api_says_how_the_order_ships_and_its_grand_total(client, buyer, shop, place, fee_table):
    """GET /api/v1/orders and /orders/<id>: delivery_option, the fee it was sold with, and goods + fee."""
    from market.accounts.tokens import issue_token
    from market.orders.checkout import clean_address, complete_order

    fee_table(shop.profile, pickup_enabled=True, pickup_note="Quầy số 3")
    shipped = place(buyer, shop.product, 1, method=None, address=False, origin="live")
    complete_order(shipped, buyer, clean_address(*FAR.values()), "vietqr")
    pickup = place(buyer, shop.product, 2, method=None, address=False, origin="live")
    complete_order(pickup, buyer, clean_address(*FAR.values()), "vietqr", "pickup")
    auth = {"Authorization": "Bearer " + issue_token(buyer)}
    one = client.get(f"/api/v1/orders/{shipped.id}", headers=auth).json["order"]
    assert (one["delivery_option"], one["subtotal_vnd"], one["shipping_vnd"], one["total_vnd"]) == (
        "ship",
        79_000,
        35_000,
        114_000,
    )
    listed = {o["id"]: o for o in client.get("/api/v1/orders", headers=auth).json["orders"]}
    assert (
        listed[pickup.id]["delivery_option"],
        listed[pickup.id]["shipping_vnd"],
        listed[pickup.id]["total_vnd"],
    ) == ("pickup", 0, 158_000)
    assert listed[shipped.id]["delivery_option"] == "ship"
    spec = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    for name in ("OrderSummary", "OrderDetail"):
        assert spec[name]["properties"]["delivery_option"]["enum"] == ["ship", "pickup"]
