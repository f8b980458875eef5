"""Demo listings for the demo sellers, with photos drawn by Pillow and sent through the real pipeline.

Idempotent: a listing is found by its shop and title; its photos by their content hash (the drawings are
deterministic, so running the seed again stores nothing new).
"""

from __future__ import annotations

import io
import math
import random
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageDraw, ImageFilter

from market.accounts.models import SellerProfile, User
from market.accounts.service import normalize_phone
from market.catalog import images
from market.catalog.lifecycle import approve, create_listing
from market.catalog.listing_input import clean_listing
from market.catalog.models import Product
from market.extensions import db

W, H = 1200, 900

# (seller phone, title, category, unit, price, stock, min order, origin, days since harvest, OCOP, description,
#  approved?)
LISTINGS = [
    (
        "0903000001",
        "Sầu riêng Ri6",
        "durian",
        "kg",
        85_000,
        800,
        2,
        "Buôn Ea Knuếc, Krông Pắc, Đắk Lắk",
        3,
        None,
        "Sầu riêng Ri6 chín cây, cơm vàng, ráo, hạt lép. Cắt cuống khi trái đủ tuổi, giao trong 48 giờ.\n"
        "Đóng thùng xốp 2 trái, có phiếu bảo hành cơm.",
        True,
    ),
    (
        "0903000001",
        "Sầu riêng Monthong",
        "durian",
        "kg",
        95_000,
        500,
        2,
        "Buôn Ea Knuếc, Krông Pắc, Đắk Lắk",
        5,
        (4, "OCOP-DL-2025-0412"),
        "Sầu riêng Monthong (Dona) múi to, cơm dày, vị ngọt béo. Vườn canh tác theo VietGAP.",
        True,
    ),
    (
        "0903000001",
        "Bơ sáp 034",
        "avocado",
        "kg",
        45_000,
        300,
        1,
        "Ea Knuếc, Đắk Lắk",
        7,
        None,
        "Bơ 034 trái dài, vỏ mỏng, cơm vàng dẻo. Hái già, để 3-4 ngày là chín.",
        True,
    ),
    (
        "0903000002",
        "Cà phê Robusta rang mộc",
        "coffee",
        "bag",
        120_000,
        200,
        1,
        "Quảng Phú, Cư M'gar, Đắk Lắk",
        40,
        (3, "OCOP-DL-2024-0153"),
        "Túi 500 g. Robusta hái chín trên 90 %, phơi giàn, rang mộc không tẩm. Xay sẵn hoặc nguyên hạt.",
        True,
    ),
    (
        "0903000002",
        "Hồ tiêu đen Quảng Phú",
        "pepper",
        "kg",
        150_000,
        120,
        1,
        "Quảng Phú, Đắk Lắk",
        60,
        None,
        "Tiêu đen hạt chắc, phơi nắng tự nhiên, cay thơm. Đóng túi zip 1 kg.",
        True,
    ),
    (
        "0903000002",
        "Mật ong hoa cà phê",
        "honey",
        "box",
        180_000,
        60,
        1,
        "Quảng Phú, Đắk Lắk",
        20,
        None,
        "Hộp 2 chai 500 ml. Mật ong nuôi trong vườn cà phê mùa hoa tháng Giêng.",
        False,
    ),
    (
        "0903000003",
        "Khăn thổ cẩm",
        "brocade",
        "piece",
        250_000,
        40,
        1,
        "Xuân Lãnh, Đắk Lắk",
        None,
        None,
        "Khăn choàng dệt tay trên khung dệt truyền thống, hoa văn Ê Đê, dài 1,6 m.",
        True,
    ),
    (
        "0903000003",
        "Vải thổ cẩm dệt tay",
        "brocade",
        "metre",
        180_000,
        80,
        1,
        "Xuân Lãnh, Đắk Lắk",
        None,
        None,
        "Vải khổ 60 cm, sợi cotton nhuộm màu tự nhiên. May túi, áo, khăn trải bàn.",
        True,
    ),
    (
        "0903000003",
        "Giỏ mây đan tay",
        "handicraft",
        "piece",
        120_000,
        25,
        1,
        "Xuân Lãnh, Đắk Lắk",
        None,
        None,
        "Giỏ mây đan bởi các cụ trong buôn, đường kính 30 cm, dùng đi chợ hoặc trang trí.",
        True,
    ),
]


# ---- drawings ---------------------------------------------------------------------------------------------


def _background(rng: random.Random, top, bottom) -> Image.Image:
    im = Image.new("RGB", (W, H), top)
    draw = ImageDraw.Draw(im)
    for y in range(H):
        t = y / H
        draw.line([(0, y), (W, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    for _ in range(40):  # soft dapples of light, so the photo does not look flat
        x, y, r = rng.randrange(W), rng.randrange(H), rng.randrange(30, 120)
        tint = tuple(min(255, c + 18) for c in im.getpixel((x, y)))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tint)
    return im.filter(ImageFilter.GaussianBlur(18))


def _durian(draw, rng, cx, cy, rx, ry, open_=False):
    for _i in range(120):  # spikes all over the husk
        a = rng.random() * 2 * math.pi
        d = rng.random() ** 0.5
        x, y = cx + math.cos(a) * rx * d, cy + math.sin(a) * ry * d
        s = rng.randrange(10, 18)
        draw.polygon(
            [(x, y - s), (x - s * 0.7, y + s * 0.6), (x + s * 0.7, y + s * 0.6)],
            fill=(rng.randrange(90, 120), rng.randrange(120, 150), 40),
        )
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), outline=(70, 95, 30), width=6)
    draw.rectangle((cx - 8, cy - ry - 60, cx + 8, cy - ry), fill=(95, 75, 40))
    if open_:
        for k in range(3):
            px = cx - rx * 0.45 + k * rx * 0.45
            draw.ellipse((px - 55, cy - 40, px + 55, cy + 70), fill=(245, 205, 80), outline=(220, 170, 40), width=4)


def _bean(draw, cx, cy, size, angle, color):
    pts = []
    for i in range(24):
        t = i / 24 * 2 * math.pi
        x, y = math.cos(t) * size, math.sin(t) * size * 0.7
        pts.append((cx + x * math.cos(angle) - y * math.sin(angle), cy + x * math.sin(angle) + y * math.cos(angle)))
    draw.polygon(pts, fill=color)
    dx, dy = math.cos(angle) * size * 0.8, math.sin(angle) * size * 0.8
    draw.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=(40, 22, 10), width=max(2, size // 6))


def _draw(category: str, variant: int, seed: str) -> bytes:
    rng = random.Random(f"{seed}-{variant}")
    if category == "durian":
        im = _background(rng, (170, 205, 120), (95, 140, 70))
        draw = ImageDraw.Draw(im)
        _durian(draw, rng, 430, 480, 230, 280, open_=variant == 1)
        _durian(draw, rng, 820, 520, 200, 240)
    elif category == "avocado":
        im = _background(rng, (225, 235, 200), (150, 180, 120))
        draw = ImageDraw.Draw(im)
        for k in range(4 if variant == 0 else 2):
            cx, cy = 260 + k * 230 + rng.randrange(-30, 30), 470 + rng.randrange(-60, 60)
            draw.ellipse((cx - 95, cy - 150, cx + 95, cy + 150), fill=(40, 90, 35), outline=(25, 60, 20), width=5)
            if variant == 1:
                draw.ellipse((cx - 75, cy - 120, cx + 75, cy + 125), fill=(215, 220, 120))
                draw.ellipse((cx - 40, cy - 10, cx + 40, cy + 75), fill=(120, 75, 35))
    elif category == "coffee":
        im = _background(rng, (205, 175, 130), (150, 115, 80))
        draw = ImageDraw.Draw(im)
        if variant == 0:
            for _ in range(260):
                _bean(
                    draw,
                    rng.randrange(W),
                    rng.randrange(H),
                    rng.randrange(22, 34),
                    rng.random() * math.pi,
                    (rng.randrange(70, 110), rng.randrange(40, 60), rng.randrange(20, 35)),
                )
        else:
            draw.rounded_rectangle((420, 160, 780, 780), radius=30, fill=(175, 130, 85), outline=(120, 85, 50), width=6)
            draw.rectangle((450, 380, 750, 540), fill=(240, 230, 210))
            draw.ellipse((560, 420, 640, 500), fill=(90, 50, 25))
            for _ in range(40):
                _bean(draw, rng.randrange(200, 1000), rng.randrange(790, 880), 24, rng.random() * math.pi, (85, 50, 28))
    elif category == "pepper":
        im = _background(rng, (225, 215, 195), (180, 165, 140))
        draw = ImageDraw.Draw(im)
        for _ in range(900 if variant == 0 else 400):
            x, y, r = rng.gauss(W / 2, 260), rng.gauss(H / 2, 170), rng.randrange(9, 14)
            g = rng.randrange(25, 60)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(g, g - 10 if g > 10 else g, 15))
    elif category == "honey":
        im = _background(rng, (250, 225, 150), (215, 160, 60))
        draw = ImageDraw.Draw(im)
        for k in range(2):
            x = 380 + k * 300
            draw.rounded_rectangle(
                (x, 260, x + 220, 760), radius=40, fill=(230, 150, 30), outline=(170, 100, 20), width=6
            )
            draw.rectangle((x + 40, 200, x + 180, 262), fill=(120, 70, 30))
            draw.rectangle((x + 25, 430, x + 195, 560), fill=(250, 240, 215))
    elif category == "brocade":
        im = Image.new("RGB", (W, H), (25, 20, 25))
        draw = ImageDraw.Draw(im)
        colors = [(180, 30, 35), (235, 190, 60), (240, 240, 230), (30, 90, 150), (25, 20, 25)]
        rng.shuffle(colors)
        band = 60 if variant == 0 else 90
        for row, y in enumerate(range(0, H, band)):
            color = colors[(row + variant) % len(colors)]
            draw.rectangle((0, y, W, y + band - 8), fill=color)
            accent = colors[(row + 2) % len(colors)]
            for x in range(0, W, band):
                m = band // 2 - 6
                draw.polygon([(x + m, y + 4), (x + 2 * m, y + m), (x + m, y + 2 * m - 4), (x, y + m)], fill=accent)
    else:  # handicraft and anything else: a woven basket
        im = _background(rng, (235, 225, 205), (190, 170, 140))
        draw = ImageDraw.Draw(im)
        draw.ellipse((250, 200, 950, 800), fill=(170, 120, 60), outline=(110, 75, 35), width=8)
        for k in range(0, 700, 36):
            draw.arc((250 + k // 3, 200 + k // 3, 950 - k // 3, 800 - k // 3), 0, 360, fill=(130, 90, 45), width=6)
        for a in range(0, 360, 15):
            t = math.radians(a)
            draw.line([(600, 500), (600 + 350 * math.cos(t), 500 + 300 * math.sin(t))], fill=(140, 95, 50), width=4)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


# ---- the seed -----------------------------------------------------------------------------------------------


def _approver(profile: SellerProfile) -> User:
    """Staff of the shop's commune (the accounts seed made one per commune), else the admin."""
    from market.accounts.models import StaffAssignment

    staff = db.session.scalar(
        sa.select(User)
        .join(StaffAssignment, StaffAssignment.user_id == User.id)
        .where(StaffAssignment.commune_id == profile.commune_id)
        .order_by(User.id)
        .limit(1)
    )
    return staff or db.session.scalar(sa.select(User).where(User.is_admin.is_(True)).order_by(User.id).limit(1))


def listing(
    user: User,
    title: str,
    category: str,
    unit: str,
    price: int,
    stock: int,
    description: str,
    min_qty: int = 1,
    origin: str = "",
    days: int | None = None,
    ocop: tuple | None = None,
    approved: bool = True,
) -> Product:
    """One demo listing of an approved seller, found by shop and title or made through the real service: checked
    like a seller's form, two drawn photos through the pipeline, search words indexed, approved by commune staff.
    Other areas' seeds use it for the products they need."""
    profile = user.seller_profile
    existing = db.session.scalar(sa.select(Product).where(Product.seller_id == profile.id, Product.title == title))
    if existing is not None:
        return existing
    media_dir = current_app.config["MEDIA_DIR"]
    data = clean_listing(
        {
            "title": title,
            "description": description,
            "category": category,
            "unit": unit,
            "price": price,
            "stock": stock,
            "min_order_qty": min_qty,
            "origin": origin,
            "harvest_date": (date.today() - timedelta(days=days)).isoformat() if days is not None else "",
            "ocop_stars": ocop[0] if ocop else "",
            "ocop_certificate_no": ocop[1] if ocop else "",
        }
    )
    photos = [images.prepare(_draw(category, v, title), f"{category}-{v}.jpg", media_dir) for v in range(2)]
    product = create_listing(profile, data, photos, by=user, submit_now=True)
    for photo in photos:
        images.save(photo, media_dir)
    if approved:
        approve(product, _approver(profile))
    return product


def seed() -> list[tuple[str, str, str]]:
    for phone, title, category, unit, price, stock, min_qty, origin, days, ocop, description, approved in LISTINGS:
        user = db.session.scalar(sa.select(User).where(User.phone == normalize_phone(phone)))
        if user is None or user.seller_profile is None:
            continue
        listing(
            user,
            title,
            category,
            unit,
            price,
            stock,
            description,
            min_qty=min_qty,
            origin=origin,
            days=days,
            ocop=ocop,
            approved=approved,
        )
    db.session.flush()
    return []
