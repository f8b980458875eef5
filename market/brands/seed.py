"""Demo brand: "Ami kao Durian" of Ea Knuếc, made by the commune's KOL H'Hà Niê (0903000001), over her shop
and its Ri6 and Monthong durians, with two demo buyers following it. Idempotent: the brand is found by its
address, photos by their content hash (the drawings are deterministic), rows by their keys.

``add_product_to_demo_brand(product)`` puts another product (the co-op lot) under the demo brand.
"""

from __future__ import annotations

import io
import math
import random

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageDraw, ImageFilter

from market.accounts.models import Commune, SellerProfile, SellerStatus, User
from market.accounts.service import normalize_phone
from market.brands.models import Brand, BrandPhoto, BrandProduct, BrandShop, Follow, FollowKind
from market.catalog import images
from market.catalog.models import Product, ProductStatus
from market.extensions import db

DEMO_SLUG = "ami-kao-durian"
DEMO_NAME = "Ami kao Durian"
KOL_PHONE = "0903000001"
COMMUNE_SLUG = "ea-knuec"
STORY = (
    "“Ami kao” là tiếng Ê Đê, nghĩa là “mẹ tôi”. Ami kao Durian — sầu riêng của mẹ tôi — là tên chung của "
    "sầu riêng nhiều vườn trong xã Ea Knuếc: những cây Ri6 và Monthong các mẹ, các chị trong buôn trồng và "
    "chăm từ hơn mười lăm năm nay.\n\n"
    "Trái được cắt khi đủ tuổi, để chín tự nhiên, đóng thùng ngay tại vườn. Mỗi phiên live, KOL của xã "
    "giới thiệu từng vườn và từng gia đình góp trái."
)
PRODUCT_TITLES = ["Sầu riêng Ri6", "Sầu riêng Monthong"]
# (buyer phone, what they follow): the second follows the commune too, to show one alert per person.
FOLLOWERS = [("0904000001", FollowKind.BRAND), ("0904000002", FollowKind.BRAND), ("0904000002", FollowKind.COMMUNE)]
W, H = 1200, 900


# ---- drawings --------------------------------------------------------------------------------------------


def _sky_and_hills(rng: random.Random) -> Image.Image:
    im = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(im)
    for y in range(H):
        t = y / H
        draw.line([(0, y), (W, y)], fill=(int(150 + 80 * t), int(200 + 30 * t), int(235 - 60 * t)))
    for k, color in enumerate([(120, 160, 90), (85, 130, 65)]):
        base = 430 + k * 90
        pts = [(x, base + 40 * math.sin(x / (170 + 60 * k) + rng.random())) for x in range(0, W + 20, 20)]
        draw.polygon([(0, H), *pts, (W, H)], fill=color)
    return im


def _orchard(variant: int) -> bytes:
    rng = random.Random(f"ami-kao-{variant}")
    im = _sky_and_hills(rng)
    draw = ImageDraw.Draw(im)
    if variant == 0:  # rows of durian trees with fruit hanging
        for row in range(3):
            y = 520 + row * 120
            for col in range(6):
                x = 90 + col * 210 + (row % 2) * 100 + rng.randrange(-20, 20)
                r = 90 - row * 8
                draw.rectangle((x - 10, y - 10, x + 10, y + r), fill=(95, 70, 40))
                draw.ellipse((x - r, y - r * 1.6, x + r, y + r * 0.3), fill=(40 + row * 10, 110 - row * 5, 45))
                for _ in range(3):
                    fx, fy = x + rng.randrange(-r // 2, r // 2), y - rng.randrange(0, r)
                    draw.ellipse(
                        (fx - 16, fy - 20, fx + 16, fy + 20), fill=(150, 165, 60), outline=(90, 110, 30), width=3
                    )
    else:  # a crate of durians at the garden's edge
        draw.rectangle((250, 520, 950, 820), fill=(170, 120, 70), outline=(110, 75, 40), width=8)
        for x in range(250, 951, 140):
            draw.line([(x, 520), (x, 820)], fill=(120, 85, 50), width=6)
        for k in range(6):
            cx, cy = 330 + k * 110 + rng.randrange(-10, 10), 500 + rng.randrange(-20, 20)
            draw.ellipse((cx - 70, cy - 85, cx + 70, cy + 85), fill=(140, 160, 55), outline=(80, 100, 30), width=5)
            for _ in range(30):
                a, d = rng.random() * 2 * math.pi, rng.random() ** 0.5
                x, y = cx + math.cos(a) * 60 * d, cy + math.sin(a) * 75 * d
                draw.polygon([(x, y - 9), (x - 7, y + 6), (x + 7, y + 6)], fill=(100, 125, 40))
    im = im.filter(ImageFilter.GaussianBlur(1.2))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


# ---- the demo brand --------------------------------------------------------------------------------------


def _kol() -> SellerProfile | None:
    user = db.session.scalar(sa.select(User).where(User.phone == normalize_phone(KOL_PHONE)))
    profile = user.seller_profile if user is not None else None
    return profile if profile is not None and profile.status == SellerStatus.APPROVED else None


def demo_brand() -> Brand | None:
    """The demo brand, made if missing (None when the demo KOL is not there: run the accounts seed first)."""
    brand = db.session.scalar(sa.select(Brand).where(Brand.slug == DEMO_SLUG))
    if brand is not None:
        return brand
    kol = _kol()
    if kol is None:
        return None
    brand = Brand(commune_id=kol.commune_id, kol_id=kol.id, name=DEMO_NAME, slug=DEMO_SLUG, story=STORY)
    db.session.add(brand)
    db.session.flush()
    db.session.add(BrandShop(brand_id=brand.id, seller_id=kol.id))
    db.session.flush()
    return brand


def _photos(brand: Brand) -> None:
    if brand.photos:
        return
    media_dir = current_app.config["MEDIA_DIR"]
    for position, variant in enumerate((0, 1)):
        photo = images.prepare(_orchard(variant), f"ami-kao-{variant}.jpg", media_dir)
        images.save(photo, media_dir)
        brand.photos.append(
            BrandPhoto(image_hash=photo.digest, width=photo.width, height=photo.height, position=position)
        )
    db.session.flush()


def add_product_to_demo_brand(product: Product) -> BrandProduct:
    """Put ``product`` under "Ami kao Durian" (its shop too, when it is an open shop of Ea Knuếc and not
    under the brand yet). Idempotent; for other areas' seeds (the co-op lot)."""
    brand = demo_brand()
    if brand is None:
        raise LookupError("the demo brand needs the demo KOL 0903000001: run the accounts seed first")
    shop = product.seller
    member = db.session.scalar(
        sa.select(BrandShop).where(BrandShop.brand_id == brand.id, BrandShop.seller_id == shop.id)
    )
    if member is None:
        if shop.commune_id != brand.commune_id or shop.status != SellerStatus.APPROVED:
            raise ValueError(f"{shop.shop_name!r} is not an open shop of the brand's commune")
        db.session.add(BrandShop(brand_id=brand.id, seller_id=shop.id))
    row = db.session.scalar(
        sa.select(BrandProduct).where(BrandProduct.brand_id == brand.id, BrandProduct.product_id == product.id)
    )
    if row is None:
        row = BrandProduct(brand_id=brand.id, product_id=product.id)
        db.session.add(row)
    db.session.flush()
    return row


def _follow(phone: str, kind: FollowKind, target_id: int) -> None:
    user = db.session.scalar(sa.select(User).where(User.phone == normalize_phone(phone)))
    if user is None:
        return
    exists = db.session.scalar(
        sa.select(Follow.id).where(
            Follow.user_id == user.id, Follow.target_type == kind.value, Follow.target_id == target_id
        )
    )
    if exists is None:
        db.session.add(Follow(user_id=user.id, target_type=kind.value, target_id=target_id))


def seed() -> list[tuple[str, str, str]]:
    brand = demo_brand()
    if brand is None:
        return []
    _photos(brand)
    for title in PRODUCT_TITLES:
        product = db.session.scalar(
            sa.select(Product)
            .where(Product.seller_id == brand.kol_id, Product.title == title, Product.status == ProductStatus.APPROVED)
            .order_by(Product.id)
        )
        if product is not None:
            add_product_to_demo_brand(product)
    commune = db.session.scalar(sa.select(Commune).where(Commune.slug == COMMUNE_SLUG))
    for phone, kind in FOLLOWERS:
        if kind == FollowKind.BRAND:
            _follow(phone, kind, brand.id)
        elif commune is not None:
            _follow(phone, kind, commune.id)
    db.session.flush()
    return []
