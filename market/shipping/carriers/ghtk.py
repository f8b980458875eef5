"""GHTK (Giao Hàng Tiết Kiệm), services API (https://docs.giaohangtietkiem.vn).

Every call: headers ``Token`` (the shop's API token) and ``X-Client-Source`` (its partner code); answers
``{"success": true, …}`` or ``{"success": false, "message": …}``.

| what | call |
| --- | --- |
| fee | GET /services/shipment/fee?pick_province&pick_district&province&district&address&weight(g)&value → fee.fee |
| create | POST /services/shipment/order/?ver=1.5 {products, order: {id, pick_*, name, tel, address, province,
  ward, hamlet, pick_money, value, is_freeship}} → order.label, order.fee |
| label | GET /services/label/<label>?original=portrait&paper_size=A6 → PDF |
| cancel | POST /services/shipment/cancel/<label> |
| status | GET /services/shipment/v2/<label> → order.status (a number as text), order.pick_money |

Webhook: GHTK calls the URL the shop gave it (ours carries a secret of the shop's, compared in constant time)
with ``label_id``, ``partner_id``, ``status_id``, ``action_time``, ``reason_code``, ``reason``, ``weight``,
``fee``, ``pick_money`` (form-encoded or JSON); it wants a 200.
"""

from __future__ import annotations

import json
import urllib.parse
from datetime import datetime
from typing import Any

from flask import current_app

from market.shipping.carriers import http
from market.shipping.carriers.base import (
    BadWebhook,
    CarrierError,
    Created,
    Credentials,
    Label,
    ParcelRequest,
    Stage,
    Tracking,
    amount,
)

# GHTK's status_id values (its documentation's table) → our stages.
STAGES = {
    -1: Stage.CANCELLED,
    1: Stage.CREATED,
    2: Stage.CREATED,
    7: Stage.CREATED,
    8: Stage.CREATED,
    12: Stage.CREATED,
    127: Stage.CREATED,
    128: Stage.CREATED,  # not received, received, pickup failed/delayed, being picked up
    3: Stage.PICKED_UP,
    123: Stage.PICKED_UP,
    4: Stage.PICKED_UP,
    10: Stage.PICKED_UP,
    410: Stage.PICKED_UP,
    5: Stage.DELIVERED,
    6: Stage.DELIVERED,
    45: Stage.DELIVERED,  # delivered; 6: reconciled (cash paid out)
    9: Stage.RETURNING,
    49: Stage.RETURNING,
    20: Stage.RETURNING,  # could not deliver; being returned
    21: Stage.RETURNED,
    11: Stage.RETURNED,
    13: Stage.PROBLEM,  # compensated (lost or damaged)
}
RECONCILED = 6


def stage_of(status: object) -> Stage | None:
    try:
        return STAGES.get(int(str(status).strip()))
    except ValueError:
        return None


def _time(raw: object) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None


def _int(raw: object) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


class GHTK:
    name = "ghtk"
    label_text = "GHTK (Giao Hàng Tiết Kiệm)"
    account_label = "Partner code"
    prints_many = False  # one PDF per label (GET /services/label/<label>); no call prints several

    def _base(self) -> str:
        return str(current_app.config["GHTK_API_BASE"]).rstrip("/")

    def _headers(self, creds: Credentials) -> dict[str, str]:
        return {"Token": creds.token, "X-Client-Source": creds.account}

    def _call(
        self,
        creds: Credentials,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        answer = http.call(
            method,
            self._base() + path,
            body=body,
            headers=self._headers(creds),
            timeout=timeout or current_app.config["CARRIER_TIMEOUT"],
        )
        if not isinstance(answer, dict) or answer.get("success") is not True:
            message = answer.get("message") if isinstance(answer, dict) else None
            error = answer.get("error") if isinstance(answer, dict) else None
            code = error.get("code") if isinstance(error, dict) else None
            raise CarrierError(str(message or "GHTK refused the request")[:300], code=str(code or "refused"))
        return answer

    def quote(self, creds: Credentials, req: ParcelRequest, timeout: float | None = None) -> int:
        query = urllib.parse.urlencode(
            {
                "pick_province": req.sender.province,
                "pick_district": req.sender.commune,
                "province": req.receiver.province,
                "district": req.receiver.commune,
                "address": req.receiver.street,
                "weight": max(req.grams, 1),
                "value": req.value_vnd,
                "transport": "road",
                "deliver_option": "none",
            }
        )
        answer = self._call(creds, "GET", f"/services/shipment/fee?{query}", timeout=timeout)
        fee = answer.get("fee") if isinstance(answer.get("fee"), dict) else {}
        if fee.get("delivery") is False:
            raise CarrierError("GHTK does not deliver there", code="no_delivery")
        total = amount(fee.get("fee"))
        if total is None:
            raise CarrierError("GHTK gave no fee", code="bad_answer")
        return total

    def create(self, creds: Credentials, req: ParcelRequest) -> Created:
        order = {
            "id": req.client_code,
            "pick_name": req.sender.name,
            "pick_tel": req.sender.phone,
            "pick_address": req.sender.street,
            "pick_province": req.sender.province,
            "pick_district": req.sender.commune,
            "pick_ward": req.sender.commune,
            "name": req.receiver.name,
            "tel": req.receiver.phone,
            "address": req.receiver.street,
            "province": req.receiver.province,
            "district": req.receiver.commune,
            "ward": req.receiver.commune,
            "hamlet": "Khác",
            "pick_money": req.cod_vnd,
            "value": min(req.value_vnd, 20_000_000),
            "is_freeship": "1",
            "transport": "road",
            "pick_option": "cod",
            "note": req.note[:120],
        }
        products = [
            {"name": i.name[:200], "quantity": i.qty, "weight": round(max(i.grams, 1) / 1000, 3)} for i in req.items
        ]
        answer = self._call(creds, "POST", "/services/shipment/order/?ver=1.5", {"products": products, "order": order})
        created = answer.get("order") if isinstance(answer.get("order"), dict) else {}
        label = created.get("label")
        if not isinstance(label, str) or not label:
            raise CarrierError("GHTK gave no label", code="bad_answer")
        return Created(label, amount(created.get("fee")))

    def label(self, creds: Credentials, tracking_code: str) -> Label:
        path = f"/services/label/{urllib.parse.quote(tracking_code, safe='')}?original=portrait&paper_size=A6"
        content_type, body = http.call(
            "GET",
            self._base() + path,
            headers=self._headers(creds),
            timeout=current_app.config["CARRIER_TIMEOUT"],
            raw=True,
        )
        if "pdf" not in content_type or not body.startswith(b"%PDF"):
            raise CarrierError("GHTK gave no PDF", code="bad_answer")
        return Label("application/pdf", body=body)

    def labels(self, creds: Credentials, tracking_codes: list[str]) -> Label:
        if len(tracking_codes) != 1:
            raise CarrierError("GHTK prints one label at a time", code="unsupported")
        return self.label(creds, tracking_codes[0])

    def cancel(self, creds: Credentials, tracking_code: str) -> None:
        self._call(creds, "POST", f"/services/shipment/cancel/{urllib.parse.quote(tracking_code, safe='')}")

    def status(self, creds: Credentials, tracking_code: str) -> Tracking:
        answer = self._call(creds, "GET", f"/services/shipment/v2/{urllib.parse.quote(tracking_code, safe='')}")
        order = answer.get("order") if isinstance(answer.get("order"), dict) else {}
        status = order.get("status")
        stage = stage_of(status)
        if order.get("label_id") != tracking_code or stage is None:
            raise CarrierError(f"unreadable GHTK status {status!r}", code="bad_answer")
        return Tracking(
            tracking_code,
            stage,
            str(status),
            event_id=f"status:{tracking_code}:{status}",
            at=_time(order.get("modified")),
            cod_vnd=amount(order.get("pick_money")),
            cod_remitted=_int(status) == RECONCILED,
        )

    def parse_webhook(self, body: bytes, content_type: str) -> Tracking:
        if "json" in content_type:
            try:
                event = json.loads(body)
            except ValueError:
                raise BadWebhook("not JSON") from None
        else:
            event = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if not isinstance(event, dict):
            raise BadWebhook("not an object")
        label, status = event.get("label_id"), event.get("status_id")
        if not isinstance(label, str) or not label or len(label) > 60:
            raise BadWebhook("no label_id")
        stage = stage_of(status)
        if stage is None:
            raise BadWebhook(f"unknown status_id {str(status)[:20]!r}")
        when = str(event.get("action_time") or "")
        return Tracking(
            label,
            stage,
            str(status),
            event_id=f"{label}:{status}:{when}"[:255],
            at=_time(when),
            cod_vnd=amount(event.get("pick_money")),
            cod_remitted=_int(status) == RECONCILED,
            reason=str(event.get("reason") or "")[:200],
        )
