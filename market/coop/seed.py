"""The demo co-op lot: "Sầu riêng Ri6 — vụ 2026" of the Ea Knuếc KOL, six households, sold by the fruit
(~3 kg), with a few orders weighed, paid by transfer and delivered so the payout report shows real figures.

Idempotent: the lot is found by its shop and title, households by name, orders by their fixed keys.
``demo_lot()`` gives the lot's product id (the brands seed attaches it to "Ami kao Durian").
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from market.accounts.models import User
from market.accounts.service import normalize_phone
from market.catalog import images
from market.catalog.models import Product, ProductStatus
from market.coop import service
from market.coop.models import CoopLot
from market.domain import DomainError
from market.extensions import db

log = logging.getLogger(__name__)

KOL_PHONE = "0903000001"
TITLE = "Sầu riêng Ri6 — vụ 2026"
LISTING = {
    "title": TITLE,
    "category": "durian",
    "sold_by_weight": "1",
    "unit": "fruit",
    "piece_weight": "3",
    "price_per_kg": "85.000",
    "weight_tolerance": "10",
    "min_order_qty": "1",
    "shipping_vnd_per_kg": "5.000",
    "origin": "Các buôn của xã Ea Knuếc, Krông Pắc, Đắk Lắk",
    "description": "Sầu riêng Ri6 của nhiều hộ trong xã, gom về một vựa, cắt chín cây, bán theo trái. "
    "Mỗi trái khoảng 3 kg; khi đóng hàng chúng tôi cân từng trái và tính đúng theo cân.",
}
# (name, village, phone, (bank BIN, account, holder) or None, [(kg, days ago)])
HOUSEHOLDS = [
    ("Y Bhin Niê", "Buôn Ea Knuếc", "0912000101", ("970405", "5201205000101", "Y BHIN NIE"), [("30", 24)]),
    ("H'Lim Mlô", "Buôn Ea Knuếc", None, None, [("21", 22)]),
    ("Nguyễn Văn Tâm", "Thôn 3", "0912000103", ("970418", "31410000010300", "NGUYEN VAN TAM"), [("45", 20), ("15", 6)]),
    ("H'Ra Êban", "Buôn Kram", "0912000104", None, [("60", 18)]),
    ("Trần Thị Hạnh", "Thôn 5", "0912000105", ("970436", "1023000105", "TRAN THI HANH"), [("90", 15)]),
    ("Y Sơn Kbuôr", "Buôn Kram", None, None, [("120", 10)]),
]
# key, buyer phone, fruits, weighed kg for the line, delivered?
ORDERS = [
    ("seed-coop-01", "0904000001", 3, "9,4", True),
    ("seed-coop-02", "0904000002", 4, "12,3", True),
    ("seed-coop-03", "0904000001", 2, "5,8", True),
    ("seed-coop-04", "0904000002", 3, "8,7", True),
    ("seed-coop-05", "0904000001", 2, None, False),  # ordered: waits to be weighed (the transfer QR comes after)
]


def _user(phone: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.phone == normalize_phone(phone)))


def demo_lot() -> int | None:
    """The product id of the demo co-op lot (None until the seed has run)."""
    kol = _user(KOL_PHONE)
    if kol is None or kol.seller_profile is None:
        return None
    return db.session.scalar(
        sa.select(Product.id)
        .join(CoopLot, CoopLot.product_id == Product.id)
        .where(Product.seller_id == kol.seller_profile.id, Product.title == TITLE)
    )


def _lot(kol: User) -> CoopLot | None:
    product_id = demo_lot()
    if product_id is not None:
        return service.lot_of_product(product_id)
    from market.catalog.lifecycle import approve
    from market.catalog.seed import _approver, _draw

    profile = kol.seller_profile
    if profile is None:  # the KOL has no shop: nothing to sell a lot from
        return None
    media_dir = current_app.config["MEDIA_DIR"]
    photos = [images.prepare(_draw("durian", v, TITLE), f"durian-lot-{v}.jpg", media_dir) for v in range(2)]
    raw = {**LISTING, "harvest_date": (date.today() - timedelta(days=5)).isoformat()}
    lot = service.create_lot(profile, kol, raw, photos)
    for photo in photos:
        images.save(photo, media_dir)
    approve(lot.product, _approver(profile))
    return lot


def _households(lot: CoopLot) -> None:
    known = {hh.name for hh in lot.households}
    today = date.today()
    for name, village, phone, bank, contributions in HOUSEHOLDS:
        if name in known:
            continue
        (kg, days), *more = contributions
        raw = {
            "name": name,
            "village": village,
            "phone": phone or "",
            "kg": kg,
            "contributed_on": (today - timedelta(days=days)).isoformat(),
            "bank_bin": bank[0] if bank else "",
            "account_number": bank[1] if bank else "",
            "account_holder": bank[2] if bank else "",
        }
        hh = service.add_household(lot, raw)
        for kg_more, days_more in more:
            service.add_contribution(
                hh, {"kg": kg_more, "contributed_on": (today - timedelta(days=days_more)).isoformat()}
            )
    db.session.expire(lot)


def _orders(lot: CoopLot, kol: User) -> None:
    from market.orders import weights
    from market.orders.checkout import Address, apply_address, saved_address
    from market.orders.payment import gateway
    from market.orders.service import Line, place_order, transition
    from market.orders.states import Actor, OrderStatus

    for key, buyer_phone, fruits, kg, delivered in ORDERS:
        buyer = _user(buyer_phone)
        address = saved_address(buyer) if buyer is not None else None
        if buyer is None or address is None:
            continue
        try:
            with db.session.begin_nested():
                placed = place_order(buyer, [Line("product", lot.product_id, fruits)], key)
                if not placed.created:
                    continue
                order = placed.order
                apply_address(
                    order, Address(address.name, address.phone, address.street, address.commune, address.province)
                )
                gateway().choose(order, "vietqr", buyer)
                if kg is None:
                    continue
                weights.weigh(order, kol, Actor.SELLER, {f"weight-{order.items[0].id}": kg})
                gateway().mark_paid(order, kol, Actor.SELLER)
                if delivered:
                    transition(order, OrderStatus.PACKED, actor=kol, role=Actor.SELLER)
                    order.carrier, order.tracking_code = "Viettel Post", f"VTP26{key[-2:]}0088"
                    transition(order, OrderStatus.SHIPPED, actor=kol, role=Actor.SELLER)
                    transition(order, OrderStatus.DELIVERED, actor=kol, role=Actor.SELLER)
        except DomainError as err:
            log.warning("demo co-op order %s skipped: %s", key, err.message)


def seed() -> list[tuple[str, str, str]]:
    kol = _user(KOL_PHONE)
    if kol is None or kol.seller_profile is None or not kol.seller_profile.is_approved:
        return []
    lot = _lot(kol)
    if lot is None or lot.product.status != ProductStatus.APPROVED:
        return []
    _households(lot)
    _orders(lot, kol)
    db.session.flush()
    return []
