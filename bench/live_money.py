"""Benchmark (not a test): what the host console's money refresh and the post-live report cost, beside a
baseline from the same run.

Through the Flask test client (no network), on a fresh SQLite file (and PostgreSQL unless ``--no-pg``), for a
session with ``--orders`` orders (default 2 000 and 10 000) spread over every status, plus five earlier
sessions of the same host with as many orders each:

- baseline: ``GET /healthz`` (one trivial query): what any request costs here;
- ``GET /live/<id>/host/orders``: the console's light refresh (totals in one grouped query, the last 50 orders);
- ``GET /live/<id>/report``: the report page (this session, its products, five earlier sessions, three charts);
- ``GET /live/<id>/report.csv``.

    .venv/bin/python bench/live_money.py [--runs 30] [--orders 2000,10000] [--pg URL] [--no-pg]

Figures go to docs/performance.md by hand; they vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.orders import make_app, migrate, pct, timed  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_live_money"
STATUSES = ("pending", "confirmed", "packed", "shipped", "delivered", "cancelled", "expired", "refunded")


def world(app, orders: int) -> tuple[int, str]:
    """A host with six sessions of ``orders`` orders each (the last one is measured); her login cookie id."""
    import sqlalchemy as sa

    from market.accounts.models import Commune, SellerProfile, User
    from market.catalog.models import Product
    from market.database import utcnow
    from market.extensions import db
    from market.live.models import LiveSession
    from market.orders.models import Order, OrderItem

    with app.app_context():
        commune = Commune(name="Ea Knuếc", province="Đắk Lắk", slug="ea-knuec")
        host = User(phone="+84903000001", display_name="H'Hà Niê", password_hash="x")
        profile = SellerProfile(
            user=host, commune=commune, shop_name="Vườn sầu riêng", slug="vuon", status="approved", is_kol=True
        )
        buyer = User(phone="+84912000001", display_name="Khách", password_hash="x")
        products = [
            Product(
                seller=profile,
                title=f"Sầu riêng {i}",
                slug=f"p{i}",
                price_vnd=79_000,
                stock=10**6,
                status="approved",
                unit="kg",
            )
            for i in range(4)
        ]
        db.session.add_all([commune, host, profile, buyer, *products])
        db.session.flush()
        now = utcnow()
        session_id = None
        for s in range(6):
            started = now - timedelta(days=7 * (5 - s))
            session = LiveSession(
                seller_id=profile.id,
                commune_id=commune.id,
                title=f"Phiên {s}",
                stream_url="https://www.tiktok.com/@a/live",
                scheduled_at=started,
                started_at=started,
                status="ended" if s < 5 else "live",
                description="",
                peak_viewers=100 + s,
                hearts=0,
                order_taps=3 * orders,
            )
            db.session.add(session)
            db.session.flush()
            session_id = session.id
            rows = [
                {
                    "code": f"CP{s}{i:07d}",
                    "buyer_id": buyer.id,
                    "seller_id": profile.id,
                    "status": STATUSES[i % len(STATUSES)],
                    "subtotal_vnd": 79_000,
                    "shipping_vnd": 0,
                    "total_vnd": 79_000,
                    "origin": "live",
                    "live_session_id": session.id,
                    "idempotency_key": f"bench-{s}-{i:08d}",
                    "status_changed_at": now,
                    "note": "",
                    "paid_at": now if i % 3 == 0 else None,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(orders)
            ]
            db.session.execute(sa.insert(Order), rows)
            ids = db.session.scalars(sa.select(Order.id).where(Order.live_session_id == session.id)).all()
            db.session.execute(
                sa.insert(OrderItem),
                [
                    {
                        "order_id": oid,
                        "product_id": products[oid % 4].id,
                        "source": "product",
                        "source_id": products[oid % 4].id,
                        "title": products[oid % 4].title,
                        "unit": "kg",
                        "unit_price_vnd": 79_000,
                        "qty": 1,
                        "line_total_vnd": 79_000,
                    }
                    for oid in ids
                ],
            )
        db.session.commit()
        return session_id, host.get_id()


def run(url: str, runs: int, orders: int, label: str) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-money-"))
    app = make_app(url, tmp)
    migrate(app)
    session_id, cookie_id = world(app, orders)
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = cookie_id
    results = {"baseline GET /healthz": timed(lambda i: client.get("/healthz"), runs)}
    for name, path in (
        ("console refresh", f"/live/{session_id}/host/orders"),
        ("report page", f"/live/{session_id}/report"),
        ("report CSV", f"/live/{session_id}/report.csv"),
    ):
        assert client.get(path).status_code == 200, path
        results[f"GET {name}"] = timed(lambda i, p=path: client.get(p), runs)
    print(f"\n{label}, {orders:,} orders in the session (and in each of 5 earlier ones), {runs} runs")
    for name, values in results.items():
        print(f"  {name:<28} median {statistics.median(values):7.2f} ms   p95 {pct(values, 0.95):7.2f} ms")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--orders", default="2000,10000")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    for n in (int(x) for x in args.orders.split(",")):
        run(f"sqlite:///{tempfile.mkdtemp(prefix='bench-live-money-')}/bench.db", args.runs, n, "SQLite")
        if not args.no_pg:
            run(args.pg, args.runs, n, "PostgreSQL")


if __name__ == "__main__":
    main()
