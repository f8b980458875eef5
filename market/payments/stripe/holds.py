"""Card holds of orders sold by weight (manual capture): the buyer authorises the most the weight tolerance
allows, weighing captures the weighed amount, cancelling releases the hold. Capture and release run after the
commit, through the API (idempotent per payment and action), and are retried by ``flask retry-refunds``."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
import stripe
from flask_babel import gettext as _

from market.database import on_commit, utcnow
from market.extensions import db
from market.i18n import vnd
from market.orders.models import Order
from market.orders.notify import card_authorised, card_charged
from market.orders.service import transition
from market.orders.states import Actor, OrderStatus, PaymentFlag
from market.payments.models import Outcome, Payment, PaymentStatus, ProcessedEvent
from market.payments.service import close_pending_attempts, lock_order, record_paid, reload_payment
from market.payments.stripe.checkout import find_payment
from market.payments.stripe.client import client
from market.payments.stripe.refunds import request_refund
from market.tasks import defer

log = logging.getLogger(__name__)


def authorised(order: Order, payment: Payment, intent: str | None, amount: object, currency: object) -> str:
    """The card is held for ``amount``: check it is what we asked for, confirm the order (not paid yet)."""
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
    order.payment_method = payment.method
    close_pending_attempts(order, keep_method=payment.method)
    db.session.flush()
    transition(
        order,
        OrderStatus.CONFIRMED,
        actor=None,
        role=Actor.SYSTEM,
        reason=_(
            "Card authorised for up to %(max)s; the weighed amount is charged at packing", max=vnd(payment.amount_vnd)
        ),
    )
    card_authorised(order, payment.amount_vnd)
    return Outcome.AUTHORISED


def _card_hold_of(intent: dict[str, Any], event: ProcessedEvent | None) -> tuple[Order, Payment, str | None] | None:
    """(order locked, card-hold payment, intent id) a PaymentIntent event is about, or None when it is not one of
    ours or not a manual-capture hold."""
    intent_id = intent.get("id") if isinstance(intent.get("id"), str) else None
    if event is not None:
        event.ref = intent_id
    payment = find_payment(None, intent_id, intent.get("metadata"))
    if payment is None or not payment.manual_capture:
        return None
    return lock_order(payment.order_id), reload_payment(payment.id), intent_id


def on_intent_capturable(intent: dict[str, Any], event: ProcessedEvent | None = None) -> str:
    """``payment_intent.amount_capturable_updated``: the hold is in place (whichever of this and the session's
    completion arrives first confirms the order; the other finds it done)."""
    held = _card_hold_of(intent, event)
    if held is None:
        return Outcome.UNKNOWN
    order, payment, intent_id = held
    if intent.get("status") != "requires_capture":
        return Outcome.NOT_AUTHORISED
    return authorised(order, payment, intent_id, intent.get("amount_capturable"), intent.get("currency"))


def on_intent_canceled(intent: dict[str, Any], event: ProcessedEvent | None = None) -> str:
    """``payment_intent.canceled``: we released the hold, or it lapsed (7 days) before the weighed amount was
    captured; in that case the seller is told to ask for another way to pay."""
    held = _card_hold_of(intent, event)
    if held is None:
        return Outcome.UNKNOWN
    order, payment, _intent_id = held
    if payment.status != PaymentStatus.AUTHORIZED:
        return Outcome.ALREADY
    payment.status = PaymentStatus.RELEASED
    if payment.capture_vnd != 0 and order.status not in (
        OrderStatus.CANCELLED,
        OrderStatus.EXPIRED,
        OrderStatus.REFUNDED,
    ):
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
    db.session.flush()
    payment_id = payment.id
    on_commit(lambda: defer(execute_settle, payment_id))


def execute_settle(payment_id: int) -> str:
    """Capture (``capture_vnd`` > 0) or release (0) a card hold through the API, then record the result.
    Idempotent per payment and action; like refunds it commits around the network call, and a failure stays
    asked for, so ``flask retry-refunds`` tries again."""
    payment = db.session.get(Payment, payment_id)
    if (
        payment is None
        or payment.capture_vnd is None
        or not payment.provider_payment_ref
        or payment.status not in (PaymentStatus.AUTHORIZED, PaymentStatus.MISMATCH)
    ):
        db.session.rollback()
        return Outcome.NOTHING
    order = payment.order
    amount, intent = int(payment.capture_vnd), payment.provider_payment_ref
    if payment.status == PaymentStatus.MISMATCH or order.status in (
        OrderStatus.CANCELLED,
        OrderStatus.EXPIRED,
        OrderStatus.REFUNDED,
    ):
        amount = 0  # a wrong hold, or cancelled while the capture waited: release instead
    db.session.commit()  # no transaction open while we wait for Stripe
    try:
        if amount:
            result = client().v1.payment_intents.capture(
                intent, {"amount_to_capture": amount}, {"idempotency_key": f"chophien-capture-{payment_id}"}
            )
        else:
            result = client().v1.payment_intents.cancel(
                intent,
                {"cancellation_reason": "requested_by_customer"},
                {"idempotency_key": f"chophien-release-{payment_id}"},
            )
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
    outcome = _record_settled(
        order, payment, amount, getattr(result, "status", None), getattr(result, "amount_received", None)
    )
    db.session.commit()
    return outcome


def _record_settled(order: Order, payment: Payment, amount: int, status: str | None, received: object) -> str:
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
    record_paid(
        order,
        payment,
        actor=None,
        role=Actor.SYSTEM,
        reason=_("Weighed amount charged to the card"),
        received_vnd=received,
    )
    card_charged(order, received)
    return Outcome.CAPTURED


def retry_holds(limit: int = 100) -> int:
    """Captures and releases asked for but not confirmed (Stripe was down, the process died)."""
    ids = list(
        db.session.scalars(
            sa.select(Payment.id)
            .where(
                Payment.status.in_((PaymentStatus.AUTHORIZED, PaymentStatus.MISMATCH)),
                Payment.manual_capture.is_(True),
                Payment.capture_vnd.is_not(None),
            )
            .order_by(Payment.id)
            .limit(limit)
        )
    )
    db.session.commit()
    return sum(1 for payment_id in ids if execute_settle(payment_id) in ("captured", "released", "refunding"))
