"""GHN (Giao Hàng Nhanh), public API v2 (https://api.ghn.vn/home/docs/detail).

Every call: headers ``Token`` (the shop's API token) and ``ShopId``; answers ``{"code": 200, "message":
"Success", "data": …}``, anything else is an error whose ``message`` we keep for the log.

| what | call |
| --- | --- |
| fee | POST /shiip/public-api/v2/shipping-order/fee → data.total |
| create | POST …/v2/shipping-order/create (``cod_amount``, ``client_order_code``) → data.order_code, total_fee |
| label | POST /shiip/public-api/v2/a5/gen-token {order_codes: [one or many]} → data.token; print page
  /a5/public-api/printA5?token= (all the codes' labels, one after the other) |
| cancel | POST /shiip/public-api/v2/switch-status/cancel {order_codes} → data[].result |
| detail | POST …/v2/shipping-order/detail {order_code} → data.status, cod_amount, cod_transfer_date |

Webhook: GHN posts JSON (``OrderCode``, ``Status``, ``Type``, ``Time``, ``ShopID``, ``CODAmount``,
``Reason`` …) with no signature and retries up to ten times until it gets a 200: the webhook is only a hint,
the order-detail call decides (``status``).

Addresses: fee and create want GHN's ids, ``to_district_id`` and ``to_ward_code`` (required), resolved from
the buyer's commune and province through GHN's master data (``ghn_address``); a name GHN does not know is
refused for the seller to fix, never guessed. The shop's own place is resolved the same way when it can be
(``from_district_id``/``from_ward_code`` on the fee, ``return_district_id``/``return_ward_code`` on create);
when it cannot, these are left out and GHN uses the address registered with the Shop ID, as its docs say.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app

from market.shipping.carriers import ghn_address, http
from market.shipping.carriers.base import (
    BadWebhook,
    CarrierError,
    Created,
    Credentials,
    Label,
    ParcelRequest,
    Place,
    Stage,
    Tracking,
    amount,
)

log = logging.getLogger(__name__)

STAGES = {
    "ready_to_pick": Stage.CREATED,
    "picking": Stage.CREATED,
    "money_collect_picking": Stage.CREATED,
    "picked": Stage.PICKED_UP,
    "storing": Stage.PICKED_UP,
    "transporting": Stage.PICKED_UP,
    "sorting": Stage.PICKED_UP,
    "delivering": Stage.PICKED_UP,
    "money_collect_delivering": Stage.PICKED_UP,
    "delivery_fail": Stage.PICKED_UP,  # one failed attempt: GHN tries again before returning it
    "delivered": Stage.DELIVERED,
    "waiting_to_return": Stage.RETURNING,
    "return": Stage.RETURNING,
    "return_transporting": Stage.RETURNING,
    "return_sorting": Stage.RETURNING,
    "returning": Stage.RETURNING,
    "return_fail": Stage.RETURNING,
    "returned": Stage.RETURNED,
    "cancel": Stage.CANCELLED,
    "exception": Stage.PROBLEM,
    "damage": Stage.PROBLEM,
    "lost": Stage.PROBLEM,
}
SERVICE_TYPE_STANDARD = 2  # "hàng nhẹ" (light parcels), GHN's ordinary service
PAYMENT_BUYER_PAYS_SHOP = 1  # the shop pays GHN's fee; the buyer paid our fee inside the COD amount


def stage_of(status: str) -> Stage | None:
    return STAGES.get(status)


def _time(raw: object) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


class GHN:
    name = "ghn"
    label_text = "GHN (Giao Hàng Nhanh)"
    account_label = "Shop ID"
    prints_many = True  # one A5 print page for many order codes

    def _base(self) -> str:
        return str(current_app.config["GHN_API_BASE"]).rstrip("/")

    def _post(self, creds: Credentials, path: str, body: dict[str, Any], timeout: float | None = None) -> Any:
        answer = http.call(
            "POST",
            self._base() + path,
            body=body,
            timeout=timeout or current_app.config["CARRIER_TIMEOUT"],
            headers={"Token": creds.token, "ShopId": creds.account},
        )
        if not isinstance(answer, dict) or answer.get("code") != 200:
            message = answer.get("message") if isinstance(answer, dict) else None
            code = answer.get("code") if isinstance(answer, dict) else None
            raise CarrierError(str(message or "GHN refused the request")[:300], code=str(code or "refused"))
        return answer.get("data")

    def _codes(self, creds: Credentials, place: Place, timeout: float | None = None) -> ghn_address.Codes:
        return ghn_address.resolve(lambda path, body: self._post(creds, path, body, timeout), self._base(), place)

    def _sender_codes(
        self, creds: Credentials, req: ParcelRequest, timeout: float | None = None
    ) -> ghn_address.Codes | None:
        """The shop's own district and ward, or None: GHN then takes the address registered with the Shop ID."""
        try:
            return self._codes(creds, req.sender, timeout)
        except CarrierError as err:
            if err.code != "address":
                raise
            log.info(
                "ghn: the shop's place (%s, %s) has no GHN codes; GHN uses the Shop ID's address",
                req.sender.commune,
                req.sender.province,
            )
            return None

    def _parcel(self, creds: Credentials, req: ParcelRequest, timeout: float | None = None) -> dict[str, Any]:
        to = self._codes(creds, req.receiver, timeout)
        where = ", ".join(p for p in (req.receiver.street, req.receiver.commune, req.receiver.province) if p)
        return {
            "to_name": req.receiver.name,
            "to_phone": req.receiver.phone,
            "to_address": where[:1024],
            "to_district_id": to.district_id,
            "to_ward_code": to.ward_code,
            "weight": max(req.grams, 1),
            "length": 20,
            "width": 20,
            "height": 15,
            "insurance_value": min(req.value_vnd, 5_000_000),
            "cod_value": req.cod_vnd,
            "service_type_id": SERVICE_TYPE_STANDARD,
        }

    def quote(self, creds: Credentials, req: ParcelRequest, timeout: float | None = None) -> int:
        body = self._parcel(creds, req, timeout)
        sender = self._sender_codes(creds, req, timeout)
        if sender is not None:
            body.update(from_district_id=sender.district_id, from_ward_code=sender.ward_code)
        data = self._post(creds, "/shiip/public-api/v2/shipping-order/fee", body, timeout)
        total = amount(data.get("total")) if isinstance(data, dict) else None
        if total is None:
            raise CarrierError("GHN gave no fee", code="bad_answer")
        return total

    def create(self, creds: Credentials, req: ParcelRequest) -> Created:
        body = {
            **self._parcel(creds, req),
            "payment_type_id": PAYMENT_BUYER_PAYS_SHOP,
            "required_note": "KHONGCHOXEMHANG",
            "client_order_code": req.client_code,
            "cod_amount": req.cod_vnd,
            "note": req.note[:500],
            "return_phone": req.sender.phone,
            "return_address": req.sender.street,
            "items": [{"name": i.name[:200], "quantity": i.qty, "weight": max(i.grams, 1)} for i in req.items],
        }
        body.pop("cod_value")
        sender = self._sender_codes(creds, req)
        if sender is not None:
            body.update(return_district_id=sender.district_id, return_ward_code=sender.ward_code)
        data = self._post(creds, "/shiip/public-api/v2/shipping-order/create", body)
        code = data.get("order_code") if isinstance(data, dict) else None
        if not isinstance(code, str) or not code:
            raise CarrierError("GHN gave no order code", code="bad_answer")
        return Created(code, amount(data.get("total_fee")))

    def label(self, creds: Credentials, tracking_code: str) -> Label:
        return self.labels(creds, [tracking_code])

    def labels(self, creds: Credentials, tracking_codes: list[str]) -> Label:
        """One print page for all the codes: GHN's print token takes a list of order codes."""
        data = self._post(creds, "/shiip/public-api/v2/a5/gen-token", {"order_codes": list(tracking_codes)})
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise CarrierError("GHN gave no print token", code="bad_answer")
        return Label("text/uri-list", url=f"{self._base()}/a5/public-api/printA5?token={token}")

    def cancel(self, creds: Credentials, tracking_code: str) -> None:
        data = self._post(creds, "/shiip/public-api/v2/switch-status/cancel", {"order_codes": [tracking_code]})
        results = [r for r in data or [] if isinstance(r, dict) and r.get("order_code") == tracking_code]
        if not results or not results[0].get("result"):
            message = results[0].get("message") if results else "no result"
            raise CarrierError(f"GHN did not cancel: {message}"[:300], code="not_cancelled")

    def status(self, creds: Credentials, tracking_code: str) -> Tracking:
        data = self._post(creds, "/shiip/public-api/v2/shipping-order/detail", {"order_code": tracking_code})
        if not isinstance(data, dict) or data.get("order_code") != tracking_code:
            raise CarrierError("GHN detail is about another order", code="bad_answer")
        status = str(data.get("status") or "")
        stage = stage_of(status)
        if stage is None:
            raise CarrierError(f"unknown GHN status {status!r}", code="unknown_status")
        return Tracking(
            tracking_code,
            stage,
            status,
            event_id=f"detail:{tracking_code}:{status}",
            at=_time(data.get("updated_date")),
            cod_vnd=amount(data.get("cod_amount")),
            cod_remitted=bool(data.get("cod_transfer_date")),
        )

    def parse_webhook(self, body: bytes, content_type: str) -> Tracking:
        import json

        try:
            event = json.loads(body)
        except ValueError:
            raise BadWebhook("not JSON") from None
        if not isinstance(event, dict):
            raise BadWebhook("not an object")
        code, status = event.get("OrderCode"), event.get("Status")
        if not isinstance(code, str) or not code or len(code) > 60 or not isinstance(status, str):
            raise BadWebhook("no OrderCode or Status")
        stage = stage_of(status)
        if stage is None:
            raise BadWebhook(f"unknown status {status[:40]!r}")
        when = event.get("Time") if isinstance(event.get("Time"), str) else ""
        return Tracking(
            code,
            stage,
            status,
            event_id=f"{code}:{event.get('Type', '')}:{status}:{when}"[:255],
            at=_time(when),
            cod_vnd=amount(event.get("CODAmount")),
            cod_remitted=bool(event.get("CODTransferDate")),
            reason=str(event.get("Reason") or "")[:200],
            account=str(event.get("ShopID") or ""),
        )
