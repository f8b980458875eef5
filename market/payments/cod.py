"""Cash on delivery: confirmed when placed (or when the seller accepts, per shop); paid at the door."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _

from market.database import utcnow
from market.orders.service import transition
from market.orders.states import Actor, OrderStatus
from market.payments.base import PaymentMethod

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orders.models import Order
    from market.payments.models import Payment, ShopPaymentSettings


class CashOnDelivery(PaymentMethod):
    name = "cod"
    refund_mode = "manual"
    seller_records_payment = True

    def label(self) -> str:
        return _("Cash on delivery")

    def hint(self) -> str:
        return _("Pay the delivery person when the parcel arrives.")

    def available(self, settings: ShopPaymentSettings | None) -> bool:
        return settings is None or bool(settings.cod_enabled)

    def on_chosen(self, order: Order, settings: ShopPaymentSettings | None, actor: User | None) -> None:
        from market.payments.service import open_attempt

        open_attempt(order, self.name)
        if settings is None or settings.cod_auto_confirm:
            transition(
                order,
                OrderStatus.CONFIRMED,
                actor=None,
                role=Actor.SYSTEM,
                reason=_("Cash on delivery: confirmed when placed"),
            )
        else:  # the seller accepts each order: hold the stock long enough for them to see it
            order.hold_expires_at = utcnow() + timedelta(hours=current_app.config["COD_ACCEPT_HOURS"])

    def can_confirm_unpaid(self, order: Order) -> bool:
        return True

    def panel(
        self, order: Order, settings: ShopPaymentSettings | None, payment: Payment | None, roles: set[Actor]
    ) -> dict[str, Any]:
        return {"awaiting_acceptance": order.status == OrderStatus.PENDING}
