"""Brand pages: a KOL makes and edits one from /sell/brands, adds shops of the commune and their products; the
public page, and the brand shown on the home, commune, shop and product pages. Bad input and other people's
brands are refused clearly with nothing written."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from market.accounts.models import SellerStatus
from market.brands.models import Brand, BrandPhoto, BrandProduct, BrandShop
from market.extensions import db
from market.notifications.models import Notification
from tests.brands.conftest import count, jpeg_bytes
from tests.conftest import post_form


def _photo(name="vuon.jpg", size=(640, 480), color=(90, 150, 60)):
    return (io.BytesIO(jpeg_bytes(size, color=color)), name)


def _brand_form(**over):
    data = {"name": "Ami kao Durian", "slug": "", "story": "“Ami kao” là “mẹ tôi” trong tiếng Ê Đê."}
    data.update(over)
    return data


# ---- making and editing ----------------------------------------------------------------------------------


def test_kol_makes_a_brand_with_photos(client, login, kol):
    login(kol)
    page = client.get("/sell/brands/new")
    assert page.status_code == 200 and "data-listing-form" in page.get_data(as_text=True)
    data = _brand_form(photos=[_photo(), _photo("trai.jpg", color=(200, 170, 60))])
    resp = post_form(client, "/sell/brands/new", data, page="/sell/brands/new", content_type="multipart/form-data")
    assert resp.status_code == 302
    brand = db.session.scalar(sa.select(Brand))
    assert (brand.name, brand.slug, brand.commune_id) == (
        "Ami kao Durian",
        "ami-kao-durian",
        kol.seller_profile.commune_id,
    )
    assert [p.position for p in brand.photos] == [0, 1] and brand.photos[0].width == 640
    assert db.session.scalar(sa.select(BrandShop.seller_id)) == kol.seller_profile.id  # her own shop is under it
    html = client.get("/b/ami-kao-durian").get_data(as_text=True)
    assert "Ami kao Durian" in html and "mẹ tôi" in html and "Ea Knuếc" in html
    assert html.count('class="gallery"') == 1 and html.count("<picture>") >= 2
    assert "KOL của Ea Knuếc" in html and "H&#39;Hà Niê" in html


def test_the_form_answers_json_for_the_upload_script(client, login, kol):
    login(kol)
    resp = post_form(
        client,
        "/sell/brands/new",
        _brand_form(name="x" * 200),
        page="/sell/brands/new",
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 400 and resp.json["errors"]["name"] == ["Tên thương hiệu dài tối đa 80 ký tự."]
    resp = post_form(
        client, "/sell/brands/new", _brand_form(), page="/sell/brands/new", headers={"Accept": "application/json"}
    )
    assert resp.json["ok"] is True and resp.json["redirect"].startswith("/sell/brands/")


def test_kol_edits_reorders_and_removes_photos(client, login, kol, brand):
    login(kol)
    first, second = brand.photos
    edit = f"/sell/brands/{brand.id}/edit"
    assert "ami-kao-durian" in client.get(edit).get_data(as_text=True)
    data = _brand_form(
        name="Ami kao Durian Ea Knuếc",
        slug="ami-kao",
        story="Mới.",
        photo_order=[f"e{second.id}", "n0"],
        remove_photo=[str(first.id)],
        photos=[_photo()],
    )
    resp = post_form(client, edit, data, page=edit, content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.expire_all()
    brand = db.session.get(Brand, brand.id)
    assert (brand.name, brand.slug, brand.story) == ("Ami kao Durian Ea Knuếc", "ami-kao", "Mới.")
    assert brand.photos[0].id == second.id and len(brand.photos) == 2
    assert count(BrandPhoto) == 2
    assert client.get("/b/ami-kao").status_code == 200 and client.get("/b/ami-kao-durian").status_code == 404


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"name": "Đ" * 10_000}, "name", "Tên thương hiệu dài tối đa 80 ký tự."),
        ({"name": " "}, "name", "Hãy đặt tên cho thương hiệu."),
        ({"slug": "Ami Kao!"}, "slug", "Dùng từ 3 đến 60 chữ thường không dấu"),
        ({"slug": "a" * 61}, "slug", "Dùng từ 3 đến 60"),
        ({"story": "x" * 5001}, "story", "Câu chuyện dài tối đa 5000 ký tự."),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_kept(client, login, kol, over, field, message):
    login(kol)
    resp = post_form(client, "/sell/brands/new", _brand_form(**over), page="/sell/brands/new")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert f'id="{field}-error"' in html and message in html
    if field != "name":
        assert 'value="Ami kao Durian"' in html  # what was typed is kept
    assert count(Brand) == 0 and count(BrandShop) == 0


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_written(client, login, kol):
    login(kol)
    data = _brand_form(photos=[(io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "a.jpg")])
    resp = post_form(client, "/sell/brands/new", data, page="/sell/brands/new", content_type="multipart/form-data")
    assert resp.status_code == 400 and 'id="photos-error"' in resp.get_data(as_text=True)
    assert count(Brand) == 0


def test_too_many_photos(client, login, kol):
    login(kol)
    data = _brand_form(photos=[_photo(f"{i}.jpg", size=(40, 30), color=(i * 30, 90, 90)) for i in range(7)])
    resp = post_form(client, "/sell/brands/new", data, page="/sell/brands/new", content_type="multipart/form-data")
    assert resp.status_code == 400 and "tối đa 6 ảnh" in resp.get_data(as_text=True)
    assert count(Brand) == 0 and count(BrandPhoto) == 0


def test_duplicate_address_is_refused(client, login, kol, make_seller, commune, brand):
    other = make_seller(commune=commune, shop_name="Vườn Y Khoa", is_kol=True)
    login(other)
    resp = post_form(client, "/sell/brands/new", _brand_form(slug="ami-kao-durian"), page="/sell/brands/new")
    assert resp.status_code == 409
    assert "Địa chỉ này đã được dùng" in resp.get_data(as_text=True)
    assert count(Brand) == 1
    # Without a typed address, one is made from the name, away from the taken one.
    resp = post_form(client, "/sell/brands/new", _brand_form(), page="/sell/brands/new")
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(Brand.slug).where(Brand.kol_id == other.seller_profile.id)) == "ami-kao-durian-2"


def test_duplicate_address_when_editing(client, login, kol, make_brand, brand):
    mine = make_brand(name="Cà phê", slug="ca-phe-ea-knuec")
    login(kol)
    edit = f"/sell/brands/{mine.id}/edit"
    resp = post_form(client, edit, _brand_form(name="Cà phê", slug="ami-kao-durian"), page=edit)
    assert resp.status_code == 409
    db.session.expire_all()
    assert db.session.get(Brand, mine.id).slug == "ca-phe-ea-knuec"


def test_a_seller_who_is_not_kol_cannot_make_a_brand(client, login, make_seller, commune):
    seller = make_seller(commune=commune, shop_name="Vườn bơ")
    login(seller)
    assert client.get("/sell/brands/new").status_code == 403
    assert post_form(client, "/sell/brands/new", _brand_form(), page="/sell/brands").status_code == 403
    assert "Chỉ KOL của xã" in client.get("/sell/brands").get_data(as_text=True)
    assert count(Brand) == 0


def test_buyers_and_visitors(client, login, make_user):
    assert client.get("/sell/brands/new").status_code == 302  # to the login page
    login(make_user())
    assert client.get("/sell/brands").status_code == 302  # to "open a shop"
    assert post_form(client, "/sell/brands/new", _brand_form(), page="/").status_code == 403
    assert count(Brand) == 0


@pytest.mark.parametrize("who", ["same_commune_kol", "other_commune_kol", "member_shop", "revoked_kol"])
def test_other_people_cannot_edit_a_brand(client, login, make_seller, make_commune, commune, kol, brand, who):
    if who == "same_commune_kol":
        user = make_seller(commune=commune, shop_name="Vườn khác", is_kol=True)
    elif who == "other_commune_kol":
        user = make_seller(commune=make_commune("Xuân Lãnh"), shop_name="Thổ cẩm", is_kol=True)
    elif who == "member_shop":
        user = make_seller(commune=commune, shop_name="Vườn thành viên")
        db.session.add(BrandShop(brand_id=brand.id, seller_id=user.seller_profile.id))
    else:
        user = kol
        kol.seller_profile.is_kol = False
    db.session.flush()
    login(user)
    expected = 403 if who == "revoked_kol" else 404
    base = f"/sell/brands/{brand.id}"
    assert client.get(base).status_code == expected
    assert client.get(f"{base}/edit").status_code == expected
    assert post_form(client, f"{base}/edit", _brand_form(name="Đổi tên"), page="/sell/brands").status_code == expected
    assert (
        post_form(client, f"{base}/shops", {"seller_id": str(user.seller_profile.id)}, page="/sell/brands").status_code
        == expected
    )
    db.session.expire_all()
    assert db.session.get(Brand, brand.id).name == "Ami kao Durian"
    assert count(BrandShop) == (2 if who == "member_shop" else 1)


def test_absurd_brand_ids_are_404(client, login, kol):
    login(kol)
    assert client.get("/sell/brands/99999/edit").status_code == 404
    assert client.get("/sell/brands/99999999999999/edit").status_code == 404
    assert client.get("/b/NO_SUCH").status_code == 404 and client.get("/b/no-such").status_code == 404


# ---- shops and products under the brand ------------------------------------------------------------------


def test_kol_adds_a_shop_of_the_commune_who_hears_of_it_and_can_leave(
    client, login, make_seller, commune, kol, brand, make_product
):
    other = make_seller(commune=commune, shop_name="Vườn Y Khoa", name="Y Khoa Niê")
    ri6 = make_product(seller=other, title="Sầu riêng Ri6 nhà Y Khoa")
    login(kol)
    manage = f"/sell/brands/{brand.id}"
    assert "Vườn Y Khoa" in client.get(manage).get_data(as_text=True)  # offered in the list
    resp = post_form(client, f"{manage}/shops", {"seller_id": str(other.seller_profile.id)}, page=manage)
    assert resp.status_code == 302
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == other.id))
    assert note.kind == "brand.shop_added" and "Ami kao Durian" in note.text
    resp = post_form(client, f"{manage}/products", {"product_ids": [str(ri6.id)]}, page=manage)
    assert resp.status_code == 302
    html = client.get("/b/ami-kao-durian").get_data(as_text=True)
    assert "Vườn Y Khoa" in html and "Sầu riêng Ri6 nhà Y Khoa" in html

    login(other)
    page = client.get("/sell/brands").get_data(as_text=True)
    assert "Ami kao Durian" in page and "Rời thương hiệu" in page
    assert post_form(client, f"/sell/brands/{brand.id}/leave", {}, page="/sell/brands").status_code == 302
    assert count(BrandShop) == 1 and count(BrandProduct) == 0  # the shop's products left with it
    resp = post_form(client, f"/sell/brands/{brand.id}/leave", {}, page="/sell/brands")  # a second tap
    assert resp.status_code == 404 and "gian hàng của bạn không thuộc thương hiệu này" in resp.get_data(as_text=True)


@pytest.mark.parametrize("hidden", [False, True])
def test_a_shop_not_under_a_brand_cannot_learn_of_it_by_leaving(
    client, login, make_seller, make_commune, kol, brand, hidden
):
    """Any shop owner may post any brand id: one their shop is not under answers like one that does not exist
    (a 404 that names nothing), even when staff have hidden the brand by suspending its KOL's shop."""
    if hidden:
        kol.seller_profile.status = SellerStatus.SUSPENDED
    stranger = make_seller(commune=make_commune("Xuân Lãnh"), shop_name="Thổ cẩm Xuân Lãnh", is_kol=True)
    db.session.flush()
    login(stranger)
    answers = [post_form(client, f"/sell/brands/{bid}/leave", {}, page="/sell/brands") for bid in (brand.id, 99999)]
    assert [r.status_code for r in answers] == [404, 404]
    html = answers[0].get_data(as_text=True)
    assert "Ami kao Durian" not in html and "gian hàng của bạn không thuộc thương hiệu này" in html
    assert count(BrandShop) == 1


def test_the_kol_cannot_leave_or_remove_her_own_shop(client, login, kol, brand):
    login(kol)
    resp = post_form(client, f"/sell/brands/{brand.id}/leave", {}, page="/sell/brands")
    assert resp.status_code == 400
    resp = post_form(client, f"/sell/brands/{brand.id}/shops/{kol.seller_profile.id}/remove", {}, page="/sell/brands")
    assert resp.status_code == 400 and "luôn thuộc" in resp.get_data(as_text=True)
    assert count(BrandShop) == 1


@pytest.mark.parametrize("case", ["other_commune", "suspended", "missing", "junk", "already"])
def test_adding_a_shop_that_does_not_fit(client, login, make_seller, make_commune, commune, kol, brand, case):
    if case == "other_commune":
        value = str(make_seller(commune=make_commune("Xuân Lãnh"), shop_name="Thổ cẩm").seller_profile.id)
    elif case == "suspended":
        value = str(make_seller(commune=commune, shop_name="Đóng", status=SellerStatus.SUSPENDED).seller_profile.id)
    elif case == "missing":
        value = "987654"
    elif case == "junk":
        value = "1; DROP TABLE brands"
    else:
        value = str(kol.seller_profile.id)
    login(kol)
    manage = f"/sell/brands/{brand.id}"
    resp = post_form(client, f"{manage}/shops", {"seller_id": value}, page=manage)
    html = resp.get_data(as_text=True)
    assert resp.status_code == (409 if case == "already" else 400)
    assert 'id="seller_id-error"' in html
    assert ("đã thuộc thương hiệu này" if case == "already" else "Hãy chọn một gian hàng đang mở của Ea Knuếc") in html
    assert count(BrandShop) == 1


@pytest.mark.parametrize("case", ["not_member", "pending", "junk", "empty", "mixed"])
def test_adding_products_that_do_not_fit_writes_nothing(
    client, login, make_seller, commune, kol, brand, make_product, case
):
    mine = make_product(seller=kol, title="Sầu riêng Monthong")
    if case == "not_member":
        ids = [str(make_product(seller=make_seller(commune=commune, shop_name="Ngoài"), title="Bơ").id)]
    elif case == "pending":
        ids = [str(make_product(seller=kol, title="Chưa duyệt", status="pending_review").id)]
    elif case == "junk":
        ids = ["abc"]
    elif case == "empty":
        ids = []
    else:  # one good, one from outside: the whole request is refused
        outsider = make_seller(commune=commune, shop_name="Ngoài 2")
        ids = [str(mine.id), str(make_product(seller=outsider, title="Tiêu").id)]
    login(kol)
    manage = f"/sell/brands/{brand.id}"
    resp = post_form(client, f"{manage}/products", {"product_ids": ids}, page=manage)
    assert resp.status_code == 400
    assert 'id="product_ids-error"' in resp.get_data(as_text=True)
    assert count(BrandProduct) == 0


def test_remove_a_product_and_a_shop(client, login, make_seller, commune, kol, brand, make_product):
    other = make_seller(commune=commune, shop_name="Vườn Y Khoa")
    mine, theirs = make_product(seller=kol, title="Ri6"), make_product(seller=other, title="Monthong")
    db.session.add(BrandShop(brand_id=brand.id, seller_id=other.seller_profile.id))
    db.session.add_all(
        [BrandProduct(brand_id=brand.id, product_id=mine.id), BrandProduct(brand_id=brand.id, product_id=theirs.id)]
    )
    db.session.flush()
    login(kol)
    manage = f"/sell/brands/{brand.id}"
    assert post_form(client, f"{manage}/products/{mine.id}/remove", {}, page=manage).status_code == 302
    assert post_form(client, f"{manage}/products/{mine.id}/remove", {}, page=manage).status_code == 404
    assert post_form(client, f"{manage}/shops/{other.seller_profile.id}/remove", {}, page=manage).status_code == 302
    assert count(BrandProduct) == 0 and count(BrandShop) == 1
    assert post_form(client, f"{manage}/shops/{other.seller_profile.id}/remove", {}, page=manage).status_code == 404


# ---- the public page and the other pages -----------------------------------------------------------------


def test_public_page_lists_only_what_buyers_may_see(client, make_seller, commune, kol, brand, make_product):
    on_sale = make_product(seller=kol, title="Sầu riêng Ri6")
    archived = make_product(seller=kol, title="Hết mùa", status="archived")
    closed_shop = make_seller(commune=commune, shop_name="Vườn đóng cửa")
    hidden = make_product(seller=closed_shop, title="Của gian đóng cửa")
    db.session.add(BrandShop(brand_id=brand.id, seller_id=closed_shop.seller_profile.id))
    for p in (on_sale, archived, hidden):
        db.session.add(BrandProduct(brand_id=brand.id, product_id=p.id))
    closed_shop.seller_profile.status = SellerStatus.SUSPENDED
    db.session.flush()
    html = client.get("/b/ami-kao-durian").get_data(as_text=True)
    assert "Sầu riêng Ri6" in html
    assert "Hết mùa" not in html and "Của gian đóng cửa" not in html and "Vườn đóng cửa" not in html


def test_a_brand_is_hidden_while_its_kol_shop_is_suspended_or_banned(client, kol, brand):
    kol.seller_profile.status = SellerStatus.SUSPENDED
    db.session.flush()
    assert client.get("/b/ami-kao-durian").status_code == 404
    assert "Ami kao Durian" not in client.get("/").get_data(as_text=True)
    kol.seller_profile.status = SellerStatus.APPROVED
    from market.database import utcnow

    kol.banned_at = utcnow()
    db.session.flush()
    assert client.get("/b/ami-kao-durian").status_code == 404


def test_home_commune_shop_and_product_pages_show_the_brand(client, kol, brand, make_product):
    product = make_product(seller=kol, title="Sầu riêng Ri6")
    db.session.add(BrandProduct(brand_id=brand.id, product_id=product.id))
    db.session.flush()
    for path in ["/", "/c/ea-knuec", f"/s/{kol.seller_profile.slug}", f"/p/{product.id}-{product.slug}"]:
        html = client.get(path).get_data(as_text=True)
        assert 'href="/b/ami-kao-durian"' in html, path
    assert "Thương hiệu của Ea Knuếc" in client.get("/c/ea-knuec").get_data(as_text=True)
    assert "Thương hiệu của xã" in client.get("/").get_data(as_text=True)


def test_pages_without_brands_show_no_brand_section(client, kol, make_product):
    product = make_product(seller=kol)
    assert "brands-slot" not in client.get("/").get_data(as_text=True)
    assert 'class="brand-of"' not in client.get(f"/p/{product.id}-{product.slug}").get_data(as_text=True)


def test_brand_page_in_english(client, brand):
    from tests.conftest import post_form as post

    post(client, "/lang/en", {})
    html = client.get("/b/ami-kao-durian").get_data(as_text=True)
    assert "Commune brand" in html and "KOL of Ea Knuếc" in html and "+ Follow" in html
