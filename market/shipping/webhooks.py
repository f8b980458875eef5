"""The carriers' calls that move an order (see ``shipments.apply_tracking`` for what each stage does).

* GHN (``POST /webhooks/carrier/ghn``) signs nothing and retries ten times: its JSON only says *which* parcel
  changed. We ask GHN's order-detail API with the shop's token and apply what the detail says (logging when
  the two disagree); when the detail call fails, or the detail is behind what the event claims, we answer 503
  and change nothing, so GHN tries again (a forged event is never sent again).
* GHTK (``POST /webhooks/carrier/ghtk/<secret>``) calls the URL the shop gave it; the secret in the URL is the
  shop's own (``CarrierAccount.webhook_secret``), compared in constant time; a wrong one is a 403 — also for a
  label we never made, so the answer never tells a caller without a secret which labels exist.
* A body that is not the carrier's shape is a 400; a parcel we never made is logged and answered 200 (so the
  carrier stops retrying; for GHTK only on a shop's own URL); every event goes through ``process_once`` (unique
  per carrier and event id), so a retry or a replay changes nothing twice.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import abort, jsonify, request

from market.domain import DomainError
from market.extensions import csrf, db
from market.shipping import bp
from market.shipping.carriers import get_carrier
from market.shipping.carriers.base import RANK, BadWebhook, CarrierError, Tracking

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024


def _answer(status: int, outcome: str):
    if status >= 400:
        db.session.rollback()
    return jsonify({"ok": status < 400, "outcome": outcome}), status


def _parse(carrier: str) -> Tracking:
    from market.shipping.shipments import enabled_carriers

    if carrier not in enabled_carriers():
        abort(404)
    if (request.content_length or 0) > MAX_BODY:
        abort(413)
    body = request.get_data(cache=True)[:MAX_BODY + 1]
    if not body and request.form:  # a form body someone already parsed (the stream is read once)
        body = urlencode(list(request.form.items(multi=True))).encode()
    try:
        return get_carrier(carrier).parse_webhook(body, request.content_type or "")
    except BadWebhook as err:
        log.warning("shipping: %s webhook refused: %s", carrier, err)
        abort(400)


def _apply(carrier: str, shipment_id: int, event: Tracking) -> str:
    from market.payments.webhooks import process_once
    from market.shipping.shipments import apply_tracking

    try:
        outcome = process_once(carrier, event.event_id, f"tracking.{event.stage}",
                               lambda row: apply_tracking(shipment_id, event))
        db.session.commit()
    except DomainError as err:  # the order changed under us: the carrier will call again
        db.session.rollback()
        log.warning("shipping: %s event %s not applied: %s", carrier, event.event_id, err.message)
        return "retry"
    log.info("shipping: %s %s → %s: %s", carrier, event.tracking_code, event.stage, outcome)
    return outcome


@bp.post("/webhooks/carrier/ghn")
@csrf.exempt
def ghn_webhook():
    from market.shipping.shipments import account_for, credentials, find_shipment

    hook = _parse("ghn")
    shipment = find_shipment("ghn", hook.tracking_code)
    if shipment is None:
        log.warning("shipping: ghn webhook for an unknown order code %s ignored", hook.tracking_code)
        return _answer(200, "unknown")
    account = account_for(shipment.seller_id, "ghn")
    if account is None:
        log.warning("shipping: ghn webhook for %s: the shop has disconnected GHN", hook.tracking_code)
        return _answer(200, "no_account")
    try:
        creds = credentials(account)
    except DomainError:
        return _answer(200, "no_account")
    shipment_id = shipment.id
    db.session.rollback()  # nothing held open while GHN answers
    try:
        detail = get_carrier("ghn").status(creds, hook.tracking_code)
    except CarrierError as err:
        log.warning("shipping: ghn detail of %s failed (%s): retry later", hook.tracking_code, err.message)
        return _answer(503, "detail_unavailable")
    if detail.stage != hook.stage:
        log.warning("shipping: ghn event for %s says %s (%s), the order detail says %s (%s): the detail decides",
                    hook.tracking_code, hook.stage, hook.carrier_status, detail.stage, detail.carrier_status)
        if RANK[detail.stage] < RANK[hook.stage]:  # GHN's detail lags (or the event is forged): not believed
            return _answer(503, "detail_disagrees")  # yet; GHN sends it again, a forger does not
    truth = Tracking(hook.tracking_code, detail.stage, detail.carrier_status, event_id=hook.event_id,
                     at=detail.at or hook.at, cod_vnd=detail.cod_vnd, cod_remitted=detail.cod_remitted,
                     reason=hook.reason)
    outcome = _apply("ghn", shipment_id, truth)
    return _answer(503 if outcome == "retry" else 200, outcome)


@bp.post("/webhooks/carrier/ghtk/<secret>")
@csrf.exempt
def ghtk_webhook(secret: str):
    from market.securitylog import security_event
    from market.shipping.shipments import find_shipment, secret_known, secret_matches

    hook = _parse("ghtk")
    shipment = find_shipment("ghtk", hook.tracking_code)
    # no shop's secret, or another shop's than the parcel's: refused before saying whether the label exists
    if not secret_known("ghtk", secret) or (shipment is not None and not secret_matches(shipment, secret)):
        security_event("webhook_bad_signature", provider="ghtk", label=hook.tracking_code)
        return _answer(403, "forbidden")
    if shipment is None:  # a parcel the shop made outside the app
        log.warning("shipping: ghtk webhook for an unknown label %s ignored", hook.tracking_code)
        return _answer(200, "unknown")
    outcome = _apply("ghtk", shipment.id, hook)
    return _answer(503 if outcome == "retry" else 200, outcome)
