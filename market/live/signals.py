"""Signals between the live rooms and other areas.

- Heard here from orders: new live orders (merged, phone orders, the one-by-one path) go on the ticker and
  the host console; a live order cancelled or expired gives units back, so the room's stock is re-read and re-sent.
- Sent from here: ``moderated`` when someone removes a chat message or mutes a person (sender: the
  LiveSession; kwargs ``action`` "remove_chat" | "mute", ``actor``, and ``message`` or ``target``, ``mute``,
  ``minutes``), inside the transaction, so the moderation area audits staff actions in the same commit.
- Sent from here: ``live_started`` once a session is on air (higher areas, e.g. brands, tell followers), and
  ``live_ended`` once it is off air (the video area stops the stream and its HLS output, makes the replay).
- Heard here from accounts: ``logged_out`` closes that person's sockets.
- Heard in ``offers.py`` (beside ``close_offers_of_product``) from the catalog: a listing archived (by its
  seller or staff) or rejected by staff closes its open offers in every live session — it may no longer be sold.
  An edit that sends an approved listing back to review does not: the KOL fixing a typo mid-session keeps
  selling what staff approved.
"""

from __future__ import annotations

from blinker import Namespace

from market.accounts.signals import logged_out
from market.database import on_commit, utcnow
from market.live.hub import hub
from market.orders.service import PlacedLine, Placement
from market.orders.signals import order_status_changed, orders_placed
from market.orders.states import RELEASES_STOCK

# Sent once the transaction that put a session on air has committed (never for a rolled-back start).
# sender: the session id; kwargs: seller_id (the host's shop), commune_id (the session's commune).
live_started = Namespace().signal("live-started")
# Sent once the transaction that took a session off air has committed (the host ended it, or staff did): the
# video area stops the publisher, the room and the HLS output, and makes the replay. sender: the session id.
live_ended = Namespace().signal("live-ended")
moderated = Namespace().signal("live-moderated")


def register() -> None:
    """Hear the orders and accounts areas (the live area's ``init_app`` calls it)."""
    orders_placed.connect(_live_orders_placed)
    order_status_changed.connect(_live_order_changed)
    logged_out.connect(_close_sockets_of)


def _live_orders_placed(origin, placed=(), **_kw):
    """New live orders (merged or one by one, from buyers or the host's phone) reach the room's ticker and the
    host console at the next tick."""
    from market.accounts.service import mask_name

    rooms: dict[int, tuple[list, list]] = {}
    for p in placed:
        for line in p.lines:
            if p.live_session_id and line.source == "offer":
                sales, feed = rooms.setdefault(p.live_session_id, ([], []))
                sales.append(
                    {"offer_id": line.source_id, "buyer": mask_name(p.buyer_name), "qty": line.qty, "unit": line.unit}
                )
                feed.append(host_item(p, line))
    for session_id, (sales, feed) in rooms.items():
        on_commit(lambda sid=session_id, sales=sales, feed=feed: hub.record_sales(sid, sales, feed))


def host_item(p: Placement, line: PlacedLine) -> dict:
    """One line of the host console's order feed."""
    return {
        "id": p.id,
        "code": p.code,
        "buyer": p.buyer_name,
        "qty": line.qty,
        "unit": line.unit,
        "title": line.title,
        "offer_id": line.source_id,
        "total_vnd": p.total_vnd,
        "origin": p.origin,
        "at": utcnow().isoformat(),
    }


def _live_order_changed(order, to_status=None, **_kw):
    if order.live_session_id and to_status in RELEASES_STOCK:
        session_id = order.live_session_id
        on_commit(lambda: hub.mark_dirty(session_id))


def _close_sockets_of(user_id, **_kw):
    """Someone logged out: their /live sockets (every tab, every process) hear ``logged_out`` and close; the page
    reloads as an anonymous viewer. A socket that would linger could do nothing more than an anonymous one."""
    from market.extensions import socketio
    from market.live.rooms import NAMESPACE, user_room
    from market.socketqueue import close_room

    if socketio.server is None:
        return
    socketio.emit("logged_out", {}, to=user_room(user_id), namespace=NAMESPACE)
    close_room(user_room(user_id), NAMESPACE)
