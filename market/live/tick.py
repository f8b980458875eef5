"""The tick: one pass per process every ``LIVE_COALESCE_MS`` that sends each room what changed since the last.

1. take the hub's buffers (dirty rooms, hearts, sales, host-feed items);
2. push this process's share to the counters backend and learn which rooms another process changed;
3. ``stock`` for each changed offer and the host's ``host_stats``, read from the database (the truth);
4. at most one ``sold`` per room: the last sale, with ``more`` for the others since the sockets last heard
   (from every process); the host's ``host_orders`` (through the queue: a few host sockets);
5. every ``LIVE_COUNTERS_MS`` (``counters``), ``hearts`` and ``viewers`` (in a large room only when the count
   moved by ``VIEWERS_STEP`` or ``VIEWERS_EVERY_S`` passed), and the peak and hearts saved on the session row
   now and then; the order taps counted here (``taps.py``) added to the session row.

Values every process shares go to this process's own sockets only (``emit_local``): N processes never send N
copies. What one pass tells a room is gathered in ``Frames``: sockets that joined with ``frames: true`` hear it
as ONE ``tick`` message, the others as the separate messages they always heard. The tick commits its own
writes (peak viewers, hearts).
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from market.extensions import db
from market.live import taps
from market.live.hub import Hub, Sent
from market.live.rooms import emit_local, emit_room, frames_room, has_local, host_room, ticks_room
from market.metrics import BROADCAST_LAG

HOST_FEED_PER_TICK = 50
PERSIST_EVERY_S = 5.0
VIEWERS_STEP = 0.05  # a room of 4 000 hears a change of 200 viewers at once, a smaller one within VIEWERS_EVERY_S
VIEWERS_EVERY_S = 5.0


class Frames:
    """What one pass tells each room's viewers in this process: each part goes at once as its own message to
    the sockets that want it so (``ticks_room``), and is kept for ONE ``tick`` message sent at the end of the
    pass to those that joined with ``frames: true`` (``frames_room``): ``{"stock": [{offer_id, remaining}…],
    "sold": {…}, "hearts": {total}, "viewers": {count}}``, each part exactly as its own message would carry it,
    only the parts that changed. During a storm a viewer then hears one message per tick instead of two
    (``stock`` and ``sold``), and one instead of two when ``hearts`` and ``viewers`` both move."""

    def __init__(self):
        self.parts: dict[int, dict] = {}

    def add(self, session_id: int, event: str, payload: dict) -> None:
        if has_local(ticks_room(session_id)):
            emit_local(ticks_room(session_id), event, payload)
        part = self.parts.setdefault(session_id, {})
        if event == "stock":
            part.setdefault("stock", []).append(payload)
        else:
            part[event] = payload

    def send(self) -> None:
        for session_id, part in self.parts.items():
            if has_local(frames_room(session_id)):
                emit_local(frames_room(session_id), "tick", part)
        self.parts = {}


def flush(hub: Hub, counters: bool = True) -> None:
    """Send every room what changed since the last tick. Runs in an app context; commits its own writes."""
    frames = Frames()
    changes = hub.take_changes(counters)
    rooms = set(changes.local)
    try:
        hub.backend.push(changes.dirty, changes.hearts)
        changed = (changes.dirty | hub.backend.changed(list(rooms), hub.versions)) & rooms
        hub.shared(True)
    except Exception as exc:  # Redis down: keep serving this process's own changes
        hub.shared(False, exc)
        changed = changes.dirty & rooms
    if changed:
        send_stock(hub, changed, frames)
        now = time.monotonic()
        for sid in changed & changes.dirty_since.keys():
            BROADCAST_LAG.observe(now - changes.dirty_since[sid])
    send_sales(hub, changes.sales, list(rooms), frames)
    for sid, items in changes.host_feed.items():
        emit_room(
            sid,
            "host_orders",
            {"orders": items[-HOST_FEED_PER_TICK:], "more": max(0, len(items) - HOST_FEED_PER_TICK)},
            host=True,
        )
    if rooms and counters:
        send_counters(hub, changes.local, frames)
    frames.send()
    if counters:
        taps.flush()
    db.session.commit()


def send_stock(hub: Hub, session_ids: set[int], frames: Frames) -> None:
    from market.live.models import LiveOffer, OfferStatus

    rows = db.session.execute(
        sa.select(LiveOffer.id, LiveOffer.session_id, LiveOffer.status, LiveOffer.quantity, LiveOffer.sold)
        .where(LiveOffer.session_id.in_(session_ids))
        .order_by(LiveOffer.id)
    ).all()
    by_session: dict[int, list] = {}
    for row in rows:
        by_session.setdefault(row.session_id, []).append(row)
    for sid in session_ids:
        sent = hub.sent.setdefault(sid, Sent())
        stats = []
        for row in by_session.get(sid, []):
            remaining = max(0, row.quantity - row.sold) if row.status == OfferStatus.OPEN else 0
            stats.append((row.id, row.sold, row.quantity, remaining, row.status))
            if sent.stock.get(row.id) != remaining:
                sent.stock[row.id] = remaining
                frames.add(sid, "stock", {"offer_id": row.id, "remaining": remaining})
        stats_key = tuple(stats)
        if hub.hosts.get(sid) and stats_key != sent.host_stats:
            sent.host_stats = stats_key
            emit_local(
                host_room(sid),
                "host_stats",
                {
                    "offers": [
                        {"offer_id": i, "sold": s, "quantity": q, "remaining": r, "status": st}
                        for i, s, q, r, st in stats
                    ]
                },
            )


def send_sales(hub: Hub, new: dict[int, list[dict]], session_ids: list[int], frames: Frames) -> None:
    """Add this process's new sales to the shared counts, then tell each room's sockets here the last sale
    and how many ``more`` came since they last heard (from every process): one ``sold`` per tick at most."""
    try:
        totals = hub.backend.sales(new, session_ids)
    except Exception as exc:  # Redis down: this process's own sales, to its own sockets
        hub.shared(False, exc)
        for sid, items in new.items():
            if sid in hub.rooms:
                _tell_sale(frames, sid, items[-1], len(items) - 1)
        return
    for sid, (count, last) in totals.items():
        told = hub.sales_told.get(sid)
        if told is None:  # a room new to this process: its viewers' snapshot is newer than older sales
            told = count - len(new.get(sid, ()))
        elif told > count:  # the count went back (Redis restarted empty): every sale it holds is news
            told = 0
        if count > told and last:
            _tell_sale(frames, sid, last, count - told - 1)
        hub.sales_told[sid] = count


def _tell_sale(frames: Frames, session_id: int, item: dict, more: int) -> None:
    payload = dict(item)
    if more > 0:
        payload["more"] = more
    frames.add(session_id, "sold", payload)


def _worth_telling(count: int, sent: Sent) -> bool:
    """A new viewer count, unless it moved by less than ``VIEWERS_STEP`` of itself since it was last sent less
    than ``VIEWERS_EVERY_S`` ago: while a crowd of thousands joins, the count changes every second, and
    telling every one of them each change was most of the join storm's CPU (one delivery per viewer per second
    for a figure nobody reads to the unit)."""
    if count == sent.viewers:
        return False
    if sent.viewers is None or time.monotonic() - sent.viewers_at >= VIEWERS_EVERY_S:
        return True
    return abs(count - sent.viewers) >= max(1, VIEWERS_STEP * sent.viewers)


def send_counters(hub: Hub, local: dict[int, int], frames: Frames) -> None:
    from market.live.models import LiveSession

    sids = list(local)
    try:
        viewers = hub.backend.viewer_totals(local)
        hearts = hub.backend.hearts_totals(sids)
    except Exception as exc:
        hub.shared(False, exc)
        viewers, hearts = dict(local), {}
    persist = time.monotonic() - hub.last_persist >= PERSIST_EVERY_S
    if persist:
        hub.last_persist = time.monotonic()
    for sid in db.session.scalars(
        sa.select(LiveSession.id).where(
            LiveSession.id.in_([s for s in sids if s not in hub.ended]), LiveSession.status == "ended"
        )
    ):
        hub.mark_ended(sid)  # ended through another process: its hearts stop counting here too
    for sid in sids:
        sent = hub.sent.setdefault(sid, Sent())
        count = viewers.get(sid)
        if count is not None and _worth_telling(count, sent):
            sent.viewers, sent.viewers_at = count, time.monotonic()
            frames.add(sid, "viewers", {"count": count})
        if count is not None and count > sent.peak:
            sent.peak = count
            db.session.execute(
                sa.update(LiveSession)
                .where(LiveSession.id == sid, LiveSession.peak_viewers < count)
                .values(peak_viewers=count)
                .execution_options(synchronize_session=False)
            )
        total = hearts.get(sid)
        if total is not None and total != sent.hearts:
            sent.hearts = total
            frames.add(sid, "hearts", {"total": total})
        if persist and total is not None and total > sent.hearts_saved:
            sent.hearts_saved = total
            db.session.execute(
                sa.update(LiveSession)
                .where(LiveSession.id == sid, LiveSession.hearts < total, LiveSession.status != "ended")
                .values(hearts=total)
                .execution_options(synchronize_session=False)
            )
