"""Co-op lots: one listing sold for many households of a commune (the KOL sells, each household is paid its
share). The lot's stock is the sum of the households' contributions; sales are allocated to them first come,
first served; a payout report per period splits the money (with a VietQR code per household that has a bank
account). Blueprint ``sell_lots`` under /sell/lots; depends on catalog, orders and payments, never the reverse."""

from flask import Blueprint, Flask

from market.ui import slot

# "sell_lots": endpoints starting with "sell" light up the "My shop" entry of the navigation.
bp = Blueprint("sell_lots", __name__, url_prefix="/sell/lots")


def _seller_links(profile=None, **_kw):
    return {"profile": profile} if profile is not None and profile.is_approved else None


def _product_lot(product=None, **_kw):
    """For the product page: "a co-op lot of N households of <village>, …" (public facts only)."""
    from market.coop.service import lot_of_product

    lot = lot_of_product(product.id) if product is not None else None
    if lot is None or not lot.households:
        return None
    villages = sorted({hh.village for hh in lot.households})
    return {"lot": lot, "households": len(lot.households), "villages": villages}


def init_app(app: Flask) -> None:
    """The lot pages, the catalog's stock manager (a lot keeps its product's stock), the lock a delivery takes on
    its lots, and the slots it fills."""
    from market.catalog.stock_managers import register_stock_manager
    from market.coop import sell  # noqa: F401 - its views, on ``bp``
    from market.coop.service import explain_managed_stock, on_delivered
    from market.orders.signals import order_status_changed

    register_stock_manager(explain_managed_stock)
    order_status_changed.connect(on_delivered, weak=False)
    slot("seller.links", "coop", "coop/_seller_link.html", _seller_links, order=60)
    slot("product.actions", "coop", "coop/_product_lot.html", _product_lot, order=80)
    app.register_blueprint(bp)
