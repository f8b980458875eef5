""" "Tạo vận đơn" for several orders at once from the shop's order list (/sell/orders): each order its own carrier
call and its own transaction, a result per order, one print of the labels where the carrier prints many."""

import re

import pytest
import sqlalchemy as sa

from market.extensions import db
from market.orders.models import Order
from market.shipping.models import Shipment
from tests.conftest import post_form
from tests.orders.fixtures import reload


def shipments_of(order) -> list[Shipment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Shipment).where(Shipment.order_id == order.id)))


def batch(client, ids, carrier="ghn", **extra):
    return post_form(
        client,
        "/sell/shipping/batch",
        {"order_id": [str(i) for i in ids], "ship_carrier": carrier, **extra},
        page="/sell/orders",
    )


def result_of(page: str, code: str) -> str:
    """The text of one order's result card."""
    cards = re.findall(r'<li class="card order-card">(.*?)</li>', page, re.S)
    found = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)) for c in cards if code in c]
    assert len(found) == 1, (code, page[:3000])
    return found[0]


@pytest.fixture
def orders(shop, buyer, place, fee_table, make_user):
    """Three of the shop's orders: two cash on delivery (confirmed), one paid by transfer (still pending)."""
    fee_table(shop.profile)
    first = place(buyer, shop.product, 2)  # 158.000 ₫, cash on delivery
    second = place(make_user(name="Nguyễn Văn Nam"), shop.product, 1)  # 79.000 ₫
    waiting = place(buyer, shop.product, 1, method="vietqr")
    assert (first.status, second.status, waiting.status) == ("confirmed", "confirmed", "pending")
    return first, second, waiting


def test_the_order_list_offers_it_once_a_carrier_is_connected(client, login, shop, orders, connect_carrier):
    login(shop.user)
    assert "Tạo vận đơn cho các đơn đã chọn" not in client.get("/sell/orders").get_data(as_text=True)
    connect_carrier(shop.profile, "ghn")
    page = client.get("/sell/orders").get_data(as_text=True)
    assert "Tạo vận đơn cho các đơn đã chọn" in page and 'formaction="/sell/shipping/batch"' in page
    assert 'name="ship_carrier" value="ghn"' in page


def test_each_order_gets_its_shipment_and_cod_or_its_reason(
    client, login, shop, orders, make_shop, buyer, place, carriers, connect_carrier
):
    first, second, waiting = orders
    other = place(buyer, make_shop("Shop khác").product, 1)
    connect_carrier(shop.profile, "ghn")
    login(shop.user)
    resp = batch(client, [first.id, waiting.id, other.id, second.id, first.id])  # a repeat counts once
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    for order in (first, second, waiting, other):
        reload(order)
    made = {o.id: shipments_of(o) for o in (first, second, waiting, other)}
    # the two confirmed ones: shipped with GHN's code, each with its own cash to collect
    assert (first.status, second.status) == ("shipped", "shipped")
    assert [s.cod_vnd for s in made[first.id]] == [158_000] and [s.cod_vnd for s in made[second.id]] == [79_000]
    sent = {
        c.json["client_order_code"]: c.json["cod_amount"]
        for c in carriers["ghn"].calls("/shiip/public-api/v2/shipping-order/create")
    }
    assert sent == {first.code: 158_000, second.code: 79_000}  # nothing asked for the others
    assert first.tracking_code in result_of(page, first.code) and "158.000" in result_of(page, first.code)
    assert second.tracking_code in result_of(page, second.code)
    # the pending one: untouched, with the reason in Vietnamese
    assert waiting.status == "pending" and made[waiting.id] == []
    assert "Chỉ đơn đã xác nhận hoặc đã đóng gói" in result_of(page, waiting.code)
    # another shop's order: as if it did not exist, and untouched
    assert other.status == "confirmed" and made[other.id] == []
    assert other.code not in page and "không tồn tại" in result_of(page, f"#{other.id}")
    assert "2 vận đơn đã tạo" in page and "2 đơn chưa gửi" in page
    # one print for both labels: GHN's print page for the two codes
    label = re.search(r'href="(/sell/shipping/labels/ghn\?[^"]+)"', page).group(1).replace("&amp;", "&")
    printed = client.get(label)
    assert printed.status_code == 302 and "/a5/public-api/printA5?token=" in printed.headers["Location"]
    asked = carriers["ghn"].calls("/shiip/public-api/v2/a5/gen-token")[-1].json["order_codes"]
    assert asked == [first.tracking_code, second.tracking_code]


def test_a_refusal_in_the_middle_leaves_that_order_whole(client, login, shop, orders, carriers, connect_carrier):
    first, second, _waiting = orders
    connect_carrier(shop.profile, "ghtk")
    login(shop.user)
    carriers["ghtk"].fail_next.append((200, {"success": False, "message": "Địa chỉ lấy hàng không hợp lệ"}))
    page = batch(client, [first.id, second.id], "ghtk").get_data(as_text=True)
    reload(first)
    reload(second)
    assert first.status == "confirmed" and shipments_of(first) == [] and first.tracking_code is None
    assert "Địa chỉ lấy hàng không hợp lệ" in result_of(page, first.code)
    assert second.status == "shipped" and len(shipments_of(second)) == 1
    # GHTK prints one label at a time: the print page gives one link per order, the other shop's never
    links = client.get(f"/sell/shipping/labels/ghtk?order_id={first.id}&order_id={second.id}").get_data(as_text=True)
    assert f"/sell/shipping/orders/{second.id}/label" in links and f"/orders/{first.id}/label" not in links
    # pressing again sends only what is still to send
    page = batch(client, [first.id, second.id], "ghtk").get_data(as_text=True)
    reload(first)
    assert first.status == "shipped" and "Chỉ đơn đã xác nhận" in result_of(page, second.code)  # already shipped
    assert len(shipments_of(second)) == 1


def test_a_carrier_that_does_not_answer_stops_the_batch(client, login, shop, orders, carriers, connect_carrier):
    first, second, _waiting = orders
    connect_carrier(shop.profile, "ghtk")
    login(shop.user)
    carriers["ghtk"].delay = 3  # CARRIER_TIMEOUT is 2 s in tests
    page = batch(client, [first.id, second.id], "ghtk").get_data(as_text=True)
    carriers["ghtk"].delay = 0
    assert len(carriers["ghtk"].calls("/services/shipment/order/")) == 1  # the second was not tried
    assert "không phản hồi kịp" in result_of(page, first.code)
    assert "Chưa gửi" in result_of(page, second.code)
    for order in (first, second):
        reload(order)
        assert order.status == "confirmed" and shipments_of(order) == []


def test_bounded_csrf_and_the_shops_own(client, login, shop, orders, carriers, connect_carrier, make_shop, buyer):
    first, _second, _waiting = orders
    connect_carrier(shop.profile, "ghn")
    login(shop.user)
    # no CSRF token: nothing is sent
    resp = client.post("/sell/shipping/batch", data={"order_id": [str(first.id)], "ship_carrier": "ghn"})
    assert resp.status_code in (302, 400)
    # more than 20 at once: refused as a whole, nothing sent
    resp = batch(client, list(range(first.id, first.id + 21)))
    assert resp.status_code == 302
    assert "Tối đa 20 đơn" in client.get(resp.headers["Location"]).get_data(as_text=True)
    # no order selected, or a carrier not switched on
    assert batch(client, []).status_code == 302
    assert batch(client, ["²", "1.0", "0"]).status_code == 302  # not ids: none selected
    assert batch(client, [first.id], "viettel").status_code == 302
    assert carriers["ghn"].calls("/shiip/public-api/v2/shipping-order/create") == []
    reload(first)
    assert first.status == "confirmed"
    # another shop sees neither the batch nor the labels of these orders
    other = make_shop("Shop khác")
    connect_carrier(other.profile, "ghn")
    login(other.user)
    page = batch(client, [first.id]).get_data(as_text=True)
    assert first.code not in page and "không tồn tại" in page
    resp = client.get(f"/sell/shipping/labels/ghn?order_id={first.id}")
    assert resp.status_code == 302 and carriers["ghn"].calls("/shiip/public-api/v2/a5/gen-token") == []
    # a buyer (no shop) may not use it at all
    login(buyer)
    assert batch(client, [first.id]).status_code in (302, 403)
    assert db.session.scalar(sa.select(sa.func.count(Shipment.id))) == 0
    assert db.session.scalar(sa.select(Order.status).where(Order.id == first.id)) == "confirmed"
