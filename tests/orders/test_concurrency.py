"""Zero oversell with real concurrent transactions (threads, separate connections, real commits)."""

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from market.accounts.models import Commune, SellerProfile, User
from market.catalog.models import Product
from market.domain import DomainError
from market.extensions import db
from market.orders.models import Order, OrderItem
from market.orders.service import Line, place_order


def setup_world(stock: int, buyers: int):
    commune = Commune(name="Ea Knuếc", province="Đắk Lắk", slug="ea-knuec")
    seller_user = User(phone="+84910000001", display_name="Người bán", password_hash="x")
    profile = SellerProfile(user=seller_user, commune=commune, shop_name="Vườn", slug="vuon", status="approved")
    product = Product(
        seller=profile, title="Sầu riêng", slug="sau-rieng", price_vnd=79_000, stock=stock, status="approved"
    )
    users = [User(phone=f"+8491{i:07d}", display_name=f"Khách {i}", password_hash="x") for i in range(2, buyers + 2)]
    db.session.add_all([commune, seller_user, profile, product, *users])
    db.session.flush()
    ids = product.id, [u.id for u in users]
    db.session.commit()
    db.session.close()  # hold no transaction (on SQLite it would hold the write lock) while the threads run
    return ids


def order_as(app, buyer_id: int, product_id: int, qty: int, key: str):
    with app.app_context():
        try:
            buyer = db.session.get(User, buyer_id)
            placed = place_order(buyer, [Line("product", product_id, qty)], key)
            db.session.commit()
            return placed.order.id, qty
        except DomainError as err:
            db.session.rollback()
            return err.code, qty
        finally:
            db.session.remove()


def test_200_buyers_race_for_50_units(committed_app):
    product_id, buyer_ids = setup_world(stock=50, buyers=200)
    wanted = [(b, 1) for b in buyer_ids]  # one each: exactly 50 must win
    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(
            pool.map(lambda bq: order_as(committed_app, bq[0], product_id, bq[1], f"race-{bq[0]:06d}"), wanted)
        )
    db.session.expire_all()
    sold = sum(qty for ref, qty in results if isinstance(ref, int))
    stock = db.session.scalar(sa.select(Product.stock).where(Product.id == product_id))
    ordered = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(OrderItem.qty), 0)))
    refusals = {ref for ref, _ in results if not isinstance(ref, int)}
    assert stock == 0 and sold == ordered == 50  # exactly 50 sold, never below zero
    assert sum(1 for ref, _ in results if isinstance(ref, int)) == 50
    assert refusals == {"sold_out"}


def test_same_key_sent_ten_times_at_once_makes_one_order(committed_app):
    product_id, (buyer_id,) = setup_world(stock=50, buyers=1)
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(
            pool.map(lambda _: order_as(committed_app, buyer_id, product_id, 2, "same-key-storm"), range(10))
        )
    ids = {ref for ref, _ in results}
    db.session.expire_all()
    assert len(ids) == 1 and all(isinstance(i, int) for i in ids)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1
    assert db.session.scalar(sa.select(Product.stock).where(Product.id == product_id)) == 48
