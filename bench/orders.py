"""Benchmark (not a test): checkout, the Stripe webhook and the VietQR page, beside a baseline from the same run.

Through the Flask test client (no network), on a fresh SQLite file and on PostgreSQL (its own database,
default bench_orders, dropped and created again):

- baseline: ``GET /healthz`` (one trivial query): what any request costs here;
- checkout: ``POST /checkout`` of a cart with two shops (two orders placed through ``place_order``, address,
  cash on delivery confirms one, VietQR opens an attempt for the other; notifications written);
- Stripe webhook: a signed ``checkout.session.completed`` verified by the ``stripe`` library, logged once,
  the order locked, paid and confirmed; and the same event again (answered "duplicate");
- VietQR: the EMVCo payload, its CRC and the SVG QR code of one order.

    .venv/bin/python bench/orders.py [--runs 60] [--pg URL] [--no-pg]

Figures go to docs/performance.md by hand; they vary with the machine and its load. CSRF is off in this
process only (the bench posts forms without reading the page first); rate limits are off.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_orders"
WEBHOOK_SECRET = "whsec_bench_0123456789"


def make_app(url: str, tmp: Path):
    from market import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-0123456789abcdef",
            "SQLALCHEMY_DATABASE_URI": url,
            "MEDIA_DIR": str(tmp / "media"),
            "PASSWORD_HASH_COST": "fast",
            "SOCKETIO_ASYNC_MODE": "threading",
            "REDIS_URL": None,
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
            "STRIPE_SECRET_KEY": "sk_test_bench",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": "http://127.0.0.1:9",
            "SERVER_NAME": None,
        }
    )


def migrate(app) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from market.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "market" / "migrations"))


def world(app, buyers: int):
    from market.accounts.models import Commune, SellerProfile, User
    from market.catalog.models import Product
    from market.extensions import db
    from market.payments.models import ShopPaymentSettings

    with app.app_context():
        commune = Commune(name="Quảng Phú", province="Đắk Lắk", slug="quang-phu")
        products = []
        for i, (title, shop) in enumerate((("Cà phê", "Cà phê Quảng Phú"), ("Khăn thổ cẩm", "Tổ dệt")), 1):
            user = User(phone=f"+8490300000{i}", display_name=shop, password_hash="x")
            profile = SellerProfile(user=user, commune=commune, shop_name=shop, slug=f"shop-{i}", status="approved")
            product = Product(
                seller=profile,
                title=title,
                slug=f"p{i}",
                price_vnd=120_000,
                stock=1_000_000,
                status="approved",
                unit="bag",
            )
            db.session.add_all([user, profile, product])
            db.session.flush()
            db.session.add(
                ShopPaymentSettings(
                    seller_id=profile.id,
                    cod_enabled=True,
                    cod_auto_confirm=True,
                    bank_bin="970436",
                    account_number="1023456789",
                    account_holder="TRAN VAN PHU",
                )
            )
            products.append((product.id, profile.id))
        people = [User(phone=f"+849120{i:05d}", display_name=f"Khách {i}", password_hash="x") for i in range(buyers)]
        db.session.add_all([commune, *people])
        db.session.commit()
        return products, [(u.id, u.get_id()) for u in people]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed(fn, runs: int) -> list[float]:
    out = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def run(url: str, runs: int, label: str) -> dict:
    import stripe

    tmp = Path(tempfile.mkdtemp(prefix="bench-orders-"))
    app = make_app(url, tmp)
    migrate(app)
    products, people = world(app, runs + 5)
    client = app.test_client()
    results = {}

    results["baseline GET /healthz"] = timed(lambda i: client.get("/healthz"), runs)

    order_ids = []

    def checkout(i):
        uid, session_id = people[i]
        with client.session_transaction() as sess:
            sess["_user_id"] = session_id
        for pid, _ in products:
            client.post("/cart/add", data={"product_id": pid, "qty": 1})
        start = time.perf_counter()
        resp = client.post(
            "/checkout",
            data={
                "attempt": f"benchattempt{i:08d}",
                "ship_name": "Khách",
                "ship_phone": "0912345678",
                "ship_street": "1 Lê Lợi",
                "ship_commune": "",
                "ship_province": "Đắk Lắk",
                f"method-{products[0][1]}": "cod",
                f"method-{products[1][1]}": "vietqr",
            },
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return (time.perf_counter() - start) * 1000

    results["POST /checkout (2 shops → 2 orders)"] = [checkout(i) for i in range(runs)]

    with app.app_context():
        import sqlalchemy as sa

        from market.extensions import db
        from market.orders.models import Order
        from market.payments.models import Payment

        pending = list(db.session.scalars(sa.select(Order).where(Order.status == "pending").order_by(Order.id)))
        for n, order in enumerate(pending):
            order.payment_method = "stripe"
            db.session.add(
                Payment(
                    order_id=order.id,
                    method="stripe",
                    attempt=9,
                    status="pending",
                    amount_vnd=order.total_vnd,
                    provider_ref=f"cs_bench_{n}",
                )
            )
            order_ids.append((order.id, order.total_vnd))
        db.session.commit()
        db.session.remove()

    def event(i):
        order_id, total = order_ids[i]
        body = json.dumps(
            {
                "id": f"evt_bench_{i}",
                "object": "event",
                "type": "checkout.session.completed",
                "data": {
                    "object": {
                        "id": f"cs_bench_{i}",
                        "payment_status": "paid",
                        "currency": "vnd",
                        "amount_total": total,
                        "payment_intent": f"pi_bench_{i}",
                        "metadata": {"order_id": str(order_id)},
                    }
                },
            }
        )
        return body, stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)

    events = [event(i) for i in range(len(order_ids))]

    def post(i):
        body, sig = events[i]
        resp = client.post(
            "/webhooks/stripe", data=body, headers={"Stripe-Signature": sig, "Content-Type": "application/json"}
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)

    n = min(runs, len(events))
    results["POST /webhooks/stripe (completed → paid)"] = timed(post, n)
    results["POST /webhooks/stripe (same event again)"] = timed(post, n)

    with app.app_context():
        from market.payments.vietqr import build_payload, qr_svg

        results["VietQR payload + SVG (no request)"] = timed(
            lambda i: qr_svg(build_payload("970436", "1023456789", 120_000 + i, f"CPBENCH{i:03d}")), runs
        )
    print(f"\n{label}: {url.split('@')[-1]}")
    print(f"{'':44s} {'p50 ms':>8s} {'p95 ms':>8s} {'× baseline':>11s}")
    base = statistics.median(results["baseline GET /healthz"])
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:44s} {med:8.2f} {pct(values, 0.95):8.2f} {med / base:11.1f}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="bench-orders-sqlite-"))
    run(f"sqlite:///{tmp / 'bench.sqlite3'}", args.runs, "SQLite (embedded)")
    if not args.no_pg:
        from tests.servers import recreate_pg_database

        recreate_pg_database(args.pg)
        try:
            run(args.pg, args.runs, "PostgreSQL")
        finally:
            import psycopg

            from tests.servers import pg_admin_url

            admin, name = pg_admin_url(args.pg.replace("postgresql+psycopg://", "postgresql://"))
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
