"""Shipping: each shop's fee table (zones × weight, free above an amount, pick-up), the quote every checkout
shows and places orders with, carrier shipments (GHN, GHTK) and their tracking. See docs/shipping.md.

Shipping depends on orders (never the reverse): ``init_app`` registers its rate service with ``orders.delivery``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

sell_bp = Blueprint("sell_shipping", __name__, url_prefix="/sell/shipping")
bp = Blueprint("shipping", __name__)  # the carriers' webhooks (/webhooks/carrier/…)


def init_app(app: Flask) -> None:
    """The seller's pages and their template helpers (``helpers.py``), the carriers' webhooks, the orders area's rates
    and the panels it shows in slots."""
    from market.orders.delivery import register_rates
    from market.shipping import helpers, sell, webhooks  # noqa: F401 - their views and template helpers
    from market.shipping.service import TableRates
    from market.ui import slot

    register_rates(TableRates())
    slot("seller.links", "shipping", "shipping/_seller_link.html", lambda profile=None, **kw: {"profile": profile})
    slot("order.shipping", "shipping", "shipping/_order_panel.html", _order_panel)
    slot("seller.orders_batch", "shipping", "shipping/_orders_batch.html", _orders_batch)
    app.register_blueprint(sell_bp)
    app.register_blueprint(bp)  # carriers' webhooks: exempt from CSRF, checked as docs/shipping.md says


def _order_panel(order=None, roles=(), **_kw):
    from market.shipping.panel import order_panel

    return order_panel(order, roles) if order is not None else None


def _orders_batch(profile=None, **_kw):
    """The order list's "Tạo vận đơn" for the selected orders, when the shop has connected a carrier."""
    from market.shipping import shipments
    from market.shipping.carriers import get_carrier
    from market.shipping.sell import BATCH_MAX

    if profile is None:
        return None
    enabled = shipments.enabled_carriers()
    connected = [get_carrier(a.carrier) for a in shipments.accounts_of(profile.id) if a.carrier in enabled]
    return {"carriers": connected, "batch_max": BATCH_MAX} if connected else None
