"""Demo orders in several states and the demo buyers' addresses (the shops' payment settings: payments/seed.py).

Products are found (or made) by (shop, title) with the catalog seed's titles, so this seed and the catalog's
run in either order without duplicates. Orders use fixed idempotency keys: running it again changes nothing.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from market.accounts.models import User
from market.accounts.service import normalize_phone
from market.catalog.models import Product, ProductStatus
from market.domain import DomainError
from market.extensions import db
from market.orders.checkout import Address, apply_address, save_address
from market.orders.models import Order
from market.orders.payment import gateway
from market.orders.service import Line, place_order, transition
from market.orders.states import Actor, OrderStatus
from market.text import fold, slugify

log = logging.getLogger(__name__)

# (seller phone, title, unit, category, price, stock) — the catalog seed's titles
PRODUCTS = [
    ("0903000001", "Sầu riêng Ri6", "kg", "durian", 85_000, 500),
    ("0903000002", "Cà phê Robusta rang mộc", "bag", "coffee", 120_000, 200),
    ("0903000003", "Khăn thổ cẩm", "piece", "brocade", 250_000, 40),
]
ADDRESSES = {
    "0904000001": Address("Hoàng Thị Hoa", "+84904000001", "25 Nguyễn Tất Thành", "Phường Tân Lợi", "Đắk Lắk"),
    "0904000002": Address("Nguyễn Văn Nam", "+84904000002", "Thôn 3", "Xã Hòa Thắng", "Đắk Lắk"),
}
# key, buyer, product title, qty, method, steps after placing, extras
ORDERS = [
    ("seed-order-01", "0904000001", "Cà phê Robusta rang mộc", 2, "cod", [], {}),
    ("seed-order-02", "0904000001", "Khăn thổ cẩm", 1, "vietqr", [], {}),
    ("seed-order-03", "0904000002", "Cà phê Robusta rang mộc", 1, "cod", ["packed"], {}),
    (
        "seed-order-04",
        "0904000002",
        "Khăn thổ cẩm",
        2,
        "vietqr",
        ["paid", "confirmed", "packed", "shipped"],
        {"carrier": "Viettel Post", "tracking": "VTP260112345"},
    ),
    (
        "seed-order-05",
        "0904000001",
        "Cà phê Robusta rang mộc",
        3,
        "cod",
        ["packed", "shipped", "paid", "delivered", "review"],
        {"carrier": "GHN", "tracking": "GHN88776655"},
    ),
    ("seed-order-06", "0904000002", "Sầu riêng Ri6", 2, "vietqr", ["paid"], {}),
    ("seed-order-07", "0904000001", "Sầu riêng Ri6", 3, "vietqr", ["cancelled"], {}),
    # ordered in two taps during a live: no address, no way to pay yet — finished from the order page
    ("seed-order-08", "0904000002", "Sầu riêng Ri6", 2, None, [], {"origin": "live"}),
]


def _user(phone: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.phone == normalize_phone(phone)))


def product_for(seller_phone: str, title: str, unit: str, category: str, price: int, stock: int) -> Product | None:
    """The shop's product with this title, made (approved, in stock) when the catalog seed has not yet."""
    seller = _user(seller_phone)
    if seller is None or seller.seller_profile is None:
        return None
    profile = seller.seller_profile
    product = db.session.scalar(sa.select(Product).where(Product.seller_id == profile.id, Product.title == title))
    if product is None:
        product = Product(
            seller_id=profile.id,
            title=title,
            slug=slugify(title),
            unit=unit,
            category=category,
            price_vnd=price,
            stock=stock,
            status=ProductStatus.APPROVED,
            search_text=fold(f"{title} {profile.shop_name} {profile.commune.name}"),
            origin=profile.commune.name,
        )
        db.session.add(product)
        db.session.flush()
    return product


def _walk(order: Order, steps: list[str], extras: dict[str, str]) -> None:
    from market.orders.reviews import submit

    seller = order.seller.user
    for step in steps:
        if step == "paid":
            gateway().mark_paid(order, seller, Actor.SELLER)
        elif step == "review":
            submit(order, order.buyer, 5, "Cà phê thơm, rang vừa, giao nhanh. Sẽ ủng hộ tiếp!")
        elif step == "cancelled":
            transition(
                order,
                OrderStatus.CANCELLED,
                actor=seller,
                role=Actor.SELLER,
                reason="Mưa lớn, chưa thu hoạch kịp. Xin lỗi bạn!",
            )
        else:
            if step == "shipped":
                order.carrier, order.tracking_code = extras.get("carrier"), extras.get("tracking")
            if order.status != step:
                transition(order, step, actor=seller, role=Actor.SELLER)


def seed() -> list[tuple[str, str, str]]:
    products = {
        title: product_for(phone, title, unit, cat, price, stock) for phone, title, unit, cat, price, stock in PRODUCTS
    }
    for phone, address in ADDRESSES.items():
        buyer = _user(phone)
        if buyer is not None:
            save_address(buyer, address)
    for key, buyer_phone, title, qty, method, steps, extras in ORDERS:
        buyer, product = _user(buyer_phone), products.get(title)
        if buyer is None or product is None:
            continue
        try:
            with db.session.begin_nested():
                placed = place_order(
                    buyer, [Line("product", product.id, qty)], key, origin=extras.get("origin", "cart")
                )
                if not placed.created:
                    continue
                if method:
                    apply_address(placed.order, ADDRESSES[buyer_phone])
                    gateway().choose(placed.order, method, buyer)
                _walk(placed.order, steps, extras)
        except DomainError as err:  # e.g. the catalog seed left less stock than this order needs
            log.warning("demo order %s skipped: %s", key, err.message)
    db.session.flush()
    return []
