"""Card payment through Stripe Checkout (the official library), offered only when the keys are configured.

- A Checkout Session per attempt, in VND (zero-decimal: 79.000 ₫ is ``unit_amount=79000``), created with the
  deterministic idempotency key ``chophien-checkout-<order id>-<attempt>``; it expires with the order's hold
  (Stripe wants 30 minutes to 24 hours, so a shorter hold is stretched to 31 minutes when the session starts).
- The webhook (``webhooks.py``) verifies each event with ``stripe.Webhook.construct_event`` (default tolerance)
  and hands it here once (the processed-event log); handlers lock the order row, check amount and currency,
  and are written for any order of arrival: a refund may come before the completion it refunds.
- A paid order that is cancelled, or returned (its parcel refused and back at the shop), is refunded through the
  API after that move commits (``execute_refund``, retried by ``flask retry-refunds``) and ends refunded;
  ``charge.refunded`` then finds the work done.
No call to Stripe is made inside a database transaction: the caller commits first (SQLite holds its write lock
for a whole transaction).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import stripe
from flask import current_app, url_for
from flask_babel import gettext as _

from market.database import on_commit, utcnow
from market.domain import DomainError
from market.extensions import db
from market.orders.models import Order
from market.orders.service import get_order_for, transition
from market.orders.states import Actor, OrderStatus, PaymentFlag, WeightStatus
from market.orders.weights import max_total
from market.payments.base import PaymentMethod
from market.payments.models import Outcome, Payment, PaymentStatus, ProcessedEvent, RefundStatus

log = logging.getLogger(__name__)

SESSION_MIN = timedelta(minutes=31)  # Stripe refuses an expiry sooner than 30 minutes
SESSION_MAX = timedelta(hours=23)
HOLD_GRACE = timedelta(minutes=5)  # the completion webhook may arrive a little after the session closes


def configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY") and current_app.config.get("STRIPE_WEBHOOK_SECRET"))


def client() -> stripe.StripeClient:
    config = current_app.config
    key = (config["STRIPE_SECRET_KEY"], config.get("STRIPE_API_BASE"))
    cached = current_app.extensions.get("stripe_client")
    if cached is None or cached[0] != key:
        base = {"api": config["STRIPE_API_BASE"]} if config.get("STRIPE_API_BASE") else None
        cached = (key, stripe.StripeClient(
            config["STRIPE_SECRET_KEY"], base_addresses=base,
            max_network_retries=config.get("STRIPE_MAX_NETWORK_RETRIES", 2),
            http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT", 20)),
        ))
        current_app.extensions["stripe_client"] = cached
    return cached[1]


class StripeCheckout(PaymentMethod):
    name = "stripe"
    refund_mode = "api"
    seller_records_payment = False

    def label(self) -> str:
        return _("Card (Stripe)")

    def hint(self) -> str:
        return _("Visa, Mastercard, JCB: you pay on Stripe's secure page.")

    def available(self, settings) -> bool:
        return configured()

    def panel(self, order, settings, payment, roles) -> dict:
        from market.orders.weights import max_total
        from market.payments.service import card_hold

        manual = order.weight_status == WeightStatus.ESTIMATE
        return {"can_start": Actor.BUYER in roles and order.status == OrderStatus.PENDING and not order.paid_at
                and configured() and order.weight_status != WeightStatus.TO_ACCEPT,
                "open": payment is not None and payment.method == self.name and payment.status == PaymentStatus.PENDING
                and bool(payment.provider_ref),
                "manual": manual, "max": max_total(order) if manual else order.total_vnd,
                "hold": card_hold(order.id)}


# ---- starting a payment ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckoutRequest:
    """Everything needed to create the session, as plain values (no ORM object crosses the network call)."""

    order_id: int
    order_code: str
    payment_id: int
    attempt: int
    amount_vnd: int
    lines: tuple[tuple[str, int, int], ...]  # (name, unit price in đồng, quantity)
    expires_at: datetime
    locale: str
    success_url: str
    cancel_url: str
    url: str | None = None  # an open session to send the buyer back to
    manual_capture: bool = False  # sold by weight: authorise the most it may cost, capture the weighed amount

    @property
    def idempotency_key(self) -> str:
        return f"chophien-checkout-{self.order_id}-{self.attempt}"


def prepare_checkout(order_id: int, user) -> CheckoutRequest:
    """Check the buyer may pay this order by card now; reuse the open session or open a new attempt.
    Flushes; the caller commits before ``create_session``."""
    from market.payments.service import lock_order, payments_of

    if not configured():
        raise DomainError("invalid", _("Card payment is not available."))
    order = get_order_for(order_id, user)
    if order.buyer_id != user.id:
        raise DomainError("not_found", _("This order does not exist."), status=404)
    order = lock_order(order.id)
    if order.status != OrderStatus.PENDING or order.paid_at:
        raise DomainError("invalid", _("This order is not waiting for payment."), status=409)
    if not order.has_address:
        raise DomainError("invalid", _("Enter the delivery address first."))
    if order.weight_status == WeightStatus.TO_ACCEPT:
        raise DomainError("invalid", _("Answer the weighed amount first."), status=409)
    manual = order.weight_status == WeightStatus.ESTIMATE
    amount = max_total(order) if manual else order.total_vnd
    now = utcnow()
    payment = None
    for p in payments_of(order.id):
        if p.method == StripeCheckout.name and p.status == PaymentStatus.PENDING:
            if p.amount_vnd != amount or bool(p.manual_capture) != manual:  # the amount changed (weighed) since
                p.status = PaymentStatus.EXPIRED
                continue
            if p.provider_ref and p.checkout_url and p.expires_at and p.expires_at > now + timedelta(minutes=1):
                return _request(order, p, p.expires_at, url=p.checkout_url)
            if not p.provider_ref and p.expires_at and p.expires_at > now + timedelta(minutes=1):
                payment = p  # a session we may have created without hearing back: same key, same session
            else:
                p.status = PaymentStatus.EXPIRED
    from market.payments.service import close_pending_attempts, new_attempt

    close_pending_attempts(order, keep_method=StripeCheckout.name)
    order.payment_method = StripeCheckout.name
    expires = min(max(order.hold_expires_at or now, now + SESSION_MIN), now + SESSION_MAX)
    if payment is None:
        payment = new_attempt(order, StripeCheckout.name, expires_at=expires, manual_capture=manual)
        payment.amount_vnd = amount
    # Retrying an attempt keeps its expiry: the request is then the very same one, which Stripe answers with the
    # session it made the first time (it refuses a key sent again with other parameters).
    order.hold_expires_at = payment.expires_at + HOLD_GRACE
    db.session.flush()
    return _request(order, payment, payment.expires_at)


def _line(item, manual: bool) -> tuple[str, int, int]:
    """One Checkout line; sold by weight and not weighed yet, at the most one unit may cost (the hold)."""
    from market.i18n import format_kg
    from market.orders.units import unit_label
    from market.orders.weights import max_unit_price

    if manual and item.by_weight:
        name = _("%(title)s (%(unit)s, ~%(kg)s, up to +%(pct)d%% by weight)", title=item.title,
                 unit=unit_label(item.unit),
                 kg=format_kg(item.est_weight_g), pct=item.weight_tolerance_pct)
        return name, int(max_unit_price(item)), int(item.qty)
    if item.by_weight:
        return f"{item.title} ({format_kg(item.packed_weight_g)})", int(item.line_total_vnd), 1
    return f"{item.title} ({unit_label(item.unit)})", int(item.unit_price_vnd), int(item.qty)


def _request(order: Order, payment: Payment, expires_at: datetime, url: str | None = None) -> CheckoutRequest:
    site = current_app.config["SITE_URL"]
    manual = bool(payment.manual_capture)
    return CheckoutRequest(
        order_id=order.id, order_code=order.code, payment_id=payment.id, attempt=payment.attempt,
        amount_vnd=payment.amount_vnd, manual_capture=manual,
        lines=tuple(_line(i, manual) for i in order.items)
        + (((_("Shipping"), int(order.shipping_vnd), 1),) if order.shipping_vnd else ()),
        expires_at=expires_at, locale="en" if (order.buyer.locale or "vi") == "en" else "vi",
        success_url=site + url_for("payments.stripe_return", order_id=order.id) + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=site + url_for("payments.stripe_cancelled", order_id=order.id), url=url)


def session_params(req: CheckoutRequest) -> dict:
    metadata = {"order_id": str(req.order_id), "payment_id": str(req.payment_id), "order_code": req.order_code}
    return {
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "vnd", "unit_amount": price, "product_data": {"name": name[:250]}},
                        "quantity": qty} for name, price, qty in req.lines],
        "client_reference_id": req.order_code,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": f"Chợ Phiên {req.order_code}",
                                **({"capture_method": "manual"} if req.manual_capture else {})},
        "expires_at": int(req.expires_at.timestamp()),
        "locale": req.locale,
        "success_url": req.success_url,
        "cancel_url": req.cancel_url,
    }


def create_session(req: CheckoutRequest) -> dict:
    """Ask Stripe for the Checkout Session (network; call with no transaction open)."""
    session = client().v1.checkout.sessions.create(session_params(req), {"idempotency_key": req.idempotency_key})
    return session.to_dict()


def save_session(payment_id: int, session: dict) -> str:
    from market.payments.service import reload_payment

    payment = reload_payment(payment_id)
    if payment.provider_ref is None:
        payment.provider_ref = session["id"]
    payment.checkout_url = session.get("url")
    db.session.flush()
    return payment.checkout_url


def outcome_unknown(error: Exception) -> bool:
    """No answer (a timeout, a dropped connection) or the same request still running at Stripe: the session may
    exist. Only the same idempotency key may ask again, never a new attempt, or the buyer could pay twice."""
    return (isinstance(error, (stripe.APIConnectionError, stripe.IdempotencyError))
            or getattr(error, "http_status", None) == 409)  # "another in-progress request using this key"


def session_failed(payment_id: int, error: Exception) -> None:
    """Stripe refused: the attempt failed and the next press opens another. Stripe did not answer: the attempt
    stays open, and the next press sends the same request (same key), which finds the first session."""
    from market.payments.service import reload_payment

    payment = reload_payment(payment_id)
    if payment.status == PaymentStatus.PENDING and payment.provider_ref is None:
        if not outcome_unknown(error):
            payment.status = PaymentStatus.FAILED
        payment.note = str(error)[:500]
    db.session.flush()


def retrieve_session(session_id: str) -> dict:
    return client().v1.checkout.sessions.retrieve(session_id).to_dict()


def expire_session(session_id: str) -> None:
    """Close a session whose order closed (best effort: it may have expired or completed meanwhile)."""
    try:
        client().v1.checkout.sessions.expire(session_id)
    except stripe.StripeError as exc:
        log.info("stripe session %s not expired: %s", session_id, exc.__class__.__name__)


# ---- events (from the webhook, or a session read back on the return page) ---------------------------------

def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _find_payment(session_id: str | None, payment_intent: str | None, metadata: dict | None) -> Payment | None:
    """Our payment for a Stripe object: by session id, payment intent, or our own metadata (checked)."""
    query = sa.select(Payment).where(Payment.method == StripeCheckout.name)
    if session_id:
        found = db.session.scalar(query.where(Payment.provider_ref == session_id))
        if found:
            return found
    if payment_intent:
        found = db.session.scalar(query.where(Payment.provider_payment_ref == payment_intent))
        if found:
            return found
    metadata = metadata if isinstance(metadata, dict) else {}
    payment_id, order_id = _int(metadata.get("payment_id")), _int(metadata.get("order_id"))
    if payment_id is None or order_id is None:
        return None
    found = db.session.get(Payment, payment_id)
    if found is None or found.method != StripeCheckout.name or found.order_id != order_id:
        return None
    if session_id and found.provider_ref not in (None, session_id):
        return None
    return found


def on_session_completed(session: dict, event: ProcessedEvent | None = None) -> str:
    from market.payments.service import lock_order, record_paid, reload_payment

    payment = _find_payment(session.get("id"), None, session.get("metadata"))
    if payment is None:
        log.warning("stripe: completed session %s matches no payment", session.get("id"))
        return Outcome.UNKNOWN
    order = lock_order(payment.order_id)
    payment = reload_payment(payment.id)
    if payment.provider_ref is None:
        payment.provider_ref = session.get("id")
    intent = session.get("payment_intent") if isinstance(session.get("payment_intent"), str) else None
    if payment.manual_capture:  # a hold: the session completes "unpaid" until the weighed amount is captured
        if session.get("status") != "complete" or not intent:
            return Outcome.NOT_AUTHORISED
        if event is not None:
            event.ref = intent
        return _authorised(order, payment, intent, session.get("amount_total"), session.get("currency"))
    if session.get("payment_status") != "paid":
        return Outcome.NOT_PAID
    if intent and not payment.provider_payment_ref:
        payment.provider_payment_ref = intent
    if event is not None:
        event.ref = intent
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.MISMATCH):
        return Outcome.ALREADY
    amount, currency = session.get("amount_total"), str(session.get("currency") or "").lower()
    payment.received_vnd = amount if isinstance(amount, int) and not isinstance(amount, bool) else None
    parked = _parked_refund(intent)
    if parked is not None:  # the refund arrived first: the money is already back with the buyer
        parked.outcome = Outcome.APPLIED
        _paid_then_refunded(order, payment, payment.received_vnd, currency)
        return Outcome.REFUNDED_BEFORE
    if order.paid_at is not None or order.status != OrderStatus.PENDING:
        # paid twice, or paid after the order expired or was cancelled: give this payment back
        payment.status = PaymentStatus.SUCCEEDED
        payment.paid_at = utcnow()
        order.payment_flag = PaymentFlag.DOUBLE_PAYMENT if order.paid_at else PaymentFlag.PAID_AFTER_CLOSE
        request_refund(payment)
        return Outcome.REFUNDING
    if currency != "vnd" or payment.received_vnd != payment.amount_vnd or payment.amount_vnd != order.total_vnd:
        payment.status = PaymentStatus.MISMATCH
        payment.note = f"received {amount!r} {currency!r}, expected {order.total_vnd} vnd"[:500]
        order.payment_flag = PaymentFlag.AMOUNT_MISMATCH
        db.session.flush()
        log.warning("stripe: order %s paid %r %r instead of %s VND", order.code, amount, currency, order.total_vnd)
        return Outcome.MISMATCH
    record_paid(order, payment, actor=None, role=Actor.SYSTEM, reason=_("Paid by card (Stripe)"),
                received_vnd=payment.received_vnd)
    return Outcome.PAID


def _parked_refund(intent: str | None) -> ProcessedEvent | None:
    if not intent:
        return None
    return db.session.scalar(sa.select(ProcessedEvent).where(
        ProcessedEvent.provider == "stripe", ProcessedEvent.type == "charge.refunded", ProcessedEvent.ref == intent,
        ProcessedEvent.outcome == Outcome.PARKED))


def _paid_then_refunded(order: Order, payment: Payment, amount, currency) -> None:
    """The refund arrived before the completion: the money came and went back. End where the two events end in
    their usual order (paid, then refunded: the order closed as refunded, its stock back, the buyer told),
    instead of leaving the order pending, holding stock nobody will pay for until the hold lapses."""
    from market.payments.service import record_paid

    amount = amount if isinstance(amount, int) and not isinstance(amount, bool) else None
    fits = (order.status == OrderStatus.PENDING and order.paid_at is None and str(currency or "").lower() == "vnd"
            and amount == payment.amount_vnd == order.total_vnd)
    if fits:
        record_paid(order, payment, actor=None, role=Actor.SYSTEM, reason=_("Paid by card (Stripe)"),
                    received_vnd=amount)
    payment.status = PaymentStatus.REFUNDED
    payment.refund_status = RefundStatus.DONE
    payment.refunded_vnd = max(payment.refunded_vnd or 0, amount or 0)
    db.session.flush()
    if fits:
        _close_refunded_order(order, _("The card payment was refunded"))


def on_session_expired(session: dict, event: ProcessedEvent | None = None) -> str:
    """The buyer left Stripe's page until it closed: the attempt ends, and so does the order's hold, at once
    (the buyer is told it was not paid in time; the stock is back on sale) unless another way to pay is open."""
    from market.payments.service import lock_order, payments_of, reload_payment

    payment = _find_payment(session.get("id"), None, session.get("metadata"))
    if payment is None:
        return Outcome.UNKNOWN
    order = lock_order(payment.order_id)
    payment = reload_payment(payment.id)
    if payment.status != PaymentStatus.PENDING:
        return Outcome.ALREADY
    payment.status = PaymentStatus.EXPIRED
    db.session.flush()
    other_open = any(p.status == PaymentStatus.PENDING for p in payments_of(order.id))
    if order.status == OrderStatus.PENDING and order.paid_at is None and not other_open:
        transition(order, OrderStatus.EXPIRED, actor=None, role=Actor.SYSTEM,
                   reason=_("The card payment page closed before the payment was made"))
        return Outcome.RELEASED
    return Outcome.EXPIRED


def on_charge_refunded(charge: dict, event: ProcessedEvent | None = None) -> str:
    from market.payments.service import lock_order, reload_payment

    intent = charge.get("payment_intent") if isinstance(charge.get("payment_intent"), str) else None
    if event is not None:
        event.ref = intent
    payment = _find_payment(None, intent, charge.get("metadata"))
    if payment is None:  # the completion has not arrived yet: it will find this refund (see _parked_refund)
        return Outcome.PARKED
    order = lock_order(payment.order_id)
    payment = reload_payment(payment.id)
    if intent and not payment.provider_payment_ref:
        payment.provider_payment_ref = intent
    refunded = _int(charge.get("amount_refunded")) or 0
    charged = _int(charge.get("amount")) or 0
    payment.refunded_vnd = max(payment.refunded_vnd or 0, refunded)
    if not (charge.get("refunded") is True or (charged and refunded >= charged)):
        order.payment_flag = PaymentFlag.PARTIAL_REFUND
        return Outcome.PARTIAL
    if payment.status == PaymentStatus.REFUNDED:
        return Outcome.ALREADY
    was_paid = payment.status == PaymentStatus.SUCCEEDED
    payment.status = PaymentStatus.REFUNDED
    payment.refund_status = RefundStatus.DONE
    db.session.flush()
    if not was_paid:
        _paid_then_refunded(order, payment, charged, charge.get("currency"))
        return Outcome.REFUNDED_BEFORE_COMPLETION
    _close_refunded_order(order, _("The card payment was refunded"))
    return Outcome.REFUNDED


def _close_refunded_order(order: Order, reason: str) -> None:
    """A refunded card payment: the order moves to refunded where the table allows, else is flagged."""
    from market.payments.service import unrefunded_paid

    if order.paid_at is None or unrefunded_paid(order.id) is not None:
        return  # not the money that paid this order (a double or late payment given back)
    if order.status == OrderStatus.CONFIRMED:
        transition(order, OrderStatus.CANCELLED, actor=None, role=Actor.SYSTEM, reason=reason)
    if order.status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):  # a refused parcel back at the shop too
        transition(order, OrderStatus.REFUNDED, actor=None, role=Actor.SYSTEM, reason=reason)
        if order.payment_flag in (PaymentFlag.REFUND_FAILED, PaymentFlag.REFUND_DUE):
            order.payment_flag = None
    elif order.status in (OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        order.payment_flag = PaymentFlag.REFUNDED_OUTSIDE


# ---- card holds for orders sold by weight (manual capture) -------------------------------------------------

def _authorised(order: Order, payment: Payment, intent: str, amount, currency) -> str:
    """The card is held for ``amount``: check it is what we asked for, confirm the order (not paid yet)."""
    from market.orders.notify import card_authorised

    if intent and not payment.provider_payment_ref:
        payment.provider_payment_ref = intent
    if payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.SUCCEEDED, PaymentStatus.RELEASED):
        return Outcome.ALREADY
    amount = amount if isinstance(amount, int) and not isinstance(amount, bool) else None
    if str(currency or "").lower() != "vnd" or amount != payment.amount_vnd:
        payment.status = PaymentStatus.MISMATCH
        payment.note = f"held {amount!r} {currency!r}, expected {payment.amount_vnd} vnd"[:500]
        order.payment_flag = PaymentFlag.AMOUNT_MISMATCH
        payment.capture_vnd = 0
        _settle_after_commit(payment)  # give the wrong hold back
        return Outcome.MISMATCH
    payment.status = PaymentStatus.AUTHORIZED
    if order.status != OrderStatus.PENDING or order.paid_at is not None:  # closed or paid meanwhile: let it go
        payment.capture_vnd = 0
        _settle_after_commit(payment)
        return Outcome.RELEASED
    from market.payments.service import close_pending_attempts

    order.payment_method = payment.method
    close_pending_attempts(order, keep_method=payment.method)
    db.session.flush()
    transition(order, OrderStatus.CONFIRMED, actor=None, role=Actor.SYSTEM,
               reason=_("Card authorised for up to %(max)s; the weighed amount is charged at packing",
                        max=_vnd(payment.amount_vnd)))
    card_authorised(order, payment.amount_vnd)
    return Outcome.AUTHORISED


def _vnd(amount: int) -> str:
    from market.i18n import vnd

    return vnd(amount)


def _card_hold_of(intent: dict, event: ProcessedEvent | None):
    """(order locked, card-hold payment, intent id) a PaymentIntent event is about, or None when it is not one of
    ours or not a manual-capture hold."""
    from market.payments.service import lock_order, reload_payment

    intent_id = intent.get("id") if isinstance(intent.get("id"), str) else None
    if event is not None:
        event.ref = intent_id
    payment = _find_payment(None, intent_id, intent.get("metadata"))
    if payment is None or not payment.manual_capture:
        return None
    return lock_order(payment.order_id), reload_payment(payment.id), intent_id


def on_intent_capturable(intent: dict, event: ProcessedEvent | None = None) -> str:
    """``payment_intent.amount_capturable_updated``: the hold is in place (whichever of this and the session's
    completion arrives first confirms the order; the other finds it done)."""
    held = _card_hold_of(intent, event)
    if held is None:
        return Outcome.UNKNOWN
    order, payment, intent_id = held
    if intent.get("status") != "requires_capture":
        return Outcome.NOT_AUTHORISED
    return _authorised(order, payment, intent_id, intent.get("amount_capturable"), intent.get("currency"))


def on_intent_canceled(intent: dict, event: ProcessedEvent | None = None) -> str:
    """``payment_intent.canceled``: we released the hold, or it lapsed (7 days) before the weighed amount was
    captured; in that case the seller is told to ask for another way to pay."""
    held = _card_hold_of(intent, event)
    if held is None:
        return Outcome.UNKNOWN
    order, payment, _intent_id = held
    if payment.status != PaymentStatus.AUTHORIZED:
        return Outcome.ALREADY
    payment.status = PaymentStatus.RELEASED
    if payment.capture_vnd != 0 and order.status not in (OrderStatus.CANCELLED, OrderStatus.EXPIRED,
                                                         OrderStatus.REFUNDED):
        order.payment_flag = PaymentFlag.HOLD_LAPSED
    db.session.flush()
    return Outcome.RELEASED


def request_capture(payment: Payment, amount_vnd: int) -> None:
    """Charge ``amount_vnd`` (the weighed total, at most the hold) once this transaction commits."""
    payment.capture_vnd = int(amount_vnd)
    _settle_after_commit(payment)


def request_release(payment: Payment) -> None:
    """Give the hold back without charging once this transaction commits (the order was cancelled)."""
    payment.capture_vnd = 0
    _settle_after_commit(payment)


def _settle_after_commit(payment: Payment) -> None:
    from market.tasks import defer

    db.session.flush()
    payment_id = payment.id
    on_commit(lambda: defer(execute_settle, payment_id))


def execute_settle(payment_id: int) -> str:
    """Capture (``capture_vnd`` > 0) or release (0) a card hold through the API, then record the result.
    Idempotent per payment and action; like refunds it commits around the network call, and a failure stays
    asked for, so ``flask retry-refunds`` tries again."""
    from market.payments.service import lock_order, reload_payment

    payment = db.session.get(Payment, payment_id)
    if (payment is None or payment.capture_vnd is None or not payment.provider_payment_ref
            or payment.status not in (PaymentStatus.AUTHORIZED, PaymentStatus.MISMATCH)):
        db.session.rollback()
        return Outcome.NOTHING
    order = db.session.get(Order, payment.order_id)
    amount, intent = int(payment.capture_vnd), payment.provider_payment_ref
    if payment.status == PaymentStatus.MISMATCH or order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED,
                                                                    OrderStatus.REFUNDED):
        amount = 0  # a wrong hold, or cancelled while the capture waited: release instead
    db.session.commit()  # no transaction open while we wait for Stripe
    try:
        if amount:
            result = client().v1.payment_intents.capture(
                intent, {"amount_to_capture": amount}, {"idempotency_key": f"chophien-capture-{payment_id}"})
        else:
            result = client().v1.payment_intents.cancel(
                intent, {"cancellation_reason": "requested_by_customer"},
                {"idempotency_key": f"chophien-release-{payment_id}"})
    except stripe.StripeError as exc:
        log.warning("stripe %s of payment %s failed: %s", "capture" if amount else "release", payment_id, exc)
        order = lock_order(payment.order_id)
        payment = reload_payment(payment_id)
        payment.note = str(exc)[:500]
        if amount:
            order.payment_flag = PaymentFlag.CAPTURE_FAILED
        db.session.commit()
        return Outcome.FAILED
    order = lock_order(payment.order_id)
    payment = reload_payment(payment_id)
    outcome = _record_settled(order, payment, amount, getattr(result, "status", None),
                              getattr(result, "amount_received", None))
    db.session.commit()
    return outcome


def _record_settled(order: Order, payment: Payment, amount: int, status: str | None, received) -> str:
    from market.orders.notify import card_charged
    from market.payments.service import record_paid

    if not amount and payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.MISMATCH):
        if payment.status == PaymentStatus.AUTHORIZED:
            payment.status = PaymentStatus.RELEASED
        payment.capture_vnd = None if payment.status == PaymentStatus.MISMATCH else 0
        db.session.flush()
        return Outcome.RELEASED
    if payment.status != PaymentStatus.AUTHORIZED:
        return Outcome.ALREADY
    if status != "succeeded":
        payment.note = f"capture answered {status!r}"[:500]
        order.payment_flag = PaymentFlag.CAPTURE_FAILED
        db.session.flush()
        return Outcome.FAILED
    received = received if isinstance(received, int) and not isinstance(received, bool) else amount
    if order.payment_flag == PaymentFlag.CAPTURE_FAILED:
        order.payment_flag = None
    if order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):  # cancelled after the capture left
        payment.status = PaymentStatus.SUCCEEDED
        payment.received_vnd = received
        payment.paid_at = utcnow()
        order.paid_at = order.paid_at or utcnow()
        request_refund(payment)
        return Outcome.REFUNDING
    record_paid(order, payment, actor=None, role=Actor.SYSTEM, reason=_("Weighed amount charged to the card"),
                received_vnd=received)
    card_charged(order, received)
    return Outcome.CAPTURED


def retry_holds(limit: int = 100) -> int:
    """Captures and releases asked for but not confirmed (Stripe was down, the process died)."""
    ids = list(db.session.scalars(sa.select(Payment.id).where(
        Payment.status.in_((PaymentStatus.AUTHORIZED, PaymentStatus.MISMATCH)), Payment.manual_capture.is_(True),
        Payment.capture_vnd.is_not(None))
                                  .order_by(Payment.id).limit(limit)))
    db.session.commit()
    return sum(1 for payment_id in ids if execute_settle(payment_id) in ("captured", "released", "refunding"))


HANDLERS = {
    "checkout.session.completed": on_session_completed,
    "checkout.session.async_payment_succeeded": on_session_completed,
    "checkout.session.expired": on_session_expired,
    "charge.refunded": on_charge_refunded,
    "payment_intent.amount_capturable_updated": on_intent_capturable,
    "payment_intent.canceled": on_intent_canceled,
}


def handle_event(event: dict, row: ProcessedEvent | None = None) -> str:
    handler = HANDLERS.get(event.get("type"))
    body = event.get("data")
    obj = body.get("object") if isinstance(body, dict) else None
    if handler is None or not isinstance(obj, dict):
        log.info("stripe event %s (%s) not handled", event.get("id"), event.get("type"))
        return Outcome.IGNORED
    return handler(obj, row)


# ---- refunds -----------------------------------------------------------------------------------------------

def request_refund(payment: Payment) -> None:
    """Ask Stripe to give ``payment`` back once this transaction commits."""
    from market.tasks import defer

    payment.refund_status = RefundStatus.REQUESTED
    db.session.flush()
    payment_id = payment.id
    on_commit(lambda: defer(execute_refund, payment_id))


def execute_refund(payment_id: int) -> str:
    """Refund through the API (idempotent per payment), then record it. Runs outside any request transaction
    and commits: first to close the read before waiting for Stripe, then to keep the result."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.refund_status != RefundStatus.REQUESTED:
        db.session.rollback()
        return Outcome.NOTHING
    intent, amount, order_id = payment.provider_payment_ref, payment.received_vnd or payment.amount_vnd, \
        payment.order_id
    db.session.commit()  # no transaction open while we wait for Stripe
    if not intent:
        outcome = refund_failed(payment_id, "no payment intent to refund")
    else:
        try:
            refund = client().v1.refunds.create(
                {"payment_intent": intent, "amount": amount,
                 "metadata": {"order_id": str(order_id), "payment_id": str(payment_id)}},
                {"idempotency_key": f"chophien-refund-{payment_id}"})
        except stripe.StripeError as exc:
            log.warning("stripe refund of payment %s failed: %s", payment_id, exc)
            outcome = refund_failed(payment_id, str(exc))
        else:
            outcome = finish_refund(payment_id, refund.id, getattr(refund, "status", None))
    db.session.commit()
    return outcome


def refund_failed(payment_id: int, why: str) -> str:
    """The refund could not be made: flag the order; the payment stays "requested" for the next retry."""
    from market.payments.service import lock_order, reload_payment

    payment = db.session.get(Payment, payment_id)
    order = lock_order(payment.order_id)
    payment = reload_payment(payment_id)
    payment.note = why[:500]
    order.payment_flag = PaymentFlag.REFUND_FAILED
    db.session.flush()
    return Outcome.FAILED


def finish_refund(payment_id: int, refund_id: str, status: str | None) -> str:
    """Stripe accepted the refund (``status`` succeeded or pending): record it and close the order. Flushes."""
    from market.payments.service import lock_order, reload_payment

    if status in ("failed", "canceled"):
        return refund_failed(payment_id, f"refund {refund_id} {status}")
    payment = db.session.get(Payment, payment_id)
    order = lock_order(payment.order_id)
    payment = reload_payment(payment_id)
    payment.refund_ref = refund_id
    if payment.status != PaymentStatus.REFUNDED:
        payment.status = PaymentStatus.REFUNDED
        payment.refund_status = RefundStatus.DONE
        payment.refunded_vnd = payment.received_vnd or payment.amount_vnd
        db.session.flush()
        _close_refunded_order(order, _("Refunded to the card"))
    if order.payment_flag in (PaymentFlag.REFUND_FAILED, PaymentFlag.PAID_AFTER_CLOSE, PaymentFlag.DOUBLE_PAYMENT):
        order.payment_flag = None
    db.session.flush()
    return Outcome.REFUNDED


def retry_refunds(limit: int = 100) -> int:
    """Refunds asked for but not confirmed (Stripe was down, the process died): try them again."""
    ids = list(db.session.scalars(sa.select(Payment.id).where(Payment.refund_status == RefundStatus.REQUESTED)
                                  .order_by(Payment.id).limit(limit)))
    db.session.commit()
    done = 0
    for payment_id in ids:
        if execute_refund(payment_id) == "refunded":
            done += 1
    return done
