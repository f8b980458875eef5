"""Orders sold by weight: the seller weighs at packing, the amount follows the weight, the buyer agrees.

A line sold by weight carries one unit's estimated grams and the tolerance the buyer agreed to by ordering
(``OrderItem.est_weight_g``, ``weight_tolerance_pct``); its amount is an estimate until the seller weighs it.

- **Amount.** ``unit price × weighed grams ÷ estimated grams of one unit``, rounded half up to the đồng: the
  estimated weight costs exactly the estimated amount, whatever price the line was sold at (shelf or live).
- **Tolerance.** Weighed within ± tolerance of the estimate (per line): the new amounts apply at once and the
  buyer is told (in the app and by SMS) before paying. Outside it on any line: the weights are proposed, the
  order waits for the buyer to accept (the amounts apply) or decline (the order is cancelled, the stock goes
  back). Every weighing, acceptance and refusal is an ``OrderEvent`` with a ``WeightEvent`` kind; the status
  table (``states.WEIGHT_EVENTS``) says when each may happen and who may cause it.
- **Absurd weights** (0, a fifth of the estimate or less, more than twice it — the typical slips are grams typed
  as kilograms and an extra zero) are refused with the range expected; nothing is written.
- **No answer.** A confirmed order left waiting for the buyer ``WEIGHING_ANSWER_HOURS`` after its last
  weighing is declined for them by the system (``expire_unanswered``, run with the hold sweep): cancelled, its
  stock back, a card authorisation released. A pending one already expires with its payment hold.
- **Payments** are asked through the gateway: a card authorised for the most the tolerance allows cannot be
  charged more (``max_chargeable``); once the money is received or a capture has started
  (``amount_locked``) the weights are final.
The new amount goes to the payments area through the ``order_weighed`` signal (open attempts follow it, a card
authorisation is captured). Functions flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from market.catalog.weight import format_kg, parse_kg, round_div
from market.database import utcnow
from market.domain import DomainError, ErrorCode, FieldErrors, NotFound
from market.extensions import db
from market.i18n import vnd
from market.orders.models import Order, OrderEvent, OrderItem
from market.orders.payment import gateway
from market.orders.service import roles_for, status_label, transition
from market.orders.signals import order_weighed
from market.orders.states import Actor, OrderStatus, WeightEvent, WeightStatus, weight_event_allowed

PLAUSIBLE_MIN_PCT = 20  # of the estimate: lighter than a fifth is a slip, not a smaller fruit
PLAUSIBLE_MAX_PCT = 200  # heavier than twice the estimate is an extra zero or the wrong unit
MAX_WEIGHT_G = 10_000_000  # 10 tonnes: what the parser accepts at all


def weighed_lines(order: Order) -> list[OrderItem]:
    return [item for item in order.items if item.by_weight]


def tolerance_band(item: OrderItem) -> tuple[int, int]:
    """The weights (grams, whole line) that apply without asking the buyer."""
    est, pct = item.estimated_weight_g, item.weight_tolerance_pct or 0
    return -(-est * (100 - pct) // 100), est * (100 + pct) // 100


def plausible_range(item: OrderItem) -> tuple[int, int]:
    est = item.estimated_weight_g
    return max(1, -(-est * PLAUSIBLE_MIN_PCT // 100)), est * PLAUSIBLE_MAX_PCT // 100


def amount_for(item: OrderItem, grams: int) -> int:
    """The line's amount for ``grams`` weighed: the unit price scaled by weight (the estimate costs the estimate)."""
    return round_div(item.unit_price_vnd * grams, item.est_weight_g)


def max_line_total(item: OrderItem) -> int:
    """The most a line can cost within its tolerance (what a card is authorised for)."""
    if not item.by_weight:
        return item.line_total_vnd
    pct = item.weight_tolerance_pct or 0
    return item.qty * -(-item.unit_price_vnd * (100 + pct) // 100)


def max_unit_price(item: OrderItem) -> int:
    pct = item.weight_tolerance_pct or 0
    return -(-item.unit_price_vnd * (100 + pct) // 100) if item.by_weight else item.unit_price_vnd


def max_total(order: Order) -> int:
    return sum(max_line_total(item) for item in order.items) + order.shipping_vnd


def proposed_total(order: Order) -> int:
    """The total with the weights the seller entered (what the buyer accepts or declines)."""
    return (
        sum(
            amount_for(i, i.packed_weight_g) if i.by_weight and i.packed_weight_g else i.line_total_vnd
            for i in order.items
        )
        + order.shipping_vnd
    )


def estimated_total(order: Order) -> int:
    return sum(i.estimated_total_vnd for i in order.items) + order.shipping_vnd


# ---- what may happen now -------------------------------------------------------------------------------


def weighing_refusal(order: Order, role: Actor) -> str | None:
    """Why ``role`` may not weigh this order now (None: they may)."""
    if order.weight_status is None:
        return _("Nothing in this order is sold by weight.")
    if not weight_event_allowed(WeightEvent.WEIGHED, order.status, role):
        return _("An order that is %(status)s can no longer be weighed.", status=status_label(order.status))
    if order.paid_at is not None or gateway().amount_locked(order):
        return _("The weighed amount has been paid or charged already; it can no longer change.")
    if order.status == OrderStatus.PENDING:
        if not order.is_complete:
            return _("The buyer has not yet given an address and a way to pay.")
        if not gateway().weigh_before_paying(order):
            return _("Wait for the buyer's card authorisation before weighing.")
    return None


def can_weigh(order: Order, role: Actor) -> bool:
    return role in (Actor.SELLER, Actor.STAFF) and weighing_refusal(order, role) is None


def buyer_must_answer(order: Order) -> bool:
    return order.weight_status == WeightStatus.TO_ACCEPT and weight_event_allowed(
        WeightEvent.WEIGHT_ACCEPTED, order.status, Actor.BUYER
    )


# ---- the three events ------------------------------------------------------------------------------------


def read_weights(order: Order, raw: dict) -> dict[int, int]:
    """Grams per by-weight line from form values keyed ``weight-<item id>``; every refusal at once."""
    errors, grams = [], {}
    for item in weighed_lines(order):
        field = f"weight-{item.id}"
        try:
            value = parse_kg(raw.get(field), field, minimum_g=1, maximum_g=MAX_WEIGHT_G)
        except DomainError as err:
            errors.append(err)
            continue
        low, high = plausible_range(item)
        if not low <= value <= high:
            errors.append(
                DomainError(
                    ErrorCode.INVALID,
                    _(
                        "%(kg)s does not look right for %(title)s (about %(est)s ordered): enter between %(low)s and "
                        "%(high)s. Check the scale, and write kilograms with a comma (3,2).",
                        kg=format_kg(value),
                        title=item.title,
                        est=format_kg(item.estimated_weight_g),
                        low=format_kg(low),
                        high=format_kg(high),
                    ),
                    field=field,
                )
            )
            continue
        grams[item.id] = value
    if errors:
        raise FieldErrors(errors)
    return grams


def weigh(order: Order, user, role: Actor | str, raw: dict) -> Order:
    """The seller (or commune staff) enters the weighed kilograms of every by-weight line."""
    role = Actor(role)
    if role not in (Actor.SELLER, Actor.STAFF) or role not in roles_for(order, user):
        raise NotFound(_("This order does not exist."))
    refusal = weighing_refusal(order, role)
    if refusal:
        raise DomainError(ErrorCode.INVALID, refusal, status=409)
    grams = read_weights(order, raw)
    lines = weighed_lines(order)
    new_total = (
        sum(amount_for(i, grams[i.id]) if i.by_weight else i.line_total_vnd for i in order.items) + order.shipping_vnd
    )
    limit = gateway().max_chargeable(order)
    if limit is not None and new_total > limit:
        raise DomainError(
            ErrorCode.INVALID,
            _(
                "The buyer's card was authorised for at most %(max)s; these weights come to %(total)s. Pack pieces "
                "within the tolerance (at most %(kg)s in all).",
                max=vnd(limit),
                total=vnd(new_total),
                kg=", ".join(format_kg(tolerance_band(i)[1]) for i in lines),
            ),
            field=f"weight-{lines[0].id}",
            status=409,
        )
    within = all(tolerance_band(i)[0] <= grams[i.id] <= tolerance_band(i)[1] for i in lines)
    new_status = WeightStatus.FINAL if within else WeightStatus.TO_ACCEPT
    _claim(order, new_status, allowed_from=(WeightStatus.ESTIMATE, WeightStatus.TO_ACCEPT, WeightStatus.FINAL))
    before = order.total_vnd
    for item in lines:
        item.packed_weight_g = grams[item.id]
    if within:
        _apply_weighed_amounts(order)
    summary = "; ".join(
        _(
            "%(title)s: %(kg)s weighed (about %(est)s ordered)",
            title=i.title,
            kg=format_kg(i.packed_weight_g),
            est=format_kg(i.estimated_weight_g),
        )
        for i in lines
    )
    amounts = _("total %(new)s instead of %(old)s", new=vnd(proposed_total(order)), old=vnd(estimated_total(order)))
    _event(
        order,
        WeightEvent.WEIGHED,
        user,
        role,
        f"{summary} — {amounts}" + ("" if within else " — " + _("outside the tolerance: the buyer must accept")),
    )
    order_weighed.send(order, event=WeightEvent.WEIGHED, final=within, actor=user, role=role, before_vnd=before)
    return order


def accept(order: Order, user) -> Order:
    """The buyer accepts weights outside the tolerance: they become the order's amounts."""
    _check_buyer(order, user, WeightEvent.WEIGHT_ACCEPTED)
    limit = gateway().max_chargeable(order)
    if limit is not None and proposed_total(order) > limit:  # the seller's weighing checked it; a card may change
        raise DomainError(ErrorCode.INVALID, _("This amount is more than your card was authorised for."), status=409)
    _claim(order, WeightStatus.FINAL, allowed_from=(WeightStatus.TO_ACCEPT,))
    before = order.total_vnd
    _apply_weighed_amounts(order)
    _event(
        order,
        WeightEvent.WEIGHT_ACCEPTED,
        user,
        Actor.BUYER,
        _("Accepted the weighed amount: %(total)s", total=vnd(order.total_vnd)),
    )
    order_weighed.send(
        order, event=WeightEvent.WEIGHT_ACCEPTED, final=True, actor=user, role=Actor.BUYER, before_vnd=before
    )
    return order


def decline(order: Order, user, reason: str | None = None) -> Order:
    """The buyer declines weights outside the tolerance: the order is cancelled and its stock goes back."""
    _check_buyer(order, user, WeightEvent.WEIGHT_DECLINED)
    _event(
        order,
        WeightEvent.WEIGHT_DECLINED,
        user,
        Actor.BUYER,
        _("Declined the weighed amount of %(total)s", total=vnd(proposed_total(order))),
    )
    order_weighed.send(
        order, event=WeightEvent.WEIGHT_DECLINED, final=False, actor=user, role=Actor.BUYER, before_vnd=order.total_vnd
    )
    return transition(
        order,
        OrderStatus.CANCELLED,
        actor=user,
        role=Actor.BUYER,
        reason=reason or _("The buyer declined the weighed amount"),
    )


def answer_deadline(order: Order) -> datetime | None:
    """When a confirmed order waiting for the buyer's answer is declined for them (None: nothing waits)."""
    if order.weight_status != WeightStatus.TO_ACCEPT or order.status != OrderStatus.CONFIRMED:
        return None
    weighed = db.session.scalar(
        sa.select(sa.func.max(OrderEvent.created_at)).where(
            OrderEvent.order_id == order.id, OrderEvent.kind == WeightEvent.WEIGHED
        )
    )
    return weighed + timedelta(hours=current_app.config["WEIGHING_ANSWER_HOURS"]) if weighed else None


def expire_unanswered(now: datetime | None = None, limit: int = 200) -> int:
    """Decline, for the buyer, weighings of confirmed orders left unanswered past the deadline; returns how many.

    Each order in its own savepoint: one that the buyer answered (or the seller re-weighed) meanwhile is left."""
    now = now or utcnow()
    hours = current_app.config["WEIGHING_ANSWER_HOURS"]
    last_weighed = (
        sa.select(OrderEvent.order_id, sa.func.max(OrderEvent.created_at).label("at"))
        .where(OrderEvent.kind == WeightEvent.WEIGHED)
        .group_by(OrderEvent.order_id)
        .subquery()
    )
    due = db.session.scalars(
        sa.select(Order)
        .join(last_weighed, last_weighed.c.order_id == Order.id)
        .where(
            Order.status == OrderStatus.CONFIRMED,
            Order.weight_status == WeightStatus.TO_ACCEPT,
            last_weighed.c.at <= now - timedelta(hours=hours),
        )
        .order_by(last_weighed.c.at)
        .limit(limit)
    ).all()
    declined = 0
    for order in due:
        try:
            with db.session.begin_nested():
                # row-locks it against an answer
                _claim(order, WeightStatus.TO_ACCEPT, allowed_from=(WeightStatus.TO_ACCEPT,))
                reason = _("No answer to the weighed amount within %(hours)d hours", hours=hours)
                _event(order, WeightEvent.WEIGHT_DECLINED, None, Actor.SYSTEM, reason)
                order_weighed.send(
                    order,
                    event=WeightEvent.WEIGHT_DECLINED,
                    final=False,
                    actor=None,
                    role=Actor.SYSTEM,
                    before_vnd=order.total_vnd,
                )
                transition(order, OrderStatus.CANCELLED, actor=None, role=Actor.SYSTEM, reason=reason)
            declined += 1
        except DomainError:  # answered, re-weighed or cancelled meanwhile
            db.session.expire(order)
    return declined


def _check_buyer(order: Order, user, event: WeightEvent) -> None:
    if Actor.BUYER not in roles_for(order, user):
        raise NotFound(_("This order does not exist."))
    if order.weight_status != WeightStatus.TO_ACCEPT or not weight_event_allowed(event, order.status, Actor.BUYER):
        raise DomainError(ErrorCode.INVALID, _("There is no weighed amount waiting for your answer."), status=409)


def _claim(order: Order, new_status: WeightStatus, allowed_from: tuple[WeightStatus, ...]) -> None:
    """Move weight_status with a conditional UPDATE on what we read, so a seller re-weighing and a buyer
    answering at the same moment cannot both win."""
    read = order.weight_status
    if read not in allowed_from:
        raise DomainError(ErrorCode.INVALID, _("This order changed meanwhile; reload the page."), status=409)
    now = utcnow()
    result = db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id, Order.status == order.status, Order.weight_status == read)
        .values(weight_status=new_status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(order)
        raise DomainError(ErrorCode.INVALID, _("This order changed meanwhile; reload the page."), status=409)
    db.session.expire(order, ["weight_status", "updated_at"])


def _apply_weighed_amounts(order: Order) -> None:
    for item in weighed_lines(order):
        item.line_total_vnd = amount_for(item, item.packed_weight_g)
    order.subtotal_vnd = sum(item.line_total_vnd for item in order.items)
    order.total_vnd = order.subtotal_vnd + order.shipping_vnd
    db.session.flush()


def _event(order: Order, kind: WeightEvent, user, role: Actor, reason: str) -> None:
    db.session.add(
        OrderEvent(
            order_id=order.id,
            from_status=order.status,
            to_status=order.status,
            kind=kind,
            actor_id=user.id if user is not None else None,
            actor_role=role,
            reason=reason[:500],
            created_at=utcnow(),
        )
    )
    db.session.flush()


def weight_event_label(kind: str) -> str:
    return {
        WeightEvent.WEIGHED: _("Weighed"),
        WeightEvent.WEIGHT_ACCEPTED: _("Weighed amount accepted"),
        WeightEvent.WEIGHT_DECLINED: _("Weighed amount declined"),
    }.get(kind, kind)
