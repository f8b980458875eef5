"""Offers pinned in a live session: an allotment of a product at a live price, taken from its stock when pinned
and given back when the offer closes — by the host, at the end of a flash deal's countdown, when the session ends,
or when the listing may no longer be sold (archived or rejected: ``listing_changed``). Also the host's phone
orders from an offer, and what a session sold.

Closing is one conditional UPDATE on the offer's status (``close_if_open``), so every process may sweep and each
offer's unsold units go back exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts.models import User
from market.catalog.labels import unit_label
from market.catalog.media import photo_path
from market.catalog.models import Product, ProductStatus
from market.catalog.search import visible_product
from market.catalog.signals import listing_changed
from market.database import on_commit, utcnow
from market.extensions import db
from market.live.access import require_host, require_moderator
from market.live.hub import hub
from market.live.messages import id_field, int_field, live_error
from market.live.models import LiveOffer, LiveSession, OfferStatus, SessionStatus
from market.live.rooms import emit_room
from market.live.stock import offer_info
from market.orders.phone import PhoneOrderRequest, place_phone_order
from market.orders.service import MAX_QTY, Placed
from market.orders.stock import give_to_product, take_from_product

PRICE_MIN = 1_000
PRICE_MAX = 1_000_000_000
OPEN_OFFERS_MAX = 20
FLASH_MINUTES_MAX = 30


def product_image(product: Product) -> str | None:
    """The product's cover photo as the 320 px JPEG (a few kB on 3G; every phone browser shows JPEG), or None."""
    cover = product.cover
    return photo_path(cover, 320, "jpg") if cover is not None else None


def offer_json(offer: LiveOffer) -> dict:
    product = offer.product
    return {
        "id": offer.id,
        "product_id": product.id,
        "title": product.title,
        "unit": product.unit,
        "price_vnd": offer.price_vnd,
        "remaining": offer.remaining,
        "per_buyer_limit": offer.per_buyer_limit,
        "image": product_image(product),
        "quantity": offer.quantity,
        "sold": offer.sold,
        "status": str(offer.status),
        "number": offer.number,
        "ends_at": offer.ends_at.isoformat() if offer.ends_at else None,
        "seconds_left": offer.seconds_left,
    }


def clean_minutes(value: object) -> int | None:
    """A flash deal's countdown: a whole number of minutes from 1 to ``FLASH_MINUTES_MAX``, or none at all."""
    if value is None or value == "":
        return None
    if isinstance(value, str):  # the console's form field ("²" is a digit int() refuses)
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else value
    return int_field(
        value,
        "minutes",
        1,
        FLASH_MINUTES_MAX,
        _("A countdown runs from 1 to %(n)d minutes (leave it empty for none).", n=FLASH_MINUTES_MAX),
    )


def pin_offer(
    session: LiveSession,
    host: User,
    product_id: object,
    price_vnd: object,
    quantity: object,
    per_buyer_limit: object = None,
    minutes: object = None,
) -> LiveOffer:
    """Allot ``quantity`` units of one of the host's approved products at a live price (taken from its stock
    atomically); buyers then order from the allotment. With ``minutes`` it is a flash deal: it closes itself
    when the countdown ends (``close_due_offers``)."""
    require_host(session, host)
    if session.status != SessionStatus.LIVE:
        raise live_error("session_not_live", message=_("Start the session before pinning products."))
    minutes = clean_minutes(minutes)
    product_id = id_field(product_id, "product_id", _("Choose one of your products."))
    price_vnd = int_field(
        price_vnd, "price_vnd", PRICE_MIN, PRICE_MAX, _("The live price must be between 1.000 ₫ and 1.000.000.000 ₫.")
    )
    quantity = int_field(quantity, "quantity", 1, MAX_QTY, _("The quantity must be a whole number from 1 to 100.000."))
    if per_buyer_limit is None:
        per_buyer_limit = quantity
    per_buyer_limit = min(
        int_field(
            per_buyer_limit,
            "per_buyer_limit",
            1,
            MAX_QTY,
            _("The limit per buyer must be a whole number of at least 1."),
        ),
        quantity,
    )
    product = db.session.get(Product, product_id)
    if product is None or product.seller_id != session.seller_id or product.status != ProductStatus.APPROVED:
        raise live_error("invalid", message=_("Choose one of your approved products."), field="product_id")
    open_offers = db.session.scalars(
        sa.select(LiveOffer.product_id).where(LiveOffer.session_id == session.id, LiveOffer.status == OfferStatus.OPEN)
    ).all()
    if product.id in open_offers:
        raise live_error(
            "invalid", message=_("This product is already pinned; close that offer first."), field="product_id"
        )
    if len(open_offers) >= OPEN_OFFERS_MAX:
        raise live_error("invalid", message=_("Close an offer before pinning another."))
    if not take_from_product(product.id, quantity):
        db.session.refresh(product, ["stock"])
        raise live_error(
            "invalid",
            message=_(
                "Only %(n)d %(unit)s of %(title)s are in stock.",
                n=product.stock,
                unit=unit_label(product.unit),
                title=product.title,
            ),
            field="quantity",
        )
    number = (
        db.session.scalar(sa.select(sa.func.max(LiveOffer.number)).where(LiveOffer.session_id == session.id)) or 0
    ) + 1  # the host pins one at a time; the unique (session, number) refuses a race
    offer = LiveOffer(
        session_id=session.id,
        product_id=product.id,
        price_vnd=price_vnd,
        quantity=quantity,
        per_buyer_limit=per_buyer_limit,
        sold=0,
        status=OfferStatus.OPEN,
        number=number,
        ends_at=utcnow() + timedelta(minutes=minutes) if minutes else None,
    )
    db.session.add(offer)
    db.session.flush()
    data = offer_json(offer)
    sid = session.id
    on_commit(lambda: (hub.mark_dirty(sid), emit_room(sid, "offer", data)))
    return offer


def close_if_open(session_id: int, offer_id: int) -> dict | None:
    """Close the offer if it is still open: its unsold units go back to the product, its room hears it. None when
    it was closed already (by another process, another path)."""
    row = db.session.execute(
        sa.update(LiveOffer)
        .where(LiveOffer.id == offer_id, LiveOffer.session_id == session_id, LiveOffer.status == OfferStatus.OPEN)
        .values(status=OfferStatus.CLOSED, closed_at=utcnow(), updated_at=utcnow())
        .returning(LiveOffer.quantity - LiveOffer.sold, LiveOffer.product_id)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        return None
    unsold, product_id = row
    if unsold > 0:
        give_to_product(product_id, unsold)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, LiveOffer) and obj.id == offer_id:
            db.session.expire(obj)
    offer = db.session.get(LiveOffer, offer_id)
    data = offer_json(offer)
    on_commit(lambda: (hub.mark_dirty(session_id), emit_room(session_id, "offer", data)))
    return data


def close_offers_of_product(product_id: int) -> int:
    """Close every open offer of a listing that may no longer be sold (archived, or rejected by staff): its
    rooms hear the offer close and its unsold units go back to the product. Returns how many closed."""
    rows = db.session.execute(
        sa.select(LiveOffer.session_id, LiveOffer.id).where(
            LiveOffer.product_id == product_id, LiveOffer.status == OfferStatus.OPEN
        )
    ).all()
    return sum(1 for session_id, offer_id in rows if close_if_open(session_id, offer_id) is not None)


def _listing_withdrawn(product, action=None, **_kw):
    """A listing archived or rejected may no longer be sold: its open offers close (live/signals.py says more)."""
    if action in ("archived", "rejected"):
        close_offers_of_product(product.id)


def register() -> None:
    """Hear the catalog's listing changes (the live area's ``init_app`` calls it)."""
    listing_changed.connect(_listing_withdrawn)


def close_due_offers(limit: int = 100) -> int:
    """Close the flash deals whose countdown has run out (their unsold units go back to the shelf and their
    rooms hear ``offer`` closed). Every server process calls it every second or so: ``close_if_open`` is one
    conditional UPDATE on the offer's status, so each offer is closed, and its units given back, exactly once."""
    rows = db.session.execute(
        sa.select(LiveOffer.session_id, LiveOffer.id)
        .where(LiveOffer.status == OfferStatus.OPEN, LiveOffer.ends_at <= utcnow())
        .order_by(LiveOffer.ends_at)
        .limit(limit)
    ).all()
    return sum(1 for session_id, offer_id in rows if close_if_open(session_id, offer_id) is not None)


def close_offer(session: LiveSession, host: User, offer_id: object) -> dict:
    """Unpin an offer: nobody can order from it any more; its unsold units go back to the product."""
    require_host(session, host)
    offer_id = id_field(offer_id, "offer_id", _("This offer is not in this live session."))
    offer = db.session.get(LiveOffer, offer_id)
    if offer is None or offer.session_id != session.id:
        raise live_error("invalid", reason="unknown_offer")
    data = close_if_open(session.id, offer_id)
    if data is None:
        raise live_error("offer_closed")
    return data


def phone_order(session: LiveSession, actor: User, offer_id: object, req: PhoneOrderRequest) -> Placed:
    """An order the host or a staff helper enters for a caller (or a TikTok/Facebook comment) from the
    console: orders' one phone-order service (``orders.phone``), from this session's offer."""
    require_moderator(session, actor)
    if session.status != SessionStatus.LIVE:
        raise live_error("session_not_live")
    offer_id = id_field(offer_id, "offer_id", _("Choose an offer."))
    info = offer_info(offer_id)
    if info is None or info.session_id != session.id:
        raise live_error("invalid", reason="unknown_offer", field="offer_id")
    return place_phone_order(actor, "offer", offer_id, session.seller_id, req, live_session_id=session.id)


def session_offers(session: LiveSession) -> list[LiveOffer]:
    """Every offer of the session, open or closed, newest first (the host console)."""
    return list(
        db.session.scalars(
            sa.select(LiveOffer).where(LiveOffer.session_id == session.id).order_by(LiveOffer.id.desc())
        ).all()
    )


def host_products(seller_id: int) -> list[Product]:
    """What a host may pin or put on a session's cover: her approved products, by title."""
    return db.session.scalars(
        sa.select(Product)
        .where(Product.seller_id == seller_id, Product.status == ProductStatus.APPROVED)
        .order_by(Product.title)
    ).all()


@dataclass(frozen=True)
class SoldItem:
    """A product sold in a session: units still held by its live orders, and the lowest live price."""

    product: Product
    units: int
    price_vnd: int
    public: bool  # still on sale (approved, shop open): the page links to it


def sold_in(session: LiveSession) -> list[SoldItem]:
    """What a session sold, best seller first (offers' ``sold``: cancelled and expired orders gave theirs back)."""
    rows = db.session.execute(
        sa.select(LiveOffer.product_id, sa.func.sum(LiveOffer.sold), sa.func.min(LiveOffer.price_vnd))
        .where(LiveOffer.session_id == session.id, LiveOffer.sold > 0)
        .group_by(LiveOffer.product_id)
        .order_by(sa.func.sum(LiveOffer.sold).desc(), LiveOffer.product_id)
    ).all()
    out = []
    for product_id, units, price in rows:
        public = visible_product(product_id)
        product = public or db.session.get(Product, product_id)
        out.append(SoldItem(product, int(units), int(price), public is not None))
    return out
