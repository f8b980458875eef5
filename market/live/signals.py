"""Signals between the live rooms and other areas.

- Heard here from orders: a live order placed elsewhere (phone orders, the one-by-one path) goes on the
  ticker; a live order cancelled or expired gives units back, so the room's stock is re-read and re-sent.
- Sent from here: ``moderated`` when someone removes a chat message or mutes a person (sender: the
  LiveSession; kwargs ``action`` "remove_chat" | "mute", ``actor``, and ``message`` or ``target``, ``mute``,
  ``minutes``), inside the transaction, so the moderation area audits staff actions in the same commit.
- Sent from here: ``live_started`` once a session is on air (higher areas, e.g. brands, tell followers).
- Heard here from accounts: ``logged_out`` closes that person's sockets.
- Heard here from the catalog: a listing archived (by its seller or staff) or rejected by staff closes its open
  offers in every live session — it may no longer be sold. An edit that sends an approved listing back to
  review does not: the KOL fixing a typo mid-session keeps selling what staff approved.
"""

from __future__ import annotations

from blinker import Namespace

from market.accounts.signals import logged_out
from market.catalog.service import listing_changed
from market.database import on_commit
from market.live.hub import hub
from market.orders.signals import order_placed, order_status_changed
from market.orders.states import RELEASES_STOCK

# Sent once the transaction that put a session on air has committed (never for a rolled-back start).
# sender: the session id; kwargs: seller_id (the host's shop), commune_id (the session's commune).
live_started = Namespace().signal("live-started")
moderated = Namespace().signal("live-moderated")


@order_placed.connect
def _live_order_placed(order, created=True, **_kw):
    if not created or not order.live_session_id or getattr(order, "_live_recorded", False):
        return
    from market.accounts.service import mask_name
    from market.live.ordering import host_item
    from market.live.stock import offer_info

    sales, feed = [], []
    for item in order.items:
        if item.source != "offer":
            continue
        info = offer_info(item.source_id)
        if info is None:
            continue
        sales.append({"offer_id": item.source_id, "buyer": mask_name(order.buyer.display_name), "qty": item.qty,
                      "unit": item.unit})
        feed.append(host_item(order.id, order.code, order.buyer.display_name, item.qty, info,
                              order.total_vnd, order.origin))
    session_id = order.live_session_id
    if sales:
        on_commit(lambda: hub.record_sales(session_id, sales, feed))


@order_status_changed.connect
def _live_order_changed(order, to_status=None, **_kw):
    if order.live_session_id and to_status in RELEASES_STOCK:
        session_id = order.live_session_id
        on_commit(lambda: hub.mark_dirty(session_id))


@listing_changed.connect
def _listing_withdrawn(product, action=None, **_kw):
    if action in ("archived", "rejected"):
        from market.live.service import close_offers_of_product

        close_offers_of_product(product.id)


@logged_out.connect
def _close_sockets_of(user_id, **_kw):
    """Someone logged out: their /live sockets (every tab, every process) hear ``logged_out`` and close; the page
    reloads as an anonymous viewer. A socket that would linger could do nothing more than an anonymous one."""
    from market.extensions import socketio
    from market.live.connection import NAMESPACE, user_room
    from market.socketqueue import close_room

    if socketio.server is None:
        return
    socketio.emit("logged_out", {}, to=user_room(user_id), namespace=NAMESPACE)
    close_room(user_room(user_id), NAMESPACE)
