"""Fixtures shared by tests/orders, tests/payments and tests/notifications (imported by their conftests)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from market.extensions import db

_keys = itertools.count(1)


@dataclass
class Shop:
    user: object
    profile: object
    products: list

    @property
    def product(self):
        return self.products[0]


@pytest.fixture
def make_shop(app, make_seller, make_product, make_commune):
    """``make_shop(name, bank=True, cod=True, auto_confirm=True, stock=50, price=79_000)`` → Shop."""
    from market.payments.models import ShopPaymentSettings

    counter = itertools.count(1)

    def factory(
        name: str | None = None,
        *,
        bank: bool = True,
        cod: bool = True,
        auto_confirm: bool = True,
        stock: int = 50,
        price: int = 79_000,
        titles=("Cà phê Robusta rang mộc",),
        commune=None,
        unit="bag",
    ):
        n = next(counter)
        user = make_seller(shop_name=name or f"Gian hàng {n}", commune=commune, name=f"Người bán {n}")
        products = [make_product(seller=user, title=t, stock=stock, price_vnd=price, unit=unit) for t in titles]
        db.session.add(
            ShopPaymentSettings(
                seller_id=user.seller_profile.id,
                cod_enabled=cod,
                cod_auto_confirm=auto_confirm,
                bank_bin="970436" if bank else None,
                account_number="1023456789" if bank else None,
                account_holder="TRAN VAN PHU" if bank else None,
            )
        )
        db.session.flush()
        return Shop(user, user.seller_profile, products)

    return factory


@pytest.fixture
def shop(make_shop):
    return make_shop("Cà phê Quảng Phú")


@pytest.fixture
def fruit_shop(make_shop):
    """A shop selling durian by the fruit: ~3 kg each at 85.000 ₫/kg (255.000 ₫ a fruit), ±10 %."""
    shop = make_shop("Vườn sầu riêng", titles=("Sầu riêng Ri6",), unit="piece", price=255_000, stock=20)
    product = shop.product
    product.piece_weight_g, product.price_per_kg_vnd, product.weight_tolerance_pct = 3000, 85_000, 10
    db.session.flush()
    return shop


@pytest.fixture
def buyer(make_user):
    return make_user(name="Hoàng Thị Hoa")


ADDRESS = {
    "ship_name": "Hoàng Thị Hoa",
    "ship_phone": "0912 345 678",
    "ship_street": "12 Lê Lợi, thôn 3",
    "ship_commune": "Ea Knuếc",
    "ship_province": "Đắk Lắk",
}


@pytest.fixture
def place(app):
    """``place(buyer, product, qty=1, method="cod", address=True)`` → a pending (or confirmed) Order."""
    from market.orders.checkout import apply_address, clean_address
    from market.orders.payment import gateway
    from market.orders.service import Line, place_order

    def factory(
        buyer,
        product,
        qty: int = 1,
        method: str | None = "cod",
        address: bool = True,
        origin="cart",
        live_session_id=None,
    ):
        order = place_order(
            buyer,
            [Line("product", product.id, qty)],
            f"test-key-{next(_keys):06d}",
            origin=origin,
            live_session_id=live_session_id,
        ).order
        if address:
            apply_address(order, clean_address(*ADDRESS.values()))
        if method:
            gateway().choose(order, method, buyer)
        db.session.flush()
        return order

    return factory


def reload(obj):
    db.session.refresh(obj)
    return obj


def add_to_cart(client, product, qty=1, **extra):
    from tests.conftest import post_form

    return post_form(
        client, "/cart/add", {"product_id": product.id, "qty": qty, **extra}, page=f"/cart/add?product={product.id}"
    )
