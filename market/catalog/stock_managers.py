"""Who else manages a product's stock: a higher area (co-op lots) that keeps a listing's stock itself.

The catalog may not import that area, so it offers a registry (declared in ``market/hooks.py``). For such a
product the listing form shows the stock, the unit and the estimated weight without letting them be edited (they
would no longer add up), and an edit keeps them (``keep_managed_fields``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from market.catalog.listing_input import ListingInput
from market.catalog.models import Product
from market.catalog.weight import round_div

_stock_managers: list[Callable[[Product], object]] = []


def register_stock_manager(explain: Callable[[Product], object]) -> None:
    """``explain(product) -> str | None``: a higher area (co-op lots) that keeps this product's stock itself says
    so with a sentence for the seller; the listing form then shows the stock, the unit and the estimated weight
    without letting them be edited (they would no longer add up). Registering a function again changes nothing
    (every ``create_app`` registers it)."""
    if explain not in _stock_managers:
        _stock_managers.append(explain)


def stock_managed(product: Product | None) -> str | None:
    if product is None or product.id is None:
        return None
    for explain in _stock_managers:
        note = explain(product)
        if note:
            return str(note)
    return None


def keep_managed_fields(product: Product, data: ListingInput) -> ListingInput:
    """Stock, unit and estimated weight stay as they are; a by-weight unit price follows the new price per kg."""
    typed_by_weight = data.piece_weight_g is not None
    data = replace(data, stock=product.stock, unit=product.unit, piece_weight_g=product.piece_weight_g)
    if product.piece_weight_g is None:
        return replace(
            data,
            price_per_kg_vnd=None,
            weight_tolerance_pct=None,
            price_vnd=product.price_vnd if typed_by_weight else data.price_vnd,
        )
    per_kg = data.price_per_kg_vnd or product.price_per_kg_vnd
    assert per_kg is not None  # a by-weight product has its price per kg (the table's check constraint)
    return replace(
        data,
        price_per_kg_vnd=per_kg,
        weight_tolerance_pct=data.weight_tolerance_pct or product.weight_tolerance_pct,
        price_vnd=max(1, round_div(product.piece_weight_g * per_kg, 1000)),
    )
