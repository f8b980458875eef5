"""What the orders area needs from shipping, without importing it (shipping depends on orders, not back).

``market.shipping`` registers the one rate service in its ``init_app``, as payments registers its gateway. Checkout,
the cart, an order completed after a live and the live checkout sheet ask it the same question — what does
this shop charge to bring these goods to this address, and how may the buyer receive them — through
``quote`` below, so every page shows the fee the order is then placed with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flask_babel import gettext as _

SHIP = "ship"  # the shop sends it (its fee table, or a carrier's quote)
PICKUP = "pickup"  # the buyer collects it at the shop: no fee
OPTIONS = (SHIP, PICKUP)


@dataclass(frozen=True)
class Destination:
    commune: str
    province: str


@dataclass(frozen=True)
class Parcel:
    """What goes in one shop's parcel: its estimated grams and the goods' value (the subtotal)."""

    grams: int
    value_vnd: int


@dataclass(frozen=True)
class Fee:
    option: str  # SHIP or PICKUP
    fee_vnd: int | None  # None: this shop cannot deliver there (``problem`` says why)
    label: str  # for people: "Same province, up to 2 kg", "Free above 500.000 ₫", "Pick up at the shop"
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.fee_vnd is not None


@dataclass(frozen=True)
class DeliveryChoice:
    name: str  # SHIP or PICKUP
    label: str
    hint: str


class ShippingRates(Protocol):
    def choices(self, seller_id: int) -> list[DeliveryChoice]:
        """How this shop's buyers may receive their goods, in the order to offer them (SHIP first)."""

    def fee(self, seller, destination: Destination | None, parcel: Parcel, option: str) -> Fee:
        """What ``seller`` charges for ``parcel`` to ``destination`` (None: no address yet) by ``option``.
        Never raises for a place it does not serve: the Fee says so."""

    def grams(self, seller_id: int, lines) -> int:
        """The estimated grams of ``lines`` (objects with ``unit``, ``qty`` and ``piece_weight_g``)."""

    def cod_refusal(self, seller_id: int, buyer_id: int) -> str | None:
        """Why this shop asks this buyer to pay some other way than cash on delivery (refused parcels), or None."""

    def carrier_call(
        self, seller, destination: Destination | None, parcel: Parcel, fresh: bool
    ) -> Callable[[], None] | None:
        """Read what asking the shop's carrier needs (the database), and return the call itself — HTTP only,
        no database — which remembers the answer for ``fee``; None when there is nothing to ask (no carrier
        quote, no address, already known and not ``fresh``)."""


class _Free:
    """Until a rate service registers: delivery is included in the price (what the shop did before)."""

    def choices(self, seller_id: int) -> list[DeliveryChoice]:
        return [DeliveryChoice(SHIP, _("Delivery"), "")]

    def fee(self, seller, destination, parcel, option) -> Fee:
        return Fee(SHIP, 0, _("Included"))

    def grams(self, seller_id: int, lines) -> int:
        return 0

    def cod_refusal(self, seller_id: int, buyer_id: int) -> str | None:
        return None

    def carrier_call(self, seller, destination, parcel, fresh) -> None:
        return None


_rates: ShippingRates = _Free()


def register_rates(rates: ShippingRates) -> None:
    global _rates
    _rates = rates


def rates() -> ShippingRates:
    return _rates


@dataclass(frozen=True)
class WeighedLine:
    """A line as the fee sees it: its unit, how many, and one unit's estimated grams when sold by weight."""

    unit: str
    qty: int
    piece_weight_g: int | None


def quote(
    seller, lines: list[WeighedLine], subtotal_vnd: int, destination: Destination | None, option: str = SHIP
) -> Fee:
    """The fee for these lines of one shop to ``destination``: the one function every page and the live
    checkout sheet call, and the one checkout places orders with."""
    if option not in OPTIONS:
        option = SHIP
    service = rates()
    parcel = Parcel(service.grams(seller.id, lines), subtotal_vnd)
    return service.fee(seller, destination, parcel, option)


def cart_lines(items) -> list[WeighedLine]:
    """Cart items (with their product) as weighed lines."""
    return [WeighedLine(i.product.unit, i.qty, i.product.piece_weight_g) for i in items]


def order_lines(order) -> list[WeighedLine]:
    """An order's lines as weighed lines (by-weight lines count one unit's estimated grams)."""
    return [WeighedLine(i.unit, i.qty, i.est_weight_g) for i in order.items]


def quote_order(order, destination: Destination | None, option: str = SHIP) -> Fee:
    """The fee for an order already placed (a live order the buyer now gives an address for)."""
    return quote(order.seller, order_lines(order), order.subtotal_vnd, destination, option)


@dataclass(frozen=True)
class Ask:
    """One shop's parcel to price: the same arguments as ``quote``."""

    seller: object
    lines: list[WeighedLine]
    subtotal_vnd: int
    destination: Destination | None
    option: str = SHIP


def cart_asks(groups, destination: Destination | None, options: dict[int, str] | None = None) -> list[Ask]:
    options = options or {}
    return [
        Ask(g.seller, cart_lines(g.items), g.subtotal_vnd, destination, options.get(g.seller.id) or SHIP)
        for g in groups
    ]


def order_ask(order, destination: Destination | None, option: str = SHIP) -> Ask:
    return Ask(order.seller, order_lines(order), order.subtotal_vnd, destination, option)


def carrier_calls(asks: list[Ask], *, fresh: bool = False) -> list[Callable[[], None]]:
    """The carrier quotes to fetch before ``quote`` can answer with them (shops that chose their carrier's fee).

    The view runs them with no transaction open (``ask_carriers``): reading here, then the HTTP calls, then the
    page or the order reads the remembered answers. ``fresh`` asks again even when an answer is remembered
    (placing an order: the fee charged is the carrier's fee now; a different one is shown before committing)."""
    service = rates()
    calls = []
    for ask in asks:
        if ask.option != SHIP or ask.destination is None:
            continue
        parcel = Parcel(service.grams(ask.seller.id, ask.lines), ask.subtotal_vnd)
        call = service.carrier_call(ask.seller, ask.destination, parcel, fresh)
        if call is not None:
            calls.append(call)
    return calls
