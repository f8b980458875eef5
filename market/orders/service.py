"""Placing orders and moving them through their states. Functions flush; the caller commits once."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market.accounts.models import SellerProfile, User
from market.database import utcnow
from market.domain import DomainError, ErrorCode, Forbidden, NotFound, parse_id
from market.extensions import db
from market.orders.models import Order, OrderEvent, OrderItem
from market.orders.signals import order_status_changed, orders_placed
from market.orders.states import NEEDS_REASON, RELEASES_STOCK, Actor, OrderOrigin, OrderStatus, WeightStatus, allowed
from market.orders.stock import Reservation, get_source, lock_products, shelf_ids
from market.text import clean_line

MAX_QTY = 100_000
MAX_LINES = 50
ORDERS_PAGE = 100  # a list of one's orders: newest first, this many at a time
_KEY = re.compile(r"^[A-Za-z0-9_\-:.]{8,64}$")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


@dataclass(frozen=True)
class Line:
    source: str  # "product" or "offer"
    source_id: int
    qty: int


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool  # False when the idempotency key found an earlier order


def check_qty(qty: object) -> int:
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise DomainError(ErrorCode.INVALID, _("The quantity must be a whole number."), field="qty")
    if qty < 1:
        raise DomainError(ErrorCode.INVALID, _("The quantity must be at least 1."), field="qty")
    if qty > MAX_QTY:
        raise DomainError(ErrorCode.INVALID, _("The quantity is too large."), field="qty")
    return qty


def check_key(key: object) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise DomainError(
            ErrorCode.INVALID, _("The order request is missing its key; reload the page and try again."), field="key"
        )
    return key


def new_order_code() -> str:
    """``CP`` + 8 random characters (40 bits): unguessable, short enough for a transfer memo."""
    return "CP" + "".join(_CODE_ALPHABET[b & 31] for b in secrets.token_bytes(8))  # 32 letters: 5 bits each


def find_by_key(buyer_id: int, key: str) -> Order | None:
    return db.session.scalar(sa.select(Order).where(Order.buyer_id == buyer_id, Order.idempotency_key == key))


def hold_until(now: datetime | None = None, origin: str = OrderOrigin.CART) -> datetime:
    """A live order has its own, shorter hold (LIVE_HOLD_MINUTES): its units are wanted by the room."""
    minutes = current_app.config["LIVE_HOLD_MINUTES" if origin == OrderOrigin.LIVE else "HOLD_MINUTES"]
    return (now or utcnow()) + timedelta(minutes=minutes)


def place_order(
    buyer: User,
    lines: list[Line],
    key: str,
    *,
    origin: str = OrderOrigin.CART,
    placed_by: User | None = None,
    live_session_id: int | None = None,
    payment_method: str | None = None,
    note: str = "",
    shipping_vnd: int = 0,
) -> Placed:
    """Take the stock for ``lines`` and write one ``pending`` order to one seller, or refuse and change nothing.

    The same ``key`` from the same buyer returns the first order (a retry after a dropped connection), even
    when both requests arrive at once: the unique (buyer, key) constraint decides, and the loser's stock is
    rolled back with its savepoint.
    """
    check_key(key)
    if not lines or len(lines) > MAX_LINES:
        raise DomainError(ErrorCode.INVALID, _("The order has no items."))
    for line in lines:
        check_qty(line.qty)
        if isinstance(line.source_id, bool) or not isinstance(line.source_id, int):
            raise DomainError(ErrorCode.INVALID, _("This item cannot be ordered."))
    existing = find_by_key(buyer.id, key)
    if existing is not None:
        return Placed(existing, created=False)
    try:
        with db.session.begin_nested():
            lock_products(shelf_ids(lines))
            reservations = [get_source(line.source).reserve(line.source_id, line.qty, buyer) for line in lines]
            order = _write_order(
                buyer,
                reservations,
                key,
                origin=origin,
                placed_by=placed_by,
                live_session_id=live_session_id,
                payment_method=payment_method,
                note=note,
                shipping_vnd=shipping_vnd,
            )
    except IntegrityError:
        existing = find_by_key(buyer.id, key)
        if existing is None:
            raise
        return Placed(existing, created=False)
    orders_placed.send(origin, placed=[Placement.of_order(order, buyer.display_name)])
    return Placed(order, created=True)


@dataclass
class OrderRows:
    """Column values of one new order, its lines and its first event (``order_id`` left for the writer)."""

    order: dict
    items: list[dict]
    events: list[dict]


def order_rows(
    buyer_id: int,
    seller_id: int,
    reservations: list[Reservation],
    key: str,
    *,
    origin: str,
    placed_by: User | None = None,
    live_session_id: int | None = None,
    payment_method: str | None = None,
    note: str = "",
    shipping_vnd: int = 0,
    now: datetime | None = None,
) -> OrderRows:
    """How a new pending order looks, as plain column values: the one description of it.

    ``place_order`` turns these rows into ORM objects; bulk writers (live order merging, a few hundred orders
    in one transaction) insert them as they are, which costs a fraction of building and flushing objects.
    The caller has checked who may order what (one shop, not one's own).
    """
    sessions = {r.live_session_id for r in reservations if r.live_session_id}
    live_session_id = live_session_id or (sessions.pop() if len(sessions) == 1 else None)
    subtotal = sum(r.unit_price_vnd * r.qty for r in reservations)
    shipping = int(shipping_vnd or 0)
    now = now or utcnow()
    order = {
        "code": new_order_code(),
        "buyer_id": buyer_id,
        "seller_id": seller_id,
        "status": OrderStatus.PENDING.value,
        "subtotal_vnd": subtotal,
        "shipping_vnd": shipping,
        "total_vnd": subtotal + shipping,
        "origin": str(origin),
        "live_session_id": live_session_id,
        "placed_by_id": placed_by.id if placed_by else None,
        "idempotency_key": key,
        "payment_method": payment_method,
        "hold_expires_at": hold_until(now, origin),
        "status_changed_at": now,
        "note": clean_line(note)[:500],
        "weight_status": WeightStatus.ESTIMATE.value if any(r.est_weight_g for r in reservations) else None,
        "created_at": now,
        "updated_at": now,
    }
    items = [
        {
            "product_id": r.product_id,
            "source": r.source,
            "source_id": r.source_id,
            "title": r.title,
            "unit": r.unit,
            "unit_price_vnd": r.unit_price_vnd,
            "qty": r.qty,
            "line_total_vnd": r.unit_price_vnd * r.qty,
            "est_weight_g": r.est_weight_g,
            "weight_tolerance_pct": r.weight_tolerance_pct if r.est_weight_g else None,
            "packed_weight_g": None,
        }
        for r in reservations
    ]
    role = Actor.STAFF if placed_by and placed_by.is_staff else (Actor.SELLER if placed_by else Actor.BUYER)
    event = {
        "from_status": None,
        "to_status": OrderStatus.PENDING.value,
        "kind": None,
        "actor_id": placed_by.id if placed_by else buyer_id,
        "actor_role": role.value,
        "reason": _("Entered on the buyer's behalf by %(name)s", name=placed_by.display_name) if placed_by else None,
        "created_at": now,
    }
    return OrderRows(order, items, [event])


@dataclass(frozen=True)
class PlacedLine:
    source: str
    source_id: int
    title: str
    unit: str
    qty: int


@dataclass(frozen=True)
class Placement:
    """A new order as ``orders_placed`` listeners see it, the same whether it was written as an ORM object or
    in bulk as plain rows: what the live room, the metrics and the notices need, without loading it."""

    id: int
    code: str
    origin: str
    buyer_id: int
    buyer_name: str
    seller_id: int
    placed_by_id: int | None
    live_session_id: int | None
    total_vnd: int
    lines: tuple[PlacedLine, ...]

    @classmethod
    def of_rows(cls, order_id: int, rows: OrderRows, buyer_name: str) -> Placement:
        o = rows.order
        return cls(
            order_id,
            o["code"],
            o["origin"],
            o["buyer_id"],
            buyer_name,
            o["seller_id"],
            o["placed_by_id"],
            o["live_session_id"],
            o["total_vnd"],
            tuple(PlacedLine(i["source"], i["source_id"], i["title"], i["unit"], i["qty"]) for i in rows.items),
        )

    @classmethod
    def of_order(cls, order: Order, buyer_name: str) -> Placement:
        return cls(
            order.id,
            order.code,
            order.origin,
            order.buyer_id,
            buyer_name,
            order.seller_id,
            order.placed_by_id,
            order.live_session_id,
            order.total_vnd,
            tuple(PlacedLine(i.source, i.source_id, i.title, i.unit, i.qty) for i in order.items),
        )

    def load(self) -> Order:
        """The ORM order (no query when this transaction wrote it as an object)."""
        return db.session.get(Order, self.id)


def _write_order(buyer: User, reservations: list[Reservation], key: str, **fields) -> Order:
    sellers = {r.seller_id for r in reservations}
    if len(sellers) != 1:
        raise DomainError(ErrorCode.INVALID, _("One order holds products of one shop only."))
    seller_id = sellers.pop()
    seller = db.session.get(SellerProfile, seller_id)
    if seller.user_id == buyer.id:
        raise DomainError(ErrorCode.FORBIDDEN, _("You cannot order from your own shop."))
    rows = order_rows(
        buyer.id,
        seller_id,
        reservations,
        key,
        origin=fields["origin"],
        placed_by=fields["placed_by"],
        live_session_id=fields["live_session_id"],
        payment_method=fields["payment_method"],
        note=fields["note"],
        shipping_vnd=fields["shipping_vnd"],
    )
    order = Order(**rows.order)
    for item in rows.items:
        order.items.append(OrderItem(**item))
    for event in rows.events:
        order.events.append(OrderEvent(**event))
    db.session.add(order)
    db.session.flush()
    return order


# ---- who may see and move an order -------------------------------------------------------------------


def roles_for(order: Order, user: User | None) -> set[Actor]:
    """The roles ``user`` holds towards ``order`` (empty: they may not even see it)."""
    if user is None or not user.is_authenticated:
        return set()
    roles = set()
    if order.buyer_id == user.id:
        roles.add(Actor.BUYER)
    if user.seller_profile is not None and user.seller_profile.id == order.seller_id:
        roles.add(Actor.SELLER)
    if user.can_staff(order.seller.commune_id):
        roles.add(Actor.STAFF)
    return roles


def get_order_for(order_id: object, user: User | None) -> Order:
    """The order if ``user`` may see it; otherwise 404, so nobody learns that it exists."""
    order = db.session.get(Order, parse_id(order_id)) if parse_id(order_id) else None
    if order is None or not roles_for(order, user):
        raise NotFound(_("This order does not exist."))
    return order


def orders_of(
    user: User, role: object = Actor.BUYER, *, status: object = None, before: object = None, limit: int = ORDERS_PAGE
) -> list[Order]:
    """The orders ``user`` placed (role "buyer") or her shop received ("seller"), newest first: at most ``limit``,
    only in ``status`` when given, only older than the order id ``before`` (the next page). Refused: another
    role, the seller role without a shop (403), a ``before`` that is not a number."""
    if role == Actor.SELLER:
        if user.seller_profile is None:
            raise Forbidden(_("Only a shop has orders to fulfil."))
        query = sa.select(Order).where(Order.seller_id == user.seller_profile.id)
    elif role == Actor.BUYER:
        query = sa.select(Order).where(Order.buyer_id == user.id)
    else:
        raise DomainError(ErrorCode.INVALID, _("role is buyer or seller."), field="role")
    if status and isinstance(status, str):  # a word that is no status matches no order
        query = query.where(Order.status == status if status in {s.value for s in OrderStatus} else sa.false())
    if before:
        if not (isinstance(before, str) and before.isascii() and before.isdigit() and len(before) <= 9):
            raise DomainError(ErrorCode.INVALID, _("before is an order id."), field="before")
        query = query.where(Order.id < int(before))
    return list(db.session.scalars(query.order_by(Order.id.desc()).limit(limit)))


def order_events(order: Order) -> list[OrderEvent]:
    """Every status change and weighing of ``order``, oldest first: its timeline."""
    return list(
        db.session.scalars(sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))
    )


def transition(
    order: Order, to_status: OrderStatus | str, *, actor: User | None, role: Actor | str, reason: str | None = None
) -> Order:
    """Move ``order`` to ``to_status`` if the table allows it for ``role``; log it; give stock back if due.

    The status is changed with a conditional UPDATE on the status we read, so two people (or a webhook and
    the hold expiry) racing on one order cannot both win: the loser is refused and changes nothing.
    """
    to_status = OrderStatus(to_status)
    role = Actor(role)
    from_status = OrderStatus(order.status)
    if role != Actor.SYSTEM and role not in roles_for(order, actor):
        raise NotFound(_("This order does not exist."))
    if not allowed(from_status, to_status, role):
        raise DomainError(
            ErrorCode.INVALID,
            _(
                "An order that is %(current)s cannot become %(new)s.",
                current=status_label(from_status),
                new=status_label(to_status),
            ),
            status=409,
        )
    reason = clean_line(reason)[:500] or None
    if (from_status, to_status, role) in NEEDS_REASON and not reason:
        raise DomainError(ErrorCode.INVALID, _("Give a reason; the buyer will see it."), field="reason")
    now = utcnow()
    result = db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id, Order.status == from_status)
        .values(status=to_status, status_changed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(order)
        raise DomainError(ErrorCode.INVALID, _("This order changed meanwhile; reload the page."), status=409)
    db.session.expire(order, ["status", "status_changed_at", "updated_at"])
    if to_status in RELEASES_STOCK:
        lock_products(shelf_ids(order.items))
        for item in order.items:
            get_source(item.source).release(item.source_id, item.product_id, item.qty, order.buyer_id)
        if to_status == OrderStatus.CANCELLED:
            order.cancel_reason = reason
    if to_status == OrderStatus.CONFIRMED:
        order.hold_expires_at = None
    db.session.add(
        OrderEvent(
            order_id=order.id,
            from_status=from_status,
            to_status=to_status,
            kind=None,
            actor_id=actor.id if actor else None,
            actor_role=role,
            reason=reason,
            created_at=now,
        )
    )
    db.session.flush()
    order_status_changed.send(
        order, from_status=from_status, to_status=to_status, actor=actor, actor_role=role, reason=reason
    )
    return order


def expire_holds(now: datetime | None = None, limit: int = 500) -> int:
    """Expire pending orders whose hold ran out and give their stock back; returns how many expired."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Order)
        .where(Order.status == OrderStatus.PENDING, Order.hold_expires_at <= now)
        .order_by(Order.hold_expires_at)
        .limit(limit)
    ).all()
    lock_products(shelf_ids(item for order in due for item in order.items))  # one transaction for them all
    expired = 0
    for order in due:
        try:
            with db.session.begin_nested():
                transition(order, OrderStatus.EXPIRED, actor=None, role=Actor.SYSTEM, reason=_("Not paid in time"))
            expired += 1
        except DomainError:  # paid or cancelled meanwhile: leave it
            continue
    return expired


# Work other areas do on the hold sweep's schedule (the live area reminds buyers at half the hold): each
# function flushes and returns how many orders it handled; the sweep (a CLI command, a background task) commits.
_hold_tasks: list = []


def register_hold_task(fn) -> None:
    if fn not in _hold_tasks:
        _hold_tasks.append(fn)


def run_hold_tasks() -> int:
    return sum(fn() for fn in _hold_tasks)


def status_label(status: str) -> str:
    labels = {
        OrderStatus.PENDING: _("awaiting payment"),
        OrderStatus.CONFIRMED: _("confirmed"),
        OrderStatus.PACKED: _("packed"),
        OrderStatus.SHIPPED: _("shipped"),
        OrderStatus.DELIVERED: _("delivered"),
        OrderStatus.CANCELLED: _("cancelled"),
        OrderStatus.EXPIRED: _("expired"),
        OrderStatus.REFUNDED: _("refunded"),
        OrderStatus.RETURNED: _("returned to the shop"),
    }
    return labels.get(status, str(status))
