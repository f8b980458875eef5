"""Order statuses and the one table of allowed transitions, with who may make each; the other words an order
is described with (origin, weight status, payment flag), as enums stored as their string values."""

from __future__ import annotations

import enum


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # stock held; payment (or the seller's acceptance) awaited; expires
    CONFIRMED = "confirmed"  # paid online, or cash on delivery accepted
    PACKED = "packed"  # the seller has packed it
    SHIPPED = "shipped"  # handed to a carrier (carrier and tracking code recorded)
    DELIVERED = "delivered"  # the buyer has it
    CANCELLED = "cancelled"  # by the buyer, the seller or staff; stock given back
    EXPIRED = "expired"  # a pending order whose hold ran out; stock given back
    REFUNDED = "refunded"  # a paid order that was cancelled, and its money returned
    RETURNED = "returned"  # the buyer refused the parcel (or it could not be delivered) and it is back; stock back


class Actor(enum.StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    STAFF = "staff"  # commune staff of the seller's commune, or an admin
    SYSTEM = "system"  # payments, hold expiry, webhooks


class OrderOrigin(enum.StrEnum):
    """``Order.origin``, also the sender of ``signals.orders_placed``."""

    CART = "cart"  # the buyer's cart and checkout
    LIVE = "live"  # a live session (merged, one by one, or the checkout sheet)
    PHONE = "phone"  # entered by the host or a staff helper for someone who called


class WeightStatus(enum.StrEnum):
    """``Order.weight_status``; None when no line is sold by weight."""

    ESTIMATE = "estimate"  # not weighed yet: the amounts are estimates
    TO_ACCEPT = "to_accept"  # weighed outside the tolerance: the buyer must accept (or decline)
    FINAL = "final"  # the weighed amounts apply


class PaymentFlag(enum.StrEnum):
    """``Order.payment_flag``: something about the money a person must look at; None when nothing is. The
    payments area sets and clears them; ``payments.service.flag_label`` says each to the seller."""

    AMOUNT_MISMATCH = "amount_mismatch"  # a payment of the wrong amount arrived: the order is not paid
    WRONG_ACCOUNT = "wrong_account"  # a transfer for it went to another bank account
    PAID_AFTER_CLOSE = "paid_after_close"  # money arrived after the order closed
    DOUBLE_PAYMENT = "double_payment"  # paid twice
    REFUND_DUE = "refund_due"  # the seller must send the money back by bank transfer
    REFUND_FAILED = "refund_failed"  # a card refund failed; retried
    PARTIAL_REFUND = "partial_refund"  # part of a card payment was refunded outside Chợ Phiên
    REFUNDED_OUTSIDE = "refunded_outside"  # refunded outside Chợ Phiên after packing
    CAPTURE_FAILED = "capture_failed"  # charging the weighed amount failed; retried
    HOLD_LAPSED = "hold_lapsed"  # the card authorisation ended before the weighed amount was charged


S, A = OrderStatus, Actor

# (from, to) → who may make that move. Anything not listed is refused.
TRANSITIONS: dict[tuple[OrderStatus, OrderStatus], frozenset[Actor]] = {
    (S.PENDING, S.CONFIRMED): frozenset({A.SELLER, A.STAFF, A.SYSTEM}),
    (S.PENDING, S.CANCELLED): frozenset({A.BUYER, A.SELLER, A.STAFF}),
    (S.PENDING, S.EXPIRED): frozenset({A.SYSTEM}),
    (S.CONFIRMED, S.PACKED): frozenset({A.SELLER, A.STAFF}),
    (S.CONFIRMED, S.CANCELLED): frozenset({A.BUYER, A.SELLER, A.STAFF, A.SYSTEM}),
    (S.PACKED, S.SHIPPED): frozenset({A.SELLER, A.STAFF}),
    (S.PACKED, S.CANCELLED): frozenset({A.SELLER, A.STAFF}),
    (S.SHIPPED, S.DELIVERED): frozenset({A.SELLER, A.STAFF, A.BUYER, A.SYSTEM}),
    (S.CANCELLED, S.REFUNDED): frozenset({A.SELLER, A.STAFF, A.SYSTEM}),
    # A carrier's webhook (system), or the seller who shipped by hand, says the parcel came back.
    (S.SHIPPED, S.RETURNED): frozenset({A.SELLER, A.STAFF, A.SYSTEM}),
    (S.RETURNED, S.REFUNDED): frozenset({A.SELLER, A.STAFF, A.SYSTEM}),  # a paid order's money sent back
    # The carrier shipment was cancelled before anyone picked the parcel up (shipping.shipments.cancel): the
    # order is packed again, ready for another shipment. Only the shipping service makes this move.
    (S.SHIPPED, S.PACKED): frozenset({A.SYSTEM}),
}

# Leaving the order's stock held: moving into these gives it back.
RELEASES_STOCK = frozenset({S.CANCELLED, S.EXPIRED, S.RETURNED})
# Moves that need a reason the other side will read.
NEEDS_REASON = {
    (S.CONFIRMED, S.CANCELLED, A.SELLER),
    (S.PENDING, S.CANCELLED, A.SELLER),
    (S.PACKED, S.CANCELLED, A.SELLER),
    (S.PENDING, S.CANCELLED, A.STAFF),
    (S.CONFIRMED, S.CANCELLED, A.STAFF),
    (S.PACKED, S.CANCELLED, A.STAFF),
}
FINAL = frozenset({S.DELIVERED, S.EXPIRED, S.REFUNDED})  # RETURNED is not: a paid one may still be refunded
OPEN = frozenset({S.PENDING, S.CONFIRMED, S.PACKED, S.SHIPPED})


def allowed(from_status: str, to_status: str, actor: Actor) -> bool:
    return actor in TRANSITIONS.get((OrderStatus(from_status), OrderStatus(to_status)), frozenset())


class WeightEvent(enum.StrEnum):
    """Events of an order sold by weight. They do not change its status; each writes an OrderEvent (``kind``)."""

    WEIGHED = "weighed"  # the seller entered the weighed kilograms (applied, or proposed to the buyer)
    WEIGHT_ACCEPTED = "weight_accepted"  # the buyer accepted weights outside the tolerance
    WEIGHT_DECLINED = "weight_declined"  # the buyer declined them; the order then moves to cancelled


W = WeightEvent
# event → (statuses the order may be in, who may cause it). Weighing happens before packing: on a pending order
# when its payment waits for the weighed amount (a bank transfer, cash the shop has yet to accept), or on a
# confirmed one (cash on delivery, a card authorised for the most the tolerance allows).
WEIGHT_EVENTS: dict[WeightEvent, tuple[frozenset[OrderStatus], frozenset[Actor]]] = {
    W.WEIGHED: (frozenset({S.PENDING, S.CONFIRMED}), frozenset({A.SELLER, A.STAFF})),
    W.WEIGHT_ACCEPTED: (frozenset({S.PENDING, S.CONFIRMED}), frozenset({A.BUYER})),
    # the system declines for a buyer who did not answer in time (weights.expire_unanswered)
    W.WEIGHT_DECLINED: (frozenset({S.PENDING, S.CONFIRMED}), frozenset({A.BUYER, A.SYSTEM})),
}
# The move a declined weighing makes (it must also be in TRANSITIONS for the buyer).
DECLINE_MOVES_TO = S.CANCELLED


def weight_event_allowed(event: WeightEvent | str, status: str, actor: Actor) -> bool:
    statuses, actors = WEIGHT_EVENTS[WeightEvent(event)]
    return OrderStatus(status) in statuses and actor in actors
