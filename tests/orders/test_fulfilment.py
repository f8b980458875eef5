"""The seller's side: list by status and live session, batch moves, packing list and CSV per live session."""

import csv
import io

import pytest

from market.extensions import db
from market.orders.checkout import apply_address, clean_address
from tests.conftest import login_as, post_form
from tests.orders.fixtures import ADDRESS, reload


@pytest.fixture
def live_orders(make_shop, make_user, place, make_live_session):
    shop = make_shop("Vườn sầu riêng", titles=("Sầu riêng Ri6", "Sầu riêng Monthong"), unit="kg", price=85_000)
    ri6, monthong = shop.products
    first, second = make_live_session(shop.user, title="Phiên sầu riêng sáng"), make_live_session(shop.user)
    shop.sessions = (first, second)
    buyers = [make_user(name=f"Khách {i}") for i in range(4)]
    orders = [
        place(buyers[0], ri6, 3, live_session_id=first.id, origin="live"),
        place(buyers[1], monthong, 2, live_session_id=first.id, origin="live"),
        place(buyers[2], ri6, 1, live_session_id=first.id, origin="live", method="vietqr"),  # not paid yet
        place(buyers[3], ri6, 5, live_session_id=second.id, origin="live"),
    ]
    return shop, orders


def test_list_filters_by_status_and_live_session(client, live_orders):
    shop, orders = live_orders
    login_as(client, shop.user)
    html = client.get("/sell/orders").get_data(as_text=True)
    assert all(o.code in html for o in orders)
    html = client.get(f"/sell/orders?live={shop.sessions[0].id}").get_data(as_text=True)
    assert orders[0].code in html and orders[3].code not in html
    html = client.get("/sell/orders?status=pending").get_data(as_text=True)
    assert orders[2].code in html and orders[0].code not in html
    assert client.get("/sell/orders?status=paid").status_code == 400
    assert client.get("/sell/orders?page=%C2%B2").status_code == 200  # "²": a digit int() refuses, page 1
    assert "Phiên sầu riêng sáng" in client.get("/sell/orders").get_data(as_text=True)


def test_batch_pack_and_ship_reports_each_refusal(client, live_orders):
    shop, orders = live_orders
    login_as(client, shop.user)
    ids = [o.id for o in orders[:3]]
    resp = post_form(client, "/sell/orders/batch", {"order_id": ids, "action": "pack"}, page="/sell/orders")
    assert resp.status_code == 302
    assert [reload(o).status for o in orders[:3]] == ["packed", "packed", "pending"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã cập nhật 2 đơn" in page and orders[2].code in page  # the unpaid transfer order was refused
    resp = post_form(
        client, "/sell/orders/batch", {"order_id": ids[:2], "action": "ship", "carrier": ""}, page="/sell/orders"
    )
    assert [reload(o).status for o in orders[:2]] == ["packed", "packed"]
    post_form(
        client, "/sell/orders/batch", {"order_id": ids[:2], "action": "ship", "carrier": "Xe nhà"}, page="/sell/orders"
    )
    assert [(reload(o).status, o.carrier) for o in orders[:2]] == [("shipped", "Xe nhà")] * 2


@pytest.mark.parametrize(
    "data",
    [
        {"order_id": [], "action": "pack"},
        {"action": "explode", "order_id": ["1"]},
        {"order_id": ["abc", "-1"], "action": "pack"},
    ],
)
def test_batch_bad_input(client, live_orders, data):
    shop, orders = live_orders
    login_as(client, shop.user)
    resp = post_form(client, "/sell/orders/batch", data, page="/sell/orders")
    assert resp.status_code == 302
    assert [reload(o).status for o in orders] == ["confirmed", "confirmed", "pending", "confirmed"]


def test_another_seller_cannot_touch_these_orders(client, live_orders, make_shop):
    shop, orders = live_orders
    login_as(client, make_shop("Gian khác").user)
    post_form(client, "/sell/orders/batch", {"order_id": [o.id for o in orders], "action": "pack"}, page="/sell/orders")
    assert [reload(o).status for o in orders] == ["confirmed", "confirmed", "pending", "confirmed"]
    html = client.get("/sell/orders").get_data(as_text=True)
    assert not any(o.code in html for o in orders)
    assert "Sầu riêng Ri6" not in client.get(f"/sell/orders/live/{shop.sessions[0].id}/packing").get_data(as_text=True)


def test_the_packing_list_of_a_session_that_does_not_exist_is_a_404(client, live_orders):
    shop, _ = live_orders
    login_as(client, shop.user)
    for path in ("/sell/orders/live/999999/packing", "/sell/orders/live/999999/packing.csv"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Phiên live này không tồn tại" in response.get_data(as_text=True)


def test_buyers_have_no_fulfilment_pages(client, buyer):
    login_as(client, buyer)
    assert client.get("/sell/orders").status_code == 403
    assert client.get("/sell/orders/live/12/packing.csv").status_code == 403


def test_packing_list_totals_per_product(client, live_orders):
    shop, orders = live_orders
    login_as(client, shop.user)
    html = client.get(f"/sell/orders/live/{shop.sessions[0].id}/packing").get_data(as_text=True)
    assert "Cần thu hoạch và đóng gói" in html and "Phiên sầu riêng sáng" in html
    assert orders[0].code in html and orders[1].code in html
    assert orders[2].code not in html and orders[3].code not in html  # unpaid; another session
    assert "thêm 1 đơn đang chờ thanh toán" in html
    from market.orders.fulfilment import packing_list

    packing = packing_list(shop.profile.id, shop.sessions[0].id)
    assert [(line.title, line.qty, line.amount_vnd) for line in packing.totals] == [
        ("Sầu riêng Monthong", 2, 170_000),
        ("Sầu riêng Ri6", 3, 255_000),
    ]
    assert packing.total_vnd == 425_000


def test_packing_csv_is_safe_for_spreadsheets(client, live_orders):
    shop, orders = live_orders
    apply_address(
        orders[0], clean_address('=HYPERLINK("http://x")', ADDRESS["ship_phone"], "+1 street", "", "@Đắk Lắk")
    )
    db.session.flush()
    login_as(client, shop.user)
    resp = client.get(f"/sell/orders/live/{shop.sessions[0].id}/packing.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    text = resp.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Đơn hàng", "Trạng thái", "Người nhận"]
    body = {r[0]: r for r in rows[1:]}
    assert set(body) == {orders[0].code, orders[1].code}
    first = body[orders[0].code]
    assert first[2].startswith("'=") and first[4].startswith("'+1 street")
    assert first[5] == "Sầu riêng Ri6" and first[6] == "3"
