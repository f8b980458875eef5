"""What payments do when an order changes: close open attempts, give the money of a cancelled order back."""

from __future__ import annotations

from market.database import on_commit
from market.orders.signals import order_status_changed
from market.orders.states import OrderStatus
from market.payments import service
from market.payments.models import PaymentStatus, RefundStatus


def on_status_changed(order, from_status=None, to_status=None, **_kw) -> None:
    if to_status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
        for payment in service.close_pending_attempts(order):
            if payment.method == "stripe" and payment.provider_ref:
                from market.payments.stripe import expire_session
                from market.tasks import defer

                session_id = payment.provider_ref
                on_commit(lambda sid=session_id: defer(expire_session, sid))
        if to_status == OrderStatus.CANCELLED and order.paid_at is not None:
            # every payment still kept goes back (there may be two: one paid the order, one came twice)
            from market.payments import METHODS

            for paid in service.payments_of(order.id):
                if paid.status != PaymentStatus.SUCCEEDED or paid.refund_status is not None:
                    continue
                if METHODS[paid.method].refund_mode == "api":
                    from market.payments.stripe import request_refund

                    request_refund(paid)
                else:
                    service.refund_due_by_hand(order, paid, "refund_due")
    elif to_status == OrderStatus.REFUNDED:
        for payment in service.payments_of(order.id):
            if payment.status == PaymentStatus.SUCCEEDED and payment.refund_status == RefundStatus.MANUAL:
                payment.status = PaymentStatus.REFUNDED
                payment.refund_status = RefundStatus.DONE
                payment.refunded_vnd = payment.received_vnd or payment.amount_vnd
        if order.payment_flag == "refund_due":
            order.payment_flag = None


order_status_changed.connect(on_status_changed, weak=False)
