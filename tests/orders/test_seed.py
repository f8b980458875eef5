import sqlalchemy as sa

from market.catalog.models import Product
from market.extensions import db
from market.orders.models import Order, Review
from market.payments.models import ShopPaymentSettings


def counts():
    return [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Product, Order, Review,
                                                                                     ShopPaymentSettings)]


def test_demo_orders_in_several_states_and_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    statuses = set(db.session.scalars(sa.select(Order.status)))
    assert {"pending", "confirmed", "packed", "shipped", "delivered", "cancelled"} <= statuses
    before = counts()
    assert before[2] == 1 and before[3] == 3
    for title in ("Cà phê Robusta rang mộc", "Khăn thổ cẩm", "Sầu riêng Ri6"):  # the catalog seed's, reused
        assert db.session.scalar(sa.select(sa.func.count(Product.id)).where(Product.title == title)) == 1
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    assert counts() == before
    durian = db.session.scalar(sa.select(ShopPaymentSettings).join(Product, Product.seller_id ==
                                                                    ShopPaymentSettings.seller_id)
                               .where(Product.title == "Sầu riêng Ri6"))
    assert durian.cod_enabled is False and durian.has_bank


def test_seed_reuses_the_catalogs_products(runner, app):
    runner.invoke(args=["seed-demo"])  # people first
    from market.orders.seed import product_for

    existing = product_for("0903000002", "Cà phê Robusta rang mộc", "bag", "coffee", 1, 1)
    assert db.session.scalar(sa.select(sa.func.count(Product.id)).where(
        Product.title == "Cà phê Robusta rang mộc")) == 1
    assert existing.price_vnd == 120_000
