"""flask seed-demo: approved demo listings with real photos in MEDIA_DIR, safe to run twice."""

from pathlib import Path

import sqlalchemy as sa

from market.catalog.models import Product, ProductPhoto, ProductStatus
from market.extensions import db


def test_seed_lists_the_demo_products_with_photos(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    products = {p.title: p for p in db.session.scalars(sa.select(Product))}
    expected = [
        ("Sầu riêng Ri6", "Ea Knuếc", "kg"),
        ("Sầu riêng Monthong", "Ea Knuếc", "kg"),
        ("Cà phê Robusta rang mộc", "Quảng Phú", "bag"),
        ("Khăn thổ cẩm", "Xuân Lãnh", "piece"),
    ]
    for title, commune, unit in expected:
        product = products[title]
        assert product.status == ProductStatus.APPROVED and product.commune.name == commune and product.unit == unit
        assert len(product.photos) == 2
        for photo in product.photos:
            for size in (320, 800, 1600):
                for ext in ("webp", "jpg"):
                    name = f"p/{photo.image_hash[:2]}/{photo.image_hash[2:4]}/{photo.image_hash}-{size}.{ext}"
                    assert (Path(app.config["MEDIA_DIR"]) / name).is_file()
    assert len(products) >= 6
    # something for staff to review (titles may repeat across shops, so ask the database, not the dict)
    assert db.session.scalar(sa.select(sa.func.count(Product.id)).where(Product.status == ProductStatus.PENDING_REVIEW))
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Product, ProductPhoto)]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert counts == [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Product, ProductPhoto)]


def test_demo_search_finds_ri6_without_diacritics(app, runner, client):
    runner.invoke(args=["seed-demo"])
    html = client.get("/search?q=sau+rieng").get_data(as_text=True)
    assert "Sầu riêng Ri6" in html and "Sầu riêng Monthong" in html
