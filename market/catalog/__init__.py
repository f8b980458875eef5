"""Catalog: products and photos, the public pages (home, communes, categories, shops, products, search) and the
seller's listing pages (blueprint ``sell``, /sell/...). Staff review listings in the moderation area
(/staff/listings), through this area's ``lifecycle.approve``/``reject``; the JSON API (``market.api.products``)
reads through ``search`` and ``ocop``."""

from flask import Blueprint, Flask

from market.ui import slot

bp = Blueprint("catalog", __name__)
# The seller's pages: endpoints "sell.*" light up the "My shop" entry of the bottom navigation.
sell_bp = Blueprint("sell", __name__, url_prefix="/sell")


def init_app(app: Flask) -> None:
    """The pages, the template helpers (``helpers.py``, on ``bp``) and the seller home's summary."""
    from market.catalog import helpers, media, routes, sell  # noqa: F401 - their views, on the blueprints

    slot("seller.links", "catalog", "catalog/_seller_links.html", _seller_links, order=10)
    app.register_blueprint(bp)
    app.register_blueprint(sell_bp)


def _seller_links(profile=None, **_kw):
    from market.catalog.helpers import seller_summary

    return seller_summary(profile)
