"""Card refunds through the API: asked for in the transaction that cancels or returns a paid order, made after
it commits (idempotent per payment), retried by ``flask retry-refunds``; a refunded card payment closes its
order as refunded where the state table allows."""

from __future__ import annotations

import logging

import sqlalchemy as sa
import stripe
from flask_babel import gettext as _

from market.database import on_commit
from market.extensions import db
from market.orders.models import Order
from market.orders.service import transition
from market.orders.states import Actor, OrderStatus, PaymentFlag
from market.payments.models import Outcome, Payment, PaymentStatus, RefundStatus
from market.payments.service import lock_order, reload_payment, unrefunded_paid
from market.payments.stripe.client import client
from market.tasks import defer

log = logging.getLogger(__name__)


def request_refund(payment: Payment) -> None:
    """Ask Stripe to give ``payment`` back once this transaction commits."""
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
    intent, amount, order_id = (
        payment.provider_payment_ref,
        payment.received_vnd or payment.amount_vnd,
        payment.order_id,
    )
    db.session.commit()  # no transaction open while we wait for Stripe
    if not intent:
        outcome = refund_failed(payment_id, "no payment intent to refund")
    else:
        try:
            refund = client().v1.refunds.create(
                {
                    "payment_intent": intent,
                    "amount": amount,
                    "metadata": {"order_id": str(order_id), "payment_id": str(payment_id)},
                },
                {"idempotency_key": f"chophien-refund-{payment_id}"},
            )
        except stripe.StripeError as exc:
            log.warning("stripe refund of payment %s failed: %s", payment_id, exc)
            outcome = refund_failed(payment_id, str(exc))
        else:
            outcome = finish_refund(payment_id, refund.id, getattr(refund, "status", None))
    db.session.commit()
    return outcome


def refund_failed(payment_id: int, why: str) -> str:
    """The refund could not be made: flag the order; the payment stays "requested" for the next retry."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:  # deleted with its order meanwhile: nobody to tell
        return Outcome.NOTHING
    order = lock_order(payment.order_id)
    payment = reload_payment(payment_id)
    payment.note = why[:500]
    order.payment_flag = PaymentFlag.REFUND_FAILED
    db.session.flush()
    return Outcome.FAILED


def finish_refund(payment_id: int, refund_id: str, status: str | None) -> str:
    """Stripe accepted the refund (``status`` succeeded or pending): record it and close the order. Flushes."""
    if status in ("failed", "canceled"):
        return refund_failed(payment_id, f"refund {refund_id} {status}")
    payment = db.session.get(Payment, payment_id)
    if payment is None:  # deleted with its order meanwhile: nothing to record
        return Outcome.NOTHING
    order = lock_order(payment.order_id)
    payment = reload_payment(payment_id)
    payment.refund_ref = refund_id
    if payment.status != PaymentStatus.REFUNDED:
        payment.status = PaymentStatus.REFUNDED
        payment.refund_status = RefundStatus.DONE
        payment.refunded_vnd = payment.received_vnd or payment.amount_vnd
        db.session.flush()
        close_refunded_order(order, _("Refunded to the card"))
    if order.payment_flag in (PaymentFlag.REFUND_FAILED, PaymentFlag.PAID_AFTER_CLOSE, PaymentFlag.DOUBLE_PAYMENT):
        order.payment_flag = None
    db.session.flush()
    return Outcome.REFUNDED


def retry_refunds(limit: int = 100) -> int:
    """Refunds asked for but not confirmed (Stripe was down, the process died): try them again."""
    ids = list(
        db.session.scalars(
            sa.select(Payment.id)
            .where(Payment.refund_status == RefundStatus.REQUESTED)
            .order_by(Payment.id)
            .limit(limit)
        )
    )
    db.session.commit()
    done = 0
    for payment_id in ids:
        if execute_refund(payment_id) == "refunded":
            done += 1
    return done


def close_refunded_order(order: Order, reason: str) -> None:
    """A refunded card payment: the order moves to refunded where the table allows, else is flagged."""
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
