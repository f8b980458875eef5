import pytest

from market.accounts import tokens
from market.extensions import db
from tests.conftest import PASSWORD, post_form

SAME_MESSAGE = "Số điện thoại hoặc mật khẩu chưa đúng."


def test_login_and_logout(client, make_user):
    user = make_user(phone="0912000111")
    resp = post_form(client, "/login?next=/account", {"phone": "+84 912 000 111", "password": PASSWORD}, page="/login")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/account")
    assert client.get("/account").status_code == 200
    post_form(client, "/logout", {}, page="/account")
    assert client.get("/account").status_code == 302
    db.session.refresh(user)
    assert user.auth_version == 2


def test_unknown_phone_and_wrong_password_look_the_same(client, make_user):
    make_user(phone="0912000111")
    wrong = post_form(client, "/login", {"phone": "0912000111", "password": "nope-nope"}, page="/login")
    unknown = post_form(client, "/login", {"phone": "0912999999", "password": "nope-nope"}, page="/login")
    assert wrong.status_code == unknown.status_code == 400
    assert SAME_MESSAGE in wrong.get_data(as_text=True)
    assert SAME_MESSAGE in unknown.get_data(as_text=True)
    assert 'value="nope-nope"' not in wrong.get_data(as_text=True)


def test_wrong_password_keeps_the_phone_and_forgets_the_password(client, make_user):
    make_user(phone="0912000111")
    html = post_form(client, "/login", {"phone": "0912 000 111", "password": "nope-nope"}, page="/login").get_data(
        as_text=True
    )
    assert SAME_MESSAGE in html and 'value="0912 000 111"' in html and "nope-nope" not in html


def test_a_password_too_long_is_refused_in_the_users_language(client, make_user):
    make_user(phone="0912000111")
    resp = post_form(client, "/login", {"phone": "0912000111", "password": "x" * 300}, page="/login")
    assert resp.status_code == 400
    assert "Mật khẩu dài tối đa 128 ký tự." in resp.get_data(as_text=True)


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_csrf_missing_or_wrong_keeps_the_phone_and_counts_no_failure(client, make_user, token):
    make_user(phone="0912000111")
    client.get("/login")
    data = {"phone": "0912000111", "password": PASSWORD, **({"csrf_token": token} if token else {})}
    for _ in range(11):  # not counted as failed logins: the limit of 10 is never reached
        resp = client.post("/login", data=data)
        assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Biểu mẫu đã hết hạn. Vui lòng thử lại." in html and 'value="0912000111"' in html
    assert PASSWORD not in html
    assert client.get("/account").status_code == 302  # not logged in
    data.pop("csrf_token", None)
    assert post_form(client, "/login", data, page="/login").status_code == 302


def test_open_redirect_is_refused(client, make_user):
    make_user(phone="0912000111")
    resp = post_form(
        client, "/login?next=//evil.example/x", {"phone": "0912000111", "password": PASSWORD}, page="/login"
    )
    assert resp.headers["Location"] == "/"


def test_ten_failures_per_phone_then_429(client, make_user):
    make_user(phone="0912000111")
    for _ in range(10):
        assert (
            post_form(client, "/login", {"phone": "0912000111", "password": "bad-password"}, page="/login").status_code
            == 400
        )
    resp = post_form(client, "/login", {"phone": "0912 000 111", "password": PASSWORD}, page="/login")
    assert resp.status_code == 429
    assert "15 phút" in resp.get_data(as_text=True)


def test_failures_per_ip_across_phones(client):
    for i in range(10):
        post_form(client, "/login", {"phone": f"09120001{i:02d}", "password": "bad-password"}, page="/login")
    assert post_form(client, "/login", {"phone": "0912000199", "password": "x"}, page="/login").status_code == 429


def test_old_cookie_is_refused_after_logout(app, make_user):
    user = make_user(phone="0912000111")
    first = app.test_client()
    post_form(first, "/login", {"phone": "0912000111", "password": PASSWORD}, page="/login")
    cookie = first.get_cookie("session").value
    post_form(first, "/logout", {}, page="/account")
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/account").status_code == 302
    db.session.refresh(user)
    assert user.auth_version == 2


def test_remember_me_cookie(client, make_user):
    make_user(phone="0912000111")
    post_form(client, "/login", {"phone": "0912000111", "password": PASSWORD, "remember": "y"}, page="/login")
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.http_only


def test_banned_user_cannot_log_in(client, make_user):
    from market.database import utcnow

    make_user(phone="0912000111", banned_at=utcnow(), banned_reason="lừa đảo")
    resp = post_form(client, "/login", {"phone": "0912000111", "password": PASSWORD}, page="/login")
    assert resp.status_code == 400
    assert "lừa đảo" in resp.get_data(as_text=True)


class TestApiToken:
    def test_token_for_phone_and_password(self, client, make_user):
        user = make_user(phone="0912000111")
        resp = client.post("/api/v1/auth/token", json={"phone": "0912000111", "password": PASSWORD})
        assert resp.status_code == 200
        token = resp.json["token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json["user"]["id"] == user.id

    @pytest.mark.parametrize("body", [None, [], {"phone": 1, "password": "x"}, {"phone": "0912000111"}])
    def test_bad_bodies(self, client, body):
        resp = client.post("/api/v1/auth/token", json=body)
        assert resp.status_code == 400 and resp.json["error"] == "invalid"

    def test_wrong_password_and_bad_tokens(self, client, make_user):
        make_user(phone="0912000111")
        resp = client.post("/api/v1/auth/token", json={"phone": "0912000111", "password": "wrong-pass"})
        assert resp.status_code == 401 and resp.json["error"] == "not_logged_in"
        for header in ["Bearer nope", "Basic abc", ""]:
            assert client.get("/api/v1/me", headers={"Authorization": header}).status_code == 401

    def test_token_revoked_by_logout_and_expiry(self, app, client, make_user):
        user = make_user(phone="0912000111")
        token = tokens.issue_token(user)
        assert tokens.user_from_token(token) == user
        user.auth_version += 1
        db.session.flush()
        assert tokens.user_from_token(token) is None
        token = tokens.issue_token(user)
        app.config["API_TOKEN_MAX_AGE"] = -1
        try:
            assert tokens.user_from_token(token) is None
        finally:
            app.config["API_TOKEN_MAX_AGE"] = 3600

    def test_a_banned_account_is_answered_as_a_wrong_password(self, client, make_user):
        from market.database import utcnow

        make_user(phone="0912000111", banned_at=utcnow(), banned_reason="lừa đảo")
        resp = client.post("/api/v1/auth/token", json={"phone": "0912000111", "password": PASSWORD})
        assert resp.status_code == 401
        assert resp.json == {"ok": False, "error": "not_logged_in", "message": SAME_MESSAGE}

    def test_the_api_and_the_pages_share_one_lockout_per_number_however_written(self, client, make_user):
        make_user(phone="0912000111")
        written = ["0912000111", "+84912000111", "0912 000 111", "+84 912 000 111", "0912-000-111"] * 2
        for i, phone in enumerate(written):  # from ten addresses: the number's counter, not an address's
            resp = client.post(
                "/api/v1/auth/token",
                json={"phone": phone, "password": "wrong-pass"},
                environ_overrides={"REMOTE_ADDR": f"198.51.100.{i}"},
            )
            assert resp.status_code == 401
        elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
        resp = client.post(
            "/api/v1/auth/token", json={"phone": "0912000111", "password": PASSWORD}, environ_overrides=elsewhere
        )
        assert resp.status_code == 429 and resp.json["error"] == "rate_limited"
        assert (
            post_form(
                client,
                "/login",
                {"phone": "0912000111", "password": PASSWORD},
                page="/login",
                environ_overrides=elsewhere,
            ).status_code
            == 429
        )
