"""Orders, their lines, and the log of every status change."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from market.database import TimestampMixin, UTCDateTime, utcnow
from market.extensions import db
from market.orders.states import OrderOrigin, OrderStatus, WeightStatus


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        # A retried request carries the same key and must find the first order, never make a second one.
        sa.UniqueConstraint("buyer_id", "idempotency_key", name="uq_orders_buyer_key"),
        sa.CheckConstraint("total_vnd >= 0", name="total_not_negative"),
        sa.Index("ix_orders_status_hold", "status", "hold_expires_at"),
        sa.Index("ix_orders_seller_status", "seller_id", "status"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    # Public reference: shown to people and used in bank-transfer memos; random, so not guessable.
    code = sa.Column(sa.String(16), nullable=False, unique=True)
    buyer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id"), nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default=OrderStatus.PENDING)
    subtotal_vnd = sa.Column(sa.BigInteger, nullable=False)
    shipping_vnd = sa.Column(sa.BigInteger, nullable=False, default=0)
    total_vnd = sa.Column(sa.BigInteger, nullable=False)
    origin = sa.Column(sa.String(10), nullable=False, default=OrderOrigin.CART.value)  # a states.OrderOrigin
    # The live session it was placed in (the live area adds the foreign key; orders must not import live).
    live_session_id = sa.Column(sa.Integer, nullable=True, index=True)
    # Someone who entered it for the buyer (the KOL taking a phone order, a staff helper); None otherwise.
    placed_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)
    idempotency_key = sa.Column(sa.String(64), nullable=False)
    payment_method = sa.Column(sa.String(20), nullable=True)
    paid_at = sa.Column(UTCDateTime(), nullable=True)
    hold_expires_at = sa.Column(UTCDateTime(), nullable=True)
    # When the buyer was reminded, at half the hold, of what the order still needs (a live order): once only.
    reminded_at = sa.Column(UTCDateTime(), nullable=True)
    status_changed_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    cancel_reason = sa.Column(sa.String(500), nullable=True)
    note = sa.Column(sa.String(500), nullable=False, default="")
    # Where it goes: a copy of the buyer's address when the order was completed (the saved one may change).
    ship_name = sa.Column(sa.String(80), nullable=True)
    ship_phone = sa.Column(sa.String(16), nullable=True)  # E.164
    ship_street = sa.Column(sa.String(200), nullable=True)
    ship_commune = sa.Column(sa.String(120), nullable=True)
    ship_province = sa.Column(sa.String(120), nullable=True)
    # How it reaches the buyer, chosen at checkout: "ship" (``shipping_vnd`` is the fee it was sold with) or
    # "pickup" (at the shop); None for an order placed before shipping existed or still without an address.
    delivery_option = sa.Column(sa.String(10), nullable=True)
    carrier = sa.Column(sa.String(60), nullable=True)
    tracking_code = sa.Column(sa.String(60), nullable=True)
    # Something about the money a person must look at (a transfer of the wrong amount, paid after expiry …).
    payment_flag = sa.Column(sa.String(30), nullable=True)  # a states.PaymentFlag
    # Lines sold by weight: None (there are none) or a states.WeightStatus.
    weight_status = sa.Column(sa.String(10), nullable=True)

    buyer = relationship("User", foreign_keys=[buyer_id], lazy="joined")
    placed_by = relationship("User", foreign_keys=[placed_by_id])
    seller = relationship("SellerProfile", lazy="joined")
    items = relationship("OrderItem", back_populates="order", cascade="all, delete-orphan", lazy="selectin",
                         order_by="OrderItem.id")
    events = relationship("OrderEvent", back_populates="order", cascade="all, delete-orphan",
                          order_by="OrderEvent.id", lazy="select")

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


class OrderItem(db.Model):
    __tablename__ = "order_items"
    __table_args__ = (sa.CheckConstraint("qty > 0", name="qty_positive"),)

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id"), nullable=False, index=True)
    # Where the stock came from, so cancelling gives it back there: "product" (the shelf) or "offer" (live).
    source = sa.Column(sa.String(16), nullable=False, default="product")
    source_id = sa.Column(sa.Integer, nullable=False)
    title = sa.Column(sa.String(120), nullable=False)  # as it was when ordered
    unit = sa.Column(sa.String(10), nullable=False)
    unit_price_vnd = sa.Column(sa.BigInteger, nullable=False)
    qty = sa.Column(sa.Integer, nullable=False)
    line_total_vnd = sa.Column(sa.BigInteger, nullable=False)  # by weight: the estimate until weighed
    # Sold by weight (snapshots when ordered): one unit's estimated grams and the tolerance in percent; the
    # grams the seller weighed for the whole line (proposed while the buyer has to accept, then final).
    est_weight_g = sa.Column(sa.Integer, nullable=True)
    weight_tolerance_pct = sa.Column(sa.SmallInteger, nullable=True)
    packed_weight_g = sa.Column(sa.Integer, nullable=True)

    order = relationship("Order", back_populates="items")
    product = relationship("Product", lazy="joined")

    @property
    def by_weight(self) -> bool:
        return self.est_weight_g is not None

    @property
    def estimated_weight_g(self) -> int | None:
        return self.est_weight_g * self.qty if self.est_weight_g is not None else None

    @property
    def estimated_total_vnd(self) -> int:
        return self.unit_price_vnd * self.qty


class OrderEvent(db.Model):
    """One status change: who (and in what role), when, from what, to what, and why. Append-only."""

    __tablename__ = "order_events"

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    from_status = sa.Column(sa.String(16), nullable=True)  # None for the order being placed
    to_status = sa.Column(sa.String(16), nullable=False)
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)
    actor_role = sa.Column(sa.String(10), nullable=False)
    # None for a status change; a ``states.WeightEvent`` for weighing (the status stays what it was).
    kind = sa.Column(sa.String(20), nullable=True)
    reason = sa.Column(sa.String(500), nullable=True)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    order = relationship("Order", back_populates="events")
    actor = relationship("User")


class CartItem(TimestampMixin, db.Model):
    """One product in a buyer's cart; kept in the database so the cart follows the buyer across devices."""

    __tablename__ = "cart_items"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "product_id", name="uq_cart_items_user_product"),
        sa.CheckConstraint("qty > 0", name="qty_positive"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id = sa.Column(sa.Integer, sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False)
    qty = sa.Column(sa.Integer, nullable=False)

    product = relationship("Product", lazy="joined")


class DeliveryAddress(TimestampMixin, db.Model):
    """The buyer's delivery address, entered once and offered again at the next checkout."""

    __tablename__ = "delivery_addresses"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    name = sa.Column(sa.String(80), nullable=False)
    phone = sa.Column(sa.String(16), nullable=False)  # E.164
    street = sa.Column(sa.String(200), nullable=False)
    commune = sa.Column(sa.String(120), nullable=False, default="")
    province = sa.Column(sa.String(120), nullable=False)


class Review(TimestampMixin, db.Model):
    """The buyer's rating of a delivered order (one per order), shown on the shop's page."""

    __tablename__ = "reviews"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, unique=True)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id"), nullable=False, index=True)
    buyer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    rating = sa.Column(sa.SmallInteger, nullable=False)
    comment = sa.Column(sa.Text, nullable=False, default="")

    buyer = relationship("User", lazy="joined")
    order = relationship("Order")
