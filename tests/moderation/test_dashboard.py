"""Dashboard figures against values computed here, independently, from a seeded dataset of real orders.

The dataset is built with the orders core (place_order + transition), then its timestamps are moved to fixed
dates, including the edges of the range in the commune's time zone (UTC+7).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from market.catalog.models import Product, ProductStatus
from market.domain import DomainError
from market.extensions import db
from market.moderation.dashboard import service as dashboard
from market.orders.models import Order
from market.orders.service import Line, place_order, transition
from market.orders.states import Actor
from tests.conftest import login_as

VN = timezone(timedelta(hours=7))
START, END = date(2026, 3, 1), date(2026, 3, 30)
RANGE = dashboard.DateRange(START, END)
PATHS = {
    "pending": [],
    "confirmed": ["confirmed"],
    "shipped": ["confirmed", "packed", "shipped"],
    "delivered": ["confirmed", "packed", "shipped", "delivered"],
    "cancelled": ["cancelled"],
    "expired": ["expired"],
}


def utc(y, m, d, h=0, mi=0, s=0):
    return datetime(y, m, d, h, mi, s, tzinfo=UTC)


@dataclass
class Spec:
    seller: str
    lines: list  # [(product, qty)]
    placed: datetime
    final: str
    changed: datetime
    method: str | None
    paid: bool


# (seller, lines, placed at (UTC), final status, status changed at (UTC), payment method, paid online)
ORDERS = [
    Spec("s1", [("p1", 10)], utc(2026, 3, 2, 3), "delivered", utc(2026, 3, 5, 3), "cod", False),
    Spec("s1", [("p2", 4)], utc(2026, 3, 3, 3), "delivered", utc(2026, 3, 6, 3), "vietqr", True),
    Spec("s1", [("p1", 6), ("p2", 2)], utc(2026, 3, 10, 3), "delivered", utc(2026, 3, 12, 3), "card", True),
    # placed before the range, delivered at 00:00 local on its first day: delivered in the range
    Spec("s2", [("p3", 5)], utc(2026, 2, 25, 3), "delivered", utc(2026, 2, 28, 17), "cod", False),
    # delivered at 23:59:59 local on the last day; an online method never marked paid: "unknown"
    Spec("s2", [("p3", 1)], utc(2026, 3, 29, 10), "delivered", utc(2026, 3, 30, 16, 59, 59), "vietqr", False),
    # delivered at 00:00 local the day after the range: not delivered in the range (but placed in it)
    Spec("s1", [("p1", 3)], utc(2026, 3, 20, 3), "delivered", utc(2026, 3, 30, 17), "cod", False),
    Spec("s1", [("p1", 2)], utc(2026, 3, 21, 3), "cancelled", utc(2026, 3, 21, 5), "cod", False),
    Spec("s1", [("p2", 1)], utc(2026, 3, 22, 3), "pending", utc(2026, 3, 22, 3), "vietqr", False),
    Spec("s2", [("p3", 2)], utc(2026, 3, 25, 3), "shipped", utc(2026, 3, 26, 3), "cod", False),
    Spec("s4", [("p5", 10)], utc(2026, 2, 20, 3), "delivered", utc(2026, 2, 27, 10), "cod", False),
    Spec("s5", [("p6", 3)], utc(2026, 3, 5, 3), "delivered", utc(2026, 3, 7, 3), "cod", False),  # commune B
    Spec("s1", [("p1", 1)], utc(2026, 2, 28, 16, 59, 59), "expired", utc(2026, 2, 28, 17, 30), "vietqr", False),
    Spec("s2", [("p3", 1)], utc(2026, 2, 28, 17), "confirmed", utc(2026, 3, 1, 1), None, False),
]
# Reviews: (index in ORDERS of a delivered order, rating, written at (UTC)).
REVIEWS = [
    (0, 5, utc(2026, 3, 6, 3)),
    (1, 4, utc(2026, 3, 7, 3)),
    (2, 2, utc(2026, 3, 30, 16, 59, 59)),  # 23:59:59 local on the last day: in the range
    (3, 5, utc(2026, 2, 28, 16, 59, 59)),  # 23:59:59 local the day before the range: not in it
    (4, 3, utc(2026, 3, 30, 17)),  # 00:00 local the day after the range: not in it
    (5, 1, utc(2026, 3, 20, 3)),  # delivered just after the range, reviewed in it: counts (written in range)
    (10, 5, utc(2026, 3, 8, 3)),  # commune B
]
# Live sessions: (seller, status, went on air at (UTC) or None, peak viewers).
SESSIONS = [
    ("s1", "ended", utc(2026, 3, 2, 12), 140),
    ("s2", "ended", utc(2026, 3, 30, 16, 30), 75),  # 23:30 local on the last day
    ("s1", "live", utc(2026, 3, 29, 12), 90),
    ("s1", "ended", utc(2026, 2, 28, 16), 500),  # 23:00 local the day before: not held in the range
    ("s2", "scheduled", None, 0),
    ("s5", "ended", utc(2026, 3, 10, 12), 900),  # commune B
]
PRICES = {"p1": 79_000, "p2": 95_000, "p3": 120_000, "p4": 50_000, "p5": 30_000, "p6": 200_000, "p7": 10_000}
PRODUCT_SELLER = {"p1": "s1", "p2": "s1", "p3": "s2", "p4": "s3", "p5": "s4", "p6": "s5", "p7": "s3"}
APPROVED_AT = {"p4": utc(2026, 3, 10, 3), "p7": None}  # the others long before the range
SELLER_COMMUNE = {"s1": "a", "s2": "a", "s3": "a", "s4": "a", "s5": "b"}


@pytest.fixture
def dataset(app, make_commune, make_seller, make_user, make_product):
    communes = {"a": make_commune("Ea Knuếc"), "b": make_commune("Xuân Lãnh")}
    sellers = {
        name: make_seller(name=f"Người bán {name}", shop_name=f"Gian {name}", commune=communes[SELLER_COMMUNE[name]])
        for name in SELLER_COMMUNE
    }
    products = {}
    for name, price in PRICES.items():
        status = ProductStatus.DRAFT if name == "p7" else ProductStatus.APPROVED
        p = make_product(
            seller=sellers[PRODUCT_SELLER[name]], title=f"Sản phẩm {name}", price_vnd=price, stock=1000, status=status
        )
        p.approved_at = APPROVED_AT.get(name, utc(2026, 1, 1))
        products[name] = p
    buyer = make_user(name="Người mua")
    orders = []
    for i, spec in enumerate(ORDERS):
        order = place_order(
            buyer,
            [Line("product", products[p].id, q) for p, q in spec.lines],
            f"dash-{i:04d}",
            payment_method=spec.method,
        ).order
        seller_user = sellers[spec.seller]
        for status in PATHS[spec.final]:
            role = Actor.SYSTEM if status == "expired" else Actor.SELLER
            transition(
                order,
                status,
                actor=None if role == Actor.SYSTEM else seller_user,
                role=role,
                reason="Hết hàng" if status == "cancelled" else None,
            )
        db.session.execute(
            sa.update(Order)
            .where(Order.id == order.id)
            .values(created_at=spec.placed, status_changed_at=spec.changed, paid_at=spec.changed if spec.paid else None)
        )
        orders.append(order)
    from market.live.models import LiveSession
    from market.orders.models import Review

    for index, rating, at in REVIEWS:
        order = orders[index]
        db.session.add(
            Review(
                order_id=order.id,
                seller_id=order.seller_id,
                buyer_id=buyer.id,
                rating=rating,
                comment="",
                created_at=at,
                updated_at=at,
            )
        )
    for seller, status, started, peak in SESSIONS:
        profile = sellers[seller].seller_profile
        db.session.add(
            LiveSession(
                seller_id=profile.id,
                commune_id=profile.commune_id,
                title=f"Phiên {seller}",
                stream_url="https://www.tiktok.com/@x/live",
                scheduled_at=started or utc(2026, 4, 1),
                started_at=started,
                status=status,
                peak_viewers=peak,
                ended_at=started + timedelta(hours=2) if status == "ended" else None,
            )
        )
    db.session.flush()
    db.session.expire_all()
    return communes, products


def expected_for(commune_key: str) -> dict:
    """The figures, computed from ORDERS/PRICES with plain Python (no SQL)."""

    def local_day(dt):
        return dt.astimezone(VN).date()

    def in_range(dt):
        return dt is not None and START <= local_day(dt) <= END

    mine = [o for o in ORDERS if SELLER_COMMUNE[o.seller] == commune_key]
    total = {id(o): sum(PRICES[p] * q for p, q in o.lines) for o in mine}
    delivered = [o for o in mine if o.final == "delivered" and in_range(o.changed)]
    placed = [o for o in mine if in_range(o.placed)]
    by_status = defaultdict(int)
    for o in placed:
        by_status[o.final] += 1
    product_value, product_qty = defaultdict(int), defaultdict(int)
    for o in delivered:
        for p, q in o.lines:
            product_value[p] += PRICES[p] * q
            product_qty[p] += q
    top = sorted(product_value, key=lambda p: (-product_value[p], p))[:5]
    pay = defaultdict(lambda: [0, 0])
    for o in delivered:
        kind = "cash" if o.method == "cod" else ("online" if o.method and o.paid else "unknown")
        pay[kind][0] += 1
        pay[kind][1] += total[id(o)]
    approved_in_range = [
        p
        for p, s in PRODUCT_SELLER.items()
        if SELLER_COMMUNE[s] == commune_key and in_range(APPROVED_AT.get(p, utc(2026, 1, 1)))
    ]
    active = {o.seller for o in placed} | {PRODUCT_SELLER[p] for p in approved_in_range}
    on_sale = [p for p, s in PRODUCT_SELLER.items() if SELLER_COMMUNE[s] == commune_key and p != "p7"]
    series = defaultdict(int)
    for o in delivered:
        series[local_day(o.changed)] += total[id(o)]
    ratings = [r for i, r, at in REVIEWS if SELLER_COMMUNE[ORDERS[i].seller] == commune_key and in_range(at)]
    held = [
        peak for seller, _s, started, peak in SESSIONS if SELLER_COMMUNE[seller] == commune_key and in_range(started)
    ]
    return {
        "rating": (sum(ratings) / len(ratings) if ratings else None, len(ratings)),
        "live": (len(held), max(held, default=0)),
        "delivered_value": sum(total[id(o)] for o in delivered),
        "delivered_orders": len(delivered),
        "by_status": dict(by_status),
        "placed": len(placed),
        "top": [(p, product_qty[p], product_value[p]) for p in top],
        "pay": {k: tuple(v) for k, v in pay.items()},
        "active": len(active),
        "approved": len(approved_in_range),
        "on_sale": len(on_sale),
        "series": dict(series),
    }


def test_figures_match_an_independent_computation(dataset):
    communes, products = dataset
    exp = expected_for("a")
    fig = dashboard.figures(communes["a"].id, RANGE)
    assert fig.delivered_value_vnd == exp["delivered_value"] == 2_554_000  # hand-checked once
    assert fig.delivered_orders == exp["delivered_orders"] == 5
    assert {k: v for k, v in fig.orders_by_status.items() if v} == exp["by_status"]
    assert set(fig.orders_by_status) == {
        "pending",
        "confirmed",
        "packed",
        "shipped",
        "delivered",
        "cancelled",
        "expired",
        "refunded",
        "returned",
    }  # every status, zeros included
    assert fig.orders_placed == exp["placed"] == 9
    assert fig.active_sellers == exp["active"] == 3
    assert fig.listings_approved == exp["approved"] == 1
    assert fig.listings_on_sale == exp["on_sale"] == 5
    assert [(products_name(products, t.product_id), t.qty, t.value_vnd) for t in fig.top_products] == exp["top"]
    pay = fig.payment
    assert (pay.online_orders, pay.online_vnd) == exp["pay"]["online"] == (2, 1_044_000)
    assert (pay.cash_orders, pay.cash_vnd) == exp["pay"]["cash"]
    assert (pay.unknown_orders, pay.unknown_vnd) == exp["pay"]["unknown"]
    assert pay.total_vnd == fig.delivered_value_vnd
    assert pay.share_online() == pytest.approx(1_044_000 / 2_554_000)
    assert (fig.rating.average, fig.rating.count) == exp["rating"]
    assert fig.rating.count == 4 and fig.rating.average == pytest.approx(3.0)  # 5, 4, 2, 1: hand-checked once
    assert (fig.live.sessions_held, fig.live.peak_viewers) == exp["live"] == (3, 140)
    assert len(fig.series) == 30 and not fig.series_by_month
    assert {d: v for d, v in fig.series if v} == exp["series"]
    assert fig.series[0][0] == START and fig.series[-1][0] == END


def products_name(products, product_id):
    return next(name for name, p in products.items() if p.id == product_id)


def test_other_commune_and_overview(dataset):
    communes, _products = dataset
    exp_b = expected_for("b")
    fig_b = dashboard.figures(communes["b"].id, RANGE)
    assert fig_b.delivered_value_vnd == exp_b["delivered_value"] == 600_000
    assert (fig_b.rating.average, fig_b.rating.count) == exp_b["rating"] == (5.0, 1)
    assert (fig_b.live.sessions_held, fig_b.live.peak_viewers) == exp_b["live"] == (1, 900)
    rows = {r.commune.slug: r for r in dashboard.overview(list(communes.values()), RANGE)}
    for key, commune in communes.items():
        exp, row = expected_for(key), rows[commune.slug]
        assert (
            row.delivered_value_vnd,
            row.delivered_orders,
            row.orders_placed,
            row.active_sellers,
            row.listings_on_sale,
        ) == (exp["delivered_value"], exp["delivered_orders"], exp["placed"], exp["active"], exp["on_sale"])
        assert (row.rating.average, row.rating.count) == exp["rating"]
        assert (row.live.sessions_held, row.live.peak_viewers) == exp["live"]


def test_long_ranges_are_drawn_by_month(dataset):
    communes, _ = dataset
    fig = dashboard.figures(communes["a"].id, dashboard.DateRange(date(2026, 1, 1), date(2026, 6, 30)))
    assert fig.series_by_month and [d for d, _v in fig.series] == [date(2026, m, 1) for m in range(1, 7)]
    assert dict(fig.series)[date(2026, 3, 1)] == 2_554_000 + 237_000  # and the one delivered on 31/3 local
    assert dict(fig.series)[date(2026, 2, 1)] == 300_000


def test_dashboard_page_and_csv(client, dataset, make_staff):
    communes, _ = dataset
    staff = make_staff(communes["a"])
    login_as(client, staff)
    resp = client.get(f"/staff/dashboard?start={START}&end={END}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "2.554.000" in html and "<svg" in html and "<rect" in html
    assert " style=" not in html  # the strict CSP forbids inline styles
    assert 'data-figure="active_sellers">3<' in html and 'data-figure="share_online">41%<' in html
    assert 'data-figure="rating">3.0★<' in html and 'data-figure="live_sessions">3<' in html
    assert "140" in html.split('data-figure="peak_viewers">')[1].split("<")[0]

    resp = client.get(f"/staff/dashboard.csv?commune={communes['a'].id}&start={START}&end={END}")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    figures = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert figures[("Đơn hàng", "Giá trị đã giao (đồng)")] == "2554000"
    assert figures[("Người bán", "Người bán hoạt động")] == "3"
    assert figures[("Sản phẩm bán chạy", "Sản phẩm p1")] == "1264000"
    assert figures[("Giá trị đã giao theo ngày", "2026-03-30")] == "120000"
    assert figures[("Đánh giá", "Điểm đánh giá trung bình")] == "3.00"
    assert figures[("Đánh giá", "Lượt đánh giá")] == "4"
    assert figures[("Phiên live", "Phiên live đã tổ chức")] == "3"
    assert figures[("Phiên live", "Người xem cao nhất")] == "140"


def test_staff_of_another_commune_cannot_read_it(client, dataset, make_staff):
    communes, _ = dataset
    login_as(client, make_staff(communes["b"]))
    assert client.get(f"/staff/dashboard?commune={communes['a'].id}").status_code == 404
    assert client.get(f"/staff/dashboard.csv?commune={communes['a'].id}").status_code == 404
    html = client.get(f"/staff/dashboard?start={START}&end={END}").get_data(as_text=True)
    assert "600.000" in html and "2.554.000" not in html  # their own commune by default


def test_admin_overview_page_and_csv(client, dataset, make_staff):
    communes, _ = dataset
    login_as(client, make_staff(admin=True))
    html = client.get(f"/staff/overview?start={START}&end={END}").get_data(as_text=True)
    assert "Ea Knuếc" in html and "Xuân Lãnh" in html and "3.154.000" in html  # the total row
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/staff/overview?start={START}&end={END}&format=csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    assert ["Ea Knuếc", "Đắk Lắk", "2554000", "5", "9", "3", "5", "3.00", "4", "3", "140"] in rows
    assert ["Xuân Lãnh", "Đắk Lắk", "600000", "1", "1", "1", "1", "5.00", "1", "1", "900"] in rows


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-02-30", "", "start"),
        ("yesterday", "", "start"),
        ("2026-03-10", "2026-03-01", "start"),
        ("2020-01-01", "2026-01-01", "start"),
        ("", "2026-3-1", "end"),
        ("x" * 10000, "", "start"),
    ],
)
def test_bad_ranges(app, client, make_staff, make_commune, start, end, field):
    with pytest.raises(DomainError) as err:
        dashboard.parse_range(start, end)
    assert err.value.field == field
    login_as(client, make_staff(make_commune()))
    resp = client.get(f"/staff/dashboard?start={start}&end={end}")
    assert resp.status_code == 400 and 'class="error"' in resp.get_data(as_text=True)
    assert client.get(f"/staff/dashboard.csv?start={start}&end={end}").status_code == 400


def test_default_range_is_the_last_30_days(app):
    with app.test_request_context("/"):
        rng = dashboard.parse_range(None, "")
        assert rng.days == 30 and rng.end == dashboard.today()


def test_listing_counts_ignore_other_states(dataset):
    communes, products = dataset
    products["p2"].status = ProductStatus.ARCHIVED
    db.session.flush()
    assert dashboard.figures(communes["a"].id, RANGE).listings_on_sale == 4
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 7
