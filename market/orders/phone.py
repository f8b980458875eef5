"""Phone orders ("chốt đơn"): the host at her live console, or a staff helper acting for a villager, enters the
order of someone who phoned (or commented on TikTok/Facebook), and it is finished there and then.

1. Everything is checked before anything is written: the caller's phone must receive SMS (no landline, no
   1800/1900: ``accounts.service.require_mobile``), a name, a delivery address, a quantity, a way to pay the
   shop takes (cash on delivery by default where it does; a transfer otherwise; never a card: the caller is
   not at a browser).
2. The same request twice (a double tap: same key) finds the first order. The same phone, source and
   quantity again within ``DUPLICATE_WINDOW`` under another key is refused with ``duplicate`` (field
   ``confirm_duplicate``) until the person entering it confirms it is a second order.
3. The stock is taken by ``place_order`` (the one way to take it, in this transaction); the address is copied
   and the way to pay handed to the payment gateway, as at checkout: cash on delivery confirms by the shop's
   rule, a transfer waits for the money until its hold ends.
4. The caller hears of it once: one notification and one short SMS (``order.phone_placed``) with the shop,
   items, total, address, how to pay (for a transfer: bank, account, amount and memo), the code and a link.
5. A new caller gets a plain account with no usable password (``UNUSABLE_PASSWORD``): it stays claimable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts.models import User
from market.accounts.service import NAME_MAX, normalize_phone, require_mobile
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.i18n import vnd, when
from market.notifications.service import message_kind, notify
from market.orders.checkout import Address, apply_address, apply_fee, clean_address, save_address
from market.orders.models import Order, OrderItem
from market.orders.notify import order_link
from market.orders.payment import gateway
from market.orders.service import Line, Placed, check_key, check_qty, find_by_key, place_order
from market.orders.states import OrderOrigin, OrderStatus
from market.orders.units import unit_label
from market.text import clean_line

DUPLICATE_WINDOW = timedelta(minutes=2)
PHONE_METHODS = ("cod", "vietqr")  # in the order they are offered: cash on delivery first where the shop takes it
UNUSABLE_PASSWORD = "!phone-order"  # noqa: S105 - not a hash: no password ever matches it
SMS_TITLE_MAX = 40
SMS_ADDRESS_MAX = 60


@dataclass(frozen=True)
class PhoneOrderRequest:
    """What the person taking the call typed; checked by ``place_phone_order``."""

    phone: object
    name: object
    street: object
    commune: object
    province: object
    qty: object
    method: object
    key: object
    confirm_duplicate: bool = False


def methods_for(seller_id: int) -> list:
    """The ways a caller may pay this shop (``MethodChoice``), cash on delivery first."""
    offered = {m.name: m for m in gateway().choices(seller_id)}
    return [offered[name] for name in PHONE_METHODS if name in offered]


def caller_phone(raw: object) -> str:
    """The caller's number in E.164, refused when it cannot receive our SMS."""
    e164 = normalize_phone(raw if isinstance(raw, str) else None)
    require_mobile(e164)
    return e164


def buyer_for_phone(e164: str, name: str) -> User:
    """The caller's account, or a minimal new one with no usable password (they can claim it later)."""
    user = db.session.scalar(sa.select(User).where(User.phone == e164))
    if user is not None:
        return user
    user = User(phone=e164, display_name=name, password_hash=UNUSABLE_PASSWORD, locale="vi")
    db.session.add(user)
    db.session.flush()
    return user


def _name(raw: object) -> str:
    name = clean_line(raw if isinstance(raw, str) else None)
    if not name:
        raise DomainError("invalid", _("Enter the caller's name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError("invalid", _("A name can have at most %(n)d characters.", n=NAME_MAX), field="name")
    return name


def _method(raw: object, seller_id: int) -> str:
    choices = [m.name for m in methods_for(seller_id)]
    if not choices:
        raise DomainError(
            "invalid",
            _("This shop takes neither cash on delivery nor bank transfers: set them up under Payments first."),
            field="method",
        )
    if raw in (None, ""):
        return choices[0]
    if raw not in choices:
        raise DomainError("invalid", _("Choose cash on delivery or a bank transfer."), field="method")
    return str(raw)


def recent_duplicate(buyer_id: int, line: Line, now=None) -> Order | None:
    """The caller's phone order of the same item and quantity placed within ``DUPLICATE_WINDOW`` (and not
    cancelled since), if any."""
    since = (now or utcnow()) - DUPLICATE_WINDOW
    return db.session.scalar(
        sa.select(Order)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(
            Order.buyer_id == buyer_id,
            Order.origin == OrderOrigin.PHONE,
            Order.created_at >= since,
            Order.status.not_in((OrderStatus.CANCELLED, OrderStatus.EXPIRED)),
            OrderItem.source == line.source,
            OrderItem.source_id == line.source_id,
            OrderItem.qty == line.qty,
        )
        .order_by(Order.id.desc())
        .limit(1)
    )


def place_phone_order(
    actor: User,
    line_source: str,
    source_id: int,
    seller_id: int,
    req: PhoneOrderRequest,
    *,
    live_session_id: int | None = None,
) -> Placed:
    """Enter a caller's order for ``req.qty`` units of ``(line_source, source_id)`` of shop ``seller_id``, on
    their behalf. Who may do it is the caller's check (the host, or staff of the shop's commune).

    Returns orders' ``Placed`` (``created`` False when the same key found the first order)."""
    key = check_key(req.key)
    phone = _field(caller_phone, req.phone, "phone")
    name = _name(req.name)
    address = clean_address(name, phone, req.street, req.commune, req.province)
    qty = check_qty(req.qty)
    method = _method(req.method, seller_id)
    line = Line(line_source, source_id, qty)
    existing = db.session.scalar(sa.select(User).where(User.phone == phone))
    if existing is not None:
        earlier = find_by_key(existing.id, key)
        if earlier is not None:
            return Placed(earlier, created=False)
        if existing.is_banned:
            raise DomainError("invalid", _("This phone number belongs to a blocked account."), field="phone")
        duplicate = recent_duplicate(existing.id, line) if not req.confirm_duplicate else None
        if duplicate is not None:
            raise DomainError(
                "duplicate",
                _(
                    "%(buyer)s ordered the same, %(qty)d, in the last %(minutes)d minutes (order %(code)s). If this is "
                    "a second order, tick the box and enter it again.",
                    buyer=existing.display_name,
                    qty=qty,
                    minutes=int(DUPLICATE_WINDOW.total_seconds() // 60),
                    code=duplicate.code,
                ),
                field="confirm_duplicate",
                status=409,
            )
    try:
        with db.session.begin_nested():  # a refused order leaves no new account behind either
            buyer = existing or buyer_for_phone(phone, name)
            placed = place_order(
                buyer, [line], key, origin=OrderOrigin.PHONE, placed_by=actor, live_session_id=live_session_id
            )
    except DomainError as err:
        if err.code == "forbidden":  # the caller's number is the shop's own
            raise DomainError("invalid", _("The buyer's phone number is the seller's own."), field="phone") from None
        if err.field is None and err.code in ("sold_out", "limit_exceeded", "invalid"):
            raise DomainError(err.code, err.message, field="qty", status=err.status) from None
        raise
    if not placed.created:
        return placed
    order = placed.order
    apply_fee(order, address)  # the shop's shipping for that address, as at checkout (docs/shipping.md)
    apply_address(order, address)
    if buyer.password_hash.startswith("!"):  # an account nobody logs into yet: keep the address for next time
        save_address(buyer, address)
    gateway().choose(order, method, actor)
    tell_caller(order, address)
    return placed


def _field(check, raw, field: str):
    try:
        return check(raw)
    except DomainError as err:
        raise DomainError(err.code, err.message, field=field, status=err.status) from None


# ---- the caller's one message -------------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def tell_caller(order: Order, address: Address) -> None:
    """One notification and one SMS to the caller: what, how much, where, how to pay, the code and a link."""
    lines = [[item.qty, item.unit, _short(item.title, SMS_TITLE_MAX)] for item in order.items]
    where = ", ".join(p for p in (address.street, address.commune, address.province) if p)
    params = {
        "code": order.code,
        "shop": _short(order.seller.shop_name, SMS_TITLE_MAX),
        "lines": lines,
        "total": int(order.total_vnd),
        "address": _short(where, SMS_ADDRESS_MAX),
        "method": order.payment_method,
        "status": str(order.status),
    }
    payment = gateway().describe(order)
    if order.payment_method == "vietqr":
        qr = payment.get("vietqr")
        if qr:
            params.update(
                bank=qr["bank"] or qr["bank_bin"],
                account=qr["account_number"],
                holder=qr["account_holder"],
                memo=qr["memo"],
                amount=int(qr["amount_vnd"]),
            )
        if order.hold_expires_at is not None:
            params["until"] = order.hold_expires_at.isoformat()
    notify(order.buyer, "order.phone_placed", params, link=order_link(order), sms=True)


def how_to_pay(p: dict) -> str:
    """The payment half of the caller's message."""
    if p["method"] == "cod":
        if p.get("status") == OrderStatus.PENDING:
            return _("Pay cash on delivery; the shop will confirm the order.")
        return _("Pay cash on delivery.")
    if p.get("account"):
        from datetime import datetime

        until = when(datetime.fromisoformat(p["until"]), "HH:mm") if p.get("until") else ""
        if until:
            return _(
                "Transfer %(amount)s to %(bank)s %(account)s (%(holder)s), memo %(memo)s, by %(until)s.",
                amount=vnd(p["amount"]),
                bank=p["bank"],
                account=p["account"],
                holder=p["holder"],
                memo=p["memo"],
                until=until,
            )
        return _(
            "Transfer %(amount)s to %(bank)s %(account)s (%(holder)s), memo %(memo)s.",
            amount=vnd(p["amount"]),
            bank=p["bank"],
            account=p["account"],
            holder=p["holder"],
            memo=p["memo"],
        )
    return _("Pay by bank transfer once the shop has weighed it: the amount will follow.")


def _phone_placed(p):
    items = ", ".join(f"{qty} {unit_label(unit)} {title}" for qty, unit, title in p["lines"])
    # How to pay before the address: an SMS too long is shortened from its end, and the caller knows where she lives
    return _(
        "Order %(code)s at %(shop)s: %(items)s, %(total)s. %(pay)s Delivery to %(address)s.",
        code=p["code"],
        shop=p["shop"],
        items=items,
        total=vnd(p["total"]),
        address=p["address"],
        pay=how_to_pay(p),
    )


def register() -> None:
    """How the caller's SMS reads (the orders area's ``init_app`` calls it)."""
    message_kind("order.phone_placed")(_phone_placed)


# ---- what the person who entered it sees -----------------------------------------------------------------


def state_text(order: Order) -> str:
    """Where a phone order stands, said for the person who entered it."""
    if order.status == OrderStatus.PENDING:
        if order.payment_method == "vietqr":
            if order.hold_expires_at is not None:
                return _("Waiting for the transfer until %(time)s", time=when(order.hold_expires_at, "HH:mm"))
            return _("Waiting for the transfer")
        if order.payment_method == "cod":
            return _("Waiting for the shop to accept")
    if order.status == OrderStatus.CONFIRMED:
        return _("Confirmed")
    from market.orders.service import status_label

    return status_label(order.status).capitalize()


def phone_order_json(placed: Placed) -> dict:
    """The result shown beside the form: the order, where it stands, how the caller pays, who got the SMS."""
    from market.accounts.service import format_phone

    order = placed.order
    payment = gateway().describe(order)
    data = {
        "id": order.id,
        "code": order.code,
        "status": str(order.status),
        "state": state_text(order),
        "qty": order.qty,
        "total_vnd": int(order.total_vnd),
        "url": order_link(order),
        "buyer": order.buyer.display_name,
        "phone": format_phone(order.buyer.phone),
        "created": placed.created,
        "method": order.payment_method,
        "address": ", ".join(p for p in (order.ship_street, order.ship_commune, order.ship_province) if p),
    }
    qr = payment.get("vietqr") if order.payment_method == "vietqr" else None
    if qr:
        data["transfer"] = {
            "bank": qr["bank"] or qr["bank_bin"],
            "account": qr["account_number"],
            "holder": qr["account_holder"],
            "amount_vnd": int(qr["amount_vnd"]),
            "memo": qr["memo"],
        }
    return data
