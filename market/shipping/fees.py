"""The fee table, as plain arithmetic (no database, no request): tested on its own.

1. A parcel's weight is the sum of its lines: a by-weight product counts one unit's estimated grams, a product
   sold by the kilogram 1 000 g a unit, anything else the shop's ``item_weight_g`` a unit.
2. The zone's fee covers up to ``base_weight_g``; each started kilogram beyond adds the zone's extra.
3. Goods worth ``free_above_vnd`` or more ship free — but only where the shop delivers at all.
4. A zone without a fee is a zone the shop does not deliver to: the quote says so instead of inventing one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from market.shipping.zones import Zone

if TYPE_CHECKING:
    from market.orders.delivery import WeighedLine

MAX_FEE_VND = 5_000_000  # a fee table typed with a zero too many is refused, not charged
MAX_WEIGHT_G = 1_000_000  # 1 tonne: the most a weight field takes


@dataclass(frozen=True)
class FeeTable:
    fees: dict[Zone, int | None]
    extras: dict[Zone, int]
    base_weight_g: int = 2000
    item_weight_g: int = 1000
    free_above_vnd: int | None = None


def line_grams(unit: str, qty: int, piece_weight_g: int | None, item_weight_g: int) -> int:
    if piece_weight_g:
        return piece_weight_g * qty
    if unit == "kg":
        return 1000 * qty
    return item_weight_g * qty


def parcel_grams(lines: Iterable[WeighedLine], item_weight_g: int) -> int:
    return sum(line_grams(line.unit, line.qty, line.piece_weight_g, item_weight_g) for line in lines)


def extra_kilograms(grams: int, base_weight_g: int) -> int:
    """Started kilograms beyond the base weight: 2 001 g over a 2 kg base is one more kilogram."""
    over = max(0, grams - base_weight_g)
    return -(-over // 1000)


def table_fee(table: FeeTable, zone: Zone, grams: int, value_vnd: int) -> int | None:
    """The fee in đồng, or None when the shop does not deliver to ``zone``."""
    base = table.fees.get(zone)
    if base is None:
        return None
    if table.free_above_vnd is not None and value_vnd >= table.free_above_vnd:
        return 0
    return base + extra_kilograms(grams, table.base_weight_g) * table.extras.get(zone, 0)
