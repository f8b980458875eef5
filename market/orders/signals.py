"""Signals other areas listen to (the live room, notifications, payments), sent after the change is flushed.

Listeners that talk to the outside world (sockets, SMS) should defer their work with
``market.database.on_commit`` so nobody hears of a change that was rolled back.
"""

from collections.abc import Sequence
from typing import Any

from blinker import Namespace

_signals = Namespace()

# New orders, however they were written: one by ``place_order`` (cart, checkout, phone orders, the live
# fallback) or a few hundred at once as plain rows by live order merging. sender: the origin ("cart", "live",
# "phone" …); kwargs: placed (list[orders.service.Placement]: what each order is, no ORM object needed;
# ``Placement.load()`` gives the Order). Not sent for a retry that found its first order.
orders_placed = _signals.signal("orders-placed")
# sender: the Order; kwargs: from_status, to_status, actor (User | None), actor_role, reason
order_status_changed = _signals.signal("order-status-changed")
# sender: the Order; kwargs: event (states.WeightEvent), final (bool: the weighed amounts now apply), actor, role
order_weighed = _signals.signal("order-weighed")
# sender: the Order; kwargs: old_total (int). A pending order's amount changed without weighing (its shipping
# fee was priced for the address the buyer gave): open payment attempts must ask for the new total.
order_amount_changed = _signals.signal("order-amount-changed")


def count_in_metrics() -> None:
    """Prometheus counts orders placed and status changes once their transaction commits (a rolled-back order
    is not counted). Connected by the orders area's ``init_app``: ``market.metrics`` sits below the areas and
    imports none."""
    orders_placed.connect(_count_placed, weak=False)
    order_status_changed.connect(_count_moved, weak=False)


def _count_placed(origin: str, placed: Sequence[object] = (), **_kw: Any) -> None:
    from market.database import on_commit
    from market.metrics import ORDERS_PLACED

    n = len(placed)
    on_commit(lambda: ORDERS_PLACED.labels(origin).inc(n))


def _count_moved(order: object, to_status: str | None = None, **_kw: Any) -> None:
    from market.database import on_commit
    from market.metrics import HOLDS_EXPIRED, ORDER_TRANSITIONS

    status = str(to_status)

    def count() -> None:
        ORDER_TRANSITIONS.labels(status).inc()
        if status == "expired":
            HOLDS_EXPIRED.inc()

    on_commit(count)
