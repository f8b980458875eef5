import pytest
import sqlalchemy as sa

from market.accounts.models import User
from market.extensions import db
from tests.conftest import post_form


def users_count():
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_register_stores_e164_and_logs_in(client):
    resp = post_form(
        client,
        "/register",
        {"phone": "0912 345 678", "display_name": "  Hoàng  Thị Hoa ", "password": "mat-khau-123"},
        page="/register",
    )
    assert resp.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.phone == "+84912345678"))
    assert user is not None and user.display_name == "Hoàng Thị Hoa"
    assert user.password_hash.startswith("$argon2id$")
    assert "Hoàng Thị Hoa" in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"phone": "12", "display_name": "Lan", "password": "password123"}, "phone", "Số điện thoại không hợp lệ"),
        ({"phone": "abc", "display_name": "Lan", "password": "password123"}, "phone", "không đọc được"),
        ({"phone": "0912345678", "display_name": "Lan", "password": "short"}, "password", "Mật khẩu cần từ 8"),
        ({"phone": "0912345678", "display_name": "   ", "password": "password123"}, "display_name", "Nhập tên"),
        ({"phone": "0912345678", "display_name": "x" * 10240, "password": "password123"}, "display_name", "tối đa 80"),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_nothing_written(client, data, field, message):
    before = users_count()
    resp = post_form(client, "/register", data, page="/register")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in html
    assert f'id="{field}-error"' in html
    assert 'name="password" type="password" value=""' in html or 'value="password123"' not in html
    if field != "phone" and len(data["phone"]) < 20:
        assert f'value="{data["phone"]}"' in html  # what was typed is kept
    assert users_count() == before


def test_duplicate_phone_in_another_format(client, make_user):
    make_user(phone="+84912345678")
    before = users_count()
    resp = post_form(
        client,
        "/register",
        {"phone": "0912.345.678", "display_name": "Lan", "password": "password123"},
        page="/register",
    )
    assert resp.status_code == 400
    assert "đã có tài khoản" in resp.get_data(as_text=True)
    assert users_count() == before


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_csrf_missing_or_wrong_is_refused_and_the_form_keeps_what_was_typed(client, token):
    client.get("/register")
    data = {"phone": "0912345678", "display_name": "Y Moan Êban", "password": "password123"}
    if token:
        data["csrf_token"] = token
    resp = client.post("/register", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Biểu mẫu đã hết hạn. Vui lòng thử lại." in html  # above the form, in the user's language
    assert 'value="0912345678"' in html and 'value="Y Moan Êban"' in html
    assert "password123" not in html
    assert users_count() == 0
    # the page carries a fresh token: sending it again works
    data.pop("csrf_token", None)
    retry = post_form(client, "/register", data, page="/register")
    assert retry.status_code == 302 and users_count() == 1


def test_english_messages_when_english_is_chosen(client):
    post_form(client, "/lang/en", {})
    resp = post_form(
        client, "/register", {"phone": "12", "display_name": "Lan", "password": "password123"}, page="/register"
    )
    assert "This is not a valid phone number." in resp.get_data(as_text=True)


@pytest.mark.parametrize("phone", ["024 3825 1234", "1900 1234", "1800 1234"])
def test_sign_up_needs_a_number_that_gets_text_messages(client, phone):
    resp = post_form(
        client, "/register", {"phone": phone, "display_name": "Lan", "password": "password123"}, page="/register"
    )
    assert resp.status_code == 400
    assert "Hãy dùng số di động" in resp.get_data(as_text=True)
    assert users_count() == 0


@pytest.mark.parametrize("phone", ["0912 345 678", "+1 415 555 0123", "+44 7911 123456"])
def test_sign_up_takes_mobile_numbers_at_home_and_abroad(client, phone):
    resp = post_form(
        client, "/register", {"phone": phone, "display_name": "Lan", "password": "password123"}, page="/register"
    )
    assert resp.status_code == 302 and users_count() == 1
