"""What a live session sold: the host console's money totals and the post-live report.

Every figure is read from the orders of the session (``Order.live_session_id``) by their status *now*:

1. *Reserved* (console) = pending: stock held, the money or the shop's acceptance awaited.
2. *Confirmed* = confirmed, packed, shipped or delivered: the order stands. *Paid* = money received
   (``paid_at``) on an order that was not cancelled, expired or refunded since.
3. *Expired or cancelled* = expired, cancelled or refunded: the stock went back.
4. Funnel (report): taps (order requests, ``taps.py``) → reserved (every order placed: each held stock once)
   → confirmed (still confirmed or further) → delivered; expired and cancelled beside it. GMV confirmed is the
   total of the confirmed orders, GMV delivered that of the delivered ones (đồng, shipping included).
5. Compared with the host's (the shop's) previous sessions that went on air before this one, newest first.

One grouped query per list of sessions; nothing here writes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from market.extensions import db
from market.i18n import when
from market.live.models import LiveSession
from market.orders.models import Order, OrderItem
from market.orders.states import OrderStatus
from market.text import csv_cell

S = OrderStatus
CONFIRMED = frozenset({S.CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED})
GONE = frozenset({S.CANCELLED, S.EXPIRED, S.REFUNDED})
PREVIOUS_SESSIONS = 5


@dataclass
class Bucket:
    orders: int = 0
    vnd: int = 0

    def add(self, n: int, vnd: int) -> None:
        self.orders += n
        self.vnd += vnd


@dataclass
class Money:
    """The console's totals of one session."""

    reserved: Bucket = field(default_factory=Bucket)
    confirmed: Bucket = field(default_factory=Bucket)
    paid: Bucket = field(default_factory=Bucket)
    gone: Bucket = field(default_factory=Bucket)  # expired or cancelled (refunded included)
    # the report's finer split
    delivered: Bucket = field(default_factory=Bucket)
    expired: Bucket = field(default_factory=Bucket)
    cancelled: Bucket = field(default_factory=Bucket)
    placed: Bucket = field(default_factory=Bucket)  # every order: each reserved stock once

    def add(self, status: str, paid: bool, n: int, vnd: int) -> None:
        status = OrderStatus(status)
        self.placed.add(n, vnd)
        if status == S.PENDING:
            self.reserved.add(n, vnd)
        elif status in CONFIRMED:
            self.confirmed.add(n, vnd)
        else:
            self.gone.add(n, vnd)
        if status == S.DELIVERED:
            self.delivered.add(n, vnd)
        elif status == S.EXPIRED:
            self.expired.add(n, vnd)
        elif status in (S.CANCELLED, S.REFUNDED):
            self.cancelled.add(n, vnd)
        if paid and status not in GONE:
            self.paid.add(n, vnd)


def money_of(session_ids: list[int]) -> dict[int, Money]:
    """Each session's totals, in one grouped query."""
    out = {sid: Money() for sid in session_ids}
    if not session_ids:
        return out
    paid = Order.paid_at.is_not(None)
    rows = db.session.execute(
        sa.select(Order.live_session_id, Order.status, paid, sa.func.count(Order.id), sa.func.sum(Order.total_vnd))
        .where(Order.live_session_id.in_(session_ids))
        .group_by(Order.live_session_id, Order.status, paid)
    )
    for sid, status, is_paid, n, vnd in rows:
        if sid is None:  # none is: the WHERE names the sessions
            continue
        out[sid].add(status, bool(is_paid), int(n), int(vnd or 0))
    return out


def money(session_id: int) -> Money:
    return money_of([session_id])[session_id]


# ---- the report -----------------------------------------------------------------------------------------


@dataclass
class SessionFigures:
    session: LiveSession
    money: Money

    @property
    def taps(self) -> int:
        return int(self.session.order_taps or 0)

    @property
    def peak_viewers(self) -> int:
        return int(self.session.peak_viewers or 0)


@dataclass
class ProductLine:
    product_id: int
    title: str
    unit: str
    reserved_qty: int = 0  # every unit ordered
    confirmed_qty: int = 0
    delivered_qty: int = 0
    confirmed_vnd: int = 0
    delivered_vnd: int = 0


@dataclass
class Report:
    this: SessionFigures
    products: list[ProductLine]
    previous: list[SessionFigures]

    @property
    def previous_average(self) -> dict[str, float] | None:
        """The previous sessions' means (peak viewers, taps, orders, confirmed, GMV), None without any."""
        if not self.previous:
            return None
        n = len(self.previous)
        return {
            "peak_viewers": sum(f.peak_viewers for f in self.previous) / n,
            "taps": sum(f.taps for f in self.previous) / n,
            "placed": sum(f.money.placed.orders for f in self.previous) / n,
            "confirmed": sum(f.money.confirmed.orders for f in self.previous) / n,
            "gmv_confirmed": sum(f.money.confirmed.vnd for f in self.previous) / n,
            "gmv_delivered": sum(f.money.delivered.vnd for f in self.previous) / n,
        }


def product_lines(session_id: int) -> list[ProductLine]:
    rows = db.session.execute(
        sa.select(
            OrderItem.product_id,
            OrderItem.title,
            OrderItem.unit,
            Order.status,
            sa.func.sum(OrderItem.qty),
            sa.func.sum(OrderItem.line_total_vnd),
        )
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.live_session_id == session_id)
        .group_by(OrderItem.product_id, OrderItem.title, OrderItem.unit, Order.status)
    )
    lines: dict[int, ProductLine] = {}
    for product_id, title, unit, status, qty, amount in rows:
        line = lines.setdefault(product_id, ProductLine(product_id, title, unit))
        qty, amount = int(qty or 0), int(amount or 0)
        line.reserved_qty += qty
        if OrderStatus(status) in CONFIRMED:
            line.confirmed_qty += qty
            line.confirmed_vnd += amount
        if status == S.DELIVERED:
            line.delivered_qty += qty
            line.delivered_vnd += amount
    return sorted(lines.values(), key=lambda line: (-line.confirmed_vnd, line.title.casefold()))


def previous_sessions(session: LiveSession, limit: int = PREVIOUS_SESSIONS) -> list[LiveSession]:
    """The same shop's sessions that went on air before this one, newest first."""
    started = session.started_at or session.scheduled_at
    return list(
        db.session.scalars(
            sa.select(LiveSession)
            .where(
                LiveSession.seller_id == session.seller_id,
                LiveSession.id != session.id,
                LiveSession.started_at.is_not(None),
                LiveSession.started_at < started,
            )
            .order_by(LiveSession.started_at.desc())
            .limit(limit)
        )
    )


def session_report(session: LiveSession) -> Report:
    earlier = previous_sessions(session)
    totals = money_of([session.id, *(s.id for s in earlier)])
    return Report(
        this=SessionFigures(session, totals[session.id]),
        products=product_lines(session.id),
        previous=[SessionFigures(s, totals[s.id]) for s in earlier],
    )


def report_csv(report: Report) -> str:
    """Two tables: this session and the previous ones (one row each), then this session's products."""
    from market.orders.units import unit_label

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Session"),
            _("Session title"),
            _("On air"),
            _("Peak viewers"),
            _("Taps"),
            _("Reserved"),
            _("Confirmed"),
            _("Delivered"),
            _("Expired"),
            _("Cancelled"),
            _("GMV confirmed (đồng)"),
            _("GMV delivered (đồng)"),
        ]
    )
    for figures in (report.this, *report.previous):
        s, m = figures.session, figures.money
        row = (
            s.id,
            s.title,
            when(s.started_at, "yyyy-MM-dd HH:mm") if s.started_at else "",
            figures.peak_viewers,
            figures.taps,
            m.placed.orders,
            m.confirmed.orders,
            m.delivered.orders,
            m.expired.orders,
            m.cancelled.orders,
            m.confirmed.vnd,
            m.delivered.vnd,
        )
        writer.writerow([csv_cell(v) for v in row])
    writer.writerow([])
    writer.writerow(
        [
            _("Product"),
            _("Unit"),
            _("Ordered"),
            _("Confirmed"),
            _("Delivered"),
            _("GMV confirmed (đồng)"),
            _("GMV delivered (đồng)"),
        ]
    )
    for line in report.products:
        product_row = (
            line.title,
            unit_label(line.unit),
            line.reserved_qty,
            line.confirmed_qty,
            line.delivered_qty,
            line.confirmed_vnd,
            line.delivered_vnd,
        )
        writer.writerow([csv_cell(v) for v in product_row])
    return "\ufeff" + out.getvalue()  # BOM: spreadsheets then read the Vietnamese letters as UTF-8


def session_orders(session: LiveSession, limit: int = 50) -> list[Order]:
    """The console's list of the session's orders, newest first."""
    return list(
        db.session.scalars(
            sa.select(Order).where(Order.live_session_id == session.id).order_by(Order.id.desc()).limit(limit)
        ).all()
    )
