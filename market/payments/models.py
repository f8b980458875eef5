"""Payment attempts, the log of provider events already processed, and each shop's payment settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from market.database import StrEnumType, TimestampMixin, UTCDateTime, utcnow
from market.extensions import Model

if TYPE_CHECKING:
    from market.accounts.models import User
    from market.orders.models import Order


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the money (a Stripe session open, a transfer not seen yet, cash at the door)
    SUCCEEDED = "succeeded"  # the money arrived
    FAILED = "failed"  # the provider refused to start (Stripe down …)
    EXPIRED = "expired"  # the Stripe session ran out
    MISMATCH = "mismatch"  # money arrived with the wrong amount or currency: the order stays unpaid, flagged
    REFUNDED = "refunded"  # the money went back to the buyer
    AUTHORIZED = "authorized"  # a card hold for the most the weighed amount can be; captured at packing
    RELEASED = "released"  # a card hold given back without charging (order cancelled, or the hold lapsed)


class RefundStatus(enum.StrEnum):
    REQUESTED = "requested"  # we must ask the provider (Stripe) to refund; retried until it answers
    MANUAL = "manual"  # the seller sends a bank transfer back and marks it done
    DONE = "done"


class Payment(TimestampMixin, Model):
    """One attempt to pay one order by one method (a Stripe Checkout Session, a bank transfer, cash)."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "attempt", name="uq_payments_order_attempt"),
        sa.UniqueConstraint("method", "provider_ref", name="uq_payments_method_provider_ref"),
        sa.CheckConstraint("amount_vnd >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(sa.String(20))
    attempt: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[PaymentStatus] = mapped_column(StrEnumType(PaymentStatus, 16), default=PaymentStatus.PENDING)
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger)  # what we asked for
    received_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)  # what the provider says arrived
    currency: Mapped[str] = mapped_column(sa.String(3), default="VND")
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255))  # Stripe session id, bank transaction id
    provider_payment_ref: Mapped[str | None] = mapped_column(sa.String(255), index=True)  # Stripe payment intent
    checkout_url: Mapped[str | None] = mapped_column(sa.Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the buyer says they have transferred
    # Who marked it paid by hand.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    refund_status: Mapped[RefundStatus | None] = mapped_column(StrEnumType(RefundStatus, 16))
    refunded_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refund_ref: Mapped[str | None] = mapped_column(sa.String(255))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    # A card hold (Stripe manual capture) for an order sold by weight: ``amount_vnd`` is the most it may charge.
    # ``capture_vnd``: None (nothing asked yet), > 0 (capture that much: the weighed total), 0 (release it).
    manual_capture: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    capture_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)

    # ``Order.payments`` too (a backref: orders never imports payments).
    order: Mapped[Order] = relationship(backref=backref("payments", order_by="Payment.attempt", lazy="select"))
    recorded_by: Mapped[User | None] = relationship()


class Outcome(enum.StrEnum):
    """What handling a provider's event (or a deferred call to the provider) came to: kept in
    ``ProcessedEvent.outcome``, answered to the sender as ``{ok, outcome}`` and logged. The carriers' tracking
    events (shipping/webhooks.py) go through the same ``process_once`` and are answered in the same words."""

    RECEIVED = "received"  # a row made, its handler not finished yet
    DUPLICATE = "duplicate"  # processed before (or replayed): nothing done
    IGNORED = "ignored"  # an event type we do not handle
    UNKNOWN = "unknown"  # about no payment of ours
    ALREADY = "already"  # what it says was recorded before
    PAID = "paid"  # the order is paid
    NOT_PAID = "not_paid"  # a completed Checkout Session whose money has not arrived
    MISMATCH = "mismatch"  # money of the wrong amount or currency: flagged, not paid
    AUTHORISED = "authorised"  # a card hold for an order sold by weight
    NOT_AUTHORISED = "not_authorised"  # no card hold where one was expected
    CAPTURED = "captured"  # the weighed amount was charged to the card hold
    RELEASED = "released"  # a card hold (or an open attempt) given back without charging
    EXPIRED = "expired"  # a Checkout Session ran out
    REFUNDING = "refunding"  # paid after the order closed: the refund is asked for
    REFUNDED = "refunded"  # money went back to the buyer
    PARTIAL = "partial"  # part of a payment was refunded outside Chợ Phiên
    PARKED = "parked"  # a refund seen before its payment: kept until the payment arrives
    APPLIED = "applied"  # a parked refund, once its payment arrived; a carrier's event that moved the parcel
    REFUNDED_BEFORE = "refunded_before"  # a payment whose refund had been parked
    REFUNDED_BEFORE_COMPLETION = "refunded_before_completion"  # refunded before the order was packed
    NOTHING = "nothing"  # a deferred call with nothing left to do
    FAILED = "failed"  # the provider refused the call: flagged, retried
    OUTGOING = "outgoing"  # bank feed: money leaving the account
    UNMATCHED = "unmatched"  # bank feed: a transfer naming no order
    WRONG_ACCOUNT = "wrong_account"  # bank feed: paid into another account of the shop's
    REFUND_DUE = "refund_due"  # bank feed: paid twice or after closing: the seller returns it
    WRONG_AMOUNT = "wrong_amount"  # bank feed: a transfer of the wrong amount
    STALE = "stale"  # carrier: an old or reordered event, the parcel is further along already
    SAME = "same"  # carrier: the parcel is at that stage already
    REMITTED = "remitted"  # carrier: no move, but the cash it collected is now paid out to the shop
    NO_ACCOUNT = "no_account"  # carrier: about a parcel of a shop that has disconnected the carrier
    DETAIL_UNAVAILABLE = "detail_unavailable"  # GHN: its order detail did not answer, GHN calls again
    DETAIL_DISAGREES = "detail_disagrees"  # GHN: its detail is behind the event, not believed yet
    RETRY = "retry"  # carrier: the order changed under us, the carrier calls again
    FORBIDDEN = "forbidden"  # carrier: a wrong webhook secret
    RATE_LIMITED = "rate_limited"  # carrier: too many calls, nothing done


class ProcessedEvent(Model):
    """A provider event we have handled: a redelivered or replayed event finds its row and changes nothing."""

    __tablename__ = "processed_events"
    __table_args__ = (sa.UniqueConstraint("provider", "event_id", name="uq_processed_events_provider_event"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))  # stripe, sepay …
    event_id: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(80))
    ref: Mapped[str | None] = mapped_column(sa.String(255), index=True)  # the object it is about (payment intent …)
    outcome: Mapped[Outcome] = mapped_column(StrEnumType(Outcome, 30), default=Outcome.RECEIVED)
    detail: Mapped[str | None] = mapped_column(sa.String(500))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShopPaymentSettings(TimestampMixin, Model):
    """How a shop is paid: cash on delivery on or off, and the bank account its VietQR codes pay into."""

    __tablename__ = "shop_payment_settings"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    seller_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), unique=True
    )
    cod_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # True: a cash-on-delivery order is confirmed when placed; False: the seller accepts each one.
    cod_auto_confirm: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    bank_bin: Mapped[str | None] = mapped_column(sa.String(6))
    account_number: Mapped[str | None] = mapped_column(sa.String(19))
    account_holder: Mapped[str | None] = mapped_column(sa.String(50))

    @property
    def has_bank(self) -> bool:
        return bool(self.bank_bin and self.account_number and self.account_holder)
