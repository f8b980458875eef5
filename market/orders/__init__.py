"""Orders: statuses and transitions, stock holds, placing orders (cart and live use the same place_order),
cart and checkout, the buyer's order pages, the seller's fulfilment pages and reviews (the JSON API over them is
``market.api.orders``)."""

from flask import Blueprint, Flask
from flask_babel import gettext as _
from markupsafe import Markup, escape

from market.ui import nav_item, slot

bp = Blueprint("orders", __name__)
sell_bp = Blueprint("sell_orders", __name__, url_prefix="/sell/orders")


def init_app(app: Flask) -> None:
    """The pages and their template helpers (``helpers.py``), the "product" stock source (the shelf), who hears of each
    change (notify.py, phone.py), the Prometheus counts, the "Orders" entry of the navigation, the slots it fills and
    ``flask expire-holds``."""
    from market.orders import cli, helpers, notify, phone, routes, sell, signals, stock  # noqa: F401 - views, helpers

    stock.register_source(stock.ProductStock())
    notify.register()
    phone.register()
    signals.count_in_metrics()
    nav_item(
        "orders",
        "orders.index",
        _orders_label,
        "orders",
        order=40,
        visible=lambda u: u.is_authenticated,
        active_prefixes=("orders.", "payments.", "notifications."),
    )
    slot("product.actions", "orders.add_to_cart", "orders/_slot_add_to_cart.html", _product_actions)
    slot("shop.top", "orders.reviews", "orders/_slot_shop_reviews.html", _shop_reviews)
    slot("account.links", "orders.links", "orders/_slot_account_links.html", lambda user=None, **kw: {"user": user})
    slot(
        "seller.links",
        "orders.sell_links",
        "orders/_slot_seller_links.html",
        lambda profile=None, **kw: {"profile": profile} if profile is not None and profile.is_approved else None,
    )
    app.register_blueprint(bp)
    app.register_blueprint(sell_bp)
    cli.register(app)


def _orders_label():
    """ "Orders", with the number of unread notifications as a badge."""
    from flask_login import current_user

    from market.notifications.service import unread_count

    label = escape(_("Orders"))
    try:
        count = unread_count(current_user.id) if current_user.is_authenticated else 0
    except Exception:  # an error page while the database is away still renders its navigation
        count = 0
    if count:
        return Markup('{} <b class="nav-badge" aria-label="{}">{}</b>').format(
            label, _("%(n)d unread notifications", n=count), count if count < 100 else "99+"
        )
    return label


def _product_actions(product=None, **_kw):
    from market.orders.routes import product_actions_context

    return product_actions_context(product) if product is not None else None


def _shop_reviews(profile=None, **_kw):
    from market.orders.routes import shop_reviews_context

    return shop_reviews_context(profile) if profile is not None else None
