"""Where an order line's stock comes from, and where it goes back to; the lock order of shelf rows.

A *stock source* reserves units atomically and gives them back when an order is cancelled or expires. The
orders area knows the shelf (``product``); the live area registers ``offer`` (units allotted to a live
offer) without the orders area importing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from flask_babel import gettext as _

from market.catalog.labels import unit_label
from market.catalog.models import Product, ProductStatus
from market.database import rowcount
from market.domain import DomainError
from market.extensions import db

if TYPE_CHECKING:
    from market.accounts.models import User


@dataclass(frozen=True)
class Reservation:
    product_id: int
    seller_id: int
    title: str
    unit: str
    unit_price_vnd: int
    source: str
    source_id: int
    qty: int
    live_session_id: int | None = None
    # Sold by weight: one unit's estimated grams and the tolerance (percent) the buyer agrees to by ordering.
    est_weight_g: int | None = None
    weight_tolerance_pct: int | None = None


class StockLine(Protocol):
    """An order line as far as its stock goes: ``service.Line`` or ``OrderItem``."""

    @property
    def source(self) -> str: ...

    @property
    def source_id(self) -> int: ...


class StockSource(Protocol):
    name: str

    def reserve(self, source_id: int, qty: int, buyer: User) -> Reservation:
        """Take ``qty`` units atomically or raise DomainError (sold_out, offer_closed, limit_exceeded …)."""

    def release(self, source_id: int, product_id: int, qty: int, buyer_id: int) -> None:
        """Give ``qty`` units back (order cancelled or expired)."""


_sources: dict[str, StockSource] = {}


def register_source(source: StockSource) -> None:
    _sources[source.name] = source


def get_source(name: str) -> StockSource:
    try:
        return _sources[name]
    except KeyError:
        raise DomainError("invalid", _("This item cannot be ordered.")) from None


def lock_products(product_ids: Iterable[int]) -> None:
    """Lock these shelf rows in ascending id order before any of them changes: the one lock order.

    A transaction that changes several products' stock (a checkout of several lines or shops, an order
    cancelled or expired, the hold sweep) calls this first with all of them. Without it two checkouts of the
    same two products in opposite order each hold one row and wait for the other's: PostgreSQL then kills
    one of them (``deadlock detected``). With it the second simply waits for the first. SQLite needs nothing:
    a transaction there holds the database's write lock from its start (``configure_sqlite``).
    """
    ids = sorted({int(i) for i in product_ids})
    if len(ids) < 2 or db.session.get_bind().dialect.name != "postgresql":
        return
    # FOR NO KEY UPDATE is the lock the stock UPDATE takes anyway; it leaves the KEY SHARE locks of rows that
    # reference the product (order lines, offers) alone.
    db.session.execute(
        sa.select(Product.id).where(Product.id.in_(ids)).order_by(Product.id).with_for_update(key_share=True)
    )


def shelf_ids(lines: Iterable[StockLine]) -> list[int]:
    """The shelf products among order lines (``Line`` or ``OrderItem``): those whose stock a change takes."""
    return [line.source_id for line in lines if line.source == ProductStock.name]


def take_from_product(product_id: int, qty: int) -> bool:
    """The one atomic conditional update that takes stock from the shelf; False when there is not enough."""
    result = db.session.execute(
        sa.update(Product)
        .where(Product.id == product_id, Product.stock >= qty)
        .values(stock=Product.stock - qty)
        .execution_options(synchronize_session=False)
    )
    _expire_stock(product_id)
    return rowcount(result) == 1


def give_to_product(product_id: int, qty: int) -> None:
    db.session.execute(
        sa.update(Product)
        .where(Product.id == product_id)
        .values(stock=Product.stock + qty)
        .execution_options(synchronize_session=False)
    )
    _expire_stock(product_id)


def _expire_stock(product_id: int) -> None:
    """The UPDATE bypassed the ORM: make a loaded Product re-read its stock."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Product) and obj.id == product_id:
            db.session.expire(obj, ["stock"])


class ProductStock:
    """Ordering from the shelf: an approved product's own stock, at its current price."""

    name = "product"

    def reserve(self, source_id: int, qty: int, buyer: User) -> Reservation:
        product = db.session.get(Product, source_id)
        if product is None or product.status != ProductStatus.APPROVED:
            raise DomainError("invalid", _("This product is not for sale."))
        if qty < product.min_order_qty:
            raise DomainError(
                "invalid",
                _("The minimum order is %(n)d %(unit)s.", n=product.min_order_qty, unit=unit_label(product.unit)),
            )
        if not take_from_product(product.id, qty):
            raise DomainError("sold_out", _("Sorry, there is not enough left of %(title)s.", title=product.title))
        return Reservation(
            product_id=product.id,
            seller_id=product.seller_id,
            title=product.title,
            unit=product.unit,
            unit_price_vnd=product.price_vnd,
            source=self.name,
            source_id=product.id,
            qty=qty,
            est_weight_g=product.piece_weight_g,
            weight_tolerance_pct=product.weight_tolerance_pct,
        )

    def release(self, source_id: int, product_id: int, qty: int, buyer_id: int) -> None:
        give_to_product(product_id, qty)
