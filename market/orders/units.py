"""Product units and quantities as people say them, the same words on every page and in every message.

Labels are the catalog's (``unit_label``: "trái", "túi", "kg"). How much an order holds is said by
``quantity_text``: the quantity in each unit ("2 túi", "3 kg, 2 túi"). Never a count of lines, which
disagreed with the SMS's count of units for the same order ("1 sản phẩm" against "2 sản phẩm").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from market.catalog.labels import unit_label
from market.i18n import number

if TYPE_CHECKING:
    from market.orders.models import Order

__all__ = ["quantity_text", "unit_label"]


def quantity_text(lines: Iterable[tuple[int, str]]) -> str:
    """``[(qty, unit), …]`` → "2 túi" or "3 kg, 2 túi": units added up per unit, in the order they first come."""
    totals: dict[str, int] = {}
    for qty, unit in lines:
        totals[unit] = totals.get(unit, 0) + int(qty)
    return ", ".join(f"{number(n)} {unit_label(unit)}" for unit, n in totals.items())


def order_lines(order: Order) -> list[list[int | str]]:
    """An order's (qty, unit) pairs, as plain lists (they go into a notification's stored parameters)."""
    return [[int(item.qty), item.unit] for item in order.items]
