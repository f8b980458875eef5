"""Co-op lot factories: a KOL shop, a lot made through the real service, households, delivered sales."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from market.extensions import db
from tests.orders.fixtures import ADDRESS, buyer  # noqa: F401

_keys = itertools.count(1)


@pytest.fixture
def make_kol(make_seller):
    """``make_kol(bank=True)``: an approved KOL shop taking cash on delivery (confirmed at once) and VietQR."""
    from market.payments.models import ShopPaymentSettings

    def factory(bank: bool = True, **kw):
        user = make_seller(is_kol=True, shop_name=kw.pop("shop_name", "Vườn sầu riêng Ea Knuếc"), **kw)
        db.session.add(
            ShopPaymentSettings(
                seller_id=user.seller_profile.id,
                cod_enabled=True,
                cod_auto_confirm=True,
                bank_bin="970405" if bank else None,
                account_number="5201205123456" if bank else None,
                account_holder="H HA NIE" if bank else None,
            )
        )
        db.session.flush()
        return user

    return factory


@pytest.fixture
def kol(make_kol):
    return make_kol()


LOT = {
    "title": "Sầu riêng Ri6 — vụ 2026",
    "category": "durian",
    "sold_by_weight": "1",
    "unit": "piece",
    "piece_weight": "3",
    "price_per_kg": "85.000",
    "weight_tolerance": "10",
    "min_order_qty": "1",
    "shipping_vnd_per_kg": "5.000",
    "description": "",
    "origin": "Ea Knuếc",
}


@pytest.fixture
def make_lot(app, kol):
    """``make_lot(seller=None, approved=True, **fields)`` → a CoopLot (by default by the fruit, ~3 kg, 85.000/kg)."""
    from market.catalog.models import ProductStatus
    from market.coop import service

    def factory(seller=None, approved: bool = True, **fields):
        seller = seller or kol
        lot = service.create_lot(seller.seller_profile, seller, {**LOT, **fields}, [])
        if approved:
            lot.product.status = ProductStatus.APPROVED
        db.session.flush()
        return lot

    return factory


@pytest.fixture
def lot(make_lot):
    return make_lot()


BANK = {"bank_bin": "970418", "account_number": "31410000010300", "account_holder": "Nguyễn Văn Tâm"}


def add_household(lot, name="Y Bhin Niê", kg="30", days_ago=10, bank=False, **extra):
    from market.coop import service

    raw = {
        "name": name,
        "village": "Buôn Ea Knuếc",
        "phone": "",
        "kg": kg,
        "contributed_on": (date.today() - timedelta(days=days_ago)).isoformat(),
        **(BANK if bank else {}),
        **extra,
    }
    return service.add_household(lot, raw)


@pytest.fixture
def sell(app, kol):
    """``sell(lot, buyer, fruits, kg=None, deliver=True)``: a cash-on-delivery order weighed at ``kg`` (the
    estimate when None), packed, shipped and delivered through the real services."""
    from market.orders import weights
    from market.orders.checkout import apply_address, clean_address
    from market.orders.payment import gateway
    from market.orders.service import Line, place_order, transition
    from market.orders.states import Actor, OrderStatus

    def factory(lot, customer, qty: int, kg: str | None = None, deliver: bool = True):
        seller = lot.product.seller.user
        order = place_order(customer, [Line("product", lot.product_id, qty)], f"coop-{next(_keys):08d}").order
        apply_address(order, clean_address(*ADDRESS.values()))
        gateway().choose(order, "cod", customer)
        if order.weight_status:
            est = order.items[0].estimated_weight_g / 1000
            weights.weigh(order, seller, Actor.SELLER, {f"weight-{order.items[0].id}": kg or str(est)})
        if deliver:
            transition(order, OrderStatus.PACKED, actor=seller, role=Actor.SELLER)
            order.carrier = "Viettel Post"
            transition(order, OrderStatus.SHIPPED, actor=seller, role=Actor.SELLER)
            transition(order, OrderStatus.DELIVERED, actor=seller, role=Actor.SELLER)
        db.session.flush()
        return order

    return factory
