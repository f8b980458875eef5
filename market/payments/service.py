"""Payment rules shared by every method: attempts, recording money that arrived, flags, shop settings.

Functions flush; the caller commits. Money changes an order only with its row locked
(``lock_order``: SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from market.accounts.models import User
from market.database import utcnow
from market.domain import DomainError, ErrorCode, NotFound
from market.extensions import db
from market.orders.models import Order
from market.orders.notify import transfer_claimed
from market.orders.service import get_order_for, transition
from market.orders.states import Actor, OrderStatus, PaymentFlag
from market.payments.models import Payment, PaymentStatus, RefundStatus, ShopPaymentSettings
from market.payments.stripe.client import configured

log = logging.getLogger(__name__)


def flag_label(flag: PaymentFlag | str | None) -> str:
    """What the seller (and staff) read about a flag on the order page and in the orders list."""
    F = PaymentFlag
    labels: dict[str, str] = {
        F.AMOUNT_MISMATCH: _(
            "A payment arrived with the wrong amount: the order is not paid. Check it and return the money."
        ),
        F.WRONG_ACCOUNT: _("A transfer for this order went to another bank account."),
        F.PAID_AFTER_CLOSE: _("Money arrived after the order was closed: return it to the buyer."),
        F.DOUBLE_PAYMENT: _("The order was paid twice: return one payment to the buyer."),
        F.REFUND_DUE: _("Return the money to the buyer by bank transfer, then mark the order refunded."),
        F.REFUND_FAILED: _("The card refund failed; it will be tried again."),
        F.PARTIAL_REFUND: _("Part of the card payment was refunded outside Chợ Phiên."),
        F.REFUNDED_OUTSIDE: _("The card payment was refunded outside Chợ Phiên after the order was packed."),
        F.CAPTURE_FAILED: _("Charging the weighed amount to the card failed; it will be tried again."),
        F.HOLD_LAPSED: _(
            "The card authorisation ended before the weighed amount was charged: ask the buyer to "
            "pay another way, or cancel the order."
        ),
    }
    return labels.get(flag or "", flag or "")


def default_settings(seller_id: int) -> ShopPaymentSettings:
    """An unsaved settings object with the defaults (cash on delivery on and confirmed when placed)."""
    return ShopPaymentSettings(seller_id=seller_id, cod_enabled=True, cod_auto_confirm=True)


def settings_for(seller_id: int) -> ShopPaymentSettings:
    found = db.session.scalar(sa.select(ShopPaymentSettings).where(ShopPaymentSettings.seller_id == seller_id))
    return found or default_settings(seller_id)


def settings_to_edit(seller_id: int) -> ShopPaymentSettings:
    found = db.session.scalar(sa.select(ShopPaymentSettings).where(ShopPaymentSettings.seller_id == seller_id))
    if found is None:
        found = default_settings(seller_id)
        db.session.add(found)
    return found


def save_settings(
    current: ShopPaymentSettings, cod_enabled: bool, cod_auto_confirm: bool, account: tuple[str, str, str] | None
) -> None:
    """A shop's payment settings as she chose them; ``account`` is (BIN, number, holder), or None for no bank
    transfer. A shop without cash on delivery, a bank account or cards would leave buyers no way to pay: refused."""
    current.cod_enabled = cod_enabled
    current.cod_auto_confirm = cod_auto_confirm
    if account is None:
        current.bank_bin = current.account_number = current.account_holder = None
    else:
        current.bank_bin, current.account_number, current.account_holder = account
    if not cod_enabled and account is None and not configured():
        raise DomainError(
            ErrorCode.INVALID,
            _("Keep cash on delivery or add a bank account: buyers need a way to pay."),
            field="cod_enabled",
        )
    db.session.flush()


def lock_order(order_id: int) -> Order:
    """The order row, locked until the transaction ends, with fresh values."""
    order = db.session.execute(
        sa.select(Order).where(Order.id == order_id).with_for_update(of=Order).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if order is None:
        raise DomainError("not_found", _("This order does not exist."), status=404)
    return order


def reload_payment(payment_id: int) -> Payment:
    return db.session.execute(
        sa.select(Payment).where(Payment.id == payment_id).execution_options(populate_existing=True)
    ).scalar_one()


def payments_of(order_id: int) -> list[Payment]:
    return list(
        db.session.scalars(
            sa.select(Payment)
            .where(Payment.order_id == order_id)
            .order_by(Payment.attempt)
            .execution_options(populate_existing=True)
        )
    )


def next_attempt(order_id: int) -> int:
    return (db.session.scalar(sa.select(sa.func.max(Payment.attempt)).where(Payment.order_id == order_id)) or 0) + 1


def new_attempt(order: Order, method: str, **fields: Any) -> Payment:
    payment = Payment(
        order_id=order.id,
        method=method,
        attempt=next_attempt(order.id),
        status=PaymentStatus.PENDING,
        amount_vnd=order.total_vnd,
        currency="VND",
        **fields,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def open_attempt(order: Order, method: str) -> Payment:
    """The pending attempt of ``method`` for this order, made if there is none."""
    for p in payments_of(order.id):
        if p.method == method and p.status == PaymentStatus.PENDING:
            return p
    return new_attempt(order, method)


def close_pending_attempts(order: Order, keep_method: str | None = None) -> list[Payment]:
    """The buyer switched methods (or the order closed): pending attempts of other methods end."""
    closed = []
    for p in payments_of(order.id):
        if p.status == PaymentStatus.PENDING and p.method != keep_method:
            p.status = PaymentStatus.EXPIRED
            closed.append(p)
    db.session.flush()
    return closed


def record_paid(
    order: Order, payment: Payment, *, actor: User | None, role: Actor, reason: str, received_vnd: int | None = None
) -> None:
    """The money for ``order`` arrived through ``payment``: mark both paid; a pending order becomes confirmed.
    The caller holds the order's row lock and has checked the amount."""
    now = utcnow()
    payment.status = PaymentStatus.SUCCEEDED
    payment.paid_at = now
    payment.received_vnd = received_vnd if received_vnd is not None else payment.amount_vnd
    if actor is not None and role != Actor.SYSTEM:
        payment.recorded_by_id = actor.id
    order.paid_at = now
    order.payment_method = payment.method
    if order.payment_flag == PaymentFlag.AMOUNT_MISMATCH:
        order.payment_flag = None
    close_pending_attempts(order, keep_method=payment.method)
    db.session.flush()
    if order.status == OrderStatus.PENDING:
        transition(order, OrderStatus.CONFIRMED, actor=actor, role=role, reason=reason)


def refund_due_by_hand(order: Order, payment: Payment, flag: PaymentFlag) -> None:
    """Money that must go back and that only the seller can send (a bank transfer)."""
    payment.refund_status = RefundStatus.MANUAL
    order.payment_flag = flag


def claim_transfer(order_id: object, buyer: User) -> Order:
    """The buyer says she has transferred the money for her order (VietQR): the seller is told, and the stock is
    held ``TRANSFER_CLAIM_HOURS`` while the seller checks the bank. Saying it again changes nothing. Anyone but
    the buyer gets a 404; an order not waiting for a bank transfer a 409."""
    order = get_order_for(order_id, buyer)
    if order.buyer_id != buyer.id:
        raise NotFound(_("This order does not exist."))
    order = lock_order(order.id)
    if order.status != OrderStatus.PENDING or order.paid_at or order.payment_method != "vietqr":
        raise DomainError(ErrorCode.CONFLICT, _("This order is not waiting for a bank transfer."), status=409)
    payment = open_attempt(order, "vietqr")
    if payment.claimed_at is None:
        now = utcnow()
        payment.claimed_at = now
        order.hold_expires_at = max(
            order.hold_expires_at or now, now + timedelta(hours=current_app.config["TRANSFER_CLAIM_HOURS"])
        )
        transfer_claimed(order)
    db.session.flush()
    return order


def wait_for_weighing(order: Order) -> None:
    """A pending order whose transfer waits for the weighed amount: hold its stock while the shop weighs it and
    then while the buyer pays (COD_ACCEPT_HOURS each time), not just the usual HOLD_MINUTES."""
    until = utcnow() + timedelta(hours=current_app.config["COD_ACCEPT_HOURS"])
    if order.hold_expires_at is None or order.hold_expires_at < until:
        order.hold_expires_at = until
    db.session.flush()


def card_hold(order_id: int) -> Payment | None:
    """The card authorisation of an order sold by weight that is still held (not captured nor released)."""
    for p in payments_of(order_id):
        if p.status == PaymentStatus.AUTHORIZED:
            return p
    return None


def unrefunded_paid(order_id: int) -> Payment | None:
    for p in reversed(payments_of(order_id)):
        if p.status == PaymentStatus.SUCCEEDED and p.refund_status in (
            None,
            RefundStatus.REQUESTED,
            RefundStatus.MANUAL,
        ):
            return p
    return None


def order_panel(order: Order, roles: set[Actor]) -> dict[str, Any] | None:
    """Context for the payment panel of the order page (payments/_order_panel.html)."""
    from market.payments import METHODS

    settings = settings_for(order.seller_id)
    payments = payments_of(order.id)
    current = payments[-1] if payments else None
    method = METHODS.get(order.payment_method or "")
    panel = method().panel(order, settings, current, roles) if method else {}
    return {
        "order": order,
        "roles": {str(r) for r in roles},
        "method": order.payment_method,
        "resolvable": order.payment_flag in RESOLVABLE,
        "method_label": method().label() if method else None,
        "payments": payments,
        "current": current,
        "panel": panel,
        "flag": order.payment_flag,
        "flag_label": flag_label(order.payment_flag),
    }


# Flags the seller (or staff) clears by hand once they have returned the money or checked the transfer.
RESOLVABLE = frozenset(
    {
        PaymentFlag.AMOUNT_MISMATCH,
        PaymentFlag.WRONG_ACCOUNT,
        PaymentFlag.PAID_AFTER_CLOSE,
        PaymentFlag.DOUBLE_PAYMENT,
        PaymentFlag.PARTIAL_REFUND,
        PaymentFlag.REFUNDED_OUTSIDE,
        PaymentFlag.HOLD_LAPSED,
    }
)


def resolve_flag(order: Order, actor: User) -> None:
    """The seller has returned the stray money (or checked the transfer): close the flag, recording who did."""
    order = lock_order(order.id)
    if order.payment_flag not in RESOLVABLE:
        raise DomainError("invalid", _("There is nothing to settle on this order."), status=409)
    refund_of_cancelled = order.status == OrderStatus.CANCELLED and order.paid_at is not None
    for p in payments_of(order.id):
        if p.refund_status == RefundStatus.MANUAL and not refund_of_cancelled:
            p.status = PaymentStatus.REFUNDED
            p.refund_status = RefundStatus.DONE
            p.refunded_vnd = p.received_vnd or p.amount_vnd
            p.recorded_by_id = actor.id
        elif p.status == PaymentStatus.MISMATCH and p.refund_status is None:
            p.refund_status = RefundStatus.DONE
            p.refunded_vnd = p.received_vnd or 0
            p.recorded_by_id = actor.id
    order.payment_flag = None
    db.session.flush()
