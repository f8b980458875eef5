"""The carriers' calls that move an order (see ``shipments.apply_tracking`` for what each stage does).

* GHN (``POST /webhooks/carrier/ghn``) signs nothing and retries ten times: its JSON only says *which* parcel
  changed. We ask GHN's order-detail API with the shop's token and apply what the detail says (logging when
  the two disagree); when the detail call fails, or the detail is behind what the event claims, we answer 503
  and change nothing, so GHN tries again (a forged event is never sent again).
* GHTK (``POST /webhooks/carrier/ghtk/<secret>``) calls the URL the shop gave it; the secret in the URL is the
  shop's own (``CarrierAccount.webhook_secret``), compared in constant time; a wrong one is a 403.
* A body that is not the carrier's shape is a 400; a parcel we never made is logged and answered 200 (so the
  carrier stops retrying); every event goes through ``process_once`` (unique per carrier and event id), so a
  retry or a replay changes nothing twice.
* Rate limits (``market.ratelimit``, shared storage): each address may call a carrier's webhook ``RATE_CALLS``;
  an address that sent ``RATE_BAD_SECRETS`` wrong GHTK secrets is refused (429) before its secret is compared;
  a GHN parcel's events make us ask GHN's detail at most ``RATE_GHN_DETAIL`` (an unsigned event must not turn
  us into a pump of calls to GHN). A limited call changes nothing and is a ``webhook_limited`` security-log
  line; the carriers retry later.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import abort, jsonify, request

from market.domain import DomainError
from market.extensions import csrf, db
from market.payments.models import Outcome
from market.shipping import bp
from market.shipping.carriers import get_carrier
from market.shipping.carriers.base import RANK, BadWebhook, CarrierError, Tracking

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
RATE_CALLS = "300/minute"  # per carrier and address: GHN and GHTK call from a few servers, a burst at a time
RATE_BAD_SECRETS = "10/hour"  # per address: wrong GHTK secrets before it is refused without comparing
RATE_GHN_DETAIL = "30/hour"  # per GHN parcel: about a dozen statuses, each retried while GHN's detail lags


def _limited(carrier: str, limit: str, *keys: str):
    """The 429 answer when ``keys`` went over ``limit`` (the hit is counted), else None."""
    from market import ratelimit
    from market.securitylog import security_event

    if ratelimit.hit(limit, *keys):
        return None
    security_event("webhook_limited", provider=carrier, limit=keys[0])
    return _answer(429, Outcome.RATE_LIMITED)


def _ip() -> str:
    return request.remote_addr or "?"


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
    body = request.get_data(cache=True)[: MAX_BODY + 1]
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
        outcome = process_once(
            carrier, event.event_id, f"tracking.{event.stage}", lambda row: apply_tracking(shipment_id, event)
        )
        db.session.commit()
    except DomainError as err:  # the order changed under us: the carrier will call again
        db.session.rollback()
        log.warning("shipping: %s event %s not applied: %s", carrier, event.event_id, err.message)
        return Outcome.RETRY
    log.info("shipping: %s %s → %s: %s", carrier, event.tracking_code, event.stage, outcome)
    return outcome


@bp.post("/webhooks/carrier/ghn")
@csrf.exempt
def ghn_webhook():
    from market.shipping.shipments import account_for, credentials, find_shipment

    too_many = _limited("ghn", RATE_CALLS, "carrier-hook", "ghn", _ip())
    if too_many:
        return too_many
    hook = _parse("ghn")
    shipment = find_shipment("ghn", hook.tracking_code)
    if shipment is None:
        log.warning("shipping: ghn webhook for an unknown order code %s ignored", hook.tracking_code)
        return _answer(200, Outcome.UNKNOWN)
    account = account_for(shipment.seller_id, "ghn")
    if account is None:
        log.warning("shipping: ghn webhook for %s: the shop has disconnected GHN", hook.tracking_code)
        return _answer(200, Outcome.NO_ACCOUNT)
    try:
        creds = credentials(account)
    except DomainError:
        return _answer(200, Outcome.NO_ACCOUNT)
    too_many = _limited("ghn", RATE_GHN_DETAIL, "carrier-ghn-detail", hook.tracking_code)
    if too_many:
        return too_many
    shipment_id = shipment.id
    db.session.rollback()  # nothing held open while GHN answers
    try:
        detail = get_carrier("ghn").status(creds, hook.tracking_code)
    except CarrierError as err:
        log.warning("shipping: ghn detail of %s failed (%s): retry later", hook.tracking_code, err.message)
        return _answer(503, Outcome.DETAIL_UNAVAILABLE)
    if detail.stage != hook.stage:
        log.warning(
            "shipping: ghn event for %s says %s (%s), the order detail says %s (%s): the detail decides",
            hook.tracking_code,
            hook.stage,
            hook.carrier_status,
            detail.stage,
            detail.carrier_status,
        )
        if RANK[detail.stage] < RANK[hook.stage]:  # GHN's detail lags (or the event is forged): not believed
            return _answer(503, Outcome.DETAIL_DISAGREES)  # yet; GHN sends it again, a forger does not
    truth = Tracking(
        hook.tracking_code,
        detail.stage,
        detail.carrier_status,
        event_id=hook.event_id,
        at=detail.at or hook.at,
        cod_vnd=detail.cod_vnd,
        cod_remitted=detail.cod_remitted,
        reason=hook.reason,
    )
    outcome = _apply("ghn", shipment_id, truth)
    return _answer(503 if outcome == Outcome.RETRY else 200, outcome)


@bp.post("/webhooks/carrier/ghtk/<secret>")
@csrf.exempt
def ghtk_webhook(secret: str):
    from market import ratelimit
    from market.securitylog import security_event
    from market.shipping.shipments import find_shipment, secret_known, secret_matches

    ip = _ip()
    if not ratelimit.allowed(RATE_BAD_SECRETS, "carrier-bad-secret", ip):
        security_event("webhook_limited", provider="ghtk", limit="carrier-bad-secret")
        return _answer(429, Outcome.RATE_LIMITED)
    too_many = _limited("ghtk", RATE_CALLS, "carrier-hook", "ghtk", ip)
    if too_many:
        return too_many
    hook = _parse("ghtk")
    shipment = find_shipment("ghtk", hook.tracking_code)
    if not (secret_matches(shipment, secret) if shipment is not None else secret_known("ghtk", secret)):
        ratelimit.hit(RATE_BAD_SECRETS, "carrier-bad-secret", ip)
        security_event("webhook_bad_signature", provider="ghtk", label=hook.tracking_code)
        return _answer(403, Outcome.FORBIDDEN)
    if shipment is None:
        log.warning("shipping: ghtk webhook for an unknown label %s ignored", hook.tracking_code)
        return _answer(200, Outcome.UNKNOWN)
    outcome = _apply("ghtk", shipment.id, hook)
    return _answer(503 if outcome == Outcome.RETRY else 200, outcome)
