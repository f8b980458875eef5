"""Starting a card payment: a Checkout Session per attempt, made with the network call outside any transaction
(prepare and flush, commit, ``create_session``, then ``save_session``), and finding our payment again from a
Stripe object (by session, payment intent, or the metadata the session carries)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import stripe
from flask import current_app, url_for
from flask_babel import gettext as _

from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.i18n import format_kg
from market.orders.models import Order, OrderItem
from market.orders.service import get_order_for
from market.orders.states import OrderStatus, WeightStatus
from market.orders.units import unit_label
from market.orders.weights import max_total, max_unit_price
from market.payments.models import Payment, PaymentStatus
from market.payments.service import close_pending_attempts, lock_order, new_attempt, payments_of, reload_payment
from market.payments.stripe.client import client, configured
from market.payments.stripe.method import StripeCheckout

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

    from market.accounts.models import User

log = logging.getLogger(__name__)

SESSION_MIN = timedelta(minutes=31)  # Stripe refuses an expiry sooner than 30 minutes
SESSION_MAX = timedelta(hours=23)
HOLD_GRACE = timedelta(minutes=5)  # the completion webhook may arrive a little after the session closes


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


def prepare_checkout(order_id: int, user: User) -> CheckoutRequest:
    """Check the buyer may pay this order by card now; reuse the open session or open a new attempt.
    Flushes; the caller commits before ``create_session``."""
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
    payment: Payment | None = None
    expires_at = now
    for p in payments_of(order.id):
        if p.method == StripeCheckout.name and p.status == PaymentStatus.PENDING:
            if p.amount_vnd != amount or bool(p.manual_capture) != manual:  # the amount changed (weighed) since
                p.status = PaymentStatus.EXPIRED
                continue
            if p.provider_ref and p.checkout_url and p.expires_at and p.expires_at > now + timedelta(minutes=1):
                return _request(order, p, p.expires_at, url=p.checkout_url)
            if not p.provider_ref and p.expires_at and p.expires_at > now + timedelta(minutes=1):
                # a session we may have created without hearing back: same key, same session
                payment, expires_at = p, p.expires_at
            else:
                p.status = PaymentStatus.EXPIRED
    close_pending_attempts(order, keep_method=StripeCheckout.name)
    order.payment_method = StripeCheckout.name
    expires = min(max(order.hold_expires_at or now, now + SESSION_MIN), now + SESSION_MAX)
    if payment is None:
        payment = new_attempt(order, StripeCheckout.name, expires_at=expires, manual_capture=manual)
        expires_at = expires
        payment.amount_vnd = amount
    # Retrying an attempt keeps its expiry: the request is then the very same one, which Stripe answers with the
    # session it made the first time (it refuses a key sent again with other parameters).
    order.hold_expires_at = expires_at + HOLD_GRACE
    db.session.flush()
    return _request(order, payment, expires_at)


def _line(item: OrderItem, manual: bool) -> tuple[str, int, int]:
    """One Checkout line; sold by weight and not weighed yet, at the most one unit may cost (the hold)."""
    if manual and item.by_weight:
        name = _(
            "%(title)s (%(unit)s, ~%(kg)s, up to +%(pct)d%% by weight)",
            title=item.title,
            unit=unit_label(item.unit),
            kg=format_kg(item.est_weight_g),
            pct=item.weight_tolerance_pct,
        )
        return name, int(max_unit_price(item)), int(item.qty)
    if item.by_weight:
        return f"{item.title} ({format_kg(item.packed_weight_g)})", int(item.line_total_vnd), 1
    return f"{item.title} ({unit_label(item.unit)})", int(item.unit_price_vnd), int(item.qty)


def _request(order: Order, payment: Payment, expires_at: datetime, url: str | None = None) -> CheckoutRequest:
    site = current_app.config["SITE_URL"]
    manual = bool(payment.manual_capture)
    return CheckoutRequest(
        order_id=order.id,
        order_code=order.code,
        payment_id=payment.id,
        attempt=payment.attempt,
        amount_vnd=payment.amount_vnd,
        manual_capture=manual,
        lines=tuple(_line(i, manual) for i in order.items)
        + (((_("Shipping"), int(order.shipping_vnd), 1),) if order.shipping_vnd else ()),
        expires_at=expires_at,
        locale="en" if (order.buyer.locale or "vi") == "en" else "vi",
        success_url=site + url_for("payments.stripe_return", order_id=order.id) + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=site + url_for("payments.stripe_cancelled", order_id=order.id),
        url=url,
    )


def session_params(req: CheckoutRequest) -> SessionCreateParams:
    metadata = {"order_id": str(req.order_id), "payment_id": str(req.payment_id), "order_code": req.order_code}
    return {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "vnd", "unit_amount": price, "product_data": {"name": name[:250]}},
                "quantity": qty,
            }
            for name, price, qty in req.lines
        ],
        "client_reference_id": req.order_code,
        "metadata": metadata,
        "payment_intent_data": {
            "metadata": metadata,
            "description": f"Chợ Phiên {req.order_code}",
            **({"capture_method": "manual"} if req.manual_capture else {}),
        },
        "expires_at": int(req.expires_at.timestamp()),
        "locale": req.locale,
        "success_url": req.success_url,
        "cancel_url": req.cancel_url,
    }


def create_session(req: CheckoutRequest) -> dict[str, Any]:
    """Ask Stripe for the Checkout Session (network; call with no transaction open)."""
    session = client().v1.checkout.sessions.create(session_params(req), {"idempotency_key": req.idempotency_key})
    return session.to_dict()


def save_session(payment_id: int, session: dict[str, Any]) -> str | None:
    payment = reload_payment(payment_id)
    if payment.provider_ref is None:
        payment.provider_ref = session["id"]
    payment.checkout_url = session.get("url")
    db.session.flush()
    return payment.checkout_url


def outcome_unknown(error: Exception) -> bool:
    """No answer (a timeout, a dropped connection) or the same request still running at Stripe: the session may
    exist. Only the same idempotency key may ask again, never a new attempt, or the buyer could pay twice."""
    return (
        isinstance(error, (stripe.APIConnectionError, stripe.IdempotencyError))
        or getattr(error, "http_status", None) == 409
    )  # "another in-progress request using this key"


def session_failed(payment_id: int, error: Exception) -> None:
    """Stripe refused: the attempt failed and the next press opens another. Stripe did not answer: the attempt
    stays open, and the next press sends the same request (same key), which finds the first session."""
    payment = reload_payment(payment_id)
    if payment.status == PaymentStatus.PENDING and payment.provider_ref is None:
        if not outcome_unknown(error):
            payment.status = PaymentStatus.FAILED
        payment.note = str(error)[:500]
    db.session.flush()


def retrieve_session(session_id: str) -> dict[str, Any]:
    return client().v1.checkout.sessions.retrieve(session_id).to_dict()


def expire_session(session_id: str) -> None:
    """Close a session whose order closed (best effort: it may have expired or completed meanwhile)."""
    try:
        client().v1.checkout.sessions.expire(session_id)
    except stripe.StripeError as exc:
        log.info("stripe session %s not expired: %s", session_id, exc.__class__.__name__)


# ---- our payment for a Stripe object ----------------------------------------------------------------------


def int_value(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def find_payment(session_id: str | None, payment_intent: str | None, metadata: dict[str, Any] | None) -> Payment | None:
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
    payment_id, order_id = int_value(metadata.get("payment_id")), int_value(metadata.get("order_id"))
    if payment_id is None or order_id is None:
        return None
    found = db.session.get(Payment, payment_id)
    if found is None or found.method != StripeCheckout.name or found.order_id != order_id:
        return None
    if session_id and found.provider_ref not in (None, session_id):
        return None
    return found
