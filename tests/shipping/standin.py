"""Local stand-ins for GHN's and GHTK's APIs (and Zalo's, for ZNS): threaded HTTP servers on 127.0.0.1 that
answer in each service's own shapes, record every request, can be told to fail, to answer slowly, or to move
a parcel — so the adapters are tested with their real HTTP code and no test reaches the internet."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

PDF = b"%PDF-1.4\n% a label\n%%EOF\n"


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict  # names in lower case
    json: object = None
    form: dict = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class StandIn:
    """start() on a free port, stop(); ``seen`` requests; ``fail_next`` (status, payload); ``delay`` seconds."""

    def __init__(self):
        self.seen: list[Seen] = []
        self.fail_next: list[tuple[int, object]] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                parts = urlsplit(self.path)
                rec = Seen(self.command, parts.path, dict(parse_qsl(parts.query)),
                           {k.lower(): v for k, v in self.headers.items()})  # HTTP header names: any case
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype and body:
                    rec.json = json.loads(body)
                elif "x-www-form-urlencoded" in ctype:
                    rec.form = dict(parse_qsl(body))
                with owner.lock:
                    owner.seen.append(rec)
                    failure = owner.fail_next.pop(0) if owner.fail_next else None
                if owner.delay:
                    time.sleep(owner.delay)
                status, payload = failure if failure else owner.route(rec)
                if isinstance(payload, bytes):
                    data, content_type = payload, "application/pdf"
                else:
                    data, content_type = json.dumps(payload, ensure_ascii=False).encode(), "application/json"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

            do_GET = do_POST = _handle

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def calls(self, path: str) -> list[Seen]:
        return [r for r in self.seen if r.path == path]

    def route(self, rec: Seen):  # pragma: no cover - overridden
        return 404, {}


class GHNStandIn(StandIn):
    """GHN public API v2: fee, create, detail, cancel, A5 label token and print page."""

    TOKEN, SHOP = "ghn-token-0123456789", "885123"

    def __init__(self):
        super().__init__()
        self.orders: dict[str, dict] = {}
        self._ids = itertools.count(1)

    def set_status(self, code: str, status: str, **extra) -> None:
        self.orders[code].update(status=status, **extra)

    def route(self, rec: Seen):
        if rec.path == "/a5/public-api/printA5":
            return 200, PDF
        if rec.headers.get("token") != self.TOKEN or rec.headers.get("shopid") != self.SHOP:
            return 401, {"code": 401, "message": "Token is not valid", "data": None}
        body = rec.json or {}
        base = "/shiip/public-api/v2"
        if rec.path == f"{base}/shipping-order/fee":
            return 200, {"code": 200, "message": "Success",
                         "data": {"total": 22000 + 3000 * max(0, (body.get("weight", 0) - 1) // 1000),
                                  "service_fee": 22000, "insurance_fee": 0}}
        if rec.path == f"{base}/shipping-order/create":
            if not body.get("to_phone") or not body.get("to_address"):
                return 400, {"code": 400, "message": "Số điện thoại người nhận không hợp lệ", "data": None}
            code = f"GHN{next(self._ids):05d}X"
            self.orders[code] = {"order_code": code, "status": "ready_to_pick", "cod_amount": body.get("cod_amount"),
                                 "client_order_code": body.get("client_order_code"), "cod_transfer_date": None,
                                 "updated_date": "2026-12-06T10:00:00Z"}
            return 200, {"code": 200, "message": "Success",
                         "data": {"order_code": code, "sort_code": "190-G-01-A1", "trans_type": "truck",
                                  "total_fee": 33000, "expected_delivery_time": "2026-12-09T16:59:59Z"}}
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
            return 200, {"success": True, "fee": {"name": "area1", "fee": 30400, "insurance_fee": 0,
                                                  "delivery": True}}
        if rec.path == "/services/shipment/order/":
            order = (rec.json or {}).get("order", {})
            if any(o["partner_id"] == order.get("id") for o in self.orders.values()):
                return 200, {"success": False, "message": "Mã đơn hàng đã tồn tại",
                             "error": {"code": "ORDER_ID_EXIST", "partner_id": order.get("id")}}
            label = f"S1.A1.{next(self._ids)}"
            self.orders[label] = {"label_id": label, "partner_id": order.get("id"), "status": "2",
                                  "pick_money": order.get("pick_money"), "modified": "2026-12-06 10:00:00"}
            return 200, {"success": True, "message": "Các đơn hàng đã được add vào hệ thống GHTK thành công.",
                         "order": {"partner_id": order.get("id"), "label": label, "area": "1", "fee": "30400",
                                   "insurance_fee": "0", "status_id": 2, "tracking_id": int(label.rsplit(".", 1)[1])}}
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


class ZaloStandIn(StandIn):
    """Zalo: ZNS template messages (business.openapi.zalo.me) and OA token refresh (oauth.zaloapp.com v4)."""

    APP_ID, APP_SECRET = "4321098765432109876", "zalo-app-secret"

    def __init__(self):
        super().__init__()
        self.access = "access-1"  # the token Zalo accepts now
        self.refresh = "refresh-1"  # the refresh token Zalo accepts now (single use)
        self.not_on_zalo: set[str] = set()
        self.sent: list[dict] = []
        self._n = itertools.count(2)

    def route(self, rec: Seen):
        if rec.path == "/v4/oa/access_token":
            if rec.headers.get("secret_key") != self.APP_SECRET or rec.form.get("app_id") != self.APP_ID:
                return 200, {"error": -14002, "error_name": "Invalid app", "error_description": "Invalid app"}
            if rec.form.get("refresh_token") != self.refresh or rec.form.get("grant_type") != "refresh_token":
                return 200, {"error": -14014, "error_name": "Invalid refresh token",
                             "error_description": "Invalid refresh token"}
            n = next(self._n)
            self.access, self.refresh = f"access-{n}", f"refresh-{n}"
            return 200, {"access_token": self.access, "refresh_token": self.refresh, "expires_in": "90000"}
        if rec.path == "/message/template":
            if rec.headers.get("access_token") != self.access:
                return 200, {"error": -124, "message": "Access token is invalid"}
            body = rec.json or {}
            if body.get("phone") in self.not_on_zalo:
                return 200, {"error": -118, "message": "Zalo account not existed"}
            self.sent.append(body)
            return 200, {"error": 0, "message": "Success",
                         "data": {"msg_id": f"msg{len(self.sent)}", "sent_time": "1733480000000",
                                  "quota": {"dailyQuota": "500", "remainingQuota": "499"}}}
        return 404, {"error": 404, "message": "not found"}
