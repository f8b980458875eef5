"""Carrier shipments: connect an account, create a shipment with the cash to collect, print its label, cancel
it before pickup, and let the carrier's tracking move the order.

1. No carrier call happens inside a database transaction: each action is *prepare* (read and check; the view
   ends the transaction), the carrier call, then *record* (a new transaction that locks the order row and
   checks again that nothing moved meanwhile).
2. Creating a shipment marks the order shipped with the carrier's tracking code (packing it first when it was
   only confirmed): that is the moment the parcel has a code the buyer can follow.
3. Tracking only moves forward (``base.RANK``): an event older than what we know, a duplicate, or one about
   a finished shipment changes nothing. Delivered → the order is delivered and its cash on delivery recorded as
   collected; returned → the order is returned and its stock given back, once (the order's transition is a
   conditional UPDATE); cancelled at the carrier → the order is packed again.
4. A shipment's cash on delivery is the order's total when the buyer pays cash and has not paid; 0 otherwise.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets as pysecrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from market import sealed
from market.accounts.service import format_phone
from market.database import utcnow
from market.domain import DomainError, ErrorCode, NotFound
from market.extensions import db
from market.orders.models import Order
from market.orders.service import roles_for, transition
from market.orders.states import Actor, OrderStatus
from market.payments.models import Outcome
from market.shipping.carriers import CARRIERS, get_carrier
from market.shipping.carriers.base import (
    RANK,
    TERMINAL,
    Created,
    Credentials,
    Item,
    ParcelRequest,
    Place,
    Stage,
    Tracking,
)
from market.shipping.fees import line_grams
from market.shipping.models import CarrierAccount, Shipment, ShopShipping
from market.text import clean_line

log = logging.getLogger(__name__)
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
ACTIVE = (Stage.CREATED, Stage.PICKED_UP, Stage.RETURNING, Stage.PROBLEM)


def enabled_carriers() -> list[str]:
    """The carriers this site lets shops connect (``SHIPPING_CARRIERS``; none: the feature is off)."""
    return [c for c in current_app.config.get("SHIPPING_CARRIERS", ()) if c in CARRIERS]


# ---- accounts ----------------------------------------------------------------------------------------------


def account_for(seller_id: int, carrier: str) -> CarrierAccount | None:
    return db.session.scalar(
        sa.select(CarrierAccount).where(CarrierAccount.seller_id == seller_id, CarrierAccount.carrier == carrier)
    )


def accounts_of(seller_id: int) -> list[CarrierAccount]:
    return list(
        db.session.scalars(
            sa.select(CarrierAccount).where(CarrierAccount.seller_id == seller_id).order_by(CarrierAccount.carrier)
        )
    )


def connect(seller_id: int, carrier: str, token: object, account: object, pickup_street: object) -> CarrierAccount:
    """Save (or replace) a shop's carrier account; the token and account id are sealed before they are stored."""
    if carrier not in enabled_carriers():
        raise DomainError(ErrorCode.INVALID, _("This carrier is not available."), field="carrier", status=404)
    token = clean_line(token if isinstance(token, str) else "")
    account = clean_line(account if isinstance(account, str) else "")
    street = clean_line(pickup_street if isinstance(pickup_street, str) else "")
    if not 8 <= len(token) <= 200 or " " in token:
        raise DomainError(ErrorCode.INVALID, _("Paste the API token exactly as the carrier shows it."), field="token")
    if not 1 <= len(account) <= 40 or " " in account:
        raise DomainError(
            ErrorCode.INVALID, _("Enter the shop ID or partner code the carrier gave you."), field="account"
        )
    if not street or len(street) > 200:
        raise DomainError(
            ErrorCode.INVALID,
            _("Enter where the carrier picks the parcels up (at most 200 characters)."),
            field="pickup_street",
        )
    row = account_for(seller_id, carrier) or CarrierAccount(
        seller_id=seller_id, carrier=carrier, webhook_secret=pysecrets.token_urlsafe(24)
    )
    row.token_sealed, row.account_sealed = sealed.seal(token), sealed.seal(account)
    row.token_hint, row.pickup_street = token[-4:], street
    db.session.add(row)
    db.session.flush()
    return row


def disconnect(seller_id: int, carrier: str) -> None:
    """Forget the account; a shop that quoted by this carrier goes back to its table."""
    db.session.execute(
        sa.delete(CarrierAccount).where(CarrierAccount.seller_id == seller_id, CarrierAccount.carrier == carrier)
    )
    db.session.execute(
        sa.update(ShopShipping)
        .where(ShopShipping.seller_id == seller_id, ShopShipping.quote_carrier == carrier)
        .values(quote_carrier=None)
    )


def credentials(account: CarrierAccount) -> Credentials:
    token, ref = sealed.unseal(account.token_sealed), sealed.unseal(account.account_sealed)
    if token is None or ref is None:
        log.warning("shipping: carrier account %s cannot be unsealed (SECRET_KEY changed?)", account.id)
        raise DomainError(
            ErrorCode.INVALID,
            _(
                "Connect %(carrier)s again: its token can no longer be read.",
                carrier=get_carrier(account.carrier).label_text,
            ),
            status=409,
        )
    return Credentials(token, ref)


# ---- creating, printing, cancelling -------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    order_id: int
    carrier: str
    creds: Credentials
    request: ParcelRequest
    role: Actor


def active_shipment(order_id: int) -> Shipment | None:
    return db.session.scalar(
        sa.select(Shipment)
        .where(Shipment.order_id == order_id, Shipment.stage.in_([s.value for s in ACTIVE]))
        .order_by(Shipment.id.desc())
    )


def latest_shipment(order_id: int) -> Shipment | None:
    return db.session.scalar(sa.select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id.desc()))


def _seller_role(order: Order, user) -> Actor:
    roles = roles_for(order, user)
    if Actor.SELLER in roles:
        return Actor.SELLER
    if Actor.STAFF in roles:
        return Actor.STAFF
    raise NotFound(_("This order does not exist."))


def cod_amount(order: Order) -> int:
    return int(order.total_vnd) if order.payment_method == "cod" and order.paid_at is None else 0


def _check_can_ship(order: Order) -> None:
    if order.status not in (OrderStatus.CONFIRMED, OrderStatus.PACKED):
        raise DomainError(
            ErrorCode.INVALID, _("Only a confirmed or packed order can be handed to a carrier."), status=409
        )
    if order.awaits_weighing:
        raise DomainError(ErrorCode.INVALID, _("Weigh the items sold by weight first."), status=409)
    if order.delivery_option == "pickup":
        raise DomainError(ErrorCode.INVALID, _("The buyer picks this order up at the shop."), status=409)
    if not order.has_address:
        raise DomainError(ErrorCode.INVALID, _("The buyer has not given an address yet."), status=409)
    if active_shipment(order.id) is not None:
        raise DomainError(ErrorCode.INVALID, _("This order already has a shipment."), status=409)


def _national(e164: str | None) -> str:
    return format_phone(e164 or "").replace(" ", "")


def prepare_create(order: Order, user, carrier: str) -> Prepared:
    """Check that ``user`` may hand ``order`` to ``carrier`` now and build the carrier's request. Writes nothing."""
    role = _seller_role(order, user)
    if carrier not in enabled_carriers():
        raise DomainError(ErrorCode.INVALID, _("This carrier is not available."), status=404)
    account = account_for(order.seller_id, carrier)
    if account is None:
        raise DomainError(ErrorCode.INVALID, _("Connect the carrier first, on the shipping settings page."), status=409)
    _check_can_ship(order)
    seller = order.seller
    settings = db.session.scalar(sa.select(ShopShipping).where(ShopShipping.seller_id == seller.id))
    item_g = settings.item_weight_g if settings else 1000
    items = [Item(i.title, i.qty, line_grams(i.unit, i.qty, i.est_weight_g, item_g)) for i in order.items]
    request = ParcelRequest(
        client_code=order.code,
        sender=Place(
            seller.shop_name,
            _national(seller.user.phone),
            account.pickup_street,
            seller.commune.name,
            seller.commune.province,
        ),
        receiver=Place(
            order.ship_name,
            _national(order.ship_phone),
            order.ship_street,
            order.ship_commune or "",
            order.ship_province,
        ),
        grams=sum(i.grams for i in items),
        cod_vnd=cod_amount(order),
        value_vnd=int(order.subtotal_vnd),
        items=items,
        note=order.note or "",
    )
    return Prepared(order.id, carrier, credentials(account), request, role)


def lock_order(order_id: int) -> Order:
    from market.payments.service import lock_order as lock

    return lock(order_id)


def record_created(prepared: Prepared, created: Created, user) -> Shipment:
    """The carrier made the shipment: remember it and mark the order shipped with its code. When the order
    changed meanwhile (cancelled by the buyer …) nothing is recorded and the caller cancels it at the carrier."""
    order = lock_order(prepared.order_id)
    _check_can_ship(order)
    adapter = get_carrier(prepared.carrier)
    shipment = Shipment(
        order_id=order.id,
        seller_id=order.seller_id,
        carrier=prepared.carrier,
        tracking_code=created.tracking_code[:60],
        stage=Stage.CREATED,
        cod_vnd=prepared.request.cod_vnd,
        fee_vnd=created.fee_vnd,
        carrier_status="",
    )
    db.session.add(shipment)
    if order.status == OrderStatus.CONFIRMED:
        transition(order, OrderStatus.PACKED, actor=user, role=prepared.role)
    order.carrier, order.tracking_code = adapter.label_text, shipment.tracking_code
    db.session.flush()
    transition(order, OrderStatus.SHIPPED, actor=user, role=prepared.role)
    return shipment


def prepare_label(order: Order, user) -> tuple[str, Credentials, str]:
    """(carrier, credentials, tracking code) of the order's shipment, if it can still be printed."""
    _seller_role(order, user)
    shipment = latest_shipment(order.id)
    if shipment is None:
        raise DomainError(ErrorCode.INVALID, _("This order has no carrier shipment."), status=404)
    if shipment.stage == Stage.CANCELLED or order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        raise DomainError(ErrorCode.INVALID, _("This shipment was cancelled: there is no label to print."), status=409)
    account = account_for(order.seller_id, shipment.carrier)
    if account is None:
        raise DomainError(ErrorCode.INVALID, _("Connect the carrier again to print its label."), status=409)
    return shipment.carrier, credentials(account), shipment.tracking_code


def printable(seller_id: int, carrier: str, order_ids: list[int]) -> list[tuple[Order, str]]:
    """(order, tracking code) for those of ``order_ids`` that are the shop's and have a label at ``carrier`` to
    print (their latest shipment is with it and not cancelled); others are left out, in the given order."""
    if not order_ids:
        return []
    latest = sa.select(sa.func.max(Shipment.id)).where(Shipment.order_id.in_(order_ids)).group_by(Shipment.order_id)
    rows = db.session.execute(
        sa.select(Order, Shipment.tracking_code)
        .join(Shipment, Shipment.order_id == Order.id)
        .where(
            Shipment.id.in_(latest),
            Order.seller_id == seller_id,
            Shipment.carrier == carrier,
            Shipment.stage != Stage.CANCELLED,
            Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.REFUNDED]),
        )
    )
    found = {order.id: (order, code) for order, code in rows}
    return [found[i] for i in order_ids if i in found]


def credentials_of(seller_id: int, carrier: str) -> Credentials:
    account = account_for(seller_id, carrier)
    if account is None:
        raise DomainError(ErrorCode.INVALID, _("Connect the carrier again to print its label."), status=409)
    return credentials(account)


def prepare_cancel(order: Order, user) -> tuple[Actor, Shipment, Credentials]:
    role = _seller_role(order, user)
    shipment = active_shipment(order.id)
    if shipment is None:
        raise DomainError(ErrorCode.INVALID, _("This order has no carrier shipment."), status=404)
    if shipment.stage != Stage.CREATED:
        raise DomainError(
            ErrorCode.INVALID,
            _("The carrier has already picked the parcel up; it cannot be cancelled now. Call the carrier."),
            status=409,
        )
    account = account_for(order.seller_id, shipment.carrier)
    if account is None:
        raise DomainError(ErrorCode.INVALID, _("Connect the carrier again to cancel its shipment."), status=409)
    return role, shipment, credentials(account)


def record_cancelled(order_id: int, shipment_id: int, user, reason: str) -> None:
    """The carrier cancelled the shipment: the order is packed again, ready for another one."""
    order = lock_order(order_id)
    shipment = db.session.get(Shipment, shipment_id)
    _finish_cancel(order, shipment, reason)


def _finish_cancel(order: Order, shipment: Shipment, reason: str) -> None:
    shipment.stage, shipment.finished_at = Stage.CANCELLED, utcnow()
    shipment.last_reason = reason[:200]
    if order.status == OrderStatus.SHIPPED and order.tracking_code == shipment.tracking_code:
        order.carrier = order.tracking_code = None
        db.session.flush()
        transition(order, OrderStatus.PACKED, actor=None, role=Actor.SYSTEM, reason=reason)
    db.session.flush()


# ---- tracking ------------------------------------------------------------------------------------------------


def find_shipment(carrier: str, tracking_code: str) -> Shipment | None:
    return db.session.scalar(
        sa.select(Shipment).where(Shipment.carrier == carrier, Shipment.tracking_code == tracking_code)
    )


def secret_matches(shipment: Shipment, given: str) -> bool:
    """The webhook URL's secret against the shop's, in constant time."""
    account = account_for(shipment.seller_id, shipment.carrier)
    expected = account.webhook_secret if account is not None else pysecrets.token_urlsafe(24)
    return hmac.compare_digest(expected.encode(), (given or "").encode())


def secret_known(carrier: str, given: str) -> bool:
    """Whether ``given`` is some shop's webhook secret for ``carrier`` (a call about a parcel we do not know:
    answered 200 to a shop's GHTK, 403 to anyone else)."""
    given = given or ""
    if not SECRET_SHAPE.fullmatch(given):  # not one we made (token_urlsafe); PostgreSQL refuses a NUL in text
        return hmac.compare_digest(pysecrets.token_urlsafe(24).encode(), given.encode())
    account = db.session.scalar(
        sa.select(CarrierAccount).where(CarrierAccount.carrier == carrier, CarrierAccount.webhook_secret == given)
    )
    expected = account.webhook_secret if account is not None else pysecrets.token_urlsafe(24)
    return hmac.compare_digest(expected.encode(), given.encode())


def apply_tracking(shipment_id: int, tracking: Tracking) -> Outcome:
    """Move the shipment (and its order) to where the carrier says the parcel is; what it came to, for the log."""
    shipment = db.session.get(Shipment, shipment_id)
    order = lock_order(shipment.order_id)
    db.session.refresh(shipment)
    new, current = Stage(tracking.stage), Stage(shipment.stage)
    outcome = Outcome.APPLIED
    if current in TERMINAL or (RANK[new] <= RANK[current] and new != current):
        outcome = Outcome.STALE  # an old or reordered event: the parcel is further along already
    elif new == current:
        outcome = Outcome.SAME
    if tracking.cod_remitted and shipment.cod_collected_vnd and shipment.cod_remitted_at is None:
        shipment.cod_remitted_at = utcnow()
        outcome = Outcome.REMITTED if outcome != Outcome.APPLIED else outcome
    if outcome != Outcome.APPLIED:
        db.session.flush()
        return outcome
    shipment.stage, shipment.carrier_status = new, tracking.carrier_status[:40]
    if tracking.reason:
        shipment.last_reason = tracking.reason[:200]
    now = utcnow()
    if new in (Stage.PICKED_UP, Stage.DELIVERED, Stage.RETURNING, Stage.RETURNED) and shipment.picked_up_at is None:
        shipment.picked_up_at = now
    if new in TERMINAL:
        shipment.finished_at = now
    db.session.flush()
    if new == Stage.DELIVERED:
        shipment.cod_collected_vnd = tracking.cod_vnd if tracking.cod_vnd is not None else shipment.cod_vnd
        if tracking.cod_remitted:
            shipment.cod_remitted_at = now
        _move(order, OrderStatus.DELIVERED, _("Delivered by %(carrier)s", carrier=order.carrier or shipment.carrier))
        if shipment.cod_vnd and order.payment_method == "cod" and order.paid_at is None:
            from market.orders.payment import gateway

            if gateway().can_mark_paid(order):
                gateway().mark_paid(order, None, Actor.SYSTEM)
    elif new == Stage.RETURNED:
        _move(order, OrderStatus.RETURNED, tracking.reason or _("The parcel came back undelivered"))
    elif new == Stage.CANCELLED:
        _finish_cancel(order, shipment, _("Cancelled at the carrier"))
    db.session.flush()
    return outcome


def _move(order: Order, to: OrderStatus, reason: str) -> None:
    from market.orders.states import allowed

    if order.status == to:
        return
    if not allowed(order.status, to, Actor.SYSTEM):
        log.warning("shipping: order %s is %s; the carrier's %s does not move it", order.code, order.status, to)
        return
    transition(order, to, actor=None, role=Actor.SYSTEM, reason=reason)
