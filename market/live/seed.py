"""Demo live sessions: Ea Knuếc is live now with a pinned durian offer; two other communes' KOLs are coming up.

Products are found or created by (seller, title) with the catalog seed's titles, so either seed may run first.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from market.accounts.models import Commune, SellerProfile, SellerStatus, User
from market.accounts.passwords import hash_password
from market.accounts.seed import DEMO_PASSWORD
from market.accounts.service import normalize_phone, unique_shop_slug
from market.catalog.models import Product
from market.database import utcnow
from market.extensions import db
from market.text import slugify

VN = ZoneInfo("Asia/Ho_Chi_Minh")
KOL_PHONE = "0903000001"
# (phone, name, commune, shop, story) — KOLs of other communes, hosting upcoming sessions.
OTHER_KOLS = [
    (
        "0905000001",
        "Lò Thị Sính",
        "Tủa Sín Chải",
        "Chè Shan tuyết Tủa Sín Chải",
        "Chè Shan tuyết cổ thụ hái tay trên núi cao, sao bằng chảo gang.",
    ),
    (
        "0905000002",
        "Y Khoa Niê",
        "Nam Ka",
        "Mật ong hồ Lắk",
        "Mật ong hoa cà phê, nuôi ong ven hồ Lắk, không pha đường.",
    ),
]
# (phone, title, category, unit, price, stock, description)
PRODUCTS = [
    (KOL_PHONE, "Sầu riêng Ri6", "durian", "kg", 95_000, 2_000, "Sầu riêng Ri6 chín cây, cơm vàng, hạt lép."),
    (KOL_PHONE, "Sầu riêng Monthong", "durian", "kg", 110_000, 800, "Monthong cơm dày, ngọt đậm."),
    ("0905000001", "Chè Shan tuyết cổ thụ", "other", "bag", 250_000, 300, "Túi 500 g."),
    ("0905000002", "Mật ong hoa cà phê", "honey", "bag", 180_000, 200, "Chai 1 lít."),
]


def _user(phone: str, name: str) -> User:
    e164 = normalize_phone(phone)
    user = db.session.scalar(sa.select(User).where(User.phone == e164))
    if user is None:
        user = User(phone=e164, display_name=name, password_hash=hash_password(DEMO_PASSWORD), locale="vi")
        db.session.add(user)
        db.session.flush()
    return user


def _kol(phone: str, name: str, commune_name: str, shop: str, story: str) -> User:
    user = _user(phone, name)
    if user.seller_profile is None:
        commune = db.session.scalar(sa.select(Commune).where(Commune.slug == slugify(commune_name)))
        db.session.add(
            SellerProfile(
                user=user,
                commune=commune,
                shop_name=shop,
                slug=unique_shop_slug(shop),
                story=story,
                status=SellerStatus.APPROVED,
                is_kol=True,
                reviewed_at=utcnow(),
            )
        )
        db.session.flush()
        db.session.refresh(user)
    return user


def _product(seller: User, title: str, category: str, unit: str, price: int, stock: int, description: str) -> Product:
    """The catalog's own demo listing (photos, search words, approval), or the one it already made."""
    from market.catalog.seed import listing

    return listing(seller, title, category, unit, price, stock, description)


def _at(days: int, hour: int) -> datetime:
    day = datetime.now(VN).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, 0), tzinfo=VN)


def seed() -> list[tuple[str, str, str]]:
    from market.live.models import LiveSession, SessionStatus
    from market.live.offers import pin_offer
    from market.live.sessions import start_session

    kol = db.session.scalar(sa.select(User).where(User.phone == normalize_phone(KOL_PHONE)))
    if kol is None or kol.seller_profile is None:
        return []  # the accounts seed makes her; it runs first
    sellers = {KOL_PHONE: kol}
    logins = []
    for phone, name, commune, shop, story in OTHER_KOLS:
        sellers[phone] = _kol(phone, name, commune, shop, story)
        logins.append(("seller · KOL", phone, f"{name} — {shop}"))
    products = {(phone, title): _product(sellers[phone], title, *rest) for phone, title, *rest in PRODUCTS}

    def session(host: User, title: str, url: str, when: datetime, description: str) -> tuple[LiveSession, bool]:
        existing = db.session.scalar(
            sa.select(LiveSession).where(LiveSession.seller_id == host.seller_profile.id, LiveSession.title == title)
        )
        if existing:
            return existing, False
        created = LiveSession(
            seller_id=host.seller_profile.id,
            commune_id=host.seller_profile.commune_id,
            title=title,
            description=description,
            stream_url=url,
            scheduled_at=when,
            status=SessionStatus.SCHEDULED,
        )
        db.session.add(created)
        db.session.flush()
        return created, True

    now_session, new = session(
        kol,
        "Phiên sầu riêng Ea Knuếc",
        "https://www.tiktok.com/@chophien.eaknuec/live",
        utcnow() - timedelta(minutes=10),
        "Sầu riêng Ri6 và Monthong hái sáng nay, giá tại vườn. Giao toàn quốc.",
    )
    if new:
        start_session(now_session, kol)
        ri6 = products[(KOL_PHONE, "Sầu riêng Ri6")]
        if ri6.stock < 600:
            ri6.stock = 600 + ri6.stock
            db.session.flush()
        db.session.refresh(now_session)
        pin_offer(now_session, kol, ri6.id, 79_000, 500, 20)
    session(
        sellers["0905000001"],
        "Phiên chè Shan tuyết Tủa Sín Chải",
        "https://www.facebook.com/chophien.tuasinchai/live",
        _at(1, 20),
        "Chè Shan tuyết cổ thụ vụ xuân, pha thử trực tiếp.",
    )
    session(
        sellers["0905000002"],
        "Mật ong hồ Lắk — phiên cuối tuần",
        "https://www.tiktok.com/@chophien.namka/live",
        _at(3, 19),
        "Mật ong hoa cà phê, lấy mật trực tiếp trên live.",
    )
    db.session.flush()
    return logins
