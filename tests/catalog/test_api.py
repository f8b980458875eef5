"""GET /api/v1/products and /api/v1/products/<id>: public, approved listings only, absolute links."""

import pytest

from market.catalog.models import ProductStatus


@pytest.fixture
def listed(make_product, make_commune, make_seller):
    ea = make_seller(commune=make_commune("Ea Knuếc"), shop_name="Vườn H'Hà")
    xl = make_seller(commune=make_commune("Xuân Lãnh"), shop_name="Tổ dệt")
    return {
        "ri6": make_product(
            seller=ea, title="Sầu riêng Ri6", description="Cơm vàng", ocop_stars="4", ocop_certificate_no="OCOP-9"
        ),
        "khan": make_product(seller=xl, title="Khăn thổ cẩm", category="brocade", unit="piece", price="250k"),
        "pending": make_product(seller=ea, title="Sầu riêng chưa duyệt", status=ProductStatus.PENDING_REVIEW),
        "draft": make_product(seller=ea, title="Nháp", status=ProductStatus.DRAFT),
    }


def test_list_only_approved(client, listed):
    body = client.get("/api/v1/products").get_json()
    assert body["ok"] is True and body["total"] == 2 and body["page"] == 1 and body["pages"] == 1
    assert {p["title"] for p in body["products"]} == {"Sầu riêng Ri6", "Khăn thổ cẩm"}


def test_search_and_filters(client, listed):
    assert [p["title"] for p in client.get("/api/v1/products?q=SAU%20rieng").get_json()["products"]] == [
        "Sầu riêng Ri6"
    ]
    assert [p["title"] for p in client.get("/api/v1/products?category=brocade").get_json()["products"]] == [
        "Khăn thổ cẩm"
    ]
    assert [p["title"] for p in client.get("/api/v1/products?commune=xuan-lanh").get_json()["products"]] == [
        "Khăn thổ cẩm"
    ]
    body = client.get("/api/v1/products?per_page=1&page=2").get_json()
    assert body["pages"] == 2 and len(body["products"]) == 1 and body["per_page"] == 1


def test_product_json_shape(app, client, listed):
    site = app.config["SITE_URL"]
    ri6 = listed["ri6"]
    body = client.get(f"/api/v1/products/{ri6.id}").get_json()
    p = body["product"]
    assert p["id"] == ri6.id and p["price_vnd"] == 85_000 and isinstance(p["price_vnd"], int)
    assert p["url"] == f"{site}/p/{ri6.id}-sau-rieng-ri6"
    assert p["unit"] == "kg" and p["category"] == "durian" and p["stock"] == 50
    assert p["commune"] == {"slug": "ea-knuec", "name": "Ea Knuếc", "province": "Đắk Lắk"}
    assert p["shop"]["url"] == f"{site}/s/{ri6.seller.slug}"
    assert p["ocop"] == {
        "stars": 4,
        "certificate_no": "OCOP-9",
        "state": "claimed",
        "verified": False,
        "expires_on": None,
    }
    assert p["description"] == "Cơm vàng"
    photo = p["photos"][0]
    assert set(photo["variants"]) == {"320", "800", "1600"}
    assert photo["variants"]["320"]["webp"].startswith(f"{site}/media/p/")
    assert photo["variants"]["320"]["jpeg"].endswith("-320.jpg")
    media = client.get(photo["variants"]["800"]["webp"].removeprefix(site))
    assert media.status_code == 200 and media.headers["Content-Type"] == "image/webp"


@pytest.mark.parametrize("key", ["pending", "draft"])
def test_unapproved_products_are_404(client, listed, key):
    resp = client.get(f"/api/v1/products/{listed[key].id}")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"
    assert resp.get_json()["message"] == "Sản phẩm này không tồn tại hoặc không còn bán."


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "per_page=1000",
        "category=guns",
        "commune=nowhere",
        "page=" + "9" * 5000,
        "per_page=" + "1" * 5000,
        "page=%C2%B2",
        "page=1.0",
        "per_page=%EF%BC%91",
    ],
)  # "²" (int() refuses it), "１"
def test_bad_arguments_are_400_json(client, listed, query):
    resp = client.get(f"/api/v1/products?{query}")
    assert resp.status_code == 400 and resp.get_json()["error"] == "invalid"


def test_unknown_id_is_404(client):
    assert client.get("/api/v1/products/424242").status_code == 404
