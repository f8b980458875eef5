"""The buyer's cart (kept in the database), grouped by shop for checkout."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market.accounts.models import SellerProfile, User
from market.catalog.models import Product, ProductStatus
from market.domain import DomainError, ErrorCode, parse_id
from market.extensions import db
from market.orders.models import CartItem
from market.orders.service import MAX_LINES, MAX_QTY, check_qty
from market.orders.units import unit_label


@dataclass
class CartGroup:
    seller: SellerProfile
    items: list[CartItem] = field(default_factory=list)

    @property
    def subtotal_vnd(self) -> int:
        return sum(i.product.price_vnd * i.qty for i in self.items)

    @property
    def problems(self) -> list[str]:
        return [p for p in (item_problem(i) for i in self.items) if p]


def item_problem(item: CartItem) -> str | None:
    """Why this line cannot be ordered as it is now (sold out, no longer listed …), or None."""
    product = item.product
    if product.status != ProductStatus.APPROVED or not product.seller.is_approved:
        return _("%(title)s is no longer for sale.", title=product.title)
    if product.stock < item.qty:
        if product.stock <= 0:
            return _("%(title)s is sold out.", title=product.title)
        return _(
            "Only %(n)d %(unit)s of %(title)s left.",
            n=product.stock,
            unit=unit_label(product.unit),
            title=product.title,
        )
    if item.qty < product.min_order_qty:
        return _("The minimum order is %(n)d %(unit)s.", n=product.min_order_qty, unit=unit_label(product.unit))
    return None


def _orderable(product_id: object, user: User) -> Product:
    pid = parse_id(product_id)
    product = db.session.get(Product, pid) if pid else None
    if product is None or product.status != ProductStatus.APPROVED or not product.seller.is_approved:
        raise DomainError(ErrorCode.INVALID, _("This product is not for sale."), status=404)
    if product.seller.user_id == user.id:
        raise DomainError(ErrorCode.FORBIDDEN, _("You cannot order from your own shop."), status=403)
    return product


def add(user: User, product_id: object, qty: object) -> CartItem:
    """Put ``qty`` more of a product in the cart (the price is always the product's own, never the client's)."""
    qty = check_qty(qty)
    product = _orderable(product_id, user)
    item = db.session.scalar(sa.select(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product.id))
    total = qty + (item.qty if item else 0)
    if total > MAX_QTY:
        raise DomainError(ErrorCode.INVALID, _("The quantity is too large."), field="qty")
    if total < product.min_order_qty:
        raise DomainError(
            ErrorCode.INVALID,
            _("The minimum order is %(n)d %(unit)s.", n=product.min_order_qty, unit=unit_label(product.unit)),
            field="qty",
        )
    if total > product.stock:
        raise DomainError(
            ErrorCode.SOLD_OUT,
            _(
                "Only %(n)d %(unit)s of %(title)s left.",
                n=product.stock,
                unit=unit_label(product.unit),
                title=product.title,
            ),
            field="qty",
            status=409,
        )
    if item is not None:
        item.qty = total
        db.session.flush()
        return item
    if count_lines(user) >= MAX_LINES:
        raise DomainError(ErrorCode.INVALID, _("Your cart is full. Check out first."))
    try:
        with db.session.begin_nested():
            item = CartItem(user_id=user.id, product_id=product.id, qty=total)
            db.session.add(item)
            db.session.flush()
    except IntegrityError:  # the same product added at the same moment from another tab
        item = db.session.scalars(
            sa.select(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product.id)
        ).one()  # the other tab's line, which the unique key just proved is there
        item.qty = min(item.qty + qty, MAX_QTY)
        db.session.flush()
    return item


def set_qty(user: User, product_id: object, qty: object) -> None:
    """Change a line's quantity; 0 removes it."""
    if qty == 0 and not isinstance(qty, bool):
        remove(user, product_id)
        return
    qty = check_qty(qty)
    item = db.session.scalar(sa.select(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product_id))
    if item is None:
        raise DomainError(ErrorCode.INVALID, _("This product is not in your cart."), status=404)
    item.qty = qty
    db.session.flush()


def remove(user: User, product_id: object) -> None:
    db.session.execute(sa.delete(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product_id))


def items(user: User) -> list[CartItem]:
    return list(db.session.scalars(sa.select(CartItem).where(CartItem.user_id == user.id).order_by(CartItem.id)))


def count_lines(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count(CartItem.id)).where(CartItem.user_id == user.id)) or 0


def groups(user: User) -> list[CartGroup]:
    """The cart by shop, shops in the order their first product went in."""
    by_seller: dict[int, CartGroup] = {}
    for item in items(user):
        seller = item.product.seller
        by_seller.setdefault(seller.id, CartGroup(seller)).items.append(item)
    return list(by_seller.values())
