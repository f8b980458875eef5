"""Brand factories: a commune with its KOL, brands made through the real service, photos, follows; SMS cleared."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from market.extensions import db
from tests.catalog.conftest import jpeg_bytes, make_product  # noqa: F401 - approved listings with photos

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _clear_sms():
    from market.notifications.sms import LogSms

    LogSms.sent.clear()
    yield
    LogSms.sent.clear()


@pytest.fixture
def commune(make_commune):
    return make_commune("Ea Knuếc")


@pytest.fixture
def kol(make_seller, commune):
    """H'Hà Niê, approved seller verified as the KOL of Ea Knuếc."""
    return make_seller(commune=commune, shop_name="Vườn sầu riêng Ea Knuếc", is_kol=True, name="H'Hà Niê")


@pytest.fixture
def make_brand(app, kol):
    """``make_brand(kol=None, name=…, slug=None, story=…, photos=0)`` → a Brand made by the service."""
    from flask import current_app

    from market.brands import service
    from market.catalog import images

    def factory(
        kol_user=None,
        name: str | None = None,
        slug: str | None = None,
        story: str = "Sầu riêng của mẹ tôi.",
        photos: int = 0,
    ):
        kol_user = kol_user or kol
        n = next(_names)
        plan = []
        for i in range(photos):
            photo = images.prepare(
                jpeg_bytes((80, 60), color=((n * 41 + i * 13) % 256, 120, 60)),
                f"b{i}.jpg",
                current_app.config["MEDIA_DIR"],
            )
            images.save(photo, current_app.config["MEDIA_DIR"])
            plan.append(photo)
        data = service.BrandInput(name=name or f"Ami kao Durian {n}", slug=slug, story=story)
        return service.create_brand(kol_user, data, plan)

    return factory


@pytest.fixture
def brand(make_brand):
    return make_brand(name="Ami kao Durian", slug="ami-kao-durian", photos=2)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
