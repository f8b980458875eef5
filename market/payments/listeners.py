"""What payments do when an order changes: close open attempts, give the money of a cancelled order back."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from market.database import on_commit
from market.orders.signals import order_amount_changed, order_status_changed, order_weighed
from market.orders.states import OrderStatus, PaymentFlag
from market.payments import service
from market.payments.models import PaymentStatus, RefundStatus

if TYPE_CHECKING:
    from market.orders.models import Order


def on_status_changed(order: Order, from_status: str | None = None, to_status: str | None = None, **_kw: Any) -> None:
    if to_status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.RETURNED):
        hold = service.card_hold(order.id)
        if hold is not None:  # a card held for an order sold by weight: give the hold back, nothing charged
            from market.payments.stripe.holds import request_release

            request_release(hold)
        for payment in service.close_pending_attempts(order):
            if payment.method == "stripe" and payment.provider_ref:
                from market.payments.stripe.checkout import expire_session
                from market.tasks import defer

                on_commit(partial(defer, expire_session, payment.provider_ref))
        if to_status in (OrderStatus.CANCELLED, OrderStatus.RETURNED) and order.paid_at is not None:
            # every payment still kept goes back (there may be two: one paid the order, one came twice)
            from market.payments import METHODS

            for paid in service.payments_of(order.id):
                if paid.status != PaymentStatus.SUCCEEDED or paid.refund_status is not None:
                    continue
                if METHODS[paid.method].refund_mode == "api":
                    from market.payments.stripe.refunds import request_refund

                    request_refund(paid)
                else:
                    service.refund_due_by_hand(order, paid, PaymentFlag.REFUND_DUE)
    elif to_status == OrderStatus.REFUNDED:
        for payment in service.payments_of(order.id):
            if payment.status == PaymentStatus.SUCCEEDED and payment.refund_status == RefundStatus.MANUAL:
                payment.status = PaymentStatus.REFUNDED
                payment.refund_status = RefundStatus.DONE
                payment.refunded_vnd = payment.received_vnd or payment.amount_vnd
        if order.payment_flag == PaymentFlag.REFUND_DUE:
            order.payment_flag = None


def on_weighed(order: Order, event: str | None = None, final: bool = False, **_kw: Any) -> None:
    """The amount follows the weight: open attempts ask for the new total, a card hold is captured."""
    from market.orders.states import WeightEvent

    if event == WeightEvent.WEIGHED and order.status == OrderStatus.PENDING and order.payment_method == "vietqr":
        service.wait_for_weighing(order)  # the buyer now has time to read the SMS and pay (or answer)
    if not final:
        return
    for payment in service.payments_of(order.id):
        if payment.status == PaymentStatus.PENDING and payment.method in ("cod", "vietqr"):
            payment.amount_vnd = order.total_vnd
    hold = service.card_hold(order.id)
    if hold is not None:
        from market.payments.stripe.holds import request_capture

        request_capture(hold, order.total_vnd)


def on_amount_changed(order: Order, **_kw: Any) -> None:
    """Shipping priced for a new address: cash and transfer attempts ask for the new total; an open card
    session (made for the old total) is closed, and the buyer's next press opens one for the right amount."""
    for payment in service.payments_of(order.id):
        if payment.status != PaymentStatus.PENDING:
            continue
        if payment.method in ("cod", "vietqr"):
            payment.amount_vnd = order.total_vnd
        elif payment.method == "stripe":
            payment.status = PaymentStatus.EXPIRED
            if payment.provider_ref:
                from market.payments.stripe.checkout import expire_session
                from market.tasks import defer

                on_commit(partial(defer, expire_session, payment.provider_ref))


def register() -> None:
    """Listen to the orders area's changes (the payments area's ``init_app`` calls it)."""
    order_status_changed.connect(on_status_changed, weak=False)
    order_amount_changed.connect(on_amount_changed, weak=False)
    order_weighed.connect(on_weighed, weak=False)
