"""Who hears of each order change, in their own language, in the app and by SMS.

The buyer is told of every step someone else takes (confirmed, packed, shipped with the carrier, delivered,
cancelled with the reason, expired, refunded); the seller of new orders (not live ones: the live page shows
those), of payments that arrive by themselves, of a buyer's cancellation, receipt, transfer or review.
Nobody is told of their own action. Everything is written in the transaction and sent after it commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from market.catalog.weight import format_kg
from market.i18n import vnd
from market.notifications.service import message_kind, notify
from market.orders.signals import order_status_changed, order_weighed, orders_placed
from market.orders.states import Actor, OrderOrigin, OrderStatus
from market.orders.units import order_lines, quantity_text


def order_link(order) -> str:
    return f"/orders/{order.id}"  # the order page's address; also valid outside a request


def _params(order, **extra) -> dict:
    return {
        "code": order.code,
        "shop": order.seller.shop_name,
        "total": int(order.total_vnd),
        "buyer": order.buyer.display_name,
        "items": order.qty,
        "lines": order_lines(order),
        **extra,
    }


def _placed(p):
    if "lines" in p:  # "2 túi", as the order list says it
        return _(
            "New order %(code)s: %(items)s, %(total)s.",
            code=p["code"],
            items=quantity_text(p["lines"]),
            total=vnd(p["total"]),
        )
    return ngettext(
        "New order %(code)s: %(num)d item, %(total)s.",
        "New order %(code)s: %(num)d items, %(total)s.",
        p["items"],
        code=p["code"],
        total=vnd(p["total"]),
    )  # stored before quantities had units


def _confirmed(p):
    return _("%(shop)s confirmed your order %(code)s.", shop=p["shop"], code=p["code"])


def _paid(p):
    return _("Order %(code)s is paid (%(total)s). You can prepare it.", code=p["code"], total=vnd(p["total"]))


def _paid_buyer(p):
    return _("We received your payment of %(total)s for order %(code)s.", total=vnd(p["total"]), code=p["code"])


def _packed(p):
    return _("Your order %(code)s is packed and will be sent soon.", code=p["code"])


def _shipped(p):
    if p.get("tracking"):
        return _(
            "Your order %(code)s is on its way with %(carrier)s, tracking code %(tracking)s.",
            code=p["code"],
            carrier=p.get("carrier") or "",
            tracking=p["tracking"],
        )
    return _("Your order %(code)s is on its way with %(carrier)s.", code=p["code"], carrier=p.get("carrier") or "")


def _delivered(p):
    return _("Your order %(code)s has been delivered. How was it? Rate the shop.", code=p["code"])


def _received(p):
    return _("%(buyer)s has received order %(code)s.", buyer=p["buyer"], code=p["code"])


def _cancelled(p):
    if p.get("reason"):
        return _("Order %(code)s was cancelled: %(reason)s", code=p["code"], reason=p["reason"])
    return _("Order %(code)s was cancelled.", code=p["code"])


def _expired(p):
    return _("Order %(code)s was not paid in time and has been cancelled.", code=p["code"])


def _refunded(p):
    return _("The %(total)s you paid for order %(code)s has been refunded.", total=vnd(p["total"]), code=p["code"])


def _returned(p):
    return _("Order %(code)s came back to %(shop)s undelivered.", code=p["code"], shop=p["shop"])


def _transfer_claimed(p):
    return _(
        "%(buyer)s says they transferred %(total)s for order %(code)s. Check your bank and mark it paid.",
        buyer=p["buyer"],
        total=vnd(p["total"]),
        code=p["code"],
    )


def _reviewed(p):
    return _(
        "%(buyer)s rated order %(code)s %(rating)d out of 5.", buyer=p["buyer"], code=p["code"], rating=p["rating"]
    )


def _weighed(p):
    return _(
        "Order %(code)s was weighed: %(kg)s. The total is now %(total)s (estimated %(before)s).",
        code=p["code"],
        kg=format_kg(p["grams"]),
        total=vnd(p["total"]),
        before=vnd(p["before"]),
    )


def _weight_to_accept(p):
    return _(
        "Order %(code)s weighs %(kg)s, beyond the tolerance you agreed to: the total would be %(total)s "
        "instead of %(before)s. Accept or decline on the order page.",
        code=p["code"],
        kg=format_kg(p["grams"]),
        total=vnd(p["total"]),
        before=vnd(p["before"]),
    )


def _weight_accepted(p):
    return _(
        "%(buyer)s accepted the weighed total of %(total)s for order %(code)s. You can pack it.",
        buyer=p["buyer"],
        total=vnd(p["total"]),
        code=p["code"],
    )


def _authorised(p):
    return _(
        "Order %(code)s: the card is authorised for up to %(total)s. Weigh it when you pack; the weighed "
        "amount is then charged.",
        code=p["code"],
        total=vnd(p["total"]),
    )


def _authorised_buyer(p):
    return _(
        "Your card is authorised for up to %(total)s for order %(code)s. You are charged only the weighed "
        "amount, when the shop packs it.",
        total=vnd(p["total"]),
        code=p["code"],
    )


def _charged(p):
    return _(
        "We charged %(total)s to your card for order %(code)s (the weighed amount).",
        total=vnd(p["total"]),
        code=p["code"],
    )


def _tell(user, actor, kind: str, order, sms: bool = True, **extra) -> None:
    if user is None or (actor is not None and actor.id == user.id):
        return
    notify(user, kind, _params(order, **extra), link=order_link(order), sms=sms)


def on_placed(origin, placed=(), **_kw) -> None:
    if origin == OrderOrigin.LIVE:  # the live page shows those
        return
    for p in placed:
        order = p.load()
        _tell(order.seller.user, order.placed_by, "order.placed", order)


def on_status_changed(order, from_status=None, to_status=None, actor=None, actor_role=None, reason=None, **_kw):
    buyer, seller = order.buyer, order.seller.user
    if to_status == OrderStatus.CONFIRMED:
        if order.paid_at is not None and actor_role == Actor.SYSTEM:  # paid online: both hear of it
            _tell(buyer, actor, "order.paid_buyer", order)
            _tell(seller, actor, "order.paid", order)
        elif actor_role != Actor.SYSTEM:  # the seller accepted it (cash on delivery) or recorded the transfer
            _tell(buyer, actor, "order.confirmed", order)
    elif to_status == OrderStatus.PACKED:
        _tell(buyer, actor, "order.packed", order)
    elif to_status == OrderStatus.SHIPPED:
        _tell(buyer, actor, "order.shipped", order, carrier=order.carrier or "", tracking=order.tracking_code or "")
    elif to_status == OrderStatus.DELIVERED:
        if actor_role == Actor.BUYER:
            _tell(seller, actor, "order.received", order, sms=False)
        else:
            _tell(buyer, actor, "order.delivered", order)
    elif to_status == OrderStatus.CANCELLED:
        params = {"reason": reason or ""}
        if actor_role == Actor.BUYER:
            _tell(seller, actor, "order.cancelled", order, **params)
        else:
            _tell(buyer, actor, "order.cancelled", order, **params)
            if actor_role in (Actor.STAFF, Actor.SYSTEM):
                _tell(seller, actor, "order.cancelled", order, sms=False, **params)
    elif to_status == OrderStatus.EXPIRED:
        _tell(buyer, actor, "order.expired", order)
    elif to_status == OrderStatus.REFUNDED:
        _tell(buyer, actor, "order.refunded", order)
    elif to_status == OrderStatus.RETURNED:
        _tell(buyer, actor, "order.returned", order)
        if actor_role == Actor.SYSTEM:  # the carrier said so: the seller hears it too
            _tell(seller, actor, "order.returned", order, sms=False)


def on_weighed(order, event=None, final=False, actor=None, role=None, before_vnd=None, **_kw) -> None:
    from market.orders.states import WeightEvent
    from market.orders.weights import proposed_total, weighed_lines

    grams = sum(i.packed_weight_g or 0 for i in weighed_lines(order))
    if event == WeightEvent.WEIGHED:
        kind = "order.weighed" if final else "order.weight_to_accept"
        _tell(
            order.buyer,
            actor,
            kind,
            order,
            grams=grams,
            total=proposed_total(order),
            before=int(before_vnd if before_vnd is not None else order.total_vnd),
        )
    elif event == WeightEvent.WEIGHT_ACCEPTED:
        _tell(order.seller.user, actor, "order.weight_accepted", order, sms=True)


def card_authorised(order, amount_vnd: int) -> None:
    """A card was authorised for the most the tolerance allows (payments calls this; nobody acted)."""
    _tell(order.buyer, None, "order.authorised_buyer", order, sms=False, total=amount_vnd)
    _tell(order.seller.user, None, "order.authorised", order, total=amount_vnd)


def card_charged(order, amount_vnd: int) -> None:
    _tell(order.buyer, None, "order.charged", order, sms=False, total=amount_vnd)


def transfer_claimed(order) -> None:
    _tell(order.seller.user, order.buyer, "order.transfer_claimed", order)


def reviewed(order, review) -> None:
    _tell(order.seller.user, order.buyer, "order.reviewed", order, sms=False, rating=review.rating)


# How each kind reads (params → one sentence in the current language).
TEXTS = {
    "order.placed": _placed,
    "order.confirmed": _confirmed,
    "order.paid": _paid,
    "order.paid_buyer": _paid_buyer,
    "order.packed": _packed,
    "order.shipped": _shipped,
    "order.delivered": _delivered,
    "order.received": _received,
    "order.cancelled": _cancelled,
    "order.expired": _expired,
    "order.refunded": _refunded,
    "order.returned": _returned,
    "order.transfer_claimed": _transfer_claimed,
    "order.reviewed": _reviewed,
    "order.weighed": _weighed,
    "order.weight_to_accept": _weight_to_accept,
    "order.weight_accepted": _weight_accepted,
    "order.authorised": _authorised,
    "order.authorised_buyer": _authorised_buyer,
    "order.charged": _charged,
}


def register() -> None:
    """The kinds' texts and the listeners that tell people (the orders area's ``init_app`` calls it)."""
    for kind, text in TEXTS.items():
        message_kind(kind)(text)
    orders_placed.connect(on_placed, weak=False)
    order_status_changed.connect(on_status_changed, weak=False)
    order_weighed.connect(on_weighed, weak=False)
