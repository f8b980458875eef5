"""Provider webhooks: verify, refuse bad input with 4xx, handle each event once, log what is not handled.

``/webhooks/stripe`` and ``/webhooks/bank/<provider>`` are exempt from CSRF (no browser posts them); they are
authenticated by the provider's signature instead. Every event id goes into ``processed_events`` (unique per
provider) in the same transaction as its effect, so a redelivery, a replay or the same event sent five times
at once is handled exactly once: the others meet the unique constraint and answer "duplicate".
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import stripe
from flask import Response, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from market.domain import DomainError
from market.extensions import csrf, db
from market.payments import bp
from market.payments.models import Outcome, ProcessedEvent
from market.securitylog import security_event

log = logging.getLogger(__name__)


def process_once(provider: str, event_id: str, event_type: str, handler: Callable[[ProcessedEvent], str]) -> str:
    """Run ``handler(row)`` unless this event was processed before; returns its outcome (or "duplicate")."""
    try:
        with db.session.begin_nested():
            row = ProcessedEvent(provider=provider, event_id=event_id[:255], type=event_type[:80])
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return Outcome.DUPLICATE
    row.outcome = Outcome(handler(row))  # the handlers answer with Outcome members
    db.session.flush()
    return row.outcome


STRIPE_TOLERANCE_S = 300  # a signature older or newer than 5 minutes is refused (replays, skewed clocks)
MAX_DEPTH = 32  # Stripe's events nest a handful of levels


def _signed_at(header: str) -> int:
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return 0


def _event_object(text: str) -> dict[str, Any] | None:
    """The signed body as an event: a JSON object of bounded depth, else None (answered 400, not 500)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return None
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return data


def _refuse(status: int, code: str, message: str) -> tuple[Response, int]:
    db.session.rollback()
    return jsonify({"ok": False, "error": code, "message": message}), status


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook() -> Response | tuple[Response, int]:
    from market.payments.stripe.client import configured
    from market.payments.stripe.events import handle_event

    if not configured():
        return _refuse(404, "not_found", "Stripe is not configured")
    payload = request.get_data(cache=False)
    signature = request.headers.get("Stripe-Signature", "")
    if not signature.isascii():  # the library's compare_digest raises on other text
        security_event("webhook_bad_signature", provider="stripe")
        return _refuse(400, "bad_signature", "signature verification failed")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature, current_app.config["STRIPE_WEBHOOK_SECRET"], STRIPE_TOLERANCE_S
        )
        if _signed_at(signature) > time.time() + STRIPE_TOLERANCE_S:  # the library checks the past only
            raise stripe.SignatureVerificationError(  # type: ignore[no-untyped-call]  # stripe leaves its __init__ unannotated
                "timestamp in the future", signature, text
            )
    except stripe.SignatureVerificationError:
        security_event("webhook_bad_signature", provider="stripe")
        return _refuse(400, "bad_signature", "signature verification failed")
    except UnicodeDecodeError:
        return _refuse(400, "invalid", "not a Stripe event")
    data = _event_object(text)
    if data is None:
        return _refuse(400, "invalid", "not a Stripe event")
    event_id, event_type = data.get("id"), data.get("type")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not event_id:
        return _refuse(400, "invalid", "event without id or type")
    try:
        outcome = process_once("stripe", event_id, event_type, lambda row: handle_event(data, row))
        db.session.commit()
    except DomainError as err:  # e.g. the order changed under us: let Stripe deliver it again
        log.warning("stripe event %s not applied: %s", event_id, err.message)
        return _refuse(409, err.code, err.message)
    log.info("stripe event %s %s: %s", event_id, event_type, outcome)
    return jsonify({"ok": True, "outcome": outcome})


@bp.post("/webhooks/bank/<provider>")
@csrf.exempt
def bank_webhook(provider: str) -> Response | tuple[Response, int]:
    from market.payments.bankfeed import ADAPTERS, BadSignature, apply_transfer

    adapter_cls = ADAPTERS.get(provider)
    if adapter_cls is None or not adapter_cls().secret():
        return _refuse(404, "not_found", "no such bank feed")
    adapter = adapter_cls()
    try:
        transfer = adapter.parse(request)
    except BadSignature as err:
        security_event("webhook_bad_signature", provider=provider, reason=err.message)
        return _refuse(401, "bad_signature", "signature verification failed")
    except DomainError as err:
        return _refuse(400, "invalid", err.message)
    try:
        outcome = process_once(provider, transfer.transaction_id, "transfer", lambda row: apply_transfer(transfer, row))
        db.session.commit()
    except DomainError as err:
        log.warning("bank transfer %s not applied: %s", transfer.transaction_id, err.message)
        return _refuse(409, err.code, err.message)
    log.info("bank feed %s transfer %s: %s", provider, transfer.transaction_id, outcome)
    body, status = adapter.ok(outcome)
    return jsonify(body), status
