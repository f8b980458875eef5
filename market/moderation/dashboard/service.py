"""The commune's digital-economy figures for a date range, as plain data (views draw it, tests check it).

Definitions (also in docs/architecture.md, "Staff"):
- The range is whole days in the commune's time zone (Asia/Ho_Chi_Minh): ``[start 00:00, end + 1 day 00:00)``.
- An order belongs to the commune of its seller's shop.
- **Delivered value**: ``Order.total_vnd`` of orders whose status is ``delivered`` and that became delivered in
  the range (``delivered`` is final, so ``status_changed_at`` is the delivery time).
- **Orders by status**: orders *placed* in the range, counted by their status now.
- **Active sellers**: shops of the commune with at least one order placed in the range (any status) or at
  least one listing approved in the range.
- **Listings approved**: listings whose ``approved_at`` falls in the range; **on sale**: listings approved now.
- **Top products**: by the line value (``OrderItem.line_total_vnd``, shipping excluded) of delivered orders.
- **Paid online vs cash** (delivered orders): ``payment_method == "cod"`` is cash; any other method with
  ``paid_at`` set is online; the rest (no method recorded, or an online method never marked paid) is
  "unknown".
- **Average rating**: the mean ``Review.rating`` of reviews of the commune's shops *written* in the range
  (``Review.created_at``), and how many; none in the range → no average (shown "—").
- **Live sessions held**: the commune's sessions that went on air (``started_at``) in the range, live now or
  ended; **peak viewers**: the largest ``peak_viewers`` among them (the most people watching one at once).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts.models import Commune, SellerProfile
from market.catalog.models import Product, ProductStatus
from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.moderation import audit
from market.orders.models import Order, OrderItem
from market.orders.states import OrderStatus

DEFAULT_DAYS = 30
MAX_DAYS = 731
TOP_PRODUCTS = 5
DAILY_MAX_DAYS = 92  # longer ranges are drawn by month


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        return audit.day_bounds(self.start, self.end)


def today() -> date:
    return datetime.now(audit.local_zone()).date()


def parse_day(raw: object, fallback: date | None, field_name: str) -> date | None:
    if raw is None or raw == "":
        return fallback
    text = str(raw)
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(ErrorCode.INVALID, _("Enter a date such as 2026-01-31."), field=field_name) from None


def parse_range(start_raw: object, end_raw: object) -> DateRange:
    """A range from ``YYYY-MM-DD`` strings (either may be empty: the last 30 days), or a clear refusal."""
    end = parse_day(end_raw, today(), "end")
    start = parse_day(start_raw, end - timedelta(days=DEFAULT_DAYS - 1), "start")
    if start > end:
        raise DomainError(ErrorCode.INVALID, _("The start date must be on or before the end date."), field="start")
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError(ErrorCode.INVALID, _("Choose at most %(n)d days.", n=MAX_DAYS), field="start")
    return DateRange(start, end)


@dataclass(frozen=True)
class TopProduct:
    product_id: int
    title: str
    qty: int
    value_vnd: int


@dataclass(frozen=True)
class PaymentSplit:
    online_orders: int = 0
    online_vnd: int = 0
    cash_orders: int = 0
    cash_vnd: int = 0
    unknown_orders: int = 0
    unknown_vnd: int = 0

    @property
    def total_vnd(self) -> int:
        return self.online_vnd + self.cash_vnd + self.unknown_vnd

    def share_online(self) -> float | None:
        """Share of the delivered value paid online (0..1), or None when nothing was delivered."""
        return self.online_vnd / self.total_vnd if self.total_vnd else None


@dataclass(frozen=True)
class Rating:
    average: float | None  # None: no ratings in the range
    count: int


@dataclass(frozen=True)
class LiveFigures:
    sessions_held: int
    peak_viewers: int


@dataclass(frozen=True)
class Figures:
    commune_id: int
    range: DateRange
    delivered_value_vnd: int
    delivered_orders: int
    orders_placed: int
    orders_by_status: dict[str, int]
    active_sellers: int
    listings_approved: int
    listings_on_sale: int
    top_products: list[TopProduct]
    payment: PaymentSplit
    rating: Rating
    live: LiveFigures
    series: list[tuple[date, int]] = field(default_factory=list)  # delivered value per day (or month)
    series_by_month: bool = False


# ---- the queries, each for a set of communes at once (the admin overview uses the same ones) -------------


def _in(ids):
    return SellerProfile.commune_id.in_(sorted(ids))


def delivered_by_commune(ids, rng: DateRange) -> dict[int, tuple[int, int]]:
    """commune id → (delivered orders, delivered value in đồng)."""
    lo, hi = rng.bounds()
    rows = db.session.execute(
        sa.select(SellerProfile.commune_id, sa.func.count(Order.id), sa.func.coalesce(sa.func.sum(Order.total_vnd), 0))
        .join(SellerProfile, SellerProfile.id == Order.seller_id)
        .where(
            _in(ids), Order.status == OrderStatus.DELIVERED, Order.status_changed_at >= lo, Order.status_changed_at < hi
        )
        .group_by(SellerProfile.commune_id)
    ).all()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def placed_by_commune_status(ids, rng: DateRange) -> dict[int, dict[str, int]]:
    lo, hi = rng.bounds()
    rows = db.session.execute(
        sa.select(SellerProfile.commune_id, Order.status, sa.func.count(Order.id))
        .join(SellerProfile, SellerProfile.id == Order.seller_id)
        .where(_in(ids), Order.created_at >= lo, Order.created_at < hi)
        .group_by(SellerProfile.commune_id, Order.status)
    ).all()
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for commune_id, status, n in rows:
        out[commune_id][status] = int(n)
    return out


def active_sellers_by_commune(ids, rng: DateRange) -> dict[int, int]:
    lo, hi = rng.bounds()
    with_orders = sa.select(Order.seller_id.label("seller_id")).where(Order.created_at >= lo, Order.created_at < hi)
    with_listings = sa.select(Product.seller_id.label("seller_id")).where(
        Product.approved_at >= lo, Product.approved_at < hi
    )
    active = sa.union(with_orders, with_listings).subquery("active")
    rows = db.session.execute(
        sa.select(SellerProfile.commune_id, sa.func.count(sa.distinct(SellerProfile.id)))
        .join(active, active.c.seller_id == SellerProfile.id)
        .where(_in(ids))
        .group_by(SellerProfile.commune_id)
    ).all()
    return {r[0]: int(r[1]) for r in rows}


def listings_by_commune(ids, rng: DateRange) -> dict[int, tuple[int, int]]:
    """commune id → (listings approved in the range, listings on sale now)."""
    lo, hi = rng.bounds()
    approved_in_range = sa.func.sum(sa.case((sa.and_(Product.approved_at >= lo, Product.approved_at < hi), 1), else_=0))
    on_sale = sa.func.sum(sa.case((Product.status == ProductStatus.APPROVED, 1), else_=0))
    rows = db.session.execute(
        sa.select(SellerProfile.commune_id, approved_in_range, on_sale)
        .join(SellerProfile, SellerProfile.id == Product.seller_id)
        .where(_in(ids))
        .group_by(SellerProfile.commune_id)
    ).all()
    return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}


def top_products(commune_id: int, rng: DateRange, limit: int = TOP_PRODUCTS) -> list[TopProduct]:
    lo, hi = rng.bounds()
    value = sa.func.sum(OrderItem.line_total_vnd)
    rows = db.session.execute(
        sa.select(OrderItem.product_id, Product.title, sa.func.sum(OrderItem.qty), value)
        .join(Order, Order.id == OrderItem.order_id)
        .join(SellerProfile, SellerProfile.id == Order.seller_id)
        .join(Product, Product.id == OrderItem.product_id)
        .where(
            SellerProfile.commune_id == commune_id,
            Order.status == OrderStatus.DELIVERED,
            Order.status_changed_at >= lo,
            Order.status_changed_at < hi,
        )
        .group_by(OrderItem.product_id, Product.title)
        .order_by(value.desc(), OrderItem.product_id)
        .limit(limit)
    ).all()
    return [TopProduct(r[0], r[1], int(r[2]), int(r[3])) for r in rows]


CASH_METHODS = frozenset({"cod"})


def payment_split(commune_id: int, rng: DateRange) -> PaymentSplit:
    lo, hi = rng.bounds()
    kind = sa.case(
        (Order.payment_method.in_(sorted(CASH_METHODS)), "cash"),
        (sa.and_(Order.payment_method.is_not(None), Order.paid_at.is_not(None)), "online"),
        else_="unknown",
    )
    rows = db.session.execute(
        sa.select(kind, sa.func.count(Order.id), sa.func.coalesce(sa.func.sum(Order.total_vnd), 0))
        .join(SellerProfile, SellerProfile.id == Order.seller_id)
        .where(
            SellerProfile.commune_id == commune_id,
            Order.status == OrderStatus.DELIVERED,
            Order.status_changed_at >= lo,
            Order.status_changed_at < hi,
        )
        .group_by(kind)
    ).all()
    got = {r[0]: (int(r[1]), int(r[2])) for r in rows}
    return PaymentSplit(
        online_orders=got.get("online", (0, 0))[0],
        online_vnd=got.get("online", (0, 0))[1],
        cash_orders=got.get("cash", (0, 0))[0],
        cash_vnd=got.get("cash", (0, 0))[1],
        unknown_orders=got.get("unknown", (0, 0))[0],
        unknown_vnd=got.get("unknown", (0, 0))[1],
    )


def ratings_by_commune(ids, rng: DateRange) -> dict[int, Rating]:
    """commune id → the average of the ratings buyers gave its shops in reviews written in the range."""
    from market.orders.models import Review

    lo, hi = rng.bounds()
    rows = db.session.execute(
        sa.select(SellerProfile.commune_id, sa.func.avg(Review.rating), sa.func.count(Review.id))
        .join(SellerProfile, SellerProfile.id == Review.seller_id)
        .where(_in(ids), Review.created_at >= lo, Review.created_at < hi)
        .group_by(SellerProfile.commune_id)
    ).all()
    return {r[0]: Rating(float(r[1]), int(r[2])) for r in rows if r[2]}


def average_rating(commune_id: int, rng: DateRange) -> Rating:
    return ratings_by_commune({commune_id}, rng).get(commune_id, Rating(None, 0))


def live_by_commune(ids, rng: DateRange) -> dict[int, LiveFigures]:
    """commune id → its live sessions that went on air in the range, and the most viewers any of them had at
    once (each session records its own peak while live)."""
    from market.live.models import LiveSession

    lo, hi = rng.bounds()
    rows = db.session.execute(
        sa.select(
            LiveSession.commune_id,
            sa.func.count(LiveSession.id),
            sa.func.coalesce(sa.func.max(LiveSession.peak_viewers), 0),
        )
        .where(
            LiveSession.commune_id.in_(sorted(ids)),
            LiveSession.started_at.is_not(None),
            LiveSession.started_at >= lo,
            LiveSession.started_at < hi,
        )
        .group_by(LiveSession.commune_id)
    ).all()
    return {r[0]: LiveFigures(int(r[1]), int(r[2])) for r in rows}


def live_figures(commune_id: int, rng: DateRange) -> LiveFigures:
    return live_by_commune({commune_id}, rng).get(commune_id, LiveFigures(0, 0))


def delivered_series(commune_id: int, rng: DateRange) -> tuple[list[tuple[date, int]], bool]:
    """Delivered value per local day (per month for ranges over 92 days), every bucket present."""
    lo, hi = rng.bounds()
    rows = db.session.execute(
        sa.select(Order.status_changed_at, Order.total_vnd)
        .join(SellerProfile, SellerProfile.id == Order.seller_id)
        .where(
            SellerProfile.commune_id == commune_id,
            Order.status == OrderStatus.DELIVERED,
            Order.status_changed_at >= lo,
            Order.status_changed_at < hi,
        )
    ).all()
    by_month = rng.days > DAILY_MAX_DAYS
    zone = audit.local_zone()

    def bucket(d: date) -> date:
        return d.replace(day=1) if by_month else d

    totals: dict[date, int] = defaultdict(int)
    for at, total in rows:
        totals[bucket(at.astimezone(zone).date())] += int(total)
    buckets, d = [], rng.start
    while d <= rng.end:
        b = bucket(d)
        if not buckets or buckets[-1] != b:
            buckets.append(b)
        d += timedelta(days=1)
    return [(b, totals.get(b, 0)) for b in buckets], by_month


def figures(commune_id: int, rng: DateRange) -> Figures:
    ids = {commune_id}
    delivered_orders, delivered_value = delivered_by_commune(ids, rng).get(commune_id, (0, 0))
    by_status = {str(s): 0 for s in OrderStatus}
    by_status.update(placed_by_commune_status(ids, rng).get(commune_id, {}))
    approved, on_sale = listings_by_commune(ids, rng).get(commune_id, (0, 0))
    series, by_month = delivered_series(commune_id, rng)
    return Figures(
        commune_id=commune_id,
        range=rng,
        delivered_value_vnd=delivered_value,
        delivered_orders=delivered_orders,
        orders_placed=sum(by_status.values()),
        orders_by_status=by_status,
        active_sellers=active_sellers_by_commune(ids, rng).get(commune_id, 0),
        listings_approved=approved,
        listings_on_sale=on_sale,
        top_products=top_products(commune_id, rng),
        payment=payment_split(commune_id, rng),
        rating=average_rating(commune_id, rng),
        live=live_figures(commune_id, rng),
        series=series,
        series_by_month=by_month,
    )


@dataclass(frozen=True)
class OverviewRow:
    commune: Commune
    delivered_orders: int
    delivered_value_vnd: int
    orders_placed: int
    active_sellers: int
    listings_on_sale: int
    rating: Rating
    live: LiveFigures


def overview(communes: list[Commune], rng: DateRange) -> list[OverviewRow]:
    """One row per commune (the admin's view across communes), with the same definitions as ``figures``."""
    ids = {c.id for c in communes}
    if not ids:
        return []
    delivered = delivered_by_commune(ids, rng)
    placed = placed_by_commune_status(ids, rng)
    active = active_sellers_by_commune(ids, rng)
    listings = listings_by_commune(ids, rng)
    ratings = ratings_by_commune(ids, rng)
    live = live_by_commune(ids, rng)
    return [
        OverviewRow(
            c,
            *delivered.get(c.id, (0, 0)),
            sum(placed.get(c.id, {}).values()),
            active.get(c.id, 0),
            listings.get(c.id, (0, 0))[1],
            ratings.get(c.id, Rating(None, 0)),
            live.get(c.id, LiveFigures(0, 0)),
        )
        for c in communes
    ]


# ---- CSV --------------------------------------------------------------------------------------------------


def figures_rows(fig: Figures) -> list[tuple[str, str, object]]:
    """(section, key, value) rows of the CSV export: one figure a line, money in đồng."""
    from market.orders.service import status_label

    rows: list[tuple[str, str, object]] = [
        (_("Range"), _("From"), fig.range.start.isoformat()),
        (_("Range"), _("To"), fig.range.end.isoformat()),
        (_("Orders"), _("Delivered value (đồng)"), fig.delivered_value_vnd),
        (_("Orders"), _("Delivered orders"), fig.delivered_orders),
        (_("Orders"), _("Orders placed"), fig.orders_placed),
    ]
    rows += [(_("Orders by status"), status_label(s), n) for s, n in fig.orders_by_status.items()]
    rows += [
        (_("Sellers"), _("Active sellers"), fig.active_sellers),
        (_("Listings"), _("Listings approved"), fig.listings_approved),
        (_("Listings"), _("Listings on sale"), fig.listings_on_sale),
        (_("Payments"), _("Paid online (đồng)"), fig.payment.online_vnd),
        (_("Payments"), _("Cash on delivery (đồng)"), fig.payment.cash_vnd),
        (_("Payments"), _("Payment unknown (đồng)"), fig.payment.unknown_vnd),
        (_("Payments"), _("Paid online (orders)"), fig.payment.online_orders),
        (_("Payments"), _("Cash on delivery (orders)"), fig.payment.cash_orders),
        (_("Reviews"), _("Average rating"), "" if fig.rating.average is None else f"{fig.rating.average:.2f}"),
        (_("Reviews"), _("Ratings"), fig.rating.count),
        (_("Live"), _("Live sessions held"), fig.live.sessions_held),
        (_("Live"), _("Peak viewers"), fig.live.peak_viewers),
    ]
    rows += [(_("Top products"), p.title, p.value_vnd) for p in fig.top_products]
    rows += [
        (_("Delivered value by month") if fig.series_by_month else _("Delivered value by day"), d.isoformat(), v)
        for d, v in fig.series
    ]
    return rows


def export_csv(commune: Commune, rng: DateRange) -> str:
    """The commune's figures as CSV, and the export's audit entry."""
    body = audit.csv_text([_("Section"), _("Figure"), _("Value")], figures_rows(figures(commune.id, rng)))
    audit.record("dashboard.export", commune, details={"start": rng.start.isoformat(), "end": rng.end.isoformat()})
    return body


def overview_csv(rows: list[OverviewRow], rng: DateRange) -> str:
    """The admin's overview as CSV (one line per commune), and the export's audit entry (platform-wide)."""
    body = audit.csv_text(
        [
            _("Commune"),
            _("Province"),
            _("Delivered value (đồng)"),
            _("Delivered orders"),
            _("Orders placed"),
            _("Active sellers"),
            _("Listings on sale"),
            _("Average rating"),
            _("Ratings"),
            _("Live sessions held"),
            _("Peak viewers"),
        ],
        [
            (
                r.commune.name,
                r.commune.province,
                r.delivered_value_vnd,
                r.delivered_orders,
                r.orders_placed,
                r.active_sellers,
                r.listings_on_sale,
                "" if r.rating.average is None else f"{r.rating.average:.2f}",
                r.rating.count,
                r.live.sessions_held,
                r.live.peak_viewers,
            )
            for r in rows
        ],
    )
    audit.record(
        "dashboard.export", details={"scope": "all", "start": rng.start.isoformat(), "end": rng.end.isoformat()}
    )
    return body
