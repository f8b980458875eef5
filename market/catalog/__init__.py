"""Catalog: products and photos, the public pages (home, communes, categories, shops, products, search) and the
seller's listing pages (blueprint ``sell``, /sell/...). Staff review listings in the moderation area
(/staff/listings), through this area's ``lifecycle.approve``/``reject``; the JSON API (``market.api.products``)
reads through ``search`` and ``ocop``."""

from flask import Blueprint

from market.ui import slot

bp = Blueprint("catalog", __name__)
# The seller's pages: endpoints "sell.*" light up the "My shop" entry of the bottom navigation.
sell_bp = Blueprint("sell", __name__, url_prefix="/sell")


def _seller_links(profile=None, **_kw):
    from market.catalog.helpers import seller_summary

    return seller_summary(profile)


slot("seller.links", "catalog", "catalog/_seller_links.html", _seller_links, order=10)

from market.catalog import helpers, media, routes, sell  # noqa: E402,F401
