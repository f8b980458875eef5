"""Commune brands and followers.

A KOL makes a brand page (``/b/<slug>``) over shops of their commune and picks their products; anyone follows
a brand, a shop or a commune and hears (in the app and by SMS) when a live session of it starts. Two
blueprints: ``brands`` (public pages, follow buttons, the unsubscribe link) and ``sell_brands``
(``/sell/brands…``). The other pages show brands and follow buttons through slots (market/ui.py); the live-start
alerts listen to the live area's ``live_started``.
"""

from flask import Blueprint, Flask

from market.ui import slot

bp = Blueprint("brands", __name__)
sell_bp = Blueprint("sell_brands", __name__, url_prefix="/sell/brands")


def init_app(app: Flask) -> None:
    """The pages, the live-start alerts and the texts of its notifications, and the slots it fills."""
    from market.brands import alerts, routes, sell, service  # noqa: F401 - routes, sell: their views

    alerts.register()
    service.register()
    slot("home.main", "brands", "brands/_brands_slot.html", _home, order=10)
    slot("commune.top", "brands.follow", "brands/_follow_slot.html", _commune_follow, order=5)
    slot("commune.main", "brands", "brands/_brands_slot.html", _commune_brands, order=10)
    slot("shop.top", "brands.shop", "brands/_shop_slot.html", _shop, order=5)
    slot("live.ended", "brands.follow", "brands/_follow_slot.html", _live_ended, order=10)
    slot("product.actions", "brands.product", "brands/_product_slot.html", _product, order=60)
    slot("account.links", "brands.following", "brands/_account_slot.html", _account, order=15)
    slot("seller.links", "brands", "brands/_seller_slot.html", _seller, order=30)
    app.register_blueprint(bp)
    app.register_blueprint(sell_bp)


def _home(**_kw):
    from market.brands.service import latest_brands

    brands = latest_brands(limit=6)
    return {"brands": brands, "commune": None} if brands else None


def _commune_brands(commune=None, **_kw):
    from market.brands.service import latest_brands

    if commune is None:
        return None
    brands = latest_brands(commune.id, limit=12)
    return {"brands": brands, "commune": commune} if brands else None


def _commune_follow(commune=None, **_kw):
    from flask_login import current_user

    from market.brands.follows import button

    return {"follow": button(current_user, "commune", commune.id, commune.name)} if commune is not None else None


def _shop(profile=None, **_kw):
    from flask_login import current_user

    from market.brands.follows import button
    from market.brands.service import brands_of_shop

    if profile is None:
        return None
    return {"follow": button(current_user, "shop", profile.id, profile.shop_name), "brands": brands_of_shop(profile)}


def _live_ended(session=None, **_kw):
    """The page of a live session that ended: follow the host's shop to hear of her next one."""
    from flask_login import current_user

    from market.brands.follows import button

    if session is None:
        return None
    return {"follow": button(current_user, "shop", session.seller_id, session.seller.shop_name)}


def _product(product=None, **_kw):
    from market.brands.service import brands_of_product

    brands = brands_of_product(product) if product is not None else []
    return {"brands": brands} if brands else None


def _account(user=None, **_kw):
    from market.brands.follows import following, following_count

    if user is None or not user.is_authenticated:
        return None
    items = [(row, target) for row, target in following(user, limit=5) if target is not None]
    return {"count": following_count(user), "recent": items}


def _seller(profile=None, **_kw):
    if profile is None or not profile.is_approved:
        return None
    return {"profile": profile}
