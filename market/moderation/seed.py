"""Demo data for the staff area: a shop waiting for review, a buyer's report, a month of orders in Ea Knuếc
so the dashboard has something to show, a listing waiting in the review queue, and a word in Ea Knuếc's chat
filter (the catalog seed's Monthong durian claims OCOP 4★: the claim to verify). Idempotent; uses the
listings of the catalog seed when they exist."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from market.accounts.models import Commune, SellerProfile, SellerStatus, User
from market.accounts.passwords import hash_password
from market.accounts.seed import DEMO_PASSWORD
from market.accounts.service import normalize_phone, unique_shop_slug
from market.database import utcnow
from market.extensions import db
from market.moderation.models import Report, ReportStatus
from market.text import fold, slugify

PENDING_SELLER = (
    "0903000004",
    "Y Điêng Mlô",
    "Hồ tiêu Y Điêng",
    "Tôi trồng hồ tiêu và cà phê xen canh ở Ea Knuếc, phơi tiêu trên sân nhà.",
)
KOL_PHONE = "0903000001"
BUYERS = ("0904000001", "0904000002")
# (days ago, [(product index, qty)], final status, payment method, paid online)
DEMO_ORDERS = [
    (27, [(0, 10)], "delivered", "cod", False),
    (25, [(1, 4)], "delivered", "vietqr", True),
    (22, [(0, 6), (1, 2)], "delivered", "cod", False),
    (19, [(0, 20)], "delivered", "vietqr", True),
    (15, [(1, 5)], "delivered", "cod", False),
    (12, [(0, 8)], "delivered", "stripe", True),
    (9, [(0, 3)], "cancelled", "cod", False),
    (6, [(1, 6)], "shipped", "vietqr", True),
    (4, [(0, 12)], "delivered", "cod", False),
    (2, [(0, 5)], "confirmed", "cod", False),
    (1, [(1, 2)], "pending", "vietqr", False),
]
_PATH = {
    "confirmed": ["confirmed"],
    "shipped": ["confirmed", "packed", "shipped"],
    "delivered": ["confirmed", "packed", "shipped", "delivered"],
    "cancelled": ["cancelled"],
    "pending": [],
}


def _user(phone: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.phone == normalize_phone(phone)))


def _pending_seller() -> tuple[str, str, str]:
    phone, name, shop, story = PENDING_SELLER
    user = _user(phone)
    if user is None:
        user = User(
            phone=normalize_phone(phone), display_name=name, password_hash=hash_password(DEMO_PASSWORD), locale="vi"
        )
        db.session.add(user)
        db.session.flush()
    if user.seller_profile is None:
        commune = db.session.scalar(sa.select(Commune).where(Commune.slug == "ea-knuec"))
        db.session.add(
            SellerProfile(
                user=user,
                commune=commune,
                shop_name=shop,
                slug=unique_shop_slug(shop),
                story=story,
                status=SellerStatus.PENDING,
            )
        )
        db.session.flush()
    return ("seller · pending review", phone, f"{name} — {shop}")


def _products(profile: SellerProfile) -> list:
    from market.catalog.models import Product, ProductStatus

    products = list(
        db.session.scalars(
            sa.select(Product)
            .where(Product.seller_id == profile.id, Product.status == ProductStatus.APPROVED)
            .order_by(Product.id)
        )
    )
    if len(products) >= 2:
        return products
    now = utcnow()
    for title, price, description in [
        ("Sầu riêng Ri6 Ea Knuếc", 79_000, "Sầu riêng Ri6 chín cây, cơm vàng, hạt lép."),
        ("Sầu riêng Monthong", 95_000, "Monthong cơm dày, ngọt đậm, cắt theo đơn."),
    ][len(products) :]:
        product = Product(
            seller_id=profile.id,
            title=title,
            slug=slugify(title),
            description=description,
            category="durian",
            unit="kg",
            price_vnd=price,
            stock=2_000,
            status=ProductStatus.APPROVED,
            submitted_at=now - timedelta(days=40),
            approved_at=now - timedelta(days=26),
            origin="Ea Knuếc, Krông Pắc, Đắk Lắk",
            search_text=fold(f"{title} {description}"),
        )
        db.session.add(product)
        products.append(product)
    db.session.flush()
    return products


def _orders(products: list) -> None:
    from market.orders.models import Order, OrderEvent
    from market.orders.service import Line, find_by_key, place_order, transition
    from market.orders.states import Actor

    kol = _user(KOL_PHONE)
    buyers = [_user(p) for p in BUYERS]
    if kol is None or not all(buyers):
        return
    now = utcnow()
    for i, (days_ago, lines, final, method, paid) in enumerate(DEMO_ORDERS):
        buyer = buyers[i % len(buyers)]
        key = f"demo-dashboard-{i:03d}"
        if find_by_key(buyer.id, key) is not None:
            continue
        order = place_order(
            buyer, [Line("product", products[p].id, qty) for p, qty in lines], key, payment_method=method
        ).order
        for status in _PATH[final]:
            transition(
                order,
                status,
                actor=kol,
                role=Actor.SELLER,
                reason="Khách đổi ý, đã gọi điện xác nhận" if status == "cancelled" else None,
            )
        placed_at = now - timedelta(days=days_ago, hours=3)
        changed_at = placed_at + timedelta(days=min(days_ago, 3) if final != "pending" else 0, hours=1)
        db.session.execute(
            sa.update(Order)
            .where(Order.id == order.id)
            .values(
                created_at=placed_at,
                status_changed_at=changed_at,
                paid_at=placed_at if paid else None,
                hold_expires_at=None if final != "pending" else now + timedelta(minutes=30),
            )
        )
        db.session.execute(sa.update(OrderEvent).where(OrderEvent.order_id == order.id).values(created_at=changed_at))
    db.session.flush()


def _report(products: list) -> None:
    buyer = _user(BUYERS[1])
    if buyer is None or not products:
        return
    exists = db.session.scalar(
        sa.select(Report.id).where(Report.reporter_id == buyer.id, Report.target_type == "product")
    )
    if exists is None:
        product = products[0]
        db.session.add(
            Report(
                reporter_id=buyer.id,
                target_type="product",
                target_id=product.id,
                target_label=product.title,
                commune_id=product.seller.commune_id,
                category="fake",
                text="Ảnh trên trang không giống sầu riêng tôi nhận được lần trước.",
                status=ReportStatus.OPEN,
            )
        )
        db.session.flush()


PENDING_LISTING = (
    "Sầu riêng Ri6 loại 2 (trái nhỏ)",
    59_000,
    300,
    "Trái 1,5–2 kg, cơm vàng như loại 1, giá mềm hơn. Hái chín cây, giao trong 48 giờ.",
)
FILTER_WORD = "kiếm tiền online"


def _pending_listing(profile: SellerProfile, products: list) -> None:
    """A listing in the review queue, with the photos of the shop's Ri6 (already stored: nothing is drawn)."""
    from market.catalog import lifecycle, listing_input
    from market.catalog.images import PhotoFile
    from market.catalog.models import Product

    title, price, stock, description = PENDING_LISTING
    if db.session.scalar(sa.select(Product.id).where(Product.seller_id == profile.id, Product.title == title)):
        return
    photos = [PhotoFile(p.image_hash, p.width, p.height) for p in (products[0].photos if products else [])][:2]
    if not photos:
        return
    data = listing_input.clean_listing(
        {
            "title": title,
            "description": description,
            "category": "durian",
            "unit": "kg",
            "price": price,
            "stock": stock,
            "min_order_qty": 2,
            "origin": "Buôn Ea Knuếc, Krông Pắc, Đắk Lắk",
        }
    )
    lifecycle.create_listing(profile, data, photos, by=profile.user, submit_now=True)
    db.session.flush()


def _filter_word(commune_id: int) -> None:
    from market.moderation.live.service import clean_word
    from market.moderation.models import ChatFilterWord

    word, folded = clean_word(FILTER_WORD)
    if (
        db.session.scalar(
            sa.select(ChatFilterWord.id).where(ChatFilterWord.commune_id == commune_id, ChatFilterWord.folded == folded)
        )
        is None
    ):
        staff = db.session.scalar(sa.select(User).where(User.phone == normalize_phone("0902000001")))
        db.session.add(
            ChatFilterWord(
                commune_id=commune_id,
                word=word,
                folded=folded,
                created_by_id=staff.id if staff else None,
                created_at=utcnow(),
            )
        )
        db.session.flush()


def seed() -> list[tuple[str, str, str]]:
    logins = [_pending_seller()]
    kol = _user(KOL_PHONE)
    if kol is not None and kol.seller_profile is not None:
        products = _products(kol.seller_profile)
        _orders(products)
        _report(products)
        _pending_listing(kol.seller_profile, products)
        _filter_word(kol.seller_profile.commune_id)
    return logins
