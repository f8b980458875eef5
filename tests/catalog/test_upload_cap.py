"""Property 24: a seller's photos are capped per day (``PHOTO_UPLOADS_PER_DAY``): the upload over the cap is
answered 429 with a message, before any photo is decoded, and logged in the security log."""

from __future__ import annotations

import logging

import pytest

from tests.catalog.conftest import jpeg_bytes
from tests.catalog.test_sell import post_listing, products_of, seller  # noqa: F401 - fixture


@pytest.fixture
def small_cap(app):
    saved = app.config["PHOTO_UPLOADS_PER_DAY"]
    app.config["PHOTO_UPLOADS_PER_DAY"] = 3
    yield 3
    app.config["PHOTO_UPLOADS_PER_DAY"] = saved


def test_the_upload_over_the_daily_cap_is_429_with_a_message(app, client, seller, small_cap, caplog, monkeypatch):  # noqa: F811
    from market.catalog import images

    photo = jpeg_bytes((64, 48))
    assert post_listing(client, title="Một", files=[("a.jpg", photo), ("b.jpg", photo)]).status_code == 302
    decoded = []
    real_prepare = images.prepare
    monkeypatch.setattr(images, "prepare", lambda *a, **k: decoded.append(1) or real_prepare(*a, **k))
    with caplog.at_level(logging.WARNING, logger="market.security"):
        over = post_listing(client, title="Hai", files=[("c.jpg", photo), ("d.jpg", photo)])  # 2 + 2 > 3
    assert over.status_code == 429
    assert "Hôm nay bạn đã tải lên đủ 3 ảnh" in over.get_data(as_text=True)
    assert decoded == [] and len(products_of(seller)) == 1  # refused before any work, nothing saved
    assert any(
        "event=upload_refused" in r.getMessage() and "reason=daily_cap" in r.getMessage() for r in caplog.records
    )
    # what still fits is taken; a listing without new photos is never refused
    assert post_listing(client, title="Ba", files=[("e.jpg", photo)]).status_code == 302
    assert post_listing(client, title="Bốn", action="draft").status_code == 302
    json_over = post_listing(client, title="Năm", files=[("f.jpg", photo)], headers={"Accept": "application/json"})
    assert json_over.status_code == 429 and json_over.get_json()["error"] == "rate_limited"


def test_the_default_cap_is_a_day_of_real_work():
    from market.config import load_config

    assert load_config(__import__("pathlib").Path("/tmp"), {"SECRET_KEY": "x" * 32})["PHOTO_UPLOADS_PER_DAY"] == 100
