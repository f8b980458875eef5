"""Property 11: checkouts of the same products in opposite order never deadlock into a user's error.

Every transaction that changes several products' stock locks them first in ascending id order
(``orders.stock.lock_products``), and a transaction PostgreSQL still aborts for a deadlock or a serialization
failure runs again (``database.retry_on_conflict``). PostgreSQL only: SQLite serialises writers at BEGIN.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from market.accounts.models import Commune, SellerProfile, User
from market.catalog.models import Product
from market.extensions import db
from market.metrics import CONFLICT_RETRIES
from market.orders import cart, stock
from market.orders.checkout import Address, place_cart
from market.orders.models import Order

THREADS, ROUNDS = 4, 15
ADDRESS = Address("Khách", "+84912000000", "12 Lê Duẩn", "Ea Knuếc", "Đắk Lắk")


@pytest.fixture
def pg_app(committed_app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("lock order matters on PostgreSQL only: runs in the PostgreSQL pass")
    return committed_app


def world():
    """Shop A sells products 1 and 2, shop B product 3; four buyers."""
    commune = Commune(name="Ea Knuếc", province="Đắk Lắk", slug="ea-knuec")
    shops = []
    for n in (1, 2):
        user = User(phone=f"+8491000000{n}", display_name=f"Người bán {n}", password_hash="x")
        shops.append(
            SellerProfile(user=user, commune=commune, shop_name=f"Vườn {n}", slug=f"vuon-{n}", status="approved")
        )
    products = [
        Product(
            seller=shops[0 if i < 2 else 1],
            title=f"Trái {i}",
            slug=f"trai-{i}",
            price_vnd=10_000,
            stock=1000,
            status="approved",
        )
        for i in range(3)
    ]
    buyers = [User(phone=f"+8491200000{i}", display_name=f"Khách {i}", password_hash="x") for i in range(THREADS)]
    db.session.add_all([commune, *shops, *products, *buyers])
    db.session.flush()
    ids = [p.id for p in products], [b.id for b in buyers], {p.id: p.seller_id for p in products}
    db.session.commit()
    db.session.close()
    return ids


def stocks(product_ids):
    db.session.expire_all()
    rows = dict(db.session.execute(sa.select(Product.id, Product.stock).where(Product.id.in_(product_ids))).all())
    db.session.commit()
    return [rows[i] for i in product_ids]


def checkout_rounds(app, product_ids, buyer_ids, sellers, rounds, attempts=4):
    """Every round, four buyers check out at once: even ones put 1, 2, 3 in their carts, odd ones 3, 2, 1
    (so even the shops' orders are placed in opposite order). Returns the errors and the stocks after each."""
    barrier = threading.Barrier(len(buyer_ids))
    errors: list[str] = []
    after: list[list[int]] = []

    def buyer_round(index: int, buyer_id: int, r: int) -> None:
        with app.app_context():
            try:
                buyer = db.session.get(User, buyer_id)
                for pid in product_ids if index % 2 == 0 else list(reversed(product_ids)):
                    cart.add(buyer, pid, 1)
                db.session.commit()
                barrier.wait(timeout=30)
                from market.database import retry_on_conflict

                def attempt():
                    placed = place_cart(
                        db.session.get(User, buyer_id),
                        f"round{r:04d}buyer{index:04d}x",
                        {seller: "cod" for seller in set(sellers.values())},
                        ADDRESS,
                    )
                    db.session.commit()
                    return placed

                assert len(retry_on_conflict(attempt, attempts=attempts)) == 2
            except Exception as exc:  # noqa: BLE001 - what a user would have seen
                db.session.rollback()
                errors.append(f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:120]}")
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(buyer_ids)) as pool:
        for r in range(rounds):
            list(pool.map(lambda ib, r=r: buyer_round(ib[0], ib[1], r), enumerate(buyer_ids)))
            with app.app_context():
                after.append(stocks(product_ids))
    return errors, after


def test_opposite_carts_4_threads_15_rounds_never_deadlock(pg_app):
    product_ids, buyer_ids, sellers = world()
    before = CONFLICT_RETRIES._value.get()
    errors, after = checkout_rounds(pg_app, product_ids, buyer_ids, sellers, ROUNDS)
    assert errors == []
    assert after == [[1000 - THREADS * (r + 1)] * 3 for r in range(ROUNDS)]  # each stock −4 per round
    assert CONFLICT_RETRIES._value.get() == before  # not one deadlock: the lock order alone prevents them
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == THREADS * ROUNDS * 2


def test_a_deadlock_that_still_happens_is_retried_unseen(pg_app, monkeypatch):
    """With the lock order broken on purpose, PostgreSQL does kill transactions, and the retry hides it."""
    monkeypatch.setattr(stock, "lock_products", lambda ids: None)
    monkeypatch.setattr("market.orders.service.lock_products", lambda ids: None)
    monkeypatch.setattr("market.orders.checkout.lock_products", lambda ids: None)

    @sa.event.listens_for(db.engine, "connect")
    def fast_deadlocks(dbapi_connection, _record):  # find the cycle in 50 ms instead of 1 s
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET deadlock_timeout = '50ms'")

    db.engine.dispose()
    try:
        product_ids, buyer_ids, sellers = world()
        before = CONFLICT_RETRIES._value.get()
        # a deadlock every few checkouts: more tries than the app's 4, so the rare run of four in a row passes
        errors, after = checkout_rounds(pg_app, product_ids, buyer_ids, sellers, 6, attempts=10)
    finally:
        sa.event.remove(db.engine, "connect", fast_deadlocks)
        db.engine.dispose()
    assert CONFLICT_RETRIES._value.get() > before, "no deadlock happened: the test proves nothing"
    assert errors == [], errors
    assert after == [[1000 - THREADS * (r + 1)] * 3 for r in range(6)]
