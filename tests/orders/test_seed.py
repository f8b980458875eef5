import sqlalchemy as sa

from market.catalog.models import Product
from market.extensions import db
from market.orders.models import Order, Review
from market.payments.models import ShopPaymentSettings


def counts():
    return [
        db.session.scalar(sa.select(sa.func.count()).select_from(m))
        for m in (Product, Order, Review, ShopPaymentSettings)
    ]


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
    durian = db.session.scalar(
        sa.select(ShopPaymentSettings)
        .join(Product, Product.seller_id == ShopPaymentSettings.seller_id)
        .where(Product.title == "Sầu riêng Ri6")
    )
    assert durian.cod_enabled is False and durian.has_bank


def test_every_demo_order_names_a_payment_method_that_exists(runner, client, login):
    """The demo's card order was seeded as "card" (no such method): its page read "Thanh toán: None"."""
    from market.accounts.models import User
    from market.payments import METHODS

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    methods = set(db.session.scalars(sa.select(Order.payment_method).where(Order.payment_method.is_not(None))))
    assert methods and methods <= set(METHODS), methods - set(METHODS)
    card = db.session.scalars(sa.select(Order).where(Order.payment_method == "stripe")).first()
    login(db.session.get(User, card.buyer_id))
    html = client.get(f"/orders/{card.id}").get_data(as_text=True)
    assert "Thanh toán: Thẻ (Stripe)" in html and "None" not in html


def test_an_order_of_an_unknown_method_never_shows_none(client, login, make_user, make_product):
    from market.orders.service import Line, place_order

    buyer = make_user()
    placed = place_order(buyer, [Line("product", make_product().id, 1)], "unknown-method-1")
    placed.order.payment_method = "card"  # a method no longer offered
    db.session.flush()
    login(buyer)
    html = client.get(f"/orders/{placed.order.id}").get_data(as_text=True)
    assert '<h2 id="pay-h">Thanh toán</h2>' in html and "None" not in html


def test_seed_reuses_the_catalogs_products(runner, app):
    runner.invoke(args=["seed-demo"])  # people first
    from market.orders.seed import product_for

    existing = product_for("0903000002", "Cà phê Robusta rang mộc", "bag", "coffee", 1, 1)
    assert (
        db.session.scalar(sa.select(sa.func.count(Product.id)).where(Product.title == "Cà phê Robusta rang mộc")) == 1
    )
    assert existing.price_vnd == 120_000
