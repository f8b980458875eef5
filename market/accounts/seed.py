"""Demo people and places: the communes of the public reports, staff, sellers and buyers."""

from __future__ import annotations

import sqlalchemy as sa

from market.accounts.models import Commune, SellerProfile, SellerStatus, User
from market.accounts.passwords import hash_password
from market.accounts.service import assign_staff, unique_shop_slug
from market.database import utcnow
from market.extensions import db
from market.text import slugify

DEMO_PASSWORD = "chophien123"  # noqa: S105 - the documented demo password

COMMUNES = [
    ("Ea Knuếc", "Đắk Lắk", "Xã có sầu riêng Ri6 và Monthong; một phiên livestream bán 60 tấn sầu riêng."),
    ("Xuân Lãnh", "Đắk Lắk", "Làng dệt thổ cẩm và nông sản miền núi."),
    ("Quảng Phú", "Đắk Lắk", "Vùng cà phê Robusta."),
    ("Nam Ka", "Đắk Lắk", "Mật ong và nông sản ven hồ Lắk."),
    ("Tân Lập", "Đắk Lắk", "Cà phê, hồ tiêu và bơ."),
    ("Buôn Ma Thuột", "Đắk Lắk", "Thủ phủ cà phê."),
    ("Tân An", "Đắk Lắk", "Nông sản và đặc sản địa phương."),
    ("Phú Yên", "Đắk Lắk", "Nông sản và hải sản."),
    ("Tủa Sín Chải", "Lai Châu", "Chè Shan tuyết cổ thụ và thổ cẩm."),
]

ADMIN = ("0901000001", "Quản trị Chợ Phiên")
# (phone, name, commune, shop, story, is_kol)
SELLERS = [
    (
        "0903000001",
        "H'Hà Niê",
        "Ea Knuếc",
        "Vườn sầu riêng Ea Knuếc",
        "Gia đình tôi trồng sầu riêng Ri6 và Monthong ở Ea Knuếc hơn 15 năm. Tôi là KOL của xã.",
        True,
    ),
    (
        "0903000002",
        "Trần Văn Phú",
        "Quảng Phú",
        "Cà phê Quảng Phú",
        "Cà phê Robusta hái chín, rang mộc tại xưởng nhỏ của gia đình.",
        False,
    ),
    (
        "0903000003",
        "H'Lan Êban",
        "Xuân Lãnh",
        "Tổ dệt thổ cẩm Xuân Lãnh",
        "Mười hai chị em dệt thổ cẩm bằng khung dệt truyền thống.",
        False,
    ),
]
BUYERS = [("0904000001", "Hoàng Thị Hoa"), ("0904000002", "Nguyễn Văn Nam")]


def staff_phone(index: int) -> str:
    return f"09020000{index + 1:02d}"


def _user(phone: str, name: str, pw_hash: str) -> tuple[User, bool]:
    from market.accounts.service import normalize_phone

    e164 = normalize_phone(phone)
    user = db.session.scalar(sa.select(User).where(User.phone == e164))
    if user:
        return user, False
    user = User(phone=e164, display_name=name, password_hash=pw_hash, locale="vi")
    db.session.add(user)
    db.session.flush()
    return user, True


def seed() -> list[tuple[str, str, str]]:
    """Create what is missing; return (role, phone, name) of the demo logins."""
    pw_hash = hash_password(DEMO_PASSWORD)
    logins: list[tuple[str, str, str]] = []
    communes: dict[str, Commune] = {}
    for name, province, description in COMMUNES:
        slug = slugify(name)
        commune = db.session.scalar(sa.select(Commune).where(Commune.slug == slug))
        if commune is None:
            commune = Commune(name=name, province=province, slug=slug, description=description)
            db.session.add(commune)
        communes[name] = commune
    db.session.flush()

    admin, _ = _user(*ADMIN, pw_hash)
    admin.is_admin = True
    admin.is_staff = True
    logins.append(("admin", ADMIN[0], ADMIN[1]))

    for i, (name, _province, _d) in enumerate(COMMUNES):
        phone = staff_phone(i)
        staff, _ = _user(phone, f"Cán bộ xã {name}", pw_hash)
        assign_staff(staff, communes[name])
        logins.append((f"staff · {name}", phone, staff.display_name))

    for phone, name, commune_name, shop, story, is_kol in SELLERS:
        user, _ = _user(phone, name, pw_hash)
        if user.seller_profile is None:
            db.session.add(
                SellerProfile(
                    user=user,
                    commune=communes[commune_name],
                    shop_name=shop,
                    slug=unique_shop_slug(shop),
                    story=story,
                    status=SellerStatus.APPROVED,
                    is_kol=is_kol,
                    reviewed_at=utcnow(),
                )
            )
        logins.append(("seller · KOL" if is_kol else "seller", phone, f"{name} — {shop}"))

    for phone, name in BUYERS:
        _user(phone, name, pw_hash)
        logins.append(("buyer", phone, name))
    db.session.flush()
    return logins
