"""Payments: one registry of interchangeable methods over one base class (cash on delivery, VietQR bank
transfer, Stripe Checkout), the payment attempts of each order, the webhooks that confirm them, refunds.

``METHODS`` maps a method's name to its class; ``get_method(name)`` gives an instance. Stripe is offered
only when its keys are configured. Payments depends on orders (never the reverse): ``init_app`` registers it
as the orders area's payment gateway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask

from market.payments.base import PaymentMethod
from market.payments.cod import CashOnDelivery
from market.payments.stripe.method import StripeCheckout
from market.payments.vietqr import VietQRTransfer

if TYPE_CHECKING:
    from market.orders.models import Order
    from market.orders.states import Actor

bp = Blueprint("payments", __name__)
sell_bp = Blueprint("sell_payments", __name__, url_prefix="/sell/payments")

METHODS: dict[str, type[PaymentMethod]] = {cls.name: cls for cls in (CashOnDelivery, VietQRTransfer, StripeCheckout)}


def get_method(name: str | None) -> PaymentMethod:
    from flask_babel import gettext as _

    from market.domain import DomainError

    cls = METHODS.get(name or "")
    if cls is None:
        raise DomainError("invalid", _("Choose how you will pay."), field="method")
    return cls()


def init_app(app: Flask) -> None:
    """The pages and webhooks (and the pages' template helpers, ``helpers.py``), the orders area's payment gateway, the
    listeners that refund or close attempts when an order changes, the panels it shows in slots and ``flask
    retry-refunds``."""
    from market.orders.payment import register_gateway
    from market.payments import cli, helpers, listeners, routes, sell, webhooks  # noqa: F401 - views, template helpers
    from market.payments.gateway import Gateway
    from market.ui import slot

    register_gateway(Gateway())
    listeners.register()
    slot("order.payment", "payments", "payments/_order_panel.html", _order_panel)
    slot("seller.links", "payments", "payments/_seller_link.html", lambda profile=None, **kw: {"profile": profile})
    app.register_blueprint(bp)  # its two webhooks are exempt from CSRF and signed instead
    app.register_blueprint(sell_bp)
    cli.register(app)


def _order_panel(order: Order | None = None, roles: set[Actor] | None = None, **_kw: Any) -> dict[str, Any] | None:
    from market.payments.service import order_panel

    return order_panel(order, roles or set()) if order is not None else None
