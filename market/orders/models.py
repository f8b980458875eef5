"""Orders, their lines, and the log of every status change."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.catalog.models import Unit
from market.database import StrEnumType, TimestampMixin, UTCDateTime, utcnow
from market.extensions import Model
from market.orders.states import Actor, OrderOrigin, OrderStatus, PaymentFlag, WeightEvent, WeightStatus

if TYPE_CHECKING:
    from market.accounts.models import SellerProfile, User
    from market.catalog.models import Product


class Order(TimestampMixin, Model):
    __tablename__ = "orders"
    __table_args__ = (
        # A retried request carries the same key and must find the first order, never make a second one.
        sa.UniqueConstraint("buyer_id", "idempotency_key", name="uq_orders_buyer_key"),
        sa.CheckConstraint("total_vnd >= 0", name="total_not_negative"),
        sa.Index("ix_orders_status_hold", "status", "hold_expires_at"),
        sa.Index("ix_orders_seller_status", "seller_id", "status"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    # Public reference: shown to people and used in bank-transfer memos; random, so not guessable.
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    buyer_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id"), index=True)
    seller_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("seller_profiles.id"))
    status: Mapped[OrderStatus] = mapped_column(StrEnumType(OrderStatus, 16), default=OrderStatus.PENDING)
    subtotal_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    shipping_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    origin: Mapped[OrderOrigin] = mapped_column(StrEnumType(OrderOrigin, 10), default=OrderOrigin.CART)
    # The live session it was placed in (the live area adds the foreign key; orders must not import live).
    live_session_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    # Someone who entered it for the buyer (the KOL taking a phone order, a staff helper); None otherwise.
    placed_by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(sa.String(64))
    payment_method: Mapped[str | None] = mapped_column(sa.String(20))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the buyer was reminded, at half the hold, of what the order still needs (a live order): once only.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # Where it goes: a copy of the buyer's address when the order was completed (the saved one may change).
    ship_name: Mapped[str | None] = mapped_column(sa.String(80))
    ship_phone: Mapped[str | None] = mapped_column(sa.String(16))  # E.164
    ship_street: Mapped[str | None] = mapped_column(sa.String(200))
    ship_commune: Mapped[str | None] = mapped_column(sa.String(120))
    ship_province: Mapped[str | None] = mapped_column(sa.String(120))
    # How it reaches the buyer, chosen at checkout: "ship" (``shipping_vnd`` is the fee it was sold with) or
    # "pickup" (at the shop); None for an order placed before shipping existed or still without an address.
    delivery_option: Mapped[str | None] = mapped_column(sa.String(10))
    carrier: Mapped[str | None] = mapped_column(sa.String(60))
    tracking_code: Mapped[str | None] = mapped_column(sa.String(60))
    # Something about the money a person must look at (a transfer of the wrong amount, paid after expiry …).
    payment_flag: Mapped[PaymentFlag | None] = mapped_column(StrEnumType(PaymentFlag, 30))
    # None when no line is sold by weight.
    weight_status: Mapped[WeightStatus | None] = mapped_column(StrEnumType(WeightStatus, 10))

    buyer: Mapped[User] = relationship(foreign_keys=[buyer_id], lazy="joined")
    placed_by: Mapped[User | None] = relationship(foreign_keys=[placed_by_id])
    seller: Mapped[SellerProfile] = relationship(lazy="joined")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", lazy="selectin", order_by="OrderItem.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id", lazy="select"
    )

    @property
    def qty(self) -> int:
        return sum(item.qty for item in self.items)

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def has_address(self) -> bool:
        return bool(self.ship_name and self.ship_phone and self.ship_street and self.ship_province)

    @property
    def awaits_weighing(self) -> bool:
        """Its amount is still an estimate (or a weighed amount the buyer has not yet accepted)."""
        return self.weight_status in (WeightStatus.ESTIMATE, WeightStatus.TO_ACCEPT)

    @property
    def is_complete(self) -> bool:
        """The buyer has said where it goes and how they pay (a live order starts without either)."""
        return self.has_address and bool(self.payment_method)

    def __repr__(self) -> str:
        return f"<Order {self.code} {self.status} {self.total_vnd}>"


class OrderItem(Model):
    __tablename__ = "order_items"
    __table_args__ = (sa.CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("products.id"), index=True)
    # Where the stock came from, so cancelling gives it back there: "product" (the shelf) or "offer" (live).
    source: Mapped[str] = mapped_column(sa.String(16), default="product")
    source_id: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(120))  # as it was when ordered
    unit: Mapped[Unit] = mapped_column(StrEnumType(Unit, 10))
    unit_price_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    qty: Mapped[int] = mapped_column(sa.Integer)
    line_total_vnd: Mapped[int] = mapped_column(sa.BigInteger)  # by weight: the estimate until weighed
    # Sold by weight (snapshots when ordered): one unit's estimated grams and the tolerance in percent; the
    # grams the seller weighed for the whole line (proposed while the buyer has to accept, then final).
    est_weight_g: Mapped[int | None] = mapped_column(sa.Integer)
    weight_tolerance_pct: Mapped[int | None] = mapped_column(sa.SmallInteger)
    packed_weight_g: Mapped[int | None] = mapped_column(sa.Integer)

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def by_weight(self) -> bool:
        return self.est_weight_g is not None

    @property
    def estimated_weight_g(self) -> int | None:
        return self.est_weight_g * self.qty if self.est_weight_g is not None else None

    @property
    def estimated_total_vnd(self) -> int:
        return self.unit_price_vnd * self.qty


class OrderEvent(Model):
    """One status change: who (and in what role), when, from what, to what, and why. Append-only."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[OrderStatus | None] = mapped_column(StrEnumType(OrderStatus, 16))  # None: being placed
    to_status: Mapped[OrderStatus] = mapped_column(StrEnumType(OrderStatus, 16))
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    actor_role: Mapped[Actor] = mapped_column(StrEnumType(Actor, 10))
    # None for a status change; a weighing (the status stays what it was).
    kind: Mapped[WeightEvent | None] = mapped_column(StrEnumType(WeightEvent, 20))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class CartItem(TimestampMixin, Model):
    """One product in a buyer's cart; kept in the database so the cart follows the buyer across devices."""

    __tablename__ = "cart_items"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "product_id", name="uq_cart_items_user_product"),
        sa.CheckConstraint("qty > 0", name="qty_positive"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"))
    qty: Mapped[int] = mapped_column(sa.Integer)

    product: Mapped[Product] = relationship(lazy="joined")


class DeliveryAddress(TimestampMixin, Model):
    """The buyer's delivery address, entered once and offered again at the next checkout."""

    __tablename__ = "delivery_addresses"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    phone: Mapped[str] = mapped_column(sa.String(16))  # E.164
    street: Mapped[str] = mapped_column(sa.String(200))
    commune: Mapped[str] = mapped_column(sa.String(120), default="")
    province: Mapped[str] = mapped_column(sa.String(120))


class Review(TimestampMixin, Model):
    """The buyer's rating of a delivered order (one per order), shown on the shop's page."""

    __tablename__ = "reviews"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    seller_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("seller_profiles.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    buyer: Mapped[User] = relationship(lazy="joined")
    order: Mapped[Order] = relationship()
