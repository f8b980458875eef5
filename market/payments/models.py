"""Payment attempts, the log of provider events already processed, and each shop's payment settings."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from market.database import TimestampMixin, UTCDateTime, utcnow
from market.extensions import db


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


class Payment(TimestampMixin, db.Model):
    """One attempt to pay one order by one method (a Stripe Checkout Session, a bank transfer, cash)."""

    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "attempt", name="uq_payments_order_attempt"),
        sa.UniqueConstraint("method", "provider_ref", name="uq_payments_method_provider_ref"),
        sa.CheckConstraint("amount_vnd >= 0", name="amount_not_negative"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    order_id = sa.Column(sa.Integer, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True)
    method = sa.Column(sa.String(20), nullable=False)
    attempt = sa.Column(sa.Integer, nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default=PaymentStatus.PENDING)
    amount_vnd = sa.Column(sa.BigInteger, nullable=False)  # what we asked for
    received_vnd = sa.Column(sa.BigInteger, nullable=True)  # what the provider says arrived
    currency = sa.Column(sa.String(3), nullable=False, default="VND")
    provider_ref = sa.Column(sa.String(255), nullable=True)  # Stripe session id, bank transaction id
    provider_payment_ref = sa.Column(sa.String(255), nullable=True, index=True)  # Stripe payment intent
    checkout_url = sa.Column(sa.Text, nullable=True)
    expires_at = sa.Column(UTCDateTime(), nullable=True)
    paid_at = sa.Column(UTCDateTime(), nullable=True)
    claimed_at = sa.Column(UTCDateTime(), nullable=True)  # the buyer says they have transferred
    recorded_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)  # who marked it paid by hand
    refund_status = sa.Column(sa.String(16), nullable=True)
    refunded_vnd = sa.Column(sa.BigInteger, nullable=False, default=0)
    refund_ref = sa.Column(sa.String(255), nullable=True)
    note = sa.Column(sa.String(500), nullable=True)
    # A card hold (Stripe manual capture) for an order sold by weight: ``amount_vnd`` is the most it may charge.
    # ``capture_vnd``: None (nothing asked yet), > 0 (capture that much: the weighed total), 0 (release it).
    manual_capture = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    capture_vnd = sa.Column(sa.BigInteger, nullable=True)

    order = relationship("Order", backref=sa.orm.backref("payments", order_by="Payment.attempt", lazy="select"))
    recorded_by = relationship("User")


class Outcome(enum.StrEnum):
    """What handling a provider's event (or a deferred call to the provider) came to: kept in
    ``ProcessedEvent.outcome``, answered to the sender as ``{ok, outcome}`` and logged."""

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
    APPLIED = "applied"  # a parked refund, once its payment arrived
    REFUNDED_BEFORE = "refunded_before"  # a payment whose refund had been parked
    REFUNDED_BEFORE_COMPLETION = "refunded_before_completion"  # refunded before the order was packed
    NOTHING = "nothing"  # a deferred call with nothing left to do
    FAILED = "failed"  # the provider refused the call: flagged, retried
    OUTGOING = "outgoing"  # bank feed: money leaving the account
    UNMATCHED = "unmatched"  # bank feed: a transfer naming no order
    WRONG_ACCOUNT = "wrong_account"  # bank feed: paid into another account of the shop's
    REFUND_DUE = "refund_due"  # bank feed: paid twice or after closing: the seller returns it
    WRONG_AMOUNT = "wrong_amount"  # bank feed: a transfer of the wrong amount


class ProcessedEvent(db.Model):
    """A provider event we have handled: a redelivered or replayed event finds its row and changes nothing."""

    __tablename__ = "processed_events"
    __table_args__ = (sa.UniqueConstraint("provider", "event_id", name="uq_processed_events_provider_event"),)

    id = sa.Column(sa.Integer, primary_key=True)
    provider = sa.Column(sa.String(20), nullable=False)  # stripe, sepay …
    event_id = sa.Column(sa.String(255), nullable=False)
    type = sa.Column(sa.String(80), nullable=False)
    ref = sa.Column(sa.String(255), nullable=True, index=True)  # the object it is about (payment intent …)
    outcome = sa.Column(sa.String(30), nullable=False, default=Outcome.RECEIVED.value)  # an Outcome
    detail = sa.Column(sa.String(500), nullable=True)
    received_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)


class ShopPaymentSettings(TimestampMixin, db.Model):
    """How a shop is paid: cash on delivery on or off, and the bank account its VietQR codes pay into."""

    __tablename__ = "shop_payment_settings"

    id = sa.Column(sa.Integer, primary_key=True)
    seller_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), nullable=False,
                          unique=True)
    cod_enabled = sa.Column(sa.Boolean, nullable=False, default=True)
    # True: a cash-on-delivery order is confirmed when placed; False: the seller accepts each one.
    cod_auto_confirm = sa.Column(sa.Boolean, nullable=False, default=True)
    bank_bin = sa.Column(sa.String(6), nullable=True)
    account_number = sa.Column(sa.String(19), nullable=True)
    account_holder = sa.Column(sa.String(50), nullable=True)

    @property
    def has_bank(self) -> bool:
        return bool(self.bank_bin and self.account_number and self.account_holder)
