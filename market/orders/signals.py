"""Signals other areas listen to (the live room, notifications, payments), sent after the change is flushed.

Listeners that talk to the outside world (sockets, SMS) should defer their work with
``market.database.on_commit`` so nobody hears of a change that was rolled back.
"""

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
