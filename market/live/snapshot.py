"""What a viewer sees on opening a session: the session as JSON, its open offers, the recent chat (each offer and
message shaped by ``offers.offer_json`` and ``chat.chat_json``, as the room hears them later), and the snapshot
every joiner gets alike (built once per room change and cached by the hub, ``room_view``); the picture for
shared links."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from market.catalog.models import Product
from market.extensions import db
from market.live.access import SessionRef, get_session
from market.live.chat import chat_json
from market.live.encoded import Encoded
from market.live.hub import hub
from market.live.models import ChatMessage, LiveOffer, LiveSession, OfferStatus, SessionStatus
from market.live.offers import OPEN_OFFERS_MAX, offer_json
from market.live.streams import stream_info

CHAT_HISTORY = 50


def cover_photo(session: LiveSession):
    """The session's picture for shared links: its chosen product's photo, else the pinned (or first) offer's
    product's, else None (the site's own picture)."""
    if session.cover_product is not None and session.cover_product.cover is not None:
        return session.cover_product.cover
    offers = (
        db.session.scalars(
            sa.select(LiveOffer)
            .where(LiveOffer.session_id == session.id)
            .order_by(sa.case((LiveOffer.status == OfferStatus.OPEN, 0), else_=1), LiveOffer.id.desc())
            .options(joinedload(LiveOffer.product).selectinload(Product.photos))
            .limit(OPEN_OFFERS_MAX)
        )
        .unique()
        .all()
    )
    return next((o.product.cover for o in offers if o.product.cover is not None), None)


def session_json(session: LiveSession) -> dict:
    return {
        "id": session.id,
        "title": session.title,
        "status": str(session.status),
        "host": session.seller.shop_name,
        "commune": session.commune.name,
        "stream": stream_info(session.stream_url),
        "replay": stream_info(session.replay_url),
        "scheduled_at": session.scheduled_at.isoformat(),
        "started_at": session.started_at.isoformat() if session.started_at else None,
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "url": f"/live/{session.id}",
        "chot": bool(session.chot_enabled),
    }


def open_offers(session_id: int) -> list[LiveOffer]:
    return db.session.scalars(
        sa.select(LiveOffer)
        .where(LiveOffer.session_id == session_id, LiveOffer.status == OfferStatus.OPEN)
        .order_by(LiveOffer.id.desc())
        .options(joinedload(LiveOffer.product).selectinload(Product.photos))
    ).all()


def recent_chat(session: LiveSession, limit: int = CHAT_HISTORY) -> list[dict]:
    messages = db.session.scalars(
        sa.select(ChatMessage)
        .where(ChatMessage.session_id == session.id, ChatMessage.removed_at.is_(None))
        .order_by(ChatMessage.id.desc())
        .limit(limit)
    ).all()
    return [chat_json(m, host_user_id=session.seller.user_id) for m in reversed(messages)]


def room_view(session_id: object) -> tuple[SessionRef, Shared]:
    """What every joiner of a room gets alike (the hub caches it per room): who hosts it and where, and the
    snapshot. NotFound for a session that does not exist."""
    session = get_session(session_id)
    return SessionRef(session.id, session.commune_id, session.seller.user_id), Shared(snapshot(session))


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))  # as python-socketio encodes a packet's data


class Shared:
    """A room's join snapshot (``data``) with its JSON encoded once, up to the keys each joiner gets its own of
    (``viewers``, then ``hearts`` and ``you``: last in ``snapshot``'s order, so the text spliced for a joiner is
    byte for byte the encoding of ``{**data, "viewers": …, "you": …}``)."""

    __slots__ = ("data", "head")

    def __init__(self, data: dict):
        self.data = data
        self.head = _dumps({k: v for k, v in data.items() if k not in ("viewers", "hearts")})[:-1]

    def for_joiner(self, viewers: int, you: dict) -> Encoded:
        """The snapshot of one joiner's ack: the shared text, then its own viewers count and ``you``."""
        tail = _dumps({"viewers": viewers, "hearts": self.data["hearts"], "you": you})
        return Encoded(f"{self.head},{tail[1:]}")


def snapshot(session: LiveSession) -> dict:
    """Everything a viewer needs on joining (or re-joining after a drop)."""
    if session.status == SessionStatus.ENDED:
        hub.mark_ended(session.id)  # its hearts no longer count
    viewers, hearts = hub.totals(session.id)
    return {
        "session": session_json(session),
        "offers": [offer_json(o) for o in open_offers(session.id)],
        "chat": recent_chat(session),
        "viewers": viewers,
        "hearts": hearts,
    }
