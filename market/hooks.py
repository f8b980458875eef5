"""Every extension point of the app, declared once.

- **Slots** (``ui.slot``): named places in shared pages where an area includes one of its own templates. Each is
  declared here with the keyword arguments the page passes to the providers, so a provider never guesses:
  ``ui.slot`` refuses an undeclared name, ``ui.slot_entries`` refuses a page passing an undeclared keyword, and
  tests/test_hooks.py checks that every provider takes only declared keywords.
- **Registries**: how a lower area uses what a higher one provides without importing it (the dependency
  direction of docs/architecture.md). Each is listed with the module that keeps it, what it takes and who fills
  it; tests/test_hooks.py checks the function is still there with that first parameter. Areas fill them in their
  ``init_app`` (``create_app`` calls them in the order of ``market.AREAS``, lower layers first), never when a
  module is imported; filling one again with the same entry changes nothing (tests/test_hooks.py checks both).
- **Signals** (blinker) are declared in each area's ``signals.py`` (accounts, catalog, orders, live, video, moderation);
  docs/architecture.md says who sends and who hears each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlotSpec:
    name: str
    kwargs: frozenset[str]  # what pages pass to the providers (a page may pass fewer: each is optional)
    where: str


@dataclass(frozen=True)
class Registry:
    function: str  # "module:function"
    takes: str  # the first parameter's name: what is registered
    what: str
    filled_by: str


def _slot(name: str, kwargs: tuple[str, ...], where: str) -> SlotSpec:
    return SlotSpec(name, frozenset(kwargs), where)


SLOTS: dict[str, SlotSpec] = {
    spec.name: spec
    for spec in (
        _slot("home.top", ("commune",), "top of the home page; a commune's page passes its commune"),
        _slot("home.main", (), "body of the home page"),
        _slot("commune.top", ("commune",), "top of a commune's page"),
        _slot("commune.main", ("commune",), "body of a commune's page"),
        _slot("shop.top", ("profile",), "top of a shop's page (profile: the SellerProfile)"),
        _slot("product.actions", ("product",), "under a product's price: what one can do with it"),
        _slot("account.links", ("user",), "links on the account page"),
        _slot("seller.links", ("profile",), "links on the seller's home page"),
        _slot("order.payment", ("order", "roles"), "the payment panel of an order page (roles: the viewer's)"),
        _slot("order.shipping", ("order", "roles"), "the shipping panel of an order page (roles: the viewer's)"),
        _slot("live.ended", ("session",), "the page of a live session that has ended"),
        _slot("live.replay", ("session",), "the replay on the page of a live session that has ended"),
        _slot("live.video", ("session",), "the player on a live session's page"),
        _slot("live.host.video", ("session", "is_host"), "the camera panel of the host's console"),
        _slot("seller.orders_batch", ("profile",), "beside the batch actions of the seller's order list"),
        _slot("staff.home", ("user",), "the staff desk's counters"),
    )
}

REGISTRIES: tuple[Registry, ...] = (
    Registry("market.ui:nav_item", "key", "an entry of the navigation", "every area with a page of its own"),
    Registry("market.ui:slot", "name", "a template in a slot of SLOTS, with its provider", "every area"),
    Registry("market.moderation:staff_tab", "key", "a tab of the staff area", "moderation"),
    Registry(
        "market.orders.stock:register_source",
        "source",
        "a StockSource (orders/stock.py): takes and gives back one kind of stock",
        "orders (shelf), live (offer)",
    ),
    Registry(
        "market.orders.payment:register_gateway",
        "gateway",
        "the PaymentGateway (orders/payment.py): payment rules orders asks about",
        "payments",
    ),
    Registry(
        "market.orders.delivery:register_rates",
        "rates",
        "the ShippingRates (orders/delivery.py): the fee of an order",
        "shipping",
    ),
    Registry(
        "market.orders.sessions:register_session_titles",
        "lookup",
        "ids → titles of live sessions, for order pages",
        "live",
    ),
    Registry("market.orders.service:register_hold_task", "fn", "work run with the hold-expiry sweep", "live"),
    Registry(
        "market.catalog.stock_managers:register_stock_manager",
        "explain",
        "product → why its stock is not typed on the listing form (or None)",
        "coop",
    ),
    Registry(
        "market.live.streams:register_own_video",
        "enabled",
        "() → whether this site streams sessions itself (a session's outside link is then optional)",
        "video",
    ),
    Registry(
        "market.live.chat:register_chat_check",
        "check",
        "(session, user, text) → refuses a chat message before it is stored",
        "moderation (word filter)",
    ),
    Registry(
        "market.notifications.service:message_kind",
        "kind",
        "a decorator: the text function (params → str) of a notification kind",
        "every area that notifies",
    ),
    Registry(
        "market.moderation.reports.service:register_target_type",
        "name",
        "a kind of thing people may report, with its resolver",
        "moderation",
    ),
    Registry(
        "market.moderation.scope:register_kind",
        "name",
        "a model staff act on, with its commune (for get_in_scope and scoped)",
        "moderation",
    ),
    Registry(
        "market.moderation.scope:register_footprint",
        "name",
        "(user id, commune id) pairs a person has left in a commune, for staff scope",
        "moderation",
    ),
    Registry("market.moderation.audit:register_action", "name", "an audit action's label", "moderation"),
)


def slot_spec(name: str) -> SlotSpec:
    if name not in SLOTS:
        raise KeyError(f"slot {name!r} is not declared in market/hooks.py SLOTS")
    return SLOTS[name]
