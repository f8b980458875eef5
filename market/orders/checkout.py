"""Checkout: one order per shop from the cart, all or nothing; the delivery address kept for next time.

Each shop's order is placed through ``place_order`` (the same function the live page uses) with the
idempotency key ``cart-<attempt>-<shop id>``: the attempt is a random token the checkout page carries, so a
double tap or a retried request finds the orders of the first one instead of placing them again.

Shipping: each shop's fee comes from ``delivery.quote`` for the address and the way the buyer receives it
(delivery or pick-up). The page carries the fees it showed; when the address typed makes a fee differ, nothing
is placed and the page shows the new fee and grand total first — the buyer never commits to a total unseen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts.models import User
from market.accounts.service import normalize_phone
from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.i18n import vnd
from market.orders import cart, delivery
from market.orders.models import DeliveryAddress, Order
from market.orders.payment import gateway
from market.orders.service import Line, place_order
from market.orders.signals import order_amount_changed
from market.orders.states import OrderOrigin
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
    values = {
        "ship_name": clean_line(name if isinstance(name, str) else None),
        "ship_street": clean_line(street if isinstance(street, str) else None),
        "ship_commune": clean_line(commune if isinstance(commune, str) else None),
        "ship_province": clean_line(province if isinstance(province, str) else None),
    }
    required = (
        ("ship_name", _("Enter the receiver's name.")),
        ("ship_street", _("Enter the street address.")),
        ("ship_province", _("Enter the province or city.")),
    )
    for fld, message in required:
        if not values[fld]:
            raise DomainError(ErrorCode.INVALID, message, field=fld)
    for fld, limit in LIMITS.items():
        if len(values[fld]) > limit:
            raise DomainError(ErrorCode.INVALID, _("At most %(max)d characters.", max=limit), field=fld)
    try:
        e164 = normalize_phone(phone if isinstance(phone, str) else None)
    except DomainError as err:
        raise DomainError(ErrorCode.INVALID, err.message, field="ship_phone") from None
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
        raise DomainError(ErrorCode.INVALID, _("The checkout form has expired; reload the page and try again."))
    return attempt


def orders_of_attempt(buyer: User, attempt: str) -> list[Order]:
    prefix = f"cart-{attempt}-"
    return list(
        db.session.scalars(
            sa.select(Order)
            .where(Order.buyer_id == buyer.id, Order.idempotency_key.startswith(prefix, autoescape=True))
            .order_by(Order.id)
        )
    )


def destination_of(address: Address | DeliveryAddress | None) -> delivery.Destination | None:
    if address is None:
        return None
    return delivery.Destination(address.commune or "", address.province or "")


def group_fees(
    groups: list[cart.CartGroup], destination: delivery.Destination | None, options: dict[int, str] | None = None
) -> dict[int, delivery.Fee]:
    """Each shop's shipping for the cart as it is, by the way the buyer chose to receive it."""
    options = options or {}
    return {
        g.seller.id: delivery.quote(
            g.seller,
            delivery.cart_lines(g.items),
            g.subtotal_vnd,
            destination,
            options.get(g.seller.id) or delivery.SHIP,
        )
        for g in groups
    }


def grand_total(groups: list[cart.CartGroup], fees: dict[int, delivery.Fee]) -> int:
    """Goods plus every known fee (a fee not known yet counts nothing: the page says so)."""
    return sum(g.subtotal_vnd + (fees[g.seller.id].fee_vnd or 0) for g in groups)


def place_cart(
    buyer: User,
    attempt: str,
    methods: dict[int, str],
    address: Address,
    options: dict[int, str] | None = None,
    shown_fees: dict[int, int | None] | None = None,
) -> list[Order]:
    """Place one order per shop in the cart, or none at all (a sold-out line refuses the whole checkout).

    ``options``: per shop, delivery or pick-up (delivery when absent). ``shown_fees``: the fees the page showed;
    one that differs from the quote now (the buyer typed another address) refuses with ``fee_changed``.
    """
    attempt = check_attempt(attempt)
    earlier = orders_of_attempt(buyer, attempt)
    if earlier:
        return earlier
    groups = cart.groups(buyer)
    if not groups:
        raise DomainError(ErrorCode.INVALID, _("Your cart is empty."))
    for group in groups:
        if not methods.get(group.seller.id):
            raise DomainError(
                ErrorCode.INVALID,
                _("Choose how you will pay %(shop)s.", shop=group.seller.shop_name),
                field=f"method-{group.seller.id}",
            )
    for group in groups:
        if methods[group.seller.id] == "cod":
            refusal = delivery.rates().cod_refusal(group.seller.id, buyer.id)
            if refusal:
                raise DomainError(ErrorCode.INVALID, refusal, field=f"method-{group.seller.id}")
    fees = group_fees(groups, destination_of(address), options)
    for group in groups:
        fee = fees[group.seller.id]
        if not fee.ok:
            raise DomainError(
                ErrorCode.INVALID,
                fee.problem or _("Enter your address to see the shipping fee."),
                field=f"delivery-{group.seller.id}",
            )
    if shown_fees and any(sid in shown_fees and shown_fees[sid] != fee.fee_vnd for sid, fee in fees.items()):
        raise DomainError(
            ErrorCode.FEE_CHANGED,
            _("Shipping is now calculated for your address. Check the totals, then place the order."),
            status=409,
        )
    lock_products(item.product_id for group in groups for item in group.items)  # every shop's, ascending
    placed = []
    for group in groups:
        lines = [Line("product", item.product_id, item.qty) for item in group.items]
        fee = fees[group.seller.id]
        assert fee.fee_vnd is not None  # every fee was checked ``ok`` above
        order = place_order(
            buyer, lines, f"cart-{attempt}-{group.seller.id}", origin=OrderOrigin.CART, shipping_vnd=fee.fee_vnd
        ).order
        order.delivery_option = fee.option
        apply_address(order, address)
        gateway().choose(order, methods[group.seller.id], buyer)
        for item in group.items:
            db.session.delete(item)
        placed.append(order)
    save_address(buyer, address)
    db.session.flush()
    return placed


def apply_fee(
    order: Order, address: Address, option: str = delivery.SHIP, shown_fee: int | None | str = "unchecked"
) -> delivery.Fee:
    """Price the shipping of a pending order the buyer gives an address for (a live order, a phone order):
    the same quote as checkout. ``shown_fee``: the fee the buyer's page showed; another one is refused with
    ``fee_changed`` so the buyer sees it before committing. A paid order keeps its fee."""
    fee = delivery.quote_order(order, destination_of(address), option)
    if fee.fee_vnd is None:  # not ``ok``
        raise DomainError(
            ErrorCode.INVALID, fee.problem or _("Enter your address to see the shipping fee."), field="ship_province"
        )
    if shown_fee != "unchecked" and shown_fee != fee.fee_vnd:
        raise DomainError(
            ErrorCode.FEE_CHANGED,
            _("Shipping to this address is %(fee)s: check the total, then confirm again.", fee=vnd(fee.fee_vnd)),
            field="ship_province",
            status=409,
        )
    if order.paid_at is not None or gateway().max_chargeable(order) is not None:  # paid, or a card hold
        if fee.fee_vnd != order.shipping_vnd:
            raise DomainError(
                ErrorCode.INVALID,
                _("This order is paid; its shipping fee can no longer change. Ask the shop."),
                field="ship_province",
                status=409,
            )
    else:
        old_total = order.total_vnd
        order.shipping_vnd = fee.fee_vnd
        order.total_vnd = order.subtotal_vnd + fee.fee_vnd
        order.delivery_option = fee.option
        db.session.flush()
        if order.total_vnd != old_total:
            order_amount_changed.send(order, old_total=old_total)
    return fee


def complete_order(
    order: Order,
    buyer: User,
    address: Address,
    method: str,
    option: str = delivery.SHIP,
    shown_fee: int | None | str = "unchecked",
) -> Order:
    """A pending order without an address or payment yet (placed during a live): the buyer finishes it.

    Its shipping fee is priced here for the address, as checkout prices a cart (``apply_fee``)."""
    if order.buyer_id != buyer.id:
        from market.domain import NotFound

        raise NotFound(_("This order does not exist."))
    from market.orders.states import OrderStatus

    if order.status != OrderStatus.PENDING or order.paid_at is not None:
        raise DomainError(ErrorCode.INVALID, _("This order can no longer be changed."), status=409)
    refusal = delivery.rates().cod_refusal(order.seller_id, buyer.id) if method == "cod" else None
    if refusal:
        raise DomainError(ErrorCode.INVALID, refusal, field="method")
    apply_fee(order, address, option, shown_fee)
    apply_address(order, address)
    save_address(buyer, address)
    gateway().choose(order, method, buyer)
    return order
