"""Stripe's events, from the webhook (once each: the processed-event log) or a session read back on the return
page: a payment completed, a session expired, a charge refunded, a card hold placed or released. Each handler
locks the order row, checks amount and currency, and is written for any order of arrival."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from market.database import utcnow
from market.extensions import db
from market.orders.models import Order
from market.orders.service import transition
from market.orders.states import Actor, OrderStatus, PaymentFlag
from market.payments.models import Outcome, Payment, PaymentStatus, ProcessedEvent, RefundStatus
from market.payments.service import lock_order, payments_of, record_paid, reload_payment
from market.payments.stripe.checkout import find_payment, int_value
from market.payments.stripe.holds import authorised, on_intent_canceled, on_intent_capturable
from market.payments.stripe.refunds import close_refunded_order, request_refund

log = logging.getLogger(__name__)


def on_session_completed(session: dict[str, Any], event: ProcessedEvent | None = None) -> str:
    payment = find_payment(session.get("id"), None, session.get("metadata"))
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
        return authorised(order, payment, intent, session.get("amount_total"), session.get("currency"))
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
    record_paid(
        order,
        payment,
        actor=None,
        role=Actor.SYSTEM,
        reason=_("Paid by card (Stripe)"),
        received_vnd=payment.received_vnd,
    )
    return Outcome.PAID


def _parked_refund(intent: str | None) -> ProcessedEvent | None:
    if not intent:
        return None
    return db.session.scalar(
        sa.select(ProcessedEvent).where(
            ProcessedEvent.provider == "stripe",
            ProcessedEvent.type == "charge.refunded",
            ProcessedEvent.ref == intent,
            ProcessedEvent.outcome == Outcome.PARKED,
        )
    )


def _paid_then_refunded(order: Order, payment: Payment, amount: object, currency: object) -> None:
    """The refund arrived before the completion: the money came and went back. End where the two events end in
    their usual order (paid, then refunded: the order closed as refunded, its stock back, the buyer told),
    instead of leaving the order pending, holding stock nobody will pay for until the hold lapses."""
    amount = amount if isinstance(amount, int) and not isinstance(amount, bool) else None
    fits = (
        order.status == OrderStatus.PENDING
        and order.paid_at is None
        and str(currency or "").lower() == "vnd"
        and amount == payment.amount_vnd == order.total_vnd
    )
    if fits:
        record_paid(
            order, payment, actor=None, role=Actor.SYSTEM, reason=_("Paid by card (Stripe)"), received_vnd=amount
        )
    payment.status = PaymentStatus.REFUNDED
    payment.refund_status = RefundStatus.DONE
    payment.refunded_vnd = max(payment.refunded_vnd or 0, amount or 0)
    db.session.flush()
    if fits:
        close_refunded_order(order, _("The card payment was refunded"))


def on_session_expired(session: dict[str, Any], event: ProcessedEvent | None = None) -> str:
    """The buyer left Stripe's page until it closed: the attempt ends, and so does the order's hold, at once
    (the buyer is told it was not paid in time; the stock is back on sale) unless another way to pay is open."""
    payment = find_payment(session.get("id"), None, session.get("metadata"))
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
        transition(
            order,
            OrderStatus.EXPIRED,
            actor=None,
            role=Actor.SYSTEM,
            reason=_("The card payment page closed before the payment was made"),
        )
        return Outcome.RELEASED
    return Outcome.EXPIRED


def on_charge_refunded(charge: dict[str, Any], event: ProcessedEvent | None = None) -> str:
    intent = charge.get("payment_intent") if isinstance(charge.get("payment_intent"), str) else None
    if event is not None:
        event.ref = intent
    payment = find_payment(None, intent, charge.get("metadata"))
    if payment is None:  # the completion has not arrived yet: it will find this refund (see _parked_refund)
        return Outcome.PARKED
    order = lock_order(payment.order_id)
    payment = reload_payment(payment.id)
    if intent and not payment.provider_payment_ref:
        payment.provider_payment_ref = intent
    refunded = int_value(charge.get("amount_refunded")) or 0
    charged = int_value(charge.get("amount")) or 0
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
    close_refunded_order(order, _("The card payment was refunded"))
    return Outcome.REFUNDED


HANDLERS = {
    "checkout.session.completed": on_session_completed,
    "checkout.session.async_payment_succeeded": on_session_completed,
    "checkout.session.expired": on_session_expired,
    "charge.refunded": on_charge_refunded,
    "payment_intent.amount_capturable_updated": on_intent_capturable,
    "payment_intent.canceled": on_intent_canceled,
}


def handle_event(event: dict[str, Any], row: ProcessedEvent | None = None) -> str:
    event_type = event.get("type")
    handler = HANDLERS.get(event_type) if isinstance(event_type, str) else None
    body = event.get("data")
    obj = body.get("object") if isinstance(body, dict) else None
    if handler is None or not isinstance(obj, dict):
        log.info("stripe event %s (%s) not handled", event.get("id"), event.get("type"))
        return Outcome.IGNORED
    return handler(obj, row)
