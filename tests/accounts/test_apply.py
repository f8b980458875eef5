import pytest
import sqlalchemy as sa

from market.accounts.models import SellerProfile, SellerStatus
from market.extensions import db
from tests.conftest import post_form


def test_apply_creates_pending_profile(client, login, make_user, make_commune):
    user = make_user()
    commune = make_commune("Ea Knuếc")
    login(user)
    page = client.get("/sell/apply").get_data(as_text=True)
    assert "Ea Knuếc" in page
    resp = post_form(
        client,
        "/sell/apply",
        {"shop_name": "Sầu riêng nhà Hà", "commune_id": str(commune.id), "story": "<b>Vườn</b> 15 năm"},
        page="/sell/apply",
    )
    assert resp.status_code == 302
    profile = db.session.scalar(sa.select(SellerProfile).where(SellerProfile.user_id == user.id))
    assert profile.status == SellerStatus.PENDING and profile.slug == "sau-rieng-nha-ha"
    status_page = client.get("/sell/apply").get_data(as_text=True)
    assert "Đang chờ cán bộ xã duyệt" in status_page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"shop_name": "", "commune_id": "{c}"}, "Nhập tên gian hàng"),
        ({"shop_name": "x" * 10240, "commune_id": "{c}"}, "tối đa 80"),
        ({"shop_name": "Shop", "commune_id": "999999"}, "Hãy chọn"),
        ({"shop_name": "Shop", "commune_id": "abc"}, "Hãy chọn"),
    ],
)
def test_bad_applications(client, login, make_user, make_commune, data, message):
    commune = make_commune()
    login(make_user())
    data = {k: v.format(c=commune.id) for k, v in data.items()}
    resp = post_form(client, "/sell/apply", data, page="/sell/apply")
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(SellerProfile.id))) == 0


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_csrf_missing_or_wrong_keeps_the_application(client, login, make_user, make_commune, token):
    commune = make_commune("Ea Knuếc")
    login(make_user())
    data = {
        "shop_name": "Mật ong Nam Ka",
        "commune_id": str(commune.id),
        "story": "Nuôi ong ven hồ Lắk",
        **({"csrf_token": token} if token else {}),
    }
    resp = client.post("/sell/apply", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Biểu mẫu đã hết hạn. Vui lòng thử lại." in html
    assert 'value="Mật ong Nam Ka"' in html and "Nuôi ong ven hồ Lắk" in html
    assert f'<option selected value="{commune.id}">' in html
    assert db.session.scalar(sa.select(sa.func.count(SellerProfile.id))) == 0


def test_shop_name_html_is_escaped(client, make_seller, make_commune):
    commune = make_commune("Ea Knuếc")
    make_seller(shop_name="<script>alert(1)</script>", commune=commune)
    html = client.get("/c/ea-knuec").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_apply_needs_login(client):
    resp = client.get("/sell/apply")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
