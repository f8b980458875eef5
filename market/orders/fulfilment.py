"""The seller's side: the orders list (by status, by live session), batch moves, packing lists and CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _

from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.orders import actions
from market.orders.models import Order, OrderItem
from market.orders.service import get_order_for, status_label
from market.orders.states import Actor, OrderStatus
from market.orders.units import unit_label
from market.text import csv_cell

if TYPE_CHECKING:
    from market.accounts.models import User

PAGE_SIZE = 50
BATCH_MAX = 100
BATCH_ACTIONS = {"confirm": OrderStatus.CONFIRMED, "pack": OrderStatus.PACKED, "ship": OrderStatus.SHIPPED}
# Orders to harvest and pack: confirmed (paid, or cash on delivery accepted) and already packed.
TO_PACK = (OrderStatus.CONFIRMED, OrderStatus.PACKED)


def seller_orders(
    seller_id: int, status: str | None = None, live_session_id: int | None = None, page: int = 1
) -> list[Order]:
    query = sa.select(Order).where(Order.seller_id == seller_id)
    if status:
        query = query.where(Order.status == status)
    if live_session_id:
        query = query.where(Order.live_session_id == live_session_id)
    return list(
        db.session.scalars(query.order_by(Order.id.desc()).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE))
    )


def status_counts(seller_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Order.status, sa.func.count(Order.id)).where(Order.seller_id == seller_id).group_by(Order.status)
    )
    return {status: n for status, n in rows}


@dataclass(frozen=True)
class LiveSessionRef:
    id: int
    first_order_at: object
    orders: int


def live_sessions(seller_id: int) -> list[LiveSessionRef]:
    rows = db.session.execute(
        sa.select(Order.live_session_id, sa.func.min(Order.created_at), sa.func.count(Order.id))
        .where(Order.seller_id == seller_id, Order.live_session_id.is_not(None))
        .group_by(Order.live_session_id)
        .order_by(sa.func.min(Order.created_at).desc())
        .limit(50)
    )
    return [LiveSessionRef(sid, first, n) for sid, first, n in rows if sid is not None]  # none is: see the WHERE


@dataclass
class BatchResult:
    done: list[Order] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (order code or id, why)


def batch(
    user: User, order_ids: list[int], action: str, carrier: str | None = None, tracking_code: str | None = None
) -> BatchResult:
    """Apply one move to many orders; each succeeds or is refused on its own (a savepoint each)."""
    to = BATCH_ACTIONS.get(action)
    if to is None:
        raise DomainError(ErrorCode.INVALID, _("Choose what to do with the selected orders."))
    if not order_ids:
        raise DomainError(ErrorCode.INVALID, _("Select at least one order."))
    result = BatchResult()
    for order_id in list(dict.fromkeys(order_ids))[:BATCH_MAX]:
        order = None
        try:
            with db.session.begin_nested():
                order = get_order_for(order_id, user)
                role = actions.acting_role(order, user)
                if role == Actor.BUYER:
                    raise DomainError(ErrorCode.NOT_FOUND, _("This order does not exist."), status=404)
                actions.move(order, user, to, role=role, carrier=carrier, tracking_code=tracking_code)
            result.done.append(order)
        except DomainError as err:
            result.refused.append((order.code if order is not None else f"#{order_id}", err.message))
    return result


@dataclass
class PackingLine:
    product_id: int
    title: str
    unit: str
    qty: int
    amount_vnd: int


@dataclass
class PackingList:
    live_session_id: int
    orders: list[Order]
    totals: list[PackingLine]
    waiting: int  # orders of the session still awaiting payment or acceptance

    @property
    def total_vnd(self) -> int:
        return sum(o.total_vnd for o in self.orders)


def packing_list(seller_id: int, live_session_id: int) -> PackingList:
    orders = list(
        db.session.scalars(
            sa.select(Order)
            .where(Order.seller_id == seller_id, Order.live_session_id == live_session_id, Order.status.in_(TO_PACK))
            .order_by(Order.id)
        )
    )
    rows = db.session.execute(
        sa.select(
            OrderItem.product_id,
            OrderItem.title,
            OrderItem.unit,
            sa.func.sum(OrderItem.qty),
            sa.func.sum(OrderItem.line_total_vnd),
        )
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.seller_id == seller_id, Order.live_session_id == live_session_id, Order.status.in_(TO_PACK))
        .group_by(OrderItem.product_id, OrderItem.title, OrderItem.unit)
        .order_by(OrderItem.title)
    )
    totals = [PackingLine(pid, title, unit, int(qty), int(amount)) for pid, title, unit, qty, amount in rows]
    waiting = (
        db.session.scalar(
            sa.select(sa.func.count(Order.id)).where(
                Order.seller_id == seller_id,
                Order.live_session_id == live_session_id,
                Order.status == OrderStatus.PENDING,
            )
        )
        or 0
    )
    return PackingList(live_session_id, orders, totals, waiting)


def packing_csv(packing: PackingList) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Order"),
            _("Status"),
            _("Receiver"),
            _("Phone"),
            _("Address"),
            _("Product"),
            _("Quantity"),
            _("Unit"),
            _("Amount (đồng)"),
            _("Paid"),
        ]
    )
    for order in packing.orders:
        address = ", ".join(p for p in (order.ship_street, order.ship_commune, order.ship_province) if p)
        receiver = order.ship_name or order.buyer.display_name
        paid = _("yes") if order.paid_at else _("no")
        for item in order.items:
            row = (
                order.code,
                status_label(order.status),
                receiver,
                order.ship_phone or "",
                address,
                item.title,
                item.qty,
                unit_label(item.unit),
                item.line_total_vnd,
                paid,
            )
            writer.writerow([csv_cell(v) for v in row])
    return "\ufeff" + out.getvalue()  # BOM: Excel then reads the Vietnamese letters as UTF-8
