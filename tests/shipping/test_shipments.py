"""Carrier shipments from the order page, and the carriers' webhooks moving the order: forward only, once,
stock back once when a refused parcel is back, nothing moved by a wrong secret, junk, or a detail that disagrees."""

import json
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from market.catalog.models import Product
from market.extensions import db
from market.payments.models import ProcessedEvent
from market.shipping.models import CarrierAccount, Shipment
from tests.conftest import post_form
from tests.orders.fixtures import reload


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def the_shipment(order) -> Shipment:
    db.session.expire_all()  # the requests wrote it in their own sessions
    return db.session.scalar(sa.select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id.desc()))


@pytest.fixture
def cod_order(shop, buyer, place, fee_table):
    fee_table(shop.profile)
    order = place(buyer, shop.product, 2)  # cash on delivery, confirmed at once; 158.000 ₫
    return order


def create(client, order, carrier="ghtk"):
    return post_form(
        client, f"/sell/shipping/orders/{order.id}/shipment", {"carrier": carrier}, page=f"/orders/{order.id}"
    )


def test_connect_stores_the_token_sealed(client, login, shop, carriers):
    login(shop.user)
    page = client.get("/sell/shipping").get_data(as_text=True)
    assert "GHTK (Giao Hàng Tiết Kiệm)" in page
    resp = post_form(
        client,
        "/sell/shipping/carriers/ghtk",
        {"token": "ghtk-token-0123456789", "account": "S123456", "pickup_street": "Thôn 4"},
        page="/sell/shipping",
    )
    assert resp.status_code == 302
    row = db.session.scalar(sa.select(CarrierAccount))
    assert "ghtk-token" not in row.token_sealed and "S123456" not in row.account_sealed
    assert row.token_hint == "6789"
    page = client.get("/sell/shipping").get_data(as_text=True)
    assert f"/webhooks/carrier/ghtk/{row.webhook_secret}" in page and "ghtk-token-0123456789" not in page
    bad = post_form(
        client,
        "/sell/shipping/carriers/ghtk",
        {"token": "short", "account": "S1", "pickup_street": "x"},
        page="/sell/shipping",
    )
    assert bad.status_code == 400 and 'id="token-error"' in bad.get_data(as_text=True)


def test_a_changed_secret_key_asks_to_connect_again(app, shop, connect_carrier):
    from market.domain import DomainError
    from market.shipping.shipments import credentials

    account = connect_carrier(shop.profile, "ghtk")
    assert credentials(account).token == "ghtk-token-0123456789"
    saved = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret-key-entirely-0123456789"
    try:
        with pytest.raises(DomainError, match="Kết nối lại"):
            credentials(account)
    finally:
        app.config["SECRET_KEY"] = saved


def test_create_label_and_cancel_before_pickup(client, login, shop, cod_order, carriers, connect_carrier):
    connect_carrier(shop.profile, "ghtk")
    login(shop.user)
    page = client.get(f"/orders/{cod_order.id}").get_data(as_text=True)
    assert "Tạo vận đơn" in page and "158.000" in page  # the cash to collect
    resp = create(client, cod_order)
    assert resp.status_code == 302
    shipment = the_shipment(cod_order)
    reload(cod_order)
    assert (cod_order.status, cod_order.tracking_code, shipment.cod_vnd) == ("shipped", shipment.tracking_code, 158_000)
    sent = carriers["ghtk"].calls("/services/shipment/order/")[0].json["order"]
    assert (sent["pick_money"], sent["id"]) == (158_000, cod_order.code)
    label = client.get(f"/sell/shipping/orders/{cod_order.id}/label")
    assert label.status_code == 200 and label.mimetype == "application/pdf"
    # the seller cancels before the carrier picks it up: cancelled there, and the order is packed again
    resp = post_form(
        client, f"/sell/shipping/orders/{cod_order.id}/shipment/cancel", {}, page=f"/orders/{cod_order.id}"
    )
    assert resp.status_code == 302
    assert carriers["ghtk"].orders[shipment.tracking_code]["status"] == "-1"
    reload(cod_order)
    assert (cod_order.status, cod_order.tracking_code, the_shipment(cod_order).stage) == ("packed", None, "cancelled")
    # no label for a cancelled shipment: said so, nothing asked of the carrier
    before = len(carriers["ghtk"].seen)
    resp = client.get(f"/sell/shipping/orders/{cod_order.id}/label", follow_redirects=True)
    assert "đã bị hủy" in resp.get_data(as_text=True) and len(carriers["ghtk"].seen) == before


def test_the_carrier_refusing_changes_nothing(client, login, shop, cod_order, carriers, connect_carrier):
    connect_carrier(shop.profile, "ghtk")
    login(shop.user)
    carriers["ghtk"].fail_next.append((200, {"success": False, "message": "Địa chỉ không hợp lệ"}))
    resp = create(client, cod_order)
    assert "Địa chỉ không hợp lệ" in client.get(resp.headers["Location"]).get_data(as_text=True)
    carriers["ghtk"].delay = 3
    create(client, cod_order)
    carriers["ghtk"].delay = 0
    reload(cod_order)
    assert cod_order.status == "confirmed" and the_shipment(cod_order) is None


def test_a_ghn_address_it_cannot_place_is_told_to_the_seller(client, login, shop, cod_order, carriers, connect_carrier):
    connect_carrier(shop.profile, "ghn")
    cod_order.ship_commune = "Xã Không Có"
    db.session.commit()
    login(shop.user)
    resp = create(client, cod_order, "ghn")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "GHN không có phường/xã “Xã Không Có” ở Đắk Lắk" in page
    assert carriers["ghn"].calls("/shiip/public-api/v2/shipping-order/create") == []
    reload(cod_order)
    assert cod_order.status == "confirmed" and the_shipment(cod_order) is None
    cod_order.ship_commune = "Ea Knuếc"  # the buyer said which commune: GHN takes it
    db.session.commit()
    create(client, cod_order, "ghn")
    reload(cod_order)
    assert cod_order.status == "shipped" and the_shipment(cod_order).carrier == "ghn"
    sent = carriers["ghn"].calls("/shiip/public-api/v2/shipping-order/create")[0].json
    assert (sent["to_district_id"], sent["to_ward_code"], sent["cod_amount"]) == (1601, "460701", 158_000)


def test_other_shops_cannot_ship_or_print(client, login, make_shop, cod_order, carriers, connect_carrier):
    other = make_shop("Shop khác")
    login(other.user)
    assert create(client, cod_order).status_code == 404
    assert client.get(f"/sell/shipping/orders/{cod_order.id}/label").status_code == 404


# ---- webhooks ---------------------------------------------------------------------------------------------------


@pytest.fixture
def shipped(client, login, shop, cod_order, carriers, connect_carrier):
    """A cash-on-delivery order shipped with GHTK; returns (order, shipment, secret)."""
    account = connect_carrier(shop.profile, "ghtk")
    login(shop.user)
    create(client, cod_order)
    client.get("/logout")
    return cod_order, the_shipment(cod_order), account.webhook_secret


def ghtk_hook(client, secret, label, status_id, when="2026-12-06T10:00:00+07:00", **extra):
    fields = {
        "label_id": label,
        "partner_id": "x",
        "status_id": str(status_id),
        "action_time": when,
        "reason_code": "",
        "reason": "",
        "weight": "2",
        "fee": "30400",
        "pick_money": "158000",
        **extra,
    }
    return client.post(
        f"/webhooks/carrier/ghtk/{secret}", data=urlencode(fields), content_type="application/x-www-form-urlencoded"
    )


def test_ghtk_delivered_moves_the_order_once_and_never_back(client, shop, shipped):
    order, shipment, secret = shipped
    assert ghtk_hook(client, "wrong-secret", shipment.tracking_code, 5).status_code == 403
    reload(order)
    assert order.status == "shipped"
    # delivered arrives before picked up (reordered): delivered wins; picked up later changes nothing
    resp = ghtk_hook(client, secret, shipment.tracking_code, 5, when="2026-12-06T15:00:00+07:00")
    assert resp.status_code == 200 and resp.json["outcome"] == "applied"
    assert (
        ghtk_hook(client, secret, shipment.tracking_code, 5, when="2026-12-06T15:00:00+07:00").json["outcome"]
        == "duplicate"
    )
    assert ghtk_hook(client, secret, shipment.tracking_code, 3).json["outcome"] == "stale"
    reload(order)
    reload(shipment)
    assert (order.status, shipment.stage, shipment.cod_collected_vnd, shipment.cod_remitted_at) == (
        "delivered",
        "delivered",
        158_000,
        None,
    )
    assert order.paid_at is not None  # the cash was collected at the door
    # reconciled: GHTK paid the cash out to the shop
    assert ghtk_hook(client, secret, shipment.tracking_code, 6).json["outcome"] == "remitted"
    reload(shipment)
    assert shipment.cod_remitted_at is not None
    kept = db.session.scalars(
        sa.select(ProcessedEvent.outcome).where(ProcessedEvent.provider == "ghtk").order_by(ProcessedEvent.id)
    ).all()
    assert kept == ["applied", "stale", "remitted"]  # each event's outcome kept as its word


def test_refused_and_returned_puts_the_stock_back_once(client, login, shop, buyer, shipped):
    order, shipment, secret = shipped
    start = stock_of(shop.product)
    assert ghtk_hook(client, secret, shipment.tracking_code, 3).json["outcome"] == "applied"
    assert ghtk_hook(client, secret, shipment.tracking_code, 9, reason="Khách không nhận").json["outcome"] == "applied"
    reload(order)
    assert order.status == "shipped" and stock_of(shop.product) == start  # refused, on its way back
    from market.shipping.boom import refusals_of

    assert refusals_of(buyer.id) == 1
    assert ghtk_hook(client, secret, shipment.tracking_code, 21).json["outcome"] == "applied"
    assert (
        ghtk_hook(client, secret, shipment.tracking_code, 21, when="2026-12-07T09:00:00+07:00").json["outcome"]
        == "stale"
    )  # a second "returned" (another time): already back
    assert ghtk_hook(client, secret, shipment.tracking_code, 5).json["outcome"] == "stale"  # never back to delivered
    reload(order)
    assert order.status == "returned" and stock_of(shop.product) == start + 2
    assert refusals_of(buyer.id) == 1
    login(shop.user)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "từ chối nhận 1 đơn" in page


def test_unknown_and_junk_webhooks(client, shipped, make_shop, connect_carrier, caplog):
    order, shipment, secret = shipped
    assert ghtk_hook(client, secret, "S1.A1.999", 5).json["outcome"] == "unknown"  # the shop's own URL
    # without a shop's secret a label we never made is refused like a known one: no telling which exist
    for label in ("S1.A1.999", shipment.tracking_code):
        assert ghtk_hook(client, "wrong-secret", label, 5).status_code == 403
    assert "webhook_bad_signature" in caplog.text and "wrong-secret" not in caplog.text
    other = connect_carrier(make_shop("Shop khác").profile, "ghtk")  # another shop's secret: not for this parcel
    assert ghtk_hook(client, other.webhook_secret, shipment.tracking_code, 5).status_code == 403
    assert ghtk_hook(client, other.webhook_secret, "S1.A1.999", 5).json["outcome"] == "unknown"
    assert (
        client.post(
            f"/webhooks/carrier/ghtk/{secret}",
            data="label_id=x&status_id=oops",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 400
    )
    assert client.post("/webhooks/carrier/ghn", data="{", content_type="application/json").status_code == 400
    reload(order)
    assert order.status == "shipped"
    assert db.session.scalar(sa.select(sa.func.count(ProcessedEvent.id))) == 0


def test_carriers_off_means_no_webhooks(client, app):
    assert client.post("/webhooks/carrier/ghn", data="{}", content_type="application/json").status_code == 404
    assert client.post("/webhooks/carrier/ghtk/x", data="").status_code == 404


def ghn_hook(client, code, status, when="2026-12-06T03:52:50Z"):
    body = {
        "CODAmount": 183000,
        "CODTransferDate": None,
        "OrderCode": code,
        "ShopID": 885123,
        "Status": status,
        "Time": when,
        "Type": "switch_status",
        "Reason": "",
    }
    return client.post("/webhooks/carrier/ghn", data=json.dumps(body), content_type="application/json")


def test_ghn_webhooks_are_checked_against_the_order_detail(client, login, shop, cod_order, carriers, connect_carrier):
    connect_carrier(shop.profile, "ghn")
    login(shop.user)
    create(client, cod_order, "ghn")
    client.get("/logout")
    shipment = the_shipment(cod_order)
    code = shipment.tracking_code
    # a forged "delivered" while GHN says the parcel waits for pickup: not believed, nothing moves
    resp = ghn_hook(client, code, "delivered")
    assert resp.status_code == 503 and resp.json["outcome"] == "detail_disagrees"
    reload(cod_order)
    assert cod_order.status == "shipped"
    # an old event (picked) after GHN delivered it: the detail (delivered) decides
    carriers["ghn"].set_status(code, "delivered")
    carriers["ghn"].fail_next.append((502, {"code": 502, "message": "Bad gateway"}))
    assert ghn_hook(client, code, "picked").status_code == 503  # GHN's detail unreachable: try again later
    assert ghn_hook(client, code, "picked").json["outcome"] == "applied"
    reload(cod_order)
    assert cod_order.status == "delivered" and the_shipment(cod_order).cod_collected_vnd == 158_000
    assert ghn_hook(client, code, "delivered", when="2026-12-06T09:00:00Z").json["outcome"] == "stale"


@pytest.mark.parametrize("amount", ["9" * 25, "-158000", "1e9"])
def test_a_ghtk_cash_amount_out_of_bounds_is_not_believed(client, shipped, amount):
    """GHTK's pick_money is the one amount a webhook writes: one no shop could collect (more than a bigint, or
    below zero) is not taken — the cash the shipment was made with counts — instead of a 500 or a negative."""
    order, shipment, secret = shipped
    resp = ghtk_hook(client, secret, shipment.tracking_code, 5, pick_money=amount)
    assert resp.status_code == 200 and resp.json["outcome"] == "applied"
    reload(order)
    reload(shipment)
    assert (order.status, shipment.cod_collected_vnd) == ("delivered", 158_000)
