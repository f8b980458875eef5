"""Live sessions, the offers pinned in them, what each buyer took from an offer, chat and mutes."""

from __future__ import annotations

import enum
import math

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from market.database import TimestampMixin, UTCDateTime, utcnow
from market.extensions import db
from market.orders.models import Order


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # announced; buyers can look, nobody can order yet
    LIVE = "live"  # on air: the host pins offers, buyers order
    ENDED = "ended"  # over: offers closed, unsold units back on the shelf; the page stays with the replay


class OfferStatus(enum.StrEnum):
    OPEN = "open"  # pinned: buyers order from its allotment (until ``ends_at`` for a flash deal)
    CLOSED = "closed"  # unpinned by the host, its countdown ran out or the session ended; unsold units went
    # back to the product


class LiveSession(TimestampMixin, db.Model):
    __tablename__ = "live_sessions"
    __table_args__ = (
        sa.CheckConstraint("status IN ('scheduled', 'live', 'ended')", name="status_known"),
        sa.CheckConstraint("peak_viewers >= 0 AND hearts >= 0", name="counters_not_negative"),
        sa.Index("ix_live_sessions_status_scheduled", "status", "scheduled_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id"), nullable=False, index=True)
    # The host's commune when the session was made: lists by commune, and which staff may moderate.
    commune_id = sa.Column(sa.Integer, sa.ForeignKey("communes.id"), nullable=False, index=True)
    title = sa.Column(sa.String(120), nullable=False)
    description = sa.Column(sa.Text, nullable=False, default="")
    # An https TikTok, YouTube or Facebook link; NULL: streamed only here, from the host's phone (market/video).
    stream_url = sa.Column(sa.String(500), nullable=True)
    # One of the host's products whose photo is the session's picture (optional).
    cover_product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id", ondelete="SET NULL"), nullable=True)
    scheduled_at = sa.Column(UTCDateTime(), nullable=False)
    started_at = sa.Column(UTCDateTime(), nullable=True)
    ended_at = sa.Column(UTCDateTime(), nullable=True)
    status = sa.Column(sa.String(10), nullable=False, default=SessionStatus.SCHEDULED)
    peak_viewers = sa.Column(sa.Integer, nullable=False, default=0)
    hearts = sa.Column(sa.BigInteger, nullable=False, default=0)
    # "Đặt ngay" taps (order requests, whatever their answer), for the post-live report (live/taps.py).
    order_taps = sa.Column(sa.BigInteger, nullable=False, default=0, server_default="0")
    replay_url = sa.Column(sa.String(500), nullable=True)
    # Buyers may order by writing "chốt 2" in the chat (the host turns it off per session).
    chot_enabled = sa.Column(sa.Boolean, nullable=False, default=True, server_default=sa.true())

    seller = relationship("SellerProfile", lazy="joined")
    commune = relationship("Commune", lazy="joined")
    cover_product = relationship("Product")
    offers = relationship("LiveOffer", back_populates="session", order_by="LiveOffer.id", lazy="select")

    @property
    def host_user_id(self) -> int:
        return self.seller.user_id

    @property
    def is_live(self) -> bool:
        return self.status == SessionStatus.LIVE

    def __repr__(self) -> str:
        return f"<LiveSession {self.id} {self.status} {self.title!r}>"


class LiveOffer(TimestampMixin, db.Model):
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

    id = sa.Column(sa.Integer, primary_key=True)
    session_id = sa.Column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), nullable=False,
                           index=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False, index=True)
    price_vnd = sa.Column(sa.BigInteger, nullable=False)  # the live price, đồng per unit
    quantity = sa.Column(sa.Integer, nullable=False)  # units allotted from the product's stock
    per_buyer_limit = sa.Column(sa.Integer, nullable=False)
    sold = sa.Column(sa.Integer, nullable=False, default=0)
    status = sa.Column(sa.String(10), nullable=False, default=OfferStatus.OPEN)
    closed_at = sa.Column(UTCDateTime(), nullable=True)
    # A flash deal: the offer closes itself at this moment (every server process sweeps for it); NULL: until
    # the host closes it or the session ends.
    ends_at = sa.Column(UTCDateTime(), nullable=True, index=True)
    # Its number in the session (1, 2, 3 … in pinning order), shown as "#2" so a buyer can write "chốt 1 #2".
    number = sa.Column(sa.Integer, nullable=False)

    session = relationship("LiveSession", back_populates="offers")
    product = relationship("Product", lazy="joined")

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


class LiveOfferBuyer(db.Model):
    """Units one buyer holds from one offer, so the per-buyer limit holds even across tabs and processes.

    Taken with one conditional upsert (``qty + q <= limit``), given back when an order is cancelled or expires.
    """

    __tablename__ = "live_offer_buyers"
    __table_args__ = (sa.CheckConstraint("qty >= 0", name="qty_not_negative"),)

    offer_id = sa.Column(sa.Integer, sa.ForeignKey("live_offers.id", ondelete="CASCADE"), primary_key=True)
    buyer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    qty = sa.Column(sa.Integer, nullable=False, default=0)


class ChatMessage(db.Model):
    __tablename__ = "live_chat_messages"
    __table_args__ = (sa.Index("ix_live_chat_messages_session_id_id", "session_id", "id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    session_id = sa.Column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    text = sa.Column(sa.String(300), nullable=False)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    removed_at = sa.Column(UTCDateTime(), nullable=True)
    removed_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")


class LiveMute(db.Model):
    """A user may not chat until ``until``: in one session, or in every session of a commune."""

    __tablename__ = "live_mutes"
    __table_args__ = (
        sa.CheckConstraint("session_id IS NOT NULL OR commune_id IS NOT NULL", name="has_scope"),
        sa.Index("ix_live_mutes_user_until", "user_id", "until"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    session_id = sa.Column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), nullable=True)
    commune_id = sa.Column(sa.Integer, sa.ForeignKey("communes.id", ondelete="CASCADE"), nullable=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    until = sa.Column(UTCDateTime(), nullable=False)
    by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)
    reason = sa.Column(sa.String(200), nullable=True)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)


# orders.live_session_id exists since the orders migration; the foreign key belongs to this area because the
# orders area must not import live. Declared here so the metadata matches the database (autogenerate).
if not any(getattr(fk, "name", None) == "fk_orders_live_session_id_live_sessions"
           for fk in Order.__table__.foreign_key_constraints):
    Order.__table__.append_constraint(sa.ForeignKeyConstraint(
        ["live_session_id"], ["live_sessions.id"], name="fk_orders_live_session_id_live_sessions"))
