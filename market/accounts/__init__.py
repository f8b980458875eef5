"""Accounts: people, communes, shops and staff assignments; register, log in, apply to sell, one-time SMS codes
and API tokens. Blueprint ``accounts``; ``init_app`` adds its pages and the navigation's "Home", "Sell"/"My
shop", "Account" and "Log in" entries."""

from flask import Blueprint, Flask
from flask_babel import gettext as _

from market.ui import nav_item

bp = Blueprint("accounts", __name__)


def init_app(app: Flask) -> None:
    from market.accounts import code_routes, routes  # noqa: F401 - their views, on ``bp``

    nav_item("home", "catalog.home", lambda: _("Home"), "home", order=0, active_prefixes=("catalog.home",))
    nav_item(
        "sell",
        "accounts.apply_to_sell",
        lambda: _("My shop") if getattr(_user(), "is_seller", False) else _("Sell"),
        "shop",
        order=60,
        visible=lambda u: u.is_authenticated and not (u.is_staff or u.is_admin),
        active_prefixes=("accounts.apply_to_sell", "sell"),
    )  # "sell": the catalog's sell.* and sell_orders.*
    # Staff and admins get "Staff" (order 70) instead of "Sell", keeping the bar at five; a staff member who also
    # sells reaches the shop from the Account page.
    nav_item(
        "account",
        "accounts.account",
        lambda: _("Account"),
        "user",
        order=90,
        visible=lambda u: u.is_authenticated,
        active_prefixes=("accounts.account",),
    )
    nav_item(
        "login",
        "accounts.login",
        lambda: _("Log in"),
        "user",
        order=90,
        visible=lambda u: not u.is_authenticated,
        active_prefixes=("accounts.login", "accounts.register"),
    )
    app.register_blueprint(bp)


def _user():
    from flask_login import current_user

    return current_user
