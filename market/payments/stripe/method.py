"""Stripe Checkout as one of the interchangeable payment methods (``payments.METHODS``): its label, when a shop
offers it, and what the order page's payment panel shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from market.orders.states import Actor, OrderStatus, WeightStatus
from market.orders.weights import max_total
from market.payments.base import PaymentMethod
from market.payments.models import PaymentStatus
from market.payments.service import card_hold
from market.payments.stripe.client import configured

if TYPE_CHECKING:
    from market.orders.models import Order
    from market.payments.models import Payment, ShopPaymentSettings


class StripeCheckout(PaymentMethod):
    name = "stripe"
    refund_mode = "api"
    seller_records_payment = False

    def label(self) -> str:
        return _("Card (Stripe)")

    def hint(self) -> str:
        return _("Visa, Mastercard, JCB: you pay on Stripe's secure page.")

    def available(self, settings: ShopPaymentSettings | None) -> bool:
        return configured()

    def panel(
        self, order: Order, settings: ShopPaymentSettings | None, payment: Payment | None, roles: set[Actor]
    ) -> dict[str, Any]:
        manual = order.weight_status == WeightStatus.ESTIMATE
        return {
            "can_start": Actor.BUYER in roles
            and order.status == OrderStatus.PENDING
            and not order.paid_at
            and configured()
            and order.weight_status != WeightStatus.TO_ACCEPT,
            "open": payment is not None
            and payment.method == self.name
            and payment.status == PaymentStatus.PENDING
            and bool(payment.provider_ref),
            "manual": manual,
            "max": max_total(order) if manual else order.total_vnd,
            "hold": card_hold(order.id),
        }
