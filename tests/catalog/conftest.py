"""Catalog factories: products in any state, and image files (good, bad and hostile) made in memory."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw

from market.extensions import db


def jpeg_bytes(
    size=(640, 480),
    color=(200, 60, 40),
    orientation: int | None = None,
    gps: bool = False,
    quality: int = 90,
    marker: bool = True,
    icc: bytes | None = None,
    comment: bytes | None = None,
) -> bytes:
    """A JPEG whose top-left corner is marked blue (to see where it ends up after turning)."""
    im = Image.new("RGB", size, color)
    if marker:
        ImageDraw.Draw(im).rectangle((0, 0, size[0] // 4, size[1] // 4), fill=(0, 0, 255))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N"
        gps_ifd[2] = (12.0, 41.0, 30.0)
        gps_ifd[3] = "E"
        gps_ifd[4] = (108.0, 12.0, 5.0)
        exif[0x010F] = "PhoneMaker"
    buf = io.BytesIO()
    kwargs = {"quality": quality}
    if orientation or gps:
        kwargs["exif"] = exif
    if icc:
        kwargs["icc_profile"] = icc
    if comment:
        kwargs["comment"] = comment
    im.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def png_bytes(size=(300, 200), mode="RGBA") -> bytes:
    im = Image.new(mode, size, (0, 128, 0, 0) if mode == "RGBA" else (0, 128, 0))
    ImageDraw.Draw(im).ellipse(
        (20, 20, size[0] - 20, size[1] - 20), fill=(250, 200, 0, 255) if mode == "RGBA" else (250, 200, 0)
    )
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def webp_bytes(size=(300, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, "WEBP")
    return buf.getvalue()


def png_bomb(width=40_000, height=40_000) -> bytes:
    """A tiny valid-looking PNG that declares a huge canvas: the header alone is the attack."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# A Photoshop file header (version 1, 3 channels, 1×1, 8 bits, RGB) and an empty rest: what a designer renames.
PSD = b"8BPS\x00\x01" + b"\x00" * 6 + b"\x00\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00\x08\x00\x03" + b"\x00" * 16


def with_xmp(
    jpeg: bytes,
    xmp: bytes = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>'
    b"<exif:GPSLatitude>12,41.5N</exif:GPSLatitude></rdf:RDF></x:xmpmeta>",
) -> bytes:
    """The JPEG with an XMP packet (an APP1 segment after SOI), as phone galleries and editors write it."""
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    return jpeg[:2] + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def valid_listing(**overrides) -> dict:
    data = {
        "title": "Sầu riêng Ri6",
        "category": "durian",
        "unit": "kg",
        "price": "85.000",
        "stock": "50",
        "min_order_qty": "1",
        "description": "Cơm vàng, hạt lép.",
        "origin": "Ea Knuếc",
        "harvest_date": "",
        "ocop_stars": "",
        "ocop_certificate_no": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_product(app, make_seller, make_staff):
    """``make_product(seller=None, status="approved", photos=1, **fields)`` through the real service: form fields
    (title, price "85.000" …) are checked by clean_listing; other keyword arguments are set on the product."""
    from flask import current_app

    from market.catalog import images, lifecycle
    from market.catalog.listing_input import clean_listing
    from market.catalog.models import ProductStatus

    counter = iter(range(1, 10_000))
    reviewers = []

    def factory(seller=None, status=ProductStatus.APPROVED, photos: int = 1, staff=None, **fields):
        seller = seller or make_seller()
        n = next(counter)
        form_keys = set(valid_listing())
        data = clean_listing(valid_listing(**{k: v for k, v in fields.items() if k in form_keys}))
        plan = []
        for i in range(photos):
            photo = images.prepare(
                jpeg_bytes((64, 48), color=((n * 37 + i * 11) % 256, 90, 40)),
                f"p{i}.jpg",
                current_app.config["MEDIA_DIR"],
            )
            images.save(photo, current_app.config["MEDIA_DIR"])
            plan.append(photo)
        product = lifecycle.create_listing(
            seller.seller_profile, data, plan, by=seller, submit_now=status != ProductStatus.DRAFT
        )
        if status in (ProductStatus.APPROVED, ProductStatus.REJECTED):
            if staff is None:
                if not reviewers:
                    reviewers.append(make_staff(admin=True, name="Quản trị"))
                staff = reviewers[0]
            if status == ProductStatus.APPROVED:
                lifecycle.approve(product, staff)
            else:
                lifecycle.reject(product, staff, "Ảnh chưa rõ")
        elif status == ProductStatus.ARCHIVED:
            lifecycle.archive(product, seller)
        for key, value in fields.items():
            if key not in form_keys:
                setattr(product, key, value)
        db.session.flush()
        return product

    return factory
