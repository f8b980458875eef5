"""The checkout sheet of the live page: an order reserved and completed without leaving ``/live/<id>``.

1. The sheet opens with the quantity, the buyer's saved address and her last way to pay already chosen
   (``defaults``); "Confirm" sends them once.
2. Everything she typed is checked first (address, way to pay): a refusal writes nothing.
3. The units are reserved through ``ordering.submit_order``, the same merged path as the ``order`` event
   and "chốt" in the chat; the request's key makes a double tap or a retry find the first order.
4. The order is completed in one transaction through checkout's ``complete_order`` (the order page's own
   service: address copied and saved, the way to pay handed to payments, cash on delivery confirmed by the
   shop's rules). If that fails the reservation stands, still held: the sheet says what is missing and
   until when, and sending it again completes the same order.
An order already reserved (by "chốt", or a sheet closed before confirming) is completed by its id.
5. A buyer without an account (or not logged in) stays in the sheet: her phone gets a sign-in code by SMS
   (accounts.codes, the same codes as /login/code); "Confirm" with the code signs her in — a new number gets an
   account under the name she typed — and then goes on as above. Her name and address are checked before
   the code is used, so a typing mistake does not cost her the code.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import format_time
from flask_babel import gettext as _

from market.accounts.models import User
from market.database import utcnow
from market.domain import DomainError, ErrorCode, NotFound, parse_id
from market.extensions import db
from market.live.models import LiveSession
from market.orders import checkout
from market.orders.models import Order
from market.orders.payment import gateway
from market.orders.states import OrderOrigin, OrderStatus


@dataclass(frozen=True)
class Defaults:
    address: dict | None  # the saved delivery address, or None (a new buyer types one)
    method: str | None  # her last way to pay if this shop takes it, else the shop's first
    methods: list[dict]  # what the shop takes: name, label, hint


def last_method(user: User | None, allowed: list[str]) -> str | None:
    if not allowed:
        return None
    if user is not None:
        recent = db.session.scalars(
            sa.select(Order.payment_method)
            .where(Order.buyer_id == user.id, Order.payment_method.is_not(None))
            .order_by(Order.id.desc())
            .limit(10)
        )
        for method in recent:
            if method in allowed:
                return method
    return "cod" if "cod" in allowed else allowed[0]


def defaults(user: User | None, session: LiveSession) -> Defaults:
    choices = gateway().choices(session.seller_id)
    saved = checkout.saved_address(user) if user is not None else None
    address = None
    if saved is not None:
        from market.accounts.service import format_phone

        address = {
            "ship_name": saved.name,
            "ship_phone": format_phone(saved.phone),
            "ship_street": saved.street,
            "ship_commune": saved.commune,
            "ship_province": saved.province,
        }
    return Defaults(
        address,
        last_method(user, [c.name for c in choices]),
        [{"name": c.name, "label": c.label, "hint": c.hint} for c in choices],
    )


def check_method(session: LiveSession, method: object) -> str:
    names = [c.name for c in gateway().choices(session.seller_id)]
    if not isinstance(method, str) or method not in names:
        raise DomainError(ErrorCode.INVALID, _("Choose how you will pay."), field="method")
    return method


# ---- what a reserved order still needs ------------------------------------------------------------------


def missing(order: Order) -> list[str]:
    """What the buyer must still do: ``address``, ``method`` (how to pay) and/or ``payment`` (transfer or card)."""
    if order.status != OrderStatus.PENDING:
        return []
    needs = []
    if not order.has_address:
        needs.append("address")
    if not order.payment_method:
        needs.append("method")
    elif order.payment_method != "cod" and order.paid_at is None:
        needs.append("payment")
    return needs


def missing_text(needs: list[str], until) -> str:
    """ "One step left: choose a delivery address and how to pay — held until 20:45." (until: aware datetime)"""
    when = format_time(until, "HH:mm")
    if "address" in needs and "method" in needs:
        return _("One step left: choose a delivery address and how to pay — held until %(time)s.", time=when)
    if "address" in needs:
        return _("One step left: choose a delivery address — held until %(time)s.", time=when)
    if "method" in needs:
        return _("One step left: choose how to pay — held until %(time)s.", time=when)
    return _("One step left: pay for your order — held until %(time)s.", time=when)


def order_json(order: Order) -> dict:
    """A reserved or completed live order as the sheet and the page's reminder show it."""
    item = order.items[0] if order.items else None
    needs = missing(order)
    until = order.hold_expires_at if order.status == OrderStatus.PENDING else None
    return {
        "id": order.id,
        "code": order.code,
        "status": str(order.status),
        "qty": order.qty,
        "total_vnd": int(order.total_vnd),
        "title": item.title if item else "",
        "unit": item.unit if item else "",
        "offer_id": item.source_id if item and item.source == "offer" else None,
        "unit_price_vnd": int(item.unit_price_vnd) if item else 0,
        "method": order.payment_method,
        "missing": needs,
        "missing_text": missing_text(needs, until) if needs and until else None,
        "hold_expires_at": until.isoformat() if until else None,
        "url": f"/orders/{order.id}",
    }


def pending_orders(user: User | None, session: LiveSession) -> list[Order]:
    """The buyer's live orders of this session that still wait for something she must do."""
    if user is None or not user.is_authenticated:
        return []
    rows = db.session.scalars(
        sa.select(Order)
        .where(
            Order.buyer_id == user.id,
            Order.live_session_id == session.id,
            Order.origin == OrderOrigin.LIVE,
            Order.status == OrderStatus.PENDING,
        )
        .order_by(Order.id.desc())
        .limit(10)
    ).all()
    return [o for o in rows if missing(o)]


# ---- completing ------------------------------------------------------------------------------------------


def live_order(user: User, session: LiveSession, order_id: object) -> Order:
    """One of the buyer's live orders of this session (anything else, another person's included, is a 404)."""
    oid = parse_id(order_id)
    order = db.session.get(Order, oid) if oid else None
    if (
        order is None
        or order.buyer_id != user.id
        or order.live_session_id != session.id
        or order.origin != OrderOrigin.LIVE
    ):
        raise NotFound(_("This order does not exist."))
    return order


def finish(
    order: Order, buyer: User, address: checkout.Address, method: str, shown_fee: int | str = "unchecked"
) -> Order:
    """Give a reserved live order its address and way to pay (once: a repeat of the same answer is harmless).

    ``shown_fee``: the shipping fee the sheet showed (0 until it learns one): another fee for this address is
    refused with ``fee_changed`` (``shipping_fee`` tells the sheet which), so nobody confirms a total unseen."""
    if order.status != OrderStatus.PENDING:
        if (
            order.is_complete
            and order.payment_method == method
            and order.status not in (OrderStatus.CANCELLED, OrderStatus.EXPIRED)
        ):
            return order  # a double tap: the first one already completed it
        if order.status == OrderStatus.EXPIRED:
            raise DomainError(
                ErrorCode.EXPIRED,
                _("The hold on this order ran out and its units went back on sale. Order again if some are left."),
                status=409,
            )
        raise DomainError(ErrorCode.INVALID, _("This order can no longer be changed."), status=409)
    if order.hold_expires_at is not None and order.hold_expires_at <= utcnow() and not order.is_complete:
        raise DomainError(
            ErrorCode.EXPIRED,
            _("The hold on this order ran out and its units went back on sale. Order again if some are left."),
            status=409,
        )
    return checkout.complete_order(order, buyer, address, method, shown_fee=shown_fee)


def shipping_fee(order: Order, address: checkout.Address) -> int | None:
    """What shipping this order to ``address`` costs (checkout's quote), for the sheet to show."""
    from market.orders import delivery

    return delivery.quote_order(order, checkout.destination_of(address)).fee_vnd


def page_data(session: LiveSession, user: User | None) -> dict:
    """What the live page's sheet needs at load: the defaults and the buyer's orders still waiting on her."""
    logged_in = user is not None and user.is_authenticated
    d = defaults(user if logged_in else None, session)
    return {
        "session_id": session.id,
        "logged_in": logged_in,
        "address": d.address,
        "method": d.method,
        "methods": d.methods,
        "pending": [order_json(o) for o in pending_orders(user, session)],
    }


def sign_in_by_code(phone: object, code: object, name: object, ip: str, locale: str) -> User:
    """The buyer typed the code sent to ``phone``: her account, or a new one under ``name`` (flushes)."""
    from market.accounts import service as accounts
    from market.accounts.codes import Purpose, use_code

    name = accounts.clean_display_name(name if isinstance(name, str) else None)
    e164 = use_code(phone, Purpose.LOGIN, code, ip=ip)  # WrongCode: the caller commits the counted try
    user = accounts.sign_in_by_code(e164) or accounts.sign_up_by_code(e164, name, locale=locale)
    accounts.record_login(user)
    return user
