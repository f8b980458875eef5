"""Live sessions, the offers pinned in them, what each buyer took from an offer, chat and mutes."""

from __future__ import annotations

import enum
import math
from datetime import datetime
from typing import TYPE_CHECKING, cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.database import StrEnumType, TimestampMixin, UTCDateTime, utcnow
from market.extensions import Model
from market.orders.models import Order

if TYPE_CHECKING:
    from market.accounts.models import Commune, SellerProfile, User
    from market.catalog.models import Product


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # announced; buyers can look, nobody can order yet
    LIVE = "live"  # on air: the host pins offers, buyers order
    ENDED = "ended"  # over: offers closed, unsold units back on the shelf; the page stays with the replay


class OfferStatus(enum.StrEnum):
    OPEN = "open"  # pinned: buyers order from its allotment (until ``ends_at`` for a flash deal)
    CLOSED = "closed"  # unpinned by the host, its countdown ran out or the session ended; unsold units went
    # back to the product


class LiveSession(TimestampMixin, Model):
    __tablename__ = "live_sessions"
    __table_args__ = (
        sa.CheckConstraint("status IN ('scheduled', 'live', 'ended')", name="status_known"),
        sa.CheckConstraint("peak_viewers >= 0 AND hearts >= 0", name="counters_not_negative"),
        sa.Index("ix_live_sessions_status_scheduled", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("seller_profiles.id"), index=True)
    # The host's commune when the session was made: lists by commune, and which staff may moderate.
    commune_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("communes.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # An https TikTok, YouTube or Facebook link; NULL: streamed only here, from the host's phone (market/video).
    stream_url: Mapped[str | None] = mapped_column(sa.String(500))
    # One of the host's products whose photo is the session's picture (optional).
    cover_product_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("products.id", ondelete="SET NULL"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[SessionStatus] = mapped_column(StrEnumType(SessionStatus, 10), default=SessionStatus.SCHEDULED)
    peak_viewers: Mapped[int] = mapped_column(sa.Integer, default=0)
    hearts: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # "Đặt ngay" taps (order requests, whatever their answer), for the post-live report (live/taps.py).
    order_taps: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    replay_url: Mapped[str | None] = mapped_column(sa.String(500))
    # Buyers may order by writing "chốt 2" in the chat (the host turns it off per session).
    chot_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())

    seller: Mapped[SellerProfile] = relationship(lazy="joined")
    commune: Mapped[Commune] = relationship(lazy="joined")
    cover_product: Mapped[Product | None] = relationship()
    offers: Mapped[list[LiveOffer]] = relationship(back_populates="session", order_by="LiveOffer.id", lazy="select")

    @property
    def host_user_id(self) -> int:
        return self.seller.user_id

    @property
    def is_live(self) -> bool:
        return self.status == SessionStatus.LIVE

    def __repr__(self) -> str:
        return f"<LiveSession {self.id} {self.status} {self.title!r}>"


class LiveOffer(TimestampMixin, Model):
    """Units of a product pinned in a session at a live price. ``sold`` counts units held by live orders."""

    __tablename__ = "live_offers"
    __table_args__ = (
        sa.CheckConstraint("sold >= 0", name="sold_not_negative"),
        sa.CheckConstraint("sold <= quantity", name="sold_within_quantity"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("price_vnd > 0", name="price_positive"),
        sa.CheckConstraint("per_buyer_limit >= 1", name="limit_positive"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        sa.UniqueConstraint("session_id", "number", name="uq_live_offers_session_number"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("products.id"), index=True)
    price_vnd: Mapped[int] = mapped_column(sa.BigInteger)  # the live price, đồng per unit
    quantity: Mapped[int] = mapped_column(sa.Integer)  # units allotted from the product's stock
    per_buyer_limit: Mapped[int] = mapped_column(sa.Integer)
    sold: Mapped[int] = mapped_column(sa.Integer, default=0)
    status: Mapped[OfferStatus] = mapped_column(StrEnumType(OfferStatus, 10), default=OfferStatus.OPEN)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A flash deal: the offer closes itself at this moment (every server process sweeps for it); NULL: until
    # the host closes it or the session ends.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Its number in the session (1, 2, 3 … in pinning order), shown as "#2" so a buyer can write "chốt 1 #2".
    number: Mapped[int] = mapped_column(sa.Integer)

    session: Mapped[LiveSession] = relationship(back_populates="offers")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def remaining(self) -> int:
        return max(0, self.quantity - self.sold) if self.status == OfferStatus.OPEN else 0

    @property
    def seconds_left(self) -> int | None:
        """A flash deal's countdown as the server counts it (a phone's clock may be minutes off, so clients
        count down from this, received a moment ago); None: no countdown."""
        if self.ends_at is None:
            return None
        if self.status != OfferStatus.OPEN:
            return 0
        return max(0, math.ceil((self.ends_at - utcnow()).total_seconds()))

    def __repr__(self) -> str:
        return f"<LiveOffer {self.id} {self.sold}/{self.quantity} {self.status}>"


class LiveOfferBuyer(Model):
    """Units one buyer holds from one offer, so the per-buyer limit holds even across tabs and processes.

    Taken with one conditional upsert (``qty + q <= limit``), given back when an order is cancelled or expires.
    """

    __tablename__ = "live_offer_buyers"
    __table_args__ = (sa.CheckConstraint("qty >= 0", name="qty_not_negative"),)

    offer_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("live_offers.id", ondelete="CASCADE"), primary_key=True
    )
    buyer_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    qty: Mapped[int] = mapped_column(sa.Integer, default=0)


class ChatMessage(Model):
    __tablename__ = "live_chat_messages"
    __table_args__ = (sa.Index("ix_live_chat_messages_session_id_id", "session_id", "id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class LiveMute(Model):
    """A user may not chat until ``until``: in one session, or in every session of a commune."""

    __tablename__ = "live_mutes"
    __table_args__ = (
        sa.CheckConstraint("session_id IS NOT NULL OR commune_id IS NOT NULL", name="has_scope"),
        sa.Index("ix_live_mutes_user_until", "user_id", "until"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    session_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"))
    commune_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("communes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# orders.live_session_id exists since the orders migration; the foreign key belongs to this area because the
# orders area must not import live. Declared here so the metadata matches the database (autogenerate).
_orders = cast(sa.Table, Order.__table__)
if not any(
    getattr(fk, "name", None) == "fk_orders_live_session_id_live_sessions" for fk in _orders.foreign_key_constraints
):
    _orders.append_constraint(
        sa.ForeignKeyConstraint(
            ["live_session_id"], ["live_sessions.id"], name="fk_orders_live_session_id_live_sessions"
        )
    )
