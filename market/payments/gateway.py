"""The payments area as the orders area sees it (``market.orders.payment.PaymentGateway``)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from market.domain import DomainError
from market.extensions import db
from market.orders.payment import MethodChoice
from market.orders.states import OrderStatus
from market.payments import service
from market.payments.base import PaymentMethod
from market.payments.models import PaymentStatus, RefundStatus

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orders.models import Order
    from market.orders.states import Actor

# When the seller may record money by hand, per method: a transfer is seen in the bank app at any time; cash
# changes hands at the door (or when the buyer collects).
_RECORDABLE = {
    "vietqr": {
        OrderStatus.PENDING,
        OrderStatus.CONFIRMED,
        OrderStatus.PACKED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
    },
    "cod": {OrderStatus.CONFIRMED, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED},
}


class Gateway:
    def _methods(self) -> list[PaymentMethod]:
        from market.payments import METHODS

        return [cls() for cls in METHODS.values()]

    def choices(self, seller_id: int) -> list[MethodChoice]:
        settings = service.settings_for(seller_id)
        return [MethodChoice(m.name, m.label(), m.hint()) for m in self._methods() if m.available(settings)]

    def choose(self, order: Order, method: str, actor: User | None) -> None:
        from market.payments import get_method

        if order.status != OrderStatus.PENDING or order.paid_at is not None:
            raise DomainError("invalid", _("This order can no longer change how it is paid."), status=409)
        locked = self.method_locked(order) if method != order.payment_method else None
        if locked:
            raise DomainError("invalid", locked, field="method", status=409)
        chosen = get_method(method)
        settings = service.settings_for(order.seller_id)
        if not chosen.available(settings):
            raise DomainError(
                "invalid", _("This shop does not take %(method)s.", method=chosen.label()), field="method"
            )
        for payment in service.close_pending_attempts(order, keep_method=chosen.name):
            if payment.method == "stripe" and payment.provider_ref:
                from market.database import on_commit
                from market.payments.stripe.checkout import expire_session
                from market.tasks import defer

                session_id = payment.provider_ref
                on_commit(partial(defer, expire_session, session_id))
        order.payment_method = chosen.name
        db.session.flush()
        chosen.on_chosen(order, settings, actor)

    def method_locked(self, order: Order) -> str | None:
        if order.status != OrderStatus.PENDING or order.paid_at is not None:
            return _("This order can no longer change how it is paid.")
        for p in service.payments_of(order.id):
            if p.status == PaymentStatus.PENDING and p.method == "vietqr" and p.claimed_at is not None:
                # the shop is looking for that money; a switch now would leave a transfer with no order
                return _(
                    "You said you have transferred the money, so the shop is checking its account. Ask the "
                    "shop if you need to pay another way."
                )
            if p.status == PaymentStatus.AUTHORIZED:
                return _("Your card is authorised for this order. Cancel the order to pay another way.")
        return None

    def can_confirm_unpaid(self, order: Order) -> bool:
        from market.payments import METHODS

        method = METHODS.get(order.payment_method or "")
        return method is not None and method().can_confirm_unpaid(order)

    def can_mark_paid(self, order: Order) -> bool:
        if order.payment_method == "vietqr" and order.awaits_weighing:  # the buyer pays the weighed amount
            return False
        return (
            order.paid_at is None
            and order.payment_method in _RECORDABLE
            and order.status in _RECORDABLE[order.payment_method]
        )

    def mark_paid(self, order: Order, actor: User | None, role: Actor) -> None:
        order = service.lock_order(order.id)
        method = order.payment_method
        if method is None or not self.can_mark_paid(order):  # can_mark_paid is False without a method too
            raise DomainError("invalid", _("This order cannot be marked paid now."), status=409)
        payment = service.open_attempt(order, method)
        reason = (
            _("Cash received by the seller")
            if order.payment_method == "cod"
            else _("Transfer received, confirmed by the seller")
        )
        service.record_paid(order, payment, actor=actor, role=role, reason=reason)

    def can_mark_refunded(self, order: Order) -> bool:
        if order.status not in (OrderStatus.CANCELLED, OrderStatus.RETURNED) or order.paid_at is None:
            return False
        return any(
            p.status == PaymentStatus.SUCCEEDED and p.refund_status == RefundStatus.MANUAL
            for p in service.payments_of(order.id)
        )

    def describe(self, order: Order) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        data: dict[str, Any] = {
            "method": order.payment_method,
            "paid": order.paid_at is not None,
            "paid_at": iso(order.paid_at),
            "attempts": [
                {"attempt": p.attempt, "method": p.method, "status": p.status, "amount_vnd": p.amount_vnd}
                for p in service.payments_of(order.id)
            ],
        }
        if order.payment_flag:
            data["flag"] = {"code": order.payment_flag, "message": service.flag_label(order.payment_flag)}
        hold = service.card_hold(order.id)
        if hold is not None:
            data["authorized_vnd"] = hold.amount_vnd
        if order.awaits_weighing:
            data["awaiting_weight"] = True  # no transfer is asked for before the weighed amount is known
        elif order.payment_method == "vietqr":
            from market.payments.banks import bank_by_bin
            from market.payments.vietqr import memo_for, order_payload

            settings = service.settings_for(order.seller_id)
            if settings.has_bank:
                bank = bank_by_bin(settings.bank_bin)
                data["vietqr"] = {
                    "payload": order_payload(order, settings),
                    "bank_bin": settings.bank_bin,
                    "bank": bank.short_name if bank else None,
                    "account_number": settings.account_number,
                    "account_holder": settings.account_holder,
                    "memo": memo_for(order),
                    "amount_vnd": order.total_vnd,
                }
        return data

    # ---- orders sold by weight ----
    def weigh_before_paying(self, order: Order) -> bool:
        return order.payment_method in ("vietqr", "cod")

    def max_chargeable(self, order: Order) -> int | None:
        hold = service.card_hold(order.id)
        return hold.amount_vnd if hold is not None else None

    def amount_locked(self, order: Order) -> bool:
        return any(
            p.status == PaymentStatus.SUCCEEDED or (p.status == PaymentStatus.AUTHORIZED and p.capture_vnd is not None)
            for p in service.payments_of(order.id)
        )
