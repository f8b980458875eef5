"""The GHN and GHTK adapters against their local stand-ins: quote, create with the cash to collect, label,
cancel, status, each webhook kind, errors and timeouts — the real HTTP code, no internet."""

import json

import pytest

from market.shipping.carriers import CARRIERS
from market.shipping.carriers.base import BadWebhook, CarrierError, Credentials, Item, ParcelRequest, Place, Stage
from tests.shipping.standin import GHNStandIn, GHTKStandIn

GHN_CREDS = Credentials(GHNStandIn.TOKEN, GHNStandIn.SHOP)
GHTK_CREDS = Credentials(GHTKStandIn.TOKEN, GHTKStandIn.PARTNER)
REQ = ParcelRequest(
    client_code="CPABCDEFGH",
    grams=3200,
    cod_vnd=278_000,
    value_vnd=237_000,
    sender=Place("Cà phê Quảng Phú", "0903000002", "Thôn 4", "Quảng Phú", "Đắk Lắk"),
    receiver=Place("Hoàng Thị Hoa", "0912345678", "12 Lê Lợi", "Phường Bến Nghé", "TP. Hồ Chí Minh"),
    items=[Item("Cà phê Robusta rang mộc", 3, 3000), Item("Mật ong", 1, 200)],
)


def test_ghn_quote_create_label_cancel_status(app, carriers):
    ghn, stand = CARRIERS["ghn"], carriers["ghn"]
    assert ghn.quote(GHN_CREDS, REQ) == 22_000 + 3 * 3_000  # the stand-in: 3.000 ₫ per kg over the first
    created = ghn.create(GHN_CREDS, REQ)
    assert created.tracking_code.startswith("GHN") and created.fee_vnd == 33_000
    body = stand.calls("/shiip/public-api/v2/shipping-order/create")[0].json
    assert (body["cod_amount"], body["client_order_code"], body["to_phone"], body["weight"]) == (
        278_000,
        "CPABCDEFGH",
        "0912345678",
        3200,
    )
    # GHN's ids, resolved from the names through its master data: Phường Bến Nghé is ward 20109 of Quận 1
    assert (body["to_district_id"], body["to_ward_code"]) == (1442, "20109")
    assert (body["return_district_id"], body["return_ward_code"]) == (1602, "460501")  # the shop: TT Quảng Phú
    assert body["to_address"] == "12 Lê Lợi, Phường Bến Nghé, TP. Hồ Chí Minh"
    assert body["items"] == [
        {"name": "Cà phê Robusta rang mộc", "quantity": 3, "weight": 3000},
        {"name": "Mật ong", "quantity": 1, "weight": 200},
    ]
    assert ghn.status(GHN_CREDS, created.tracking_code).stage == Stage.CREATED
    printed = ghn.label(GHN_CREDS, created.tracking_code)
    assert printed.url == f"{stand.url}/a5/public-api/printA5?token=print-token-abc"
    ghn.cancel(GHN_CREDS, created.tracking_code)
    assert ghn.status(GHN_CREDS, created.tracking_code).stage == Stage.CANCELLED
    with pytest.raises(CarrierError, match="did not cancel"):  # cancelled twice (or picked up): refused
        ghn.cancel(GHN_CREDS, created.tracking_code)


def test_ghn_errors_and_timeouts(app, carriers):
    ghn, stand = CARRIERS["ghn"], carriers["ghn"]
    with pytest.raises(CarrierError, match="Token is not valid"):
        ghn.create(Credentials("wrong-token-123", GHNStandIn.SHOP), REQ)
    stand.fail_next.append((500, {"code": 500, "message": "Hệ thống bận"}))
    with pytest.raises(CarrierError, match="Hệ thống bận"):
        ghn.quote(GHN_CREDS, REQ)
    stand.delay = 3  # CARRIER_TIMEOUT is 2 s in tests
    with pytest.raises(CarrierError) as err:
        ghn.quote(GHN_CREDS, REQ)
    assert err.value.timeout
    stand.delay = 0
    with pytest.raises(CarrierError):
        ghn.status(GHN_CREDS, "NOSUCHCODE")


@pytest.mark.parametrize(
    "status,stage",
    [
        ("ready_to_pick", Stage.CREATED),
        ("picked", Stage.PICKED_UP),
        ("delivering", Stage.PICKED_UP),
        ("delivery_fail", Stage.PICKED_UP),
        ("delivered", Stage.DELIVERED),
        ("waiting_to_return", Stage.RETURNING),
        ("returned", Stage.RETURNED),
        ("cancel", Stage.CANCELLED),
        ("lost", Stage.PROBLEM),
    ],
)
def test_ghn_webhook_kinds(status, stage):
    body = {
        "CODAmount": 278000,
        "CODTransferDate": None,
        "ClientOrderCode": "CPABCDEFGH",
        "OrderCode": "GHN00001X",
        "ShopID": 885123,
        "Status": status,
        "Time": "2026-12-06T03:52:50.158Z",
        "Type": "switch_status",
        "Reason": "",
        "TotalFee": 33000,
    }
    event = CARRIERS["ghn"].parse_webhook(json.dumps(body).encode(), "application/json")
    assert (event.tracking_code, event.stage, event.cod_vnd, event.account) == ("GHN00001X", stage, 278000, "885123")
    assert event.event_id == f"GHN00001X:switch_status:{status}:2026-12-06T03:52:50.158Z"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"OrderCode": "X1"}',
        b'{"Status": "picked"}',
        b'{"OrderCode": "X1", "Status": "teleported"}',
        b'{"OrderCode": 5, "Status": "picked"}',
    ],
)
def test_ghn_webhook_junk_is_refused(body):
    with pytest.raises(BadWebhook):
        CARRIERS["ghn"].parse_webhook(body, "application/json")


def test_ghtk_quote_create_label_cancel_status(app, carriers):
    ghtk, stand = CARRIERS["ghtk"], carriers["ghtk"]
    assert ghtk.quote(GHTK_CREDS, REQ) == 30_400
    quote = stand.calls("/services/shipment/fee")[0]
    assert (quote.query["province"], quote.query["weight"], quote.query["pick_province"]) == (
        "TP. Hồ Chí Minh",
        "3200",
        "Đắk Lắk",
    )
    far = ParcelRequest(**{**REQ.__dict__, "receiver": Place("A", "0912345678", "x", "y", "Côn Đảo")})
    with pytest.raises(CarrierError, match="does not deliver"):
        ghtk.quote(GHTK_CREDS, far)
    created = ghtk.create(GHTK_CREDS, REQ)
    assert created.tracking_code.startswith("S1.A1.") and created.fee_vnd == 30_400
    sent = stand.calls("/services/shipment/order/")[0]
    assert sent.query == {"ver": "1.5"} and sent.headers["x-client-source"] == GHTKStandIn.PARTNER
    order = sent.json["order"]
    assert (order["id"], order["pick_money"], order["tel"], order["is_freeship"]) == (
        "CPABCDEFGH",
        278_000,
        "0912345678",
        "1",
    )
    assert sent.json["products"][0] == {"name": "Cà phê Robusta rang mộc", "quantity": 3, "weight": 3.0}
    with pytest.raises(CarrierError, match="đã tồn tại"):  # the same order code twice: GHTK refuses
        ghtk.create(GHTK_CREDS, REQ)
    printed = ghtk.label(GHTK_CREDS, created.tracking_code)
    assert printed.content_type == "application/pdf" and printed.body.startswith(b"%PDF")
    status = ghtk.status(GHTK_CREDS, created.tracking_code)
    assert (status.stage, status.cod_vnd) == (Stage.CREATED, 278_000)
    stand.set_status(created.tracking_code, 3)  # picked up: too late to cancel
    with pytest.raises(CarrierError, match="không thể hủy"):
        ghtk.cancel(GHTK_CREDS, created.tracking_code)
    second = ghtk.create(GHTK_CREDS, ParcelRequest(**{**REQ.__dict__, "client_code": "CPABCDEFGH-2"}))
    ghtk.cancel(GHTK_CREDS, second.tracking_code)
    assert ghtk.status(GHTK_CREDS, second.tracking_code).stage == Stage.CANCELLED


def test_ghtk_errors_and_timeouts(app, carriers):
    ghtk, stand = CARRIERS["ghtk"], carriers["ghtk"]
    with pytest.raises(CarrierError, match="Token không hợp lệ"):
        ghtk.quote(Credentials("wrong-token-123", GHTKStandIn.PARTNER), REQ)
    stand.delay = 3
    with pytest.raises(CarrierError) as err:
        ghtk.create(GHTK_CREDS, REQ)
    assert err.value.timeout
    stand.delay = 0
    with pytest.raises(CarrierError):
        ghtk.label(GHTK_CREDS, "S1.A1.404")


@pytest.mark.parametrize(
    "status_id,stage,remitted",
    [
        (2, Stage.CREATED, False),
        (3, Stage.PICKED_UP, False),
        (4, Stage.PICKED_UP, False),
        (5, Stage.DELIVERED, False),
        (6, Stage.DELIVERED, True),
        (9, Stage.RETURNING, False),
        (20, Stage.RETURNING, False),
        (21, Stage.RETURNED, False),
        (-1, Stage.CANCELLED, False),
        (13, Stage.PROBLEM, False),
    ],
)
def test_ghtk_webhook_kinds_form_and_json(status_id, stage, remitted):
    fields = {
        "label_id": "S1.A1.17373471",
        "partner_id": "CPABCDEFGH",
        "status_id": str(status_id),
        "action_time": "2026-12-06T10:20:00+07:00",
        "reason_code": "",
        "reason": "",
        "weight": "3.2",
        "fee": "30400",
        "pick_money": "278000",
    }
    from urllib.parse import urlencode

    for body, ctype in (
        (urlencode(fields).encode(), "application/x-www-form-urlencoded"),
        (json.dumps(fields).encode(), "application/json"),
    ):
        event = CARRIERS["ghtk"].parse_webhook(body, ctype)
        assert (event.tracking_code, event.stage, event.cod_vnd, event.cod_remitted) == (
            "S1.A1.17373471",
            stage,
            278_000,
            remitted,
        )


@pytest.mark.parametrize("body", [b"", b"label_id=S1&status_id=abc", b"status_id=5", b"label_id=S1&status_id=777"])
def test_ghtk_webhook_junk_is_refused(body):
    with pytest.raises(BadWebhook):
        CARRIERS["ghtk"].parse_webhook(body, "application/x-www-form-urlencoded")


# ---- GHN addresses: names → GHN's district id and ward code ------------------------------------------------------

MASTER = "/shiip/public-api/master-data/"


def to(commune, province, street="12 Lê Lợi") -> ParcelRequest:
    return ParcelRequest(
        **{**REQ.__dict__, "receiver": Place("Hoàng Thị Hoa", "0912345678", street, commune, province)}
    )


def master_calls(stand) -> int:
    return sum(1 for r in stand.seen if r.path.startswith(MASTER))


def test_ghn_master_data_is_asked_once_then_kept(app, carriers):
    ghn, stand = CARRIERS["ghn"], carriers["ghn"]
    assert ghn.quote(GHN_CREDS, REQ) == 31_000
    fee = stand.calls("/shiip/public-api/v2/shipping-order/fee")[0].json
    assert (fee["to_district_id"], fee["to_ward_code"], fee["from_district_id"], fee["from_ward_code"]) == (
        1442,
        "20109",
        1602,
        "460501",
    )
    # provinces once; for each province its districts, then every district's wards (to be sure of one match)
    assert master_calls(stand) == 1 + (1 + 3) + (1 + 3)
    assert stand.calls(MASTER + "ward")[0].json == {"district_id": 1442}
    ghn.create(GHN_CREDS, REQ)
    ghn.create(GHN_CREDS, ParcelRequest(**{**to("Ea Knuếc", "Tỉnh Đắk Lắk").__dict__, "client_code": "CP2"}))
    assert master_calls(stand) == 9  # all kept: the second parcel's province was the shop's own
    assert stand.calls("/shiip/public-api/v2/shipping-order/create")[1].json["to_ward_code"] == "460701"


@pytest.mark.parametrize(
    "commune,province,street,codes",
    [
        ("Phường 1", "TP.HCM", "5 Nguyễn Trãi, Quận 10", (1452, "21001")),  # the street names the district
        ("P.1", "Hồ Chí Minh", "5 Nguyễn Trãi, Q.3", (1444, "20301")),
        ("phuong 12", "tp hcm", "5 Nguyễn Trãi", (1452, "21012")),  # one ward of that name: no district needed
        ("Xã Ea Tu", "Daklak", "Buôn Ky", (1600, "460120")),
        ("Thị trấn Quảng Phú", "Đắk Lắk", "Cư M'gar", (1602, "460501")),
    ],
)
def test_ghn_names_resolve_as_people_type_them(app, carriers, commune, province, street, codes):
    CARRIERS["ghn"].create(GHN_CREDS, to(commune, province, street))
    body = carriers["ghn"].calls("/shiip/public-api/v2/shipping-order/create")[0].json
    assert (body["to_district_id"], body["to_ward_code"]) == codes


@pytest.mark.parametrize(
    "commune,province,street,words",
    [
        ("", "Hồ Chí Minh", "12 Lê Lợi", "không có phường/xã"),
        ("Phường Bến Nghé", "Côn Đảo", "12 Lê Lợi", "không biết tỉnh/thành “Côn Đảo”"),
        ("Phường Không Có", "Hồ Chí Minh", "12 Lê Lợi", "không có phường/xã “Phường Không Có”"),
        ("Xã Hòa Khánh", "Đắk Lắk", "Buôn Ma Thuột", "không có phường/xã “Xã Hòa Khánh”"),  # locked at GHN
        ("Phường 1", "Hồ Chí Minh", "5 Nguyễn Trãi", "nhiều phường/xã “Phường 1”"),  # Quận 3 or Quận 10?
    ],
)
def test_ghn_refuses_an_address_it_cannot_place_and_creates_nothing(app, carriers, commune, province, street, words):
    ghn, stand = CARRIERS["ghn"], carriers["ghn"]
    for call in (ghn.create, ghn.quote):
        with pytest.raises(CarrierError, match=words) as err:
            call(GHN_CREDS, to(commune, province, street))
        assert err.value.code == "address"
    assert stand.calls("/shiip/public-api/v2/shipping-order/create") == []
    assert stand.calls("/shiip/public-api/v2/shipping-order/fee") == []


def test_a_shop_place_ghn_does_not_know_leaves_the_pickup_to_the_shop_id(app, carriers):
    stand = carriers["ghn"]
    shop_elsewhere = ParcelRequest(
        **{**REQ.__dict__, "sender": Place("Shop", "0903000002", "Thôn 4", "Xã Thử 1", "Đắk Lắk")}
    )
    CARRIERS["ghn"].create(GHN_CREDS, shop_elsewhere)
    body = stand.calls("/shiip/public-api/v2/shipping-order/create")[0].json
    assert "return_district_id" not in body and body["to_ward_code"] == "20109"


def test_ghn_master_data_trouble_is_a_carrier_error(app, carriers):
    ghn, stand = CARRIERS["ghn"], carriers["ghn"]
    stand.fail_next.append((500, {"code": 500, "message": "Hệ thống bận"}))
    with pytest.raises(CarrierError, match="Hệ thống bận"):
        ghn.create(GHN_CREDS, REQ)
    stand.delay = 3
    with pytest.raises(CarrierError) as err:
        ghn.create(GHN_CREDS, REQ)
    assert err.value.timeout
    stand.delay = 0
    assert stand.calls("/shiip/public-api/v2/shipping-order/create") == []


def test_the_ghn_stand_in_refuses_names_without_codes(app, carriers):
    """As GHN's docs make to_district_id and to_ward_code required, the stand-in refuses a create that sends the
    ward and province by name only (what the adapter did before), or a ward of another district."""
    from market.shipping.carriers import http

    stand = carriers["ghn"]
    headers = {"Token": GHNStandIn.TOKEN, "ShopId": GHNStandIn.SHOP}
    url = stand.url + "/shiip/public-api/v2/shipping-order/create"
    base = {
        "to_name": "Hoa",
        "to_phone": "0912345678",
        "to_address": "12 Lê Lợi",
        "weight": 200,
        "cod_amount": 0,
        "service_type_id": 2,
    }
    by_name = http.call(
        "POST",
        url,
        headers=headers,
        timeout=2,
        body={**base, "to_ward_name": "Phường Bến Nghé", "to_province_name": "Hồ Chí Minh"},
    )
    assert by_name["code"] == 400 and "bắt buộc" in by_name["message"]
    mixed = http.call(
        "POST", url, headers=headers, timeout=2, body={**base, "to_district_id": 1444, "to_ward_code": "20109"}
    )
    assert mixed["code"] == 400 and "không thuộc" in mixed["message"]
    answer = http.call(
        "POST", url, headers=headers, timeout=2, body={**base, "to_district_id": 1442, "to_ward_code": "20109"}
    )
    assert answer["code"] == 200


@pytest.mark.parametrize(
    "raw,value",
    [
        (158_000, 158_000),
        ("158000", 158_000),
        (" 30400 ", 30_400),
        (0, 0),
        (None, None),
        (True, None),
        (-1, None),
        ("-158000", None),
        (3.5, None),
        ("1e9", None),
        ("9" * 25, None),
        (10**13, None),
        ([1], None),
    ],
)
def test_amounts_a_carrier_reports(raw, value):
    """Cash and fees from a carrier's answer or webhook: only a sum a parcel could carry is believed (a bigger
    one would not fit the column: a 500)."""
    from market.shipping.carriers.base import amount

    assert amount(raw) == value


@pytest.mark.parametrize(
    "junk",
    [
        {"ProvinceID": 202},
        [{"ProvinceID": 202, "ProvinceName": 7, "NameExtension": 5}],
        [["not", "an", "object"]],
        "Success",
    ],
)
def test_junk_master_data_is_a_carrier_error_not_a_crash(app, carriers, junk):
    carriers["ghn"].fail_next.append((200, {"code": 200, "message": "Success", "data": junk}))
    with pytest.raises(CarrierError) as err:
        CARRIERS["ghn"].create(GHN_CREDS, REQ)
    assert err.value.code in ("bad_answer", "address")
    assert carriers["ghn"].calls("/shiip/public-api/v2/shipping-order/create") == []
