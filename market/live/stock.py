"""The "offer" stock source: live orders take units from a pinned offer's allotment, never the shelf.

Every change is one conditional UPDATE (or upsert) checked by what it returned, inside the caller's
transaction; nothing is read and then written. Lock order, everywhere, is: a buyer's counter row, then the
offer row, then the product row — so two transactions never wait on each other in a circle (PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from market.catalog.models import Product
from market.database import utcnow
from market.extensions import db
from market.live.messages import live_error
from market.live.models import LiveOffer, LiveOfferBuyer, LiveSession, OfferStatus, SessionStatus
from market.orders.stock import Reservation, give_to_product

if TYPE_CHECKING:
    from market.accounts.models import User


@dataclass(frozen=True)
class OfferInfo:
    """What ordering needs to know about an offer, read in one query."""

    id: int
    session_id: int
    session_status: str
    status: str
    price_vnd: int
    per_buyer_limit: int
    product_id: int
    title: str
    unit: str
    seller_id: int
    seller_user_id: int
    # Sold by weight: one unit's estimated grams and the tolerance (None for an ordinary product).
    est_weight_g: int | None = None
    weight_tolerance_pct: int | None = None
    # Units left when it was read (order merging fits a batch into it before writing any order).
    remaining: int = 0
    # A flash deal's end: from then on it is closed to buyers, even before a sweep has closed the row.
    ends_at: datetime | None = None


def offer_info(offer_id: int) -> OfferInfo | None:
    from market.accounts.models import SellerProfile

    row = db.session.execute(
        sa.select(
            LiveOffer.id,
            LiveOffer.session_id,
            LiveSession.status,
            LiveOffer.status,
            LiveOffer.price_vnd,
            LiveOffer.per_buyer_limit,
            Product.id,
            Product.title,
            Product.unit,
            Product.seller_id,
            SellerProfile.user_id,
            Product.piece_weight_g,
            Product.weight_tolerance_pct,
            LiveOffer.quantity - LiveOffer.sold,
            LiveOffer.ends_at,
        )
        .join(LiveSession, LiveSession.id == LiveOffer.session_id)
        .join(Product, Product.id == LiveOffer.product_id)
        .join(SellerProfile, SellerProfile.id == Product.seller_id)
        .where(LiveOffer.id == offer_id)
    ).one_or_none()
    return OfferInfo(*row) if row else None


def check_orderable(info: OfferInfo | None, qty: int, session_id: int | None = None) -> OfferInfo:
    """Refuse an order for an unknown offer, another session's offer, a session off air or a closed offer."""
    if info is None or (session_id is not None and info.session_id != session_id):
        raise live_error("invalid", reason="unknown_offer")
    if info.session_status != SessionStatus.LIVE:
        raise live_error("session_not_live")
    if info.status != OfferStatus.OPEN or (info.ends_at is not None and info.ends_at <= utcnow()):
        raise live_error("offer_closed")
    if qty > info.per_buyer_limit:
        raise live_error("limit_exceeded", limit=info.per_buyer_limit, unit=info.unit, have=0)
    return info


def offer_reservation(info: OfferInfo, qty: int) -> Reservation:
    """``qty`` units of the offer at its live price, as an order line is made of them."""
    return Reservation(
        product_id=info.product_id,
        seller_id=info.seller_id,
        title=info.title,
        unit=info.unit,
        unit_price_vnd=info.price_vnd,
        source=OfferStock.name,
        source_id=info.id,
        qty=qty,
        live_session_id=info.session_id,
        est_weight_g=info.est_weight_g,
        weight_tolerance_pct=info.weight_tolerance_pct,
    )


def _insert(table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _counters() -> sa.Table:
    """The per-buyer counters' table (a mapped class's ``__table__`` is typed as any FROM clause)."""
    return cast(sa.Table, LiveOfferBuyer.__table__)


_QUOTAS_PG = sa.text(
    "INSERT INTO live_offer_buyers (offer_id, buyer_id, qty) "
    "SELECT :offer, b, q FROM unnest(CAST(:buyers AS integer[]), CAST(:qtys AS integer[])) AS t(b, q) "
    "ON CONFLICT (offer_id, buyer_id) DO UPDATE SET qty = live_offer_buyers.qty + excluded.qty "
    "WHERE live_offer_buyers.qty + excluded.qty <= :limit RETURNING buyer_id"
)


def take_quotas(offer_id: int, rows: list[tuple[int, int]], limit: int) -> set[int]:
    """One conditional upsert of (buyer_id, qty) rows (one row per buyer, sorted by buyer so that concurrent
    batches lock counter rows in the same order): each buyer's counter grows only while it stays within
    ``limit``. Returns the buyers that fit."""
    if not rows:
        return set()
    if db.session.get_bind().dialect.name == "postgresql":  # two array parameters: one cached statement
        return set(
            db.session.scalars(
                _QUOTAS_PG,
                {"offer": offer_id, "buyers": [b for b, _q in rows], "qtys": [q for _b, q in rows], "limit": limit},
            ).all()
        )
    table = _counters()
    stmt = _insert(table).values([{"offer_id": offer_id, "buyer_id": b, "qty": q} for b, q in rows])
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.offer_id, table.c.buyer_id],
        set_={"qty": table.c.qty + stmt.excluded.qty},
        where=(table.c.qty + stmt.excluded.qty) <= limit,
    )
    return set(db.session.scalars(stmt.returning(table.c.buyer_id)).all())


def take_quota(offer_id: int, buyer_id: int, qty: int, limit: int) -> bool:
    """Count ``qty`` more units against this buyer's limit for the offer; False when it would go over."""
    if qty > limit:
        return False
    return buyer_id in take_quotas(offer_id, [(buyer_id, qty)], limit)


_GIVE_BACK_PG = sa.text(
    "UPDATE live_offer_buyers SET qty = greatest(live_offer_buyers.qty - t.q, 0) "
    "FROM unnest(CAST(:buyers AS integer[]), CAST(:qtys AS integer[])) AS t(b, q) "
    "WHERE live_offer_buyers.offer_id = :offer AND live_offer_buyers.buyer_id = t.b"
)


def give_back_quota(offer_id: int, buyer_qtys: list[tuple[int, int]]) -> None:
    if not buyer_qtys:
        return
    per_buyer: dict[int, int] = {}
    for b, qty in buyer_qtys:  # one row per buyer (an UPDATE … FROM changes a row once, however many match)
        per_buyer[b] = per_buyer.get(b, 0) + qty
    rows = sorted(per_buyer.items())  # the lock order of take_quotas
    if db.session.get_bind().dialect.name == "postgresql":  # one statement for the whole batch
        db.session.execute(
            _GIVE_BACK_PG, {"offer": offer_id, "buyers": [b for b, _q in rows], "qtys": [q for _b, q in rows]}
        )
        return
    table = _counters()  # Core, so a list of parameters is a plain executemany
    q = sa.bindparam("q", type_=sa.Integer)
    db.session.execute(
        sa.update(table)
        .where(table.c.offer_id == offer_id, table.c.buyer_id == sa.bindparam("b"))
        .values(qty=sa.case((table.c.qty >= q, table.c.qty - q), else_=0)),
        [{"b": b, "q": qty} for b, qty in rows],
    )


def take_units(offer_id: int, qty: int) -> int | None:
    """The one atomic conditional UPDATE that takes units from an open offer; the units left, or None."""
    return db.session.execute(
        sa.update(LiveOffer)
        .where(
            LiveOffer.id == offer_id, LiveOffer.status == OfferStatus.OPEN, LiveOffer.sold + qty <= LiveOffer.quantity
        )
        .values(sold=LiveOffer.sold + qty, updated_at=utcnow())
        .returning(LiveOffer.quantity - LiveOffer.sold)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()


def offer_state(offer_id: int, lock: bool = False) -> tuple[str, int] | None:
    """(status, units left) of an offer; ``lock`` keeps the row until commit (PostgreSQL; SQLite already holds
    the database's write lock for the whole transaction)."""
    stmt = sa.select(LiveOffer.status, LiveOffer.quantity - LiveOffer.sold).where(LiveOffer.id == offer_id)
    if lock and db.session.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE, the lock an UPDATE of "sold" takes: it does not conflict with the KEY SHARE locks
        # that concurrent batches hold on the offer (their counter rows reference it), whereas FOR UPDATE
        # would, and two batches short of units would deadlock.
        stmt = stmt.with_for_update(key_share=True)
    row = db.session.execute(stmt).one_or_none()
    return (row[0], max(0, row[1])) if row else None


def give_back_units(offer_id: int, product_id: int, qty: int) -> bool:
    """Units of a cancelled or expired live order go back to the offer while it is open (buyers see them
    again), else to the product's shelf. True when the offer took them."""
    back_to_offer = (
        db.session.execute(
            sa.update(LiveOffer)
            .where(LiveOffer.id == offer_id, LiveOffer.status == OfferStatus.OPEN, LiveOffer.sold >= qty)
            .values(sold=LiveOffer.sold - qty, updated_at=utcnow())
            .returning(LiveOffer.id)
            .execution_options(synchronize_session=False)
        ).first()
        is not None
    )
    if not back_to_offer:
        # Closed: its unsold units already went to the shelf; keep "sold" honest and shelve these too.
        db.session.execute(
            sa.update(LiveOffer)
            .where(LiveOffer.id == offer_id, LiveOffer.status == OfferStatus.CLOSED)
            .values(sold=sa.case((LiveOffer.sold >= qty, LiveOffer.sold - qty), else_=0))
            .execution_options(synchronize_session=False)
        )
        give_to_product(product_id, qty)
    _expire_offer(offer_id)
    return back_to_offer


def _expire_offer(offer_id: int) -> None:
    """The UPDATEs bypassed the ORM: make a loaded LiveOffer re-read its counters."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, LiveOffer) and obj.id == offer_id:
            db.session.expire(obj, ["sold", "status"])


class OfferStock:
    """Ordering during a live session: from an open offer, at its live price, within the per-buyer limit."""

    name = "offer"

    def reserve(self, source_id: int, qty: int, buyer: User) -> Reservation:
        info = check_orderable(offer_info(source_id), qty)
        if info.seller_user_id == buyer.id:
            raise live_error("forbidden", reason="own_shop")
        if not take_quota(info.id, buyer.id, qty, info.per_buyer_limit):
            have = (
                db.session.scalar(
                    sa.select(LiveOfferBuyer.qty).where(
                        LiveOfferBuyer.offer_id == info.id, LiveOfferBuyer.buyer_id == buyer.id
                    )
                )
                or 0
            )
            raise live_error("limit_exceeded", limit=info.per_buyer_limit, unit=info.unit, have=have)
        remaining = take_units(info.id, qty)
        if remaining is None:
            state = offer_state(info.id)
            if state is None or state[0] != OfferStatus.OPEN:
                raise live_error("offer_closed")
            raise live_error("sold_out", remaining=state[1], unit=info.unit)
        _expire_offer(info.id)
        return offer_reservation(info, qty)

    def release(self, source_id: int, product_id: int, qty: int, buyer_id: int) -> None:
        give_back_quota(source_id, [(buyer_id, qty)])
        give_back_units(source_id, product_id, qty)
