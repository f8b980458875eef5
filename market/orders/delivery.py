"""What the orders area needs from shipping, without importing it (shipping depends on orders, not back).

``market.shipping`` registers the one rate service at import, as payments registers its gateway. Checkout,
the cart, an order completed after a live and the live checkout sheet ask it the same question — what does
this shop charge to bring these goods to this address, and how may the buyer receive them — through
``quote`` below, so every page shows the fee the order is then placed with.
"""

from __future__ import annotations

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


def quote(seller, lines: list[WeighedLine], subtotal_vnd: int, destination: Destination | None,
          option: str = SHIP) -> Fee:
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
