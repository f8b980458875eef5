"""Property 19: small bodies everywhere but the photo routes, field limits on urlencoded bodies too (413 with a
message, before the view runs); the upload cap only on the routes that take photos."""

from __future__ import annotations

import io
import time

import pytest

from tests.conftest import csrf_token

FORM = "application/x-www-form-urlencoded"


def test_a_600_kb_field_to_the_anonymous_login_is_413_with_a_message(client):
    token = csrf_token(client, "/login")
    started = time.perf_counter()
    resp = client.post(
        "/login", data=f"csrf_token={token}&phone=0912345678&password=" + "x" * 600_000, content_type=FORM
    )
    assert resp.status_code == 413
    assert "Biểu mẫu này gửi nhiều dữ liệu hơn mức cho phép" in resp.get_data(as_text=True)
    assert time.perf_counter() - started < 1


def test_a_field_over_100_kb_inside_a_body_under_1_mb_is_413(client):
    resp = client.post("/login", data="phone=" + "1" * 150_000, content_type=FORM)
    assert resp.status_code == 413


def test_more_than_1000_fields_is_413_even_when_small(client):
    resp = client.post("/login", data="&".join(f"f{i}=" for i in range(2000)), content_type=FORM)
    assert resp.status_code == 413


def test_1_2_million_tiny_fields_are_refused_fast(client):
    body = b"a=&" * 1_200_000
    started = time.perf_counter()
    resp = client.post("/login", data=body, content_type=FORM)
    elapsed = time.perf_counter() - started
    assert resp.status_code == 413
    assert elapsed < 0.5, f"{elapsed:.2f} s"  # refused on Content-Length, nothing parsed (audit: 0.94 s)


def test_a_json_body_over_1_mb_to_the_api_is_413_json(client):
    resp = client.post(
        "/api/v1/auth/token", data=b'{"phone": "' + b"1" * 1_100_000 + b'"}', content_type="application/json"
    )
    assert resp.status_code == 413 and resp.get_json()["error"] == "too_large"


def test_multipart_to_a_route_without_uploads_is_held_to_1_mb(client):
    resp = client.post(
        "/login",
        data={"phone": "0912345678", "f": (io.BytesIO(b"\0" * 1_200_000), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 413


@pytest.fixture
def seller_client(client, make_seller, login):
    seller = make_seller()
    login(seller)
    return client


def test_the_photo_routes_take_more_than_1_mb_and_refuse_25_mb_before_the_view(app, seller_client, monkeypatch):
    from market.catalog import sell

    called = []
    monkeypatch.setattr(sell, "save_new_listing", lambda *a, **k: called.append(1) or ("view ran", 200))
    token = csrf_token(seller_client, "/sell/products/new")
    big = seller_client.post(
        "/sell/products/new",
        data={"csrf_token": token, "photos": (io.BytesIO(b"\0" * 25 * 1024 * 1024), "huge.jpg")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 413 and called == []
    assert "Ảnh gửi lên lớn hơn mức cho phép (tổng cộng 20 MB)" in big.get_data(as_text=True)
    two_mb = seller_client.post(
        "/sell/products/new",
        data={"csrf_token": token, "photos": (io.BytesIO(b"\0" * 2 * 1024 * 1024), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert two_mb.status_code != 413 and called == [1]  # under the upload cap: the view ran
