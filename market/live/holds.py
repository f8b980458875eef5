"""Nothing lapses unseen: a live order still missing something is reminded once, at half its hold.

1. A live order is held ``LIVE_HOLD_MINUTES`` (orders.service.hold_until); the hold sweep (tasks.sweep_holds,
   and ``flask expire-holds``) also calls ``remind_holds``.
2. Due: pending, placed in a live, not reminded yet, less than half the live hold left, and still missing
   something the buyer must do (sheet.missing: an address, a way to pay, a transfer or card payment).
   Cash on delivery waiting for the shop to accept is the shop's move: no reminder.
3. Once: each reminder is claimed by a conditional UPDATE of ``orders.reminded_at`` (``WHERE reminded_at IS
   NULL``) in the transaction that writes the notification, so two processes sweeping at once, or a sweep
   retried, remind nobody twice.
4. In the app and by SMS (notifications.notify), saying what is missing and until when, with a link that
   reopens the sheet on the live page.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from market.database import utcnow
from market.extensions import db
from market.notifications.service import message_kind, notify
from market.orders.models import Order
from market.orders.service import register_hold_task
from market.orders.states import OrderOrigin, OrderStatus


def _reminder(p):
    from market.live.sheet import missing_text

    until = datetime.fromisoformat(p["until"])
    return _(
        "Order %(code)s (%(title)s): %(missing)s",
        code=p["code"],
        title=p["title"],
        missing=missing_text(p["missing"], until),
    )


def reminder_link(order: Order) -> str:
    return f"/live/{order.live_session_id}?order={order.id}"  # the live page opens the sheet on this order


def remind_holds(now: datetime | None = None, limit: int = 500) -> int:
    """Remind the buyers of live orders at half their hold of what is missing; returns how many were told."""
    from market.live.sheet import missing

    now = now or utcnow()
    half = timedelta(minutes=current_app.config["LIVE_HOLD_MINUTES"] / 2)
    due = db.session.scalars(
        sa.select(Order)
        .where(
            Order.origin == OrderOrigin.LIVE,
            Order.status == OrderStatus.PENDING,
            Order.reminded_at.is_(None),
            Order.hold_expires_at > now,
            Order.hold_expires_at <= now + half,
        )
        .order_by(Order.hold_expires_at)
        .limit(limit)
    ).all()
    told = 0
    for order in due:
        needs = missing(order)
        if not needs:
            continue
        claimed = db.session.execute(
            sa.update(Order)
            .where(Order.id == order.id, Order.reminded_at.is_(None), Order.status == OrderStatus.PENDING)
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue  # another sweep told her, or the order moved on meanwhile
        item = order.items[0] if order.items else None
        notify(
            order.buyer,
            "live.hold_reminder",
            {
                "code": order.code,
                "title": item.title if item else "",
                "missing": needs,
                "until": order.hold_expires_at.isoformat(),
            },
            link=reminder_link(order),
            sms=True,
        )
        told += 1
    return told


def register() -> None:
    """The reminder's text, and the reminders with every hold sweep (the live area's ``init_app`` calls it)."""
    message_kind("live.hold_reminder")(_reminder)
    register_hold_task(remind_holds)
