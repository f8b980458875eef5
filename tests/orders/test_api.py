"""JSON API: own orders, one order with items and payment, visible to buyer, seller and commune staff only."""

import pytest

from market.accounts.tokens import issue_token


def auth(user) -> dict:
    return {"Authorization": f"Bearer {issue_token(user)}"}


@pytest.fixture
def orders(shop, buyer, place, make_user):
    mine = [place(buyer, shop.product, 2), place(buyer, shop.product, 1, method="vietqr")]
    other = place(make_user(name="Khác"), shop.product, 1)
    return mine, other


def test_list_own_orders(client, orders, buyer):
    mine, other = orders
    resp = client.get("/api/v1/orders", headers=auth(buyer))
    assert resp.status_code == 200
    codes = [o["code"] for o in resp.json["orders"]]
    assert codes == [mine[1].code, mine[0].code] and other.code not in codes
    first = resp.json["orders"][1]
    assert first["status"] == "confirmed" and first["total_vnd"] == 158_000 and first["items"][0]["qty"] == 2
    assert first["roles"] == ["buyer"]


def test_seller_lists_incoming_orders(client, orders, shop, buyer):
    resp = client.get("/api/v1/orders?role=seller", headers=auth(shop.user))
    assert len(resp.json["orders"]) == 3
    assert client.get("/api/v1/orders?role=seller", headers=auth(buyer)).status_code == 403
    assert client.get("/api/v1/orders?role=god", headers=auth(buyer)).status_code == 400
    assert client.get("/api/v1/orders?before=x", headers=auth(buyer)).status_code == 400
    assert client.get("/api/v1/orders?before=%C2%B2", headers=auth(buyer)).status_code == 400  # "²": int() refuses it


def test_one_order_with_payment_and_timeline(client, orders, buyer, shop):
    mine, _ = orders
    resp = client.get(f"/api/v1/orders/{mine[1].id}", headers=auth(buyer))
    order = resp.json["order"]
    assert order["payment"]["method"] == "vietqr" and order["payment"]["paid"] is False
    assert order["payment"]["vietqr"]["memo"] == mine[1].code
    assert order["payment"]["vietqr"]["payload"].startswith("000201010212")
    assert order["timeline"][0]["to"] == "pending" and order["timeline"][0]["by"] == "buyer"
    assert "phone" not in order["buyer"]  # the buyer's own number is not echoed; the seller sees it
    assert order["actions"]["buyer"] == ["complete", "cancel"]
    seller_view = client.get(f"/api/v1/orders/{mine[1].id}", headers=auth(shop.user)).json["order"]
    assert seller_view["buyer"]["phone"] == buyer.phone and "paid" in seller_view["actions"]["seller"]


@pytest.mark.parametrize("who,status", [("stranger", 404), ("other_staff", 404), ("staff", 200)])
def test_visibility(client, orders, make_user, make_staff, make_commune, shop, who, status):
    mine, _ = orders
    user = {
        "stranger": lambda: make_user(name="Lạ"),
        "other_staff": lambda: make_staff(make_commune("Xã Xa")),
        "staff": lambda: make_staff(shop.profile.commune),
    }[who]()
    resp = client.get(f"/api/v1/orders/{mine[0].id}", headers=auth(user))
    assert resp.status_code == status
    if status == 404:
        assert resp.json == {"ok": False, "error": "not_found", "message": "Đơn hàng này không tồn tại."}


def test_without_a_token(client, orders):
    mine, _ = orders
    assert client.get("/api/v1/orders").status_code == 401
    assert client.get(f"/api/v1/orders/{mine[0].id}", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/orders/999999", headers=auth(mine[0].buyer)).status_code == 404
