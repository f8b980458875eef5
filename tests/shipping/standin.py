"""Local stand-ins for GHN's and GHTK's APIs (tests/standin.py's plumbing) answering in each carrier's own
shapes; they can also move a parcel (``set_status``), so the adapters are tested with their real HTTP code."""

from __future__ import annotations

import itertools

from tests.standin import Seen, StandIn

PDF = b"%PDF-1.4\n% a label\n%%EOF\n"


# GHN's master data as its documented shapes have it (api.ghn.vn/home/docs/detail?id=91, 93, 92): a few
# provinces, districts and wards — enough for the test addresses, an ambiguous "Phường 1" and a locked ward.
GHN_PROVINCES = [
    {
        "ProvinceID": 202,
        "ProvinceName": "Hồ Chí Minh",
        "Status": 1,
        "NameExtension": [
            "Hồ Chí Minh",
            "TP.Hồ Chí Minh",
            "TP. Hồ Chí Minh",
            "TP Hồ Chí Minh",
            "Thành phố Hồ Chí Minh",
            "HCM",
            "hochiminh",
            "saigon",
            "sg",
        ],
    },
    {
        "ProvinceID": 210,
        "ProvinceName": "Đắk Lắk",
        "Status": 1,
        "NameExtension": ["Đắk Lắk", "Tỉnh Đắk Lắk", "T.Đắk Lắk", "Dak Lak", "daklak"],
    },
]
GHN_DISTRICTS = [
    {
        "DistrictID": 1442,
        "ProvinceID": 202,
        "DistrictName": "Quận 1",
        "Status": 1,
        "NameExtension": ["Q1", "Q.1", "Quận 1", "quan1"],
    },
    {
        "DistrictID": 1444,
        "ProvinceID": 202,
        "DistrictName": "Quận 3",
        "Status": 1,
        "NameExtension": ["Q3", "Q.3", "Quận 3", "quan3"],
    },
    {
        "DistrictID": 1452,
        "ProvinceID": 202,
        "DistrictName": "Quận 10",
        "Status": 1,
        "NameExtension": ["Q10", "Q.10", "Quận 10", "quan10"],
    },
    {
        "DistrictID": 1600,
        "ProvinceID": 210,
        "DistrictName": "Thành phố Buôn Ma Thuột",
        "Status": 1,
        "NameExtension": ["TP Buôn Ma Thuột", "TP. Buôn Ma Thuột", "buonmathuot", "BMT"],
    },
    {
        "DistrictID": 1601,
        "ProvinceID": 210,
        "DistrictName": "Huyện Krông Pắc",
        "Status": 1,
        "NameExtension": ["H. Krông Pắc", "Krông Pắc", "krongpac"],
    },
    {
        "DistrictID": 1602,
        "ProvinceID": 210,
        "DistrictName": "Huyện Cư M'gar",
        "Status": 1,
        "NameExtension": ["H. Cư M'gar", "Cư M'gar", "cumgar"],
    },
]
GHN_WARDS = [
    {"WardCode": "20109", "DistrictID": 1442, "WardName": "Phường Bến Nghé", "NameExtension": ["P. Bến Nghé"]},
    {"WardCode": "20301", "DistrictID": 1444, "WardName": "Phường 1", "NameExtension": ["P.1", "P1"]},
    {"WardCode": "20314", "DistrictID": 1444, "WardName": "Phường 14", "NameExtension": ["P.14", "P14"]},
    {"WardCode": "21001", "DistrictID": 1452, "WardName": "Phường 1", "NameExtension": ["P.1", "P1"]},
    {"WardCode": "21012", "DistrictID": 1452, "WardName": "Phường 12", "NameExtension": ["P.12", "P12"]},
    {"WardCode": "460101", "DistrictID": 1600, "WardName": "Phường Tân Lợi", "NameExtension": ["P. Tân Lợi"]},
    {"WardCode": "460120", "DistrictID": 1600, "WardName": "Xã Ea Tu", "NameExtension": ["X. Ea Tu"]},
    {"WardCode": "460199", "DistrictID": 1600, "WardName": "Xã Hòa Khánh", "NameExtension": [], "Status": 2},
    {"WardCode": "460701", "DistrictID": 1601, "WardName": "Xã Ea Knuếc", "NameExtension": ["X. Ea Knuếc"]},
    {"WardCode": "460702", "DistrictID": 1601, "WardName": "Xã Ea Kênh", "NameExtension": ["X. Ea Kênh"]},
    {"WardCode": "460501", "DistrictID": 1602, "WardName": "Thị trấn Quảng Phú", "NameExtension": ["TT. Quảng Phú"]},
]


class GHNStandIn(StandIn):
    """GHN public API v2: master data (province, district, ward), fee, create, detail, cancel, A5 label token and
    print page. Fee and create refuse a destination without a valid ``to_district_id`` + ``to_ward_code`` pair
    (and a ``from_``/``return_`` pair that is given but wrong), as GHN's docs make them required; names alone
    are not read. The refusal messages are the stand-in's own wording."""

    TOKEN, SHOP = "ghn-token-0123456789", "885123"
    bytes_type = "application/pdf"  # the labels

    def __init__(self):
        super().__init__()
        self.orders: dict[str, dict] = {}
        self._ids = itertools.count(1)

    def set_status(self, code: str, status: str, **extra) -> None:
        self.orders[code].update(status=status, **extra)

    @staticmethod
    def _int(value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return int(value) if isinstance(value, str) and value.isdigit() else None

    @staticmethod
    def _place_error(body: dict, district_field: str, ward_field: str, required: bool) -> str | None:
        district, ward = body.get(district_field), body.get(ward_field)
        if district in (None, "", 0) and ward in (None, ""):
            return f"{district_field} và {ward_field} là bắt buộc" if required else None
        known = any(
            w["DistrictID"] == district and w["WardCode"] == ward and w.get("Status", 1) != 2 for w in GHN_WARDS
        )
        return None if known else f"{ward_field} {ward!r} không thuộc {district_field} {district!r}"

    def _master(self, rec: Seen):
        body = rec.json if isinstance(rec.json, dict) else {}
        kind = rec.path.rsplit("/", 1)[1]
        if kind == "province":
            return 200, {"code": 200, "message": "Success", "data": GHN_PROVINCES}
        if kind == "district":
            province = self._int(body.get("province_id", rec.query.get("province_id")))
            rows = [d for d in GHN_DISTRICTS if province is None or d["ProvinceID"] == province]
            return 200, {"code": 200, "message": "Success", "data": rows}
        if kind == "ward":
            district = self._int(body.get("district_id", rec.query.get("district_id")))
            if district is None:
                return 400, {"code": 400, "message": "district_id is required", "data": None}
            rows = [w for w in GHN_WARDS if w["DistrictID"] == district]
            return 200, {"code": 200, "message": "Success", "data": rows or None}
        return 404, {"code": 404, "message": "code=404, message=Not Found", "data": None}

    def route(self, rec: Seen):
        if rec.path == "/a5/public-api/printA5":
            return 200, PDF
        if rec.path.startswith("/shiip/public-api/master-data/"):
            if rec.headers.get("token") != self.TOKEN:  # master data wants the token only
                return 401, {"code": 401, "message": "code=401, message=Token is not valid!", "data": None}
            return self._master(rec)
        if rec.headers.get("token") != self.TOKEN or rec.headers.get("shopid") != self.SHOP:
            return 401, {"code": 401, "message": "Token is not valid", "data": None}
        body = rec.json or {}
        base = "/shiip/public-api/v2"
        if rec.path == f"{base}/shipping-order/fee":
            problem = self._place_error(body, "to_district_id", "to_ward_code", True) or self._place_error(
                body, "from_district_id", "from_ward_code", False
            )
            if problem:
                return 400, {"code": 400, "message": problem, "data": None, "code_message": "USER_ERR_COMMON"}
            return 200, {
                "code": 200,
                "message": "Success",
                "data": {
                    "total": 22000 + 3000 * max(0, (body.get("weight", 0) - 1) // 1000),
                    "service_fee": 22000,
                    "insurance_fee": 0,
                },
            }
        if rec.path == f"{base}/shipping-order/create":
            if not body.get("to_phone") or not body.get("to_address"):
                return 400, {"code": 400, "message": "Số điện thoại người nhận không hợp lệ", "data": None}
            problem = self._place_error(body, "to_district_id", "to_ward_code", True) or self._place_error(
                body, "return_district_id", "return_ward_code", False
            )
            if problem:
                return 400, {"code": 400, "message": problem, "data": None, "code_message": "USER_ERR_COMMON"}
            code = f"GHN{next(self._ids):05d}X"
            self.orders[code] = {
                "order_code": code,
                "status": "ready_to_pick",
                "cod_amount": body.get("cod_amount"),
                "client_order_code": body.get("client_order_code"),
                "cod_transfer_date": None,
                "updated_date": "2026-12-06T10:00:00Z",
            }
            return 200, {
                "code": 200,
                "message": "Success",
                "data": {
                    "order_code": code,
                    "sort_code": "190-G-01-A1",
                    "trans_type": "truck",
                    "total_fee": 33000,
                    "expected_delivery_time": "2026-12-09T16:59:59Z",
                },
            }
        if rec.path == f"{base}/shipping-order/detail":
            order = self.orders.get(body.get("order_code"))
            if order is None:
                return 400, {"code": 400, "message": "Đơn hàng không tồn tại", "data": None}
            return 200, {"code": 200, "message": "Success", "data": dict(order)}
        if rec.path == f"{base}/switch-status/cancel":
            results = []
            for code in body.get("order_codes", []):
                order = self.orders.get(code)
                ok = order is not None and order["status"] in ("ready_to_pick", "picking")
                if ok:
                    order["status"] = "cancel"
                results.append({"order_code": code, "result": ok, "message": "OK" if ok else "Không thể hủy"})
            return 200, {"code": 200, "message": "Success", "data": results}
        if rec.path == f"{base}/a5/gen-token":
            return 200, {"code": 200, "message": "Success", "data": {"token": "print-token-abc"}}
        return 404, {"code": 404, "message": "not found"}


class GHTKStandIn(StandIn):
    """GHTK services API: fee, order (v1.5), status (v2), cancel, label PDF."""

    TOKEN, PARTNER = "ghtk-token-0123456789", "S123456"
    bytes_type = "application/pdf"  # the labels

    def __init__(self):
        super().__init__()
        self.orders: dict[str, dict] = {}
        self._ids = itertools.count(17373471)

    def set_status(self, label: str, status: int) -> None:
        self.orders[label]["status"] = str(status)

    def route(self, rec: Seen):
        if rec.headers.get("token") != self.TOKEN or rec.headers.get("x-client-source") != self.PARTNER:
            return 200, {"success": False, "message": "Token không hợp lệ"}
        if rec.path == "/services/shipment/fee":
            if rec.query.get("province") == "Côn Đảo":
                return 200, {"success": True, "fee": {"name": "area3", "fee": 0, "delivery": False}}
            return 200, {"success": True, "fee": {"name": "area1", "fee": 30400, "insurance_fee": 0, "delivery": True}}
        if rec.path == "/services/shipment/order/":
            order = (rec.json or {}).get("order", {})
            if any(o["partner_id"] == order.get("id") for o in self.orders.values()):
                return 200, {
                    "success": False,
                    "message": "Mã đơn hàng đã tồn tại",
                    "error": {"code": "ORDER_ID_EXIST", "partner_id": order.get("id")},
                }
            label = f"S1.A1.{next(self._ids)}"
            self.orders[label] = {
                "label_id": label,
                "partner_id": order.get("id"),
                "status": "2",
                "pick_money": order.get("pick_money"),
                "modified": "2026-12-06 10:00:00",
            }
            return 200, {
                "success": True,
                "message": "Các đơn hàng đã được add vào hệ thống GHTK thành công.",
                "order": {
                    "partner_id": order.get("id"),
                    "label": label,
                    "area": "1",
                    "fee": "30400",
                    "insurance_fee": "0",
                    "status_id": 2,
                    "tracking_id": int(label.rsplit(".", 1)[1]),
                },
            }
        if rec.path.startswith("/services/shipment/v2/"):
            order = self.orders.get(rec.path.rsplit("/", 1)[1])
            if order is None:
                return 200, {"success": False, "message": "Không tìm thấy đơn hàng"}
            return 200, {"success": True, "order": dict(order)}
        if rec.path.startswith("/services/shipment/cancel/"):
            order = self.orders.get(rec.path.rsplit("/", 1)[1])
            if order is None or order["status"] not in ("1", "2", "12"):
                return 200, {"success": False, "message": "Đơn hàng đã lấy, không thể hủy"}
            order["status"] = "-1"
            return 200, {"success": True, "message": ""}
        if rec.path.startswith("/services/label/"):
            return (200, PDF) if rec.path.rsplit("/", 1)[1] in self.orders else (404, {"success": False})
        return 404, {"success": False, "message": "not found"}
