"""One-time SMS codes: sign-in, sign-up, recovery, claiming, password and phone changes, limits, bad input."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.accounts import codes
from market.accounts.codes import Purpose, WrongCode
from market.accounts.models import PhoneCode, User
from market.accounts.service import normalize_phone
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.moderation.models import AuditEntry
from market.notifications.sms import LogSms
from tests.conftest import PASSWORD, login_as, post_form

IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def clear_sms():
    LogSms.sent.clear()
    yield
    LogSms.sent.clear()


def last_code(phone: str) -> str:
    e164 = normalize_phone(phone)
    texts = [text for to, text in LogSms.sent if to == e164]
    assert texts, f"no SMS to {e164}"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


def send(client, url: str, phone: str, page: str | None = None):
    return post_form(client, url, {"step": "send", "phone": phone}, page=page or url)


def check(client, url: str, data: dict, page: str | None = None):
    return post_form(client, url, {"step": "check", **data}, page=page or url)


# ---- the codes themselves -----------------------------------------------------------------------------------


def test_a_code_is_stored_hashed_and_works_once(app):
    codes.request_code("0912 000 222", Purpose.LOGIN, ip=IP)
    db.session.commit()
    code = last_code("0912000222")
    row = db.session.scalar(sa.select(PhoneCode))
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    assert codes.use_code("0912000222", Purpose.LOGIN, code, ip=IP) == "+84912000222"
    with pytest.raises(WrongCode, match="đã được dùng"):
        codes.use_code("0912000222", Purpose.LOGIN, code, ip=IP)


def test_an_expired_code_is_refused(app):
    codes.request_code("0912000222", Purpose.LOGIN, ip=IP)
    code = last_code_after_commit("0912000222")
    db.session.execute(sa.update(PhoneCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(WrongCode, match="hết hạn"):
        codes.use_code("0912000222", Purpose.LOGIN, code, ip=IP)


def last_code_after_commit(phone):
    db.session.commit()
    return last_code(phone)


def test_five_tries_per_code_then_it_is_dead(app):
    codes.request_code("0912000222", Purpose.LOGIN, ip=IP)
    code = last_code_after_commit("0912000222")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    messages = []
    for _ in range(5):
        with pytest.raises(WrongCode) as err:
            codes.use_code("0912000222", Purpose.LOGIN, wrong, ip=IP)
        messages.append(err.value.message)
    assert messages[0] == "Mã chưa đúng. Còn 4 lần thử."
    assert "quá nhiều lần" in messages[-1]
    with pytest.raises(WrongCode, match="quá nhiều lần"):  # even the right code, now
        codes.use_code("0912000222", Purpose.LOGIN, code, ip=IP)


def test_only_the_newest_code_works_and_not_for_another_number_or_purpose(app):
    codes.request_code("0912000222", Purpose.LOGIN, ip=IP)
    first = last_code_after_commit("0912000222")
    codes.request_code("0912000222", Purpose.LOGIN, ip=IP)
    second = last_code_after_commit("0912000222")
    if first != second:
        with pytest.raises(WrongCode):
            codes.use_code("0912000222", Purpose.LOGIN, first, ip=IP)
    with pytest.raises(WrongCode):
        codes.use_code("0912000333", Purpose.LOGIN, second, ip=IP)
    with pytest.raises(WrongCode):
        codes.use_code("0912000222", Purpose.RESET, second, ip=IP)
    assert codes.use_code("0912000222", Purpose.LOGIN, second, ip=IP)


@pytest.mark.parametrize("bad", ["12345", "abcdef", "1234567", "", "١٢٣٤٥٦", "1" * 1_000_000, None, 123456])
def test_malformed_codes_are_refused_before_any_look_up(app, bad):
    with pytest.raises(DomainError) as err:
        codes.use_code("0912000222", Purpose.LOGIN, bad, ip=IP)
    assert err.value.field == "code" and not isinstance(err.value, WrongCode)
    assert "6 chữ số" in err.value.message


@pytest.mark.parametrize("phone", ["0283 822 1234", "1900 1234", "1800 1234", "12", "x" * 100])
def test_landlines_and_service_numbers_get_no_code(app, phone):
    with pytest.raises(DomainError) as err:
        codes.request_code(phone, Purpose.LOGIN, ip=IP)
    assert err.value.field == "phone"
    assert not LogSms.sent and db.session.scalar(sa.select(sa.func.count(PhoneCode.id))) == 0


def test_three_codes_per_number_per_15_minutes(app):
    for _ in range(3):
        codes.request_code("0912000222", Purpose.LOGIN, ip=f"198.51.100.{_}")
    with pytest.raises(DomainError) as err:
        codes.request_code("0912000222", Purpose.RESET, ip="198.51.100.9")
    assert err.value.status == 429 and "15 phút" in err.value.message
    codes.request_code("0912000333", Purpose.LOGIN, ip=IP)  # another number is not held back


def test_ten_codes_per_number_per_day(app, monkeypatch):
    monkeypatch.setattr(codes, "PER_NUMBER", (("100/15 minutes", "15m"), ("10/day", "day")))
    for i in range(10):
        codes.request_code("0912000222", Purpose.LOGIN, ip=f"198.51.100.{i}")
    with pytest.raises(DomainError, match="ngày mai") as err:
        codes.request_code("0912000222", Purpose.LOGIN, ip="198.51.100.99")
    assert err.value.status == 429


def test_ten_requests_per_ip(app):
    for i in range(10):
        codes.request_code(f"09120003{i:02d}", Purpose.LOGIN, ip=IP)
    with pytest.raises(DomainError) as err:
        codes.request_code("0912000399", Purpose.LOGIN, ip=IP)
    assert err.value.status == 429


def test_thirty_wrong_codes_per_ip(app):
    for i in range(6):
        codes.request_code(f"09120004{i:02d}", Purpose.LOGIN, ip=f"198.51.100.{i}")
    db.session.commit()
    for i in range(30):
        with pytest.raises(WrongCode):
            codes.use_code(f"09120004{i % 6:02d}", Purpose.LOGIN, "000000" if i % 2 else "999999", ip=IP)
    with pytest.raises(DomainError) as err:
        codes.use_code("0912000400", Purpose.LOGIN, last_code("0912000400"), ip=IP)
    assert err.value.status == 429


def test_every_request_success_and_failure_is_in_the_security_log(app, caplog):
    caplog.set_level("INFO", logger="market.security")
    codes.request_code("0912000222", Purpose.LOGIN, ip=IP)
    code = last_code_after_commit("0912000222")
    with pytest.raises(WrongCode):
        codes.use_code("0912000222", Purpose.LOGIN, "000000" if code != "000000" else "111111", ip=IP)
    codes.use_code("0912000222", Purpose.LOGIN, code, ip=IP)
    lines = [r.getMessage() for r in caplog.records if r.name == "market.security"]
    assert [re.search(r"event=(\w+)", line).group(1) for line in lines] == [
        "code_requested",
        "code_failed",
        "code_used",
    ]
    assert all("+84912000222" not in line and "912000222" not in line for line in lines)
    assert all(code not in line for line in lines)


# ---- sign in, sign up, claim ---------------------------------------------------------------------------------


def test_sign_in_by_code(client, make_user):
    user = make_user(phone="0912000111")
    resp = send(client, "/login/code", "0912 000 111", page="/login/code")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Mã từ tin nhắn" in html and "0912 000 111" in html
    resp = check(
        client,
        "/login/code?next=/orders",
        {"phone": "0912 000 111", "code": last_code("0912000111")},
        page="/login/code",
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/orders"
    assert client.get("/account").status_code == 200
    db.session.refresh(user)
    assert user.phone_verified_at is not None
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0  # her own account: not a claim


def test_the_answer_is_the_same_whether_the_number_has_an_account(client, make_user):
    make_user(phone="0912000111")
    known = send(client, "/login/code", "0912000111").get_data(as_text=True)
    unknown = send(client, "/login/code", "0912000999").get_data(as_text=True)
    strip = lambda html: re.sub(r'0912 000 (111|999)|(nonce|value)="[^"]*"', "", html)  # noqa: E731
    assert strip(known) == strip(unknown)


def test_a_new_number_signs_up_with_a_code_and_a_name(client):
    send(client, "/login/code", "0912000555")
    resp = check(client, "/login/code", {"phone": "0912000555", "code": last_code("0912000555")})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login/code/name")
    page = client.get("/login/code/name").get_data(as_text=True)
    assert "0912 000 555" in page
    resp = post_form(client, "/login/code/name", {"display_name": ""}, page="/login/code/name")
    assert resp.status_code == 400 and "Nhập tên của bạn." in resp.get_data(as_text=True)
    resp = post_form(client, "/login/code/name", {"display_name": "Y Moan Êban"}, page="/login/code/name")
    assert resp.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.phone == "+84912000555"))
    assert user.display_name == "Y Moan Êban" and not user.has_password and user.phone_verified_at
    assert client.get("/account").status_code == 200


def test_the_name_step_needs_a_proved_number(client):
    resp = client.get("/login/code/name")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login/code")


def test_a_wrong_code_keeps_its_try_counted_and_says_so(client):
    send(client, "/login/code", "0912000555")
    code = last_code("0912000555")
    wrong = "000000" if code != "000000" else "111111"
    resp = check(client, "/login/code", {"phone": "0912000555", "code": wrong})
    assert resp.status_code == 400 and "Còn 4 lần thử" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(PhoneCode.attempts)) == 1
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("bad", ["12345", "abcdef", "9" * 5000])
def test_bad_codes_on_the_page_are_told_beside_the_field(client, bad):
    send(client, "/login/code", "0912000555")
    resp = check(client, "/login/code", {"phone": "0912000555", "code": bad})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="code-error"' in html


def test_a_villager_claims_the_account_staff_opened(client, make_commune, make_staff):
    from market.catalog.models import Product
    from market.moderation.assisted.service import register_assisted_seller

    commune = make_commune()
    helper = make_staff(commune, name="Cán bộ Hạnh")
    profile = register_assisted_seller(
        helper,
        phone="0912000777",
        name="H'Blen Niê",
        shop_name="Rẫy cà phê",
        commune_id=commune.id,
        story="",
        consent=True,
    )
    db.session.commit()
    # a password login fails, as for anyone
    resp = post_form(client, "/login", {"phone": "0912000777", "password": "anything-at-all"}, page="/login")
    assert resp.status_code == 400
    send(client, "/login/code", "0912000777")
    resp = check(client, "/login/code", {"phone": "0912000777", "code": last_code("0912000777")})
    assert resp.status_code == 302
    user = db.session.get(User, profile.user_id)
    db.session.refresh(user)
    assert user.seller_profile.id == profile.id and user.seller_profile.is_approved
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "account.claim"))
    assert entry.object_id == user.id and entry.commune_id == commune.id
    assert entry.details["assisted_by"] == "Cán bộ Hạnh"
    assert client.get("/sell/products").status_code == 200  # her shop, as it was
    # she sets a password with a code
    post_form(client, "/account/password", {"step": "send"}, page="/account/password")
    resp = post_form(
        client,
        "/account/password",
        {"step": "save", "code": last_code("0912000777"), "password": "mat-khau-moi-1"},
        page="/account/password",
    )
    assert resp.status_code == 302
    db.session.refresh(user)
    assert user.has_password
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "account.claim")) == 1
    assert Product  # staff keep acting for her: the assisted record stays


def test_a_phone_order_buyer_claims_her_account(client, app):
    from market.orders.phone import buyer_for_phone

    buyer = buyer_for_phone("+84912000888", "Lê Thị Mơ")
    db.session.commit()
    send(client, "/login/code", "0912000888")
    assert check(client, "/login/code", {"phone": "0912000888", "code": last_code("0912000888")}).status_code == 302
    assert db.session.scalar(sa.select(AuditEntry.object_id).where(AuditEntry.action == "account.claim")) == buyer.id


def test_a_banned_account_cannot_be_claimed(client, make_user):
    from market.orders.phone import buyer_for_phone

    buyer = buyer_for_phone("+84912000888", "Lê Thị Mơ")
    buyer.banned_at, buyer.banned_reason = utcnow(), "lừa đảo"
    db.session.commit()
    send(client, "/login/code", "0912000888")
    resp = check(client, "/login/code", {"phone": "0912000888", "code": last_code("0912000888")})
    assert resp.status_code == 403 and "bị khóa: lừa đảo" in resp.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


# ---- recovery, password and phone changes ------------------------------------------------------------------


def test_forgot_password_sets_a_new_one_and_ends_other_sessions(client, make_user):
    user = make_user(phone="0912000111")
    version = user.auth_version
    db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    assert "Quên mật khẩu?" in page and "Đăng nhập bằng mã SMS" in page
    send(client, "/password/forgot", "0912000111")
    resp = check(
        client, "/password/forgot", {"phone": "0912000111", "code": last_code("0912000111"), "password": "short"}
    )
    assert resp.status_code == 400 and 'id="password-error"' in resp.get_data(as_text=True)
    resp = check(
        client,
        "/password/forgot",
        {"phone": "0912000111", "code": last_code("0912000111"), "password": "mat-khau-moi-1"},
    )
    assert resp.status_code == 302
    db.session.refresh(user)
    assert user.auth_version > version
    from market.accounts.service import authenticate

    assert authenticate("0912000111", "mat-khau-moi-1") == user
    assert authenticate("0912000111", PASSWORD) is None


def test_forgot_password_for_a_number_without_account_offers_to_open_one(client):
    send(client, "/password/forgot", "0912000555")
    resp = check(
        client,
        "/password/forgot",
        {"phone": "0912000555", "code": last_code("0912000555"), "password": "mat-khau-moi-1"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login/code/name")


def test_change_password_with_the_current_one(client, make_user):
    user = make_user(phone="0912000111")
    login_as(client, user)
    resp = post_form(
        client,
        "/account/password",
        {"step": "save", "current_password": "wrong-one", "password": "mat-khau-moi-1"},
        page="/account/password",
    )
    assert resp.status_code == 400 and "Mật khẩu hiện tại chưa đúng." in resp.get_data(as_text=True)
    resp = post_form(
        client,
        "/account/password",
        {"step": "save", "current_password": PASSWORD, "password": "mat-khau-moi-1"},
        page="/account/password",
    )
    assert resp.status_code == 302
    assert client.get("/account").status_code == 200  # still logged in here


def test_change_phone_with_a_code_to_the_new_number(client, make_user):
    user = make_user(phone="0912000111")
    login_as(client, user)
    send(client, "/account/phone", "0912000666")
    assert last_code("0912000666")
    resp = check(client, "/account/phone", {"phone": "0912000666", "code": last_code("0912000666")})
    assert resp.status_code == 302
    db.session.refresh(user)
    assert user.phone == "+84912000666"
    assert any(to == "+84912000111" for to, _t in LogSms.sent)  # the old number hears of it
    assert client.get("/account").status_code == 200


def test_change_phone_to_a_number_with_an_account_is_refused_only_after_the_code(client, make_user):
    user = make_user(phone="0912000111")
    make_user(phone="0912000666")
    login_as(client, user)
    resp = send(client, "/account/phone", "0912000666")
    assert resp.status_code == 200 and "đã có tài khoản" not in resp.get_data(as_text=True)
    resp = check(client, "/account/phone", {"phone": "0912000666", "code": last_code("0912000666")})
    assert resp.status_code == 400 and "đã có tài khoản riêng" in resp.get_data(as_text=True)
    db.session.refresh(user)
    assert user.phone == "+84912000111"


def test_a_phone_change_code_is_bound_to_the_account_that_asked(client, make_user):
    first, second = make_user(phone="0912000111"), make_user(phone="0912000222")
    login_as(client, first)
    send(client, "/account/phone", "0912000666")
    code = last_code("0912000666")
    with pytest.raises(WrongCode):
        codes.use_code("0912000666", Purpose.PHONE, code, ip=IP, user_id=second.id)


def test_staff_land_on_their_desk(client, make_commune, make_staff):
    make_staff(make_commune(), phone="0912000999")
    resp = post_form(client, "/login", {"phone": "0912000999", "password": PASSWORD}, page="/login")
    assert resp.headers["Location"] == "/staff/"


def test_claims_and_password_and_phone_changes_are_in_the_security_log(client, make_user, caplog):
    from market.orders.phone import buyer_for_phone

    caplog.set_level("INFO", logger="market.security")
    buyer_for_phone("+84912000888", "Lê Thị Mơ")
    db.session.commit()
    send(client, "/login/code", "0912000888")
    check(client, "/login/code", {"phone": "0912000888", "code": last_code("0912000888")})
    post_form(client, "/account/password", {"step": "send"}, page="/account/password")
    post_form(
        client,
        "/account/password",
        {"step": "save", "code": last_code("0912000888"), "password": "mat-khau-moi-1"},
        page="/account/password",
    )
    send(client, "/account/phone", "0912000666")
    check(client, "/account/phone", {"phone": "0912000666", "code": last_code("0912000666")})
    events = [re.search(r"event=(\w+)", r.getMessage()).group(1) for r in caplog.records if r.name == "market.security"]
    assert [e for e in events if not e.startswith("code_")] == ["account_claimed", "password_changed", "phone_changed"]
    assert not any(
        "912000888" in r.getMessage() or "912000666" in r.getMessage()
        for r in caplog.records
        if r.name == "market.security"
    )
