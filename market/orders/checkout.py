"""Checkout: one order per shop from the cart, all or nothing; the delivery address kept for next time.

Each shop's order is placed through ``place_order`` (the same function the live page uses) with the
idempotency key ``cart-<attempt>-<shop id>``: the attempt is a random token the checkout page carries, so a
double tap or a retried request finds the orders of the first one instead of placing them again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts.models import User
from market.accounts.service import normalize_phone
from market.domain import DomainError
from market.extensions import db
from market.orders import cart
from market.orders.models import DeliveryAddress, Order
from market.orders.payment import gateway
from market.orders.service import Line, place_order
from market.orders.stock import lock_products
from market.text import clean_line

_ATTEMPT = re.compile(r"^[A-Za-z0-9]{16,40}$")
LIMITS = {"ship_name": 80, "ship_street": 200, "ship_commune": 120, "ship_province": 120}


@dataclass(frozen=True)
class Address:
    name: str
    phone: str  # E.164
    street: str
    commune: str
    province: str


def clean_address(name: object, phone: object, street: object, commune: object, province: object) -> Address:
    values = {"ship_name": clean_line(name if isinstance(name, str) else None),
              "ship_street": clean_line(street if isinstance(street, str) else None),
              "ship_commune": clean_line(commune if isinstance(commune, str) else None),
              "ship_province": clean_line(province if isinstance(province, str) else None)}
    required = (("ship_name", _("Enter the receiver's name.")), ("ship_street", _("Enter the street address.")),
                ("ship_province", _("Enter the province or city.")))
    for fld, message in required:
        if not values[fld]:
            raise DomainError("invalid", message, field=fld)
    for fld, limit in LIMITS.items():
        if len(values[fld]) > limit:
            raise DomainError("invalid", _("At most %(max)d characters.", max=limit), field=fld)
    try:
        e164 = normalize_phone(phone if isinstance(phone, str) else None)
    except DomainError as err:
        raise DomainError("invalid", err.message, field="ship_phone") from None
    return Address(values["ship_name"], e164, values["ship_street"], values["ship_commune"], values["ship_province"])


def saved_address(user: User) -> DeliveryAddress | None:
    return db.session.scalar(sa.select(DeliveryAddress).where(DeliveryAddress.user_id == user.id))


def save_address(user: User, address: Address) -> DeliveryAddress:
    row = saved_address(user) or DeliveryAddress(user_id=user.id)
    row.name, row.phone, row.street = address.name, address.phone, address.street
    row.commune, row.province = address.commune, address.province
    db.session.add(row)
    db.session.flush()
    return row


def apply_address(order: Order, address: Address) -> None:
    order.ship_name, order.ship_phone, order.ship_street = address.name, address.phone, address.street
    order.ship_commune, order.ship_province = address.commune, address.province
    db.session.flush()


def check_attempt(attempt: object) -> str:
    if not isinstance(attempt, str) or not _ATTEMPT.match(attempt):
        raise DomainError("invalid", _("The checkout form has expired; reload the page and try again."))
    return attempt


def orders_of_attempt(buyer: User, attempt: str) -> list[Order]:
    prefix = f"cart-{attempt}-"
    return list(db.session.scalars(sa.select(Order).where(Order.buyer_id == buyer.id,
                                                          Order.idempotency_key.startswith(prefix, autoescape=True))
                                   .order_by(Order.id)))


def place_cart(buyer: User, attempt: str, methods: dict[int, str], address: Address) -> list[Order]:
    """Place one order per shop in the cart, or none at all (a sold-out line refuses the whole checkout)."""
    attempt = check_attempt(attempt)
    earlier = orders_of_attempt(buyer, attempt)
    if earlier:
        return earlier
    groups = cart.groups(buyer)
    if not groups:
        raise DomainError("invalid", _("Your cart is empty."))
    for group in groups:
        if not methods.get(group.seller.id):
            raise DomainError("invalid", _("Choose how you will pay %(shop)s.", shop=group.seller.shop_name),
                              field=f"method-{group.seller.id}")
    lock_products(item.product_id for group in groups for item in group.items)  # every shop's, ascending
    placed = []
    for group in groups:
        lines = [Line("product", item.product_id, item.qty) for item in group.items]
        order = place_order(buyer, lines, f"cart-{attempt}-{group.seller.id}", origin="cart").order
        apply_address(order, address)
        gateway().choose(order, methods[group.seller.id], buyer)
        for item in group.items:
            db.session.delete(item)
        placed.append(order)
    save_address(buyer, address)
    db.session.flush()
    return placed


def complete_order(order: Order, buyer: User, address: Address, method: str) -> Order:
    """A pending order without an address or payment yet (placed during a live): the buyer finishes it."""
    if order.buyer_id != buyer.id:
        from market.domain import NotFound

        raise NotFound(_("This order does not exist."))
    from market.orders.states import OrderStatus

    if order.status != OrderStatus.PENDING or order.paid_at is not None:
        raise DomainError("invalid", _("This order can no longer be changed."), status=409)
    apply_address(order, address)
    save_address(buyer, address)
    gateway().choose(order, method, buyer)
    return order
