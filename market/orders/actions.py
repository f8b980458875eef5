"""What people do to an order, named after the move, each checked against the table and the payment.

These wrap ``service.transition`` with the rules a person (not the system) must also follow: a seller confirms
an unpaid order only when it is cash on delivery; shipping records the carrier; a refund marked by hand only
for money the seller returns themselves (a card refund goes through Stripe). Flush only; the caller commits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _

from market.domain import DomainError, ErrorCode, NotFound
from market.extensions import db
from market.orders.models import Order
from market.orders.payment import gateway
from market.orders.service import roles_for, transition
from market.orders.states import Actor, OrderStatus, WeightStatus, allowed
from market.text import clean_line

if TYPE_CHECKING:
    from market.accounts.models import User

ROLE_PREFERENCE = (Actor.SELLER, Actor.STAFF, Actor.BUYER)


def acting_role(order: Order, user: User | None, wanted: object = None) -> Actor:
    """The role ``user`` acts in: the one asked for (if they hold it), else seller, staff, buyer in that order."""
    roles = roles_for(order, user)
    if not roles:
        raise NotFound(_("This order does not exist."))
    if wanted not in (None, ""):
        if not isinstance(wanted, str) or wanted not in set(Actor):
            raise DomainError(ErrorCode.INVALID, _("Unknown role."))
        role = Actor(wanted)
        if role not in roles or role == Actor.SYSTEM:
            raise NotFound(_("This order does not exist."))
        return role
    return next(r for r in ROLE_PREFERENCE if r in roles)


def parse_status(raw: object) -> OrderStatus:
    if not isinstance(raw, str) or raw not in set(OrderStatus):
        raise DomainError(ErrorCode.INVALID, _("This is not an order status."), field="to")
    return OrderStatus(raw)


def move(
    order: Order,
    user: User | None,
    to: object,
    *,
    role: Actor,
    reason: str | None = None,
    carrier: str | None = None,
    tracking_code: str | None = None,
) -> Order:
    """``user`` (acting as ``role``) moves ``order`` to ``to``."""
    to = parse_status(to)
    if role == Actor.SYSTEM or role not in roles_for(order, user):
        raise NotFound(_("This order does not exist."))
    if not allowed(order.status, to, role):
        from market.orders.service import status_label

        raise DomainError(
            ErrorCode.INVALID,
            _(
                "An order that is %(current)s cannot become %(new)s.",
                current=status_label(order.status),
                new=status_label(to),
            ),
            status=409,
        )
    if to == OrderStatus.CONFIRMED and order.status == OrderStatus.PENDING and order.paid_at is None:
        if not order.is_complete:
            raise DomainError(
                ErrorCode.INVALID, _("The buyer has not yet given an address and a way to pay."), status=409
            )
        if not gateway().can_confirm_unpaid(order):
            raise DomainError(
                ErrorCode.INVALID, _("Wait for the payment (or mark it received) before confirming."), status=409
            )
    if to == OrderStatus.PACKED and order.awaits_weighing:
        weighed = order.weight_status != WeightStatus.ESTIMATE
        raise DomainError(
            ErrorCode.INVALID,
            _("Wait for the buyer to accept the weighed amount.")
            if weighed
            else _("Weigh the items sold by weight first."),
            status=409,
        )
    if to == OrderStatus.SHIPPED:
        carrier = clean_line(carrier)[:60]
        if not carrier:
            raise DomainError(ErrorCode.INVALID, _("Enter the carrier."), field="carrier")
        order.carrier = carrier
        order.tracking_code = clean_line(tracking_code)[:60] or None
        db.session.flush()
    if to == OrderStatus.REFUNDED and not gateway().can_mark_refunded(order):
        raise DomainError(ErrorCode.INVALID, _("This refund is made by the card provider, not by hand."), status=409)
    return transition(order, to, actor=user, role=role, reason=reason)


def cancel(order: Order, user: User | None, *, role: Actor, reason: str | None = None) -> Order:
    return move(order, user, OrderStatus.CANCELLED, role=role, reason=reason)


def mark_paid(order: Order, user: User | None, *, role: Actor) -> None:
    if role not in (Actor.SELLER, Actor.STAFF) or role not in roles_for(order, user):
        raise NotFound(_("This order does not exist."))
    gateway().mark_paid(order, user, role)


def buyer_actions(order: Order) -> list[str]:
    """What the buyer may do now (for the page and the API)."""
    actions = []
    if order.status == OrderStatus.PENDING and order.paid_at is None:
        actions.append("complete")
    if allowed(order.status, OrderStatus.CANCELLED, Actor.BUYER):
        actions.append("cancel")
    if allowed(order.status, OrderStatus.DELIVERED, Actor.BUYER):
        actions.append("received")
    from market.orders.weights import buyer_must_answer

    if buyer_must_answer(order):
        actions.append("answer_weight")
    return actions


def seller_actions(order: Order, role: Actor = Actor.SELLER) -> list[str]:
    g = gateway()
    actions = []
    status = OrderStatus(order.status)
    if status == OrderStatus.PENDING and order.paid_at is None and order.is_complete and g.can_confirm_unpaid(order):
        actions.append("confirm")
    if g.can_mark_paid(order):
        actions.append("paid")
    from market.orders.weights import can_weigh

    if can_weigh(order, role):
        actions.append("weigh")
    for to, name in ((OrderStatus.PACKED, "pack"), (OrderStatus.SHIPPED, "ship"), (OrderStatus.DELIVERED, "deliver")):
        if allowed(status, to, role) and not (to == OrderStatus.PACKED and order.awaits_weighing):
            actions.append(name)
    if allowed(status, OrderStatus.CANCELLED, role):
        actions.append("cancel")
    if allowed(status, OrderStatus.RETURNED, role):
        actions.append("returned")
    if allowed(status, OrderStatus.REFUNDED, role) and g.can_mark_refunded(order):
        actions.append("refunded")
    return actions
