"""flask seed-demo: "Ami kao Durian" of Ea Knuếc, with photos, H'Hà Niê's durians (and her co-op lot) and two
followers; twice is once."""

import sqlalchemy as sa

from market.brands.models import Brand, BrandPhoto, BrandProduct, BrandShop, Follow
from market.brands.seed import add_product_to_demo_brand
from market.extensions import db
from market.notifications.models import Notification
from tests.brands.conftest import count

TABLES = (Brand, BrandPhoto, BrandShop, BrandProduct, Follow)


def test_seed_makes_the_demo_brand_once(app, runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    brand = db.session.scalar(sa.select(Brand))
    assert (brand.name, brand.slug, brand.commune.name) == ("Ami kao Durian", "ami-kao-durian", "Ea Knuếc")
    assert brand.kol.user.display_name == "H'Hà Niê" and brand.kol.user.phone == "+84903000001"
    assert "mẹ tôi" in brand.story and "Ê Đê" in brand.story
    assert len(brand.photos) == 2
    titles = {p.title for p in db.session.scalars(sa.select(BrandProduct)).all() for p in [p.product]}
    assert titles == {"Sầu riêng Ri6", "Sầu riêng Monthong", "Sầu riêng Ri6 — vụ 2026"}
    assert count(Follow) == 3
    # the demo live session started in the same seed: its followers were told once each
    notified = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "follow.live_started"))
    assert len(list(notified)) == 2
    counts = [count(m) for m in TABLES]
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert [count(m) for m in TABLES] == counts

    html = client.get("/b/ami-kao-durian").get_data(as_text=True)
    assert "Sầu riêng Ri6" in html and "Sầu riêng Monthong" in html and "vụ 2026" in html and "2 người theo dõi" in html
    assert 'href="/b/ami-kao-durian"' in client.get("/").get_data(as_text=True)
    assert 'href="/b/ami-kao-durian"' in client.get("/c/ea-knuec").get_data(as_text=True)


def test_other_seeds_can_put_a_product_under_the_demo_brand(app, runner, make_product):
    runner.invoke(args=["seed-demo"])
    brand = db.session.scalar(sa.select(Brand))
    lot = make_product(seller=brand.kol.user, title="Sầu riêng Ri6 — vụ 2026")
    row = add_product_to_demo_brand(lot)
    assert add_product_to_demo_brand(lot).id == row.id
    assert db.session.scalar(sa.select(sa.func.count(BrandProduct.id)).where(BrandProduct.product_id == lot.id)) == 1
