"""Chapters of a live session's replay: one at each moment the host pinned an offer ("Sầu riêng Ri6 — 12:40").

1. The moment of a pin is its offer's ``created_at`` (a pin always makes a new ``LiveOffer``); the same product
   pinned again right after (a price changed) is one chapter.
2. With a replay made here (``Recording.parts``: the wall-clock start and length of each publish joined into
   the file) a chapter carries ``seek``, its position in the file, and its time is that position, so the label
   matches the player's clock even when the host reconnected. A pin made while nobody published starts the
   next publish; one after the recording ended has no position (shown, not seekable).
3. Without one (a session streamed on TikTok, Facebook or YouTube) the time counts from the session's start and
   the chapter cannot seek: a buyer reads it, then scrolls the platform's replay by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from market.catalog.models import Product
from market.extensions import db
from market.live.models import LiveOffer, LiveSession
from market.video.models import Recording, RecordingStatus


@dataclass(frozen=True)
class Chapter:
    at_s: int  # seconds shown: position in the replay file, or since the session started
    seek: int | None  # position in the replay file to seek to; None: not seekable
    product: Product
    public: bool  # the product page is visible to everyone (link to it)

    @property
    def time(self) -> str:
        return clock(self.at_s)


def clock(seconds: int) -> str:
    """12:40, or 1:02:05 past the hour."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def position_ms(parts: list, at: datetime) -> int | None:
    """Where the wall-clock moment ``at`` falls in a replay joined from ``parts`` ([[start ms, length ms], …])."""
    t = int(at.timestamp() * 1000)
    offset = 0
    for start, length in parts:
        if t < start:
            return offset  # pinned while nobody published: the chapter starts where the next publish does
        if t < start + length:
            return offset + (t - start)
        offset += length
    return None


def for_session(session: LiveSession, recording: Recording | None = None) -> list[Chapter]:
    """The chapters of a session in time order (empty before it started)."""
    if session.started_at is None:
        return []
    from market.catalog.search import visible_product

    pins = db.session.execute(
        sa.select(LiveOffer.product_id, LiveOffer.created_at)
        .where(LiveOffer.session_id == session.id)
        .order_by(LiveOffer.created_at, LiveOffer.id)
    ).all()
    parts = recording.parts if recording is not None and recording.status == RecordingStatus.READY else None
    chapters: list[Chapter] = []
    seen: dict[int, tuple[Product, bool]] = {}
    previous = None
    for product_id, pinned_at in pins:
        if product_id == previous:
            continue
        previous = product_id
        if product_id not in seen:
            public = visible_product(product_id)
            seen[product_id] = (public or db.session.get(Product, product_id), public is not None)
        product, public = seen[product_id]
        if parts:
            pos = position_ms(parts, pinned_at)
            at_s = pos // 1000 if pos is not None else int((pinned_at - session.started_at).total_seconds())
            seek = pos // 1000 if pos is not None else None
        else:
            at_s, seek = int((pinned_at - session.started_at).total_seconds()), None
        chapters.append(Chapter(at_s=max(0, at_s), seek=seek, product=product, public=public))
    return chapters
