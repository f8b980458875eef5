"""The JSON API's SMS-code flows: the same rules as the pages (market/accounts/codes.py)."""

import pytest

from market.accounts.tokens import issue_token
from market.extensions import db
from market.notifications.sms import LogSms
from tests.accounts.test_codes import last_code
from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def clear_sms():
    LogSms.sent.clear()
    yield
    LogSms.sent.clear()


def test_a_new_number_signs_up_by_code_the_name_asked_after_the_code(client):
    assert client.post("/api/v1/auth/code", json={"phone": "0912000555"}).json == {"ok": True, "expires_in": 300}
    code = last_code("0912000555")
    resp = client.post("/api/v1/auth/code/token", json={"phone": "0912000555", "code": code})
    assert resp.status_code == 400 and resp.json["error"] == "name_required"
    resp = client.post("/api/v1/auth/code/token", json={"phone": "0912000555", "code": code, "display_name": "Y Moan"})
    assert resp.status_code == 200 and resp.json["created"] is True
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer " + resp.json["token"]}).json["user"]["display_name"]
        == "Y Moan"
    )
    again = client.post("/api/v1/auth/code/token", json={"phone": "0912000555", "code": code})
    assert again.status_code == 400 and again.json["error"] == "invalid"  # used once


def test_the_request_answer_is_the_same_for_known_and_unknown_numbers(client, make_user):
    make_user(phone="0912000111")
    known = client.post("/api/v1/auth/code", json={"phone": "0912000111"})
    unknown = client.post("/api/v1/auth/code", json={"phone": "0912000999"})
    assert known.status_code == unknown.status_code == 200 and known.json == unknown.json


def test_a_known_number_gets_a_token_and_a_wrong_code_is_counted(client, make_user):
    make_user(phone="0912000111")
    client.post("/api/v1/auth/code", json={"phone": "0912000111"})
    code = last_code("0912000111")
    bad = client.post(
        "/api/v1/auth/code/token", json={"phone": "0912000111", "code": "000000" if code != "000000" else "111111"}
    )
    assert bad.status_code == 400 and "Còn 4 lần thử" in bad.json["message"]
    resp = client.post("/api/v1/auth/code/token", json={"phone": "0912000111", "code": code})
    assert resp.status_code == 200 and resp.json["created"] is False


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"phone": 5},
        {"phone": "0912000111", "purpose": "admin"},
        {"phone": "x" * 10_000},
        {"phone": "1900 1234"},
    ],
)
def test_bad_requests_are_400(client, body):
    resp = client.post("/api/v1/auth/code", json=body)
    assert resp.status_code == 400 and resp.json["ok"] is False


def test_reset_password_by_code(client, make_user):
    user = make_user(phone="0912000111")
    old_token = issue_token(user)
    db.session.commit()
    client.post("/api/v1/auth/code", json={"phone": "0912000111", "purpose": "reset"})
    resp = client.post(
        "/api/v1/auth/password/reset",
        json={"phone": "0912000111", "code": last_code("0912000111"), "password": "mat-khau-moi-1"},
    )
    assert resp.status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer " + old_token}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"phone": "0912000111", "password": "mat-khau-moi-1"}).json["ok"]


def test_change_password_and_phone_through_the_api(client, make_user):
    user = make_user(phone="0912000111")
    token = issue_token(user)
    db.session.commit()
    auth = {"Authorization": "Bearer " + token}
    wrong = client.post(
        "/api/v1/me/password", json={"password": "mat-khau-moi-1", "current_password": "nope"}, headers=auth
    )
    assert wrong.status_code == 400
    resp = client.post(
        "/api/v1/me/password", json={"password": "mat-khau-moi-1", "current_password": PASSWORD}, headers=auth
    )
    assert resp.status_code == 200
    auth = {"Authorization": "Bearer " + resp.json["token"]}
    assert client.post("/api/v1/me/code", headers=auth).status_code == 200
    resp = client.post(
        "/api/v1/me/password", json={"password": "mat-khau-moi-2", "code": last_code("0912000111")}, headers=auth
    )
    assert resp.status_code == 200
    auth = {"Authorization": "Bearer " + resp.json["token"]}
    assert client.post("/api/v1/me/phone", json={"phone": "0912000666"}, headers=auth).status_code == 200
    resp = client.post(
        "/api/v1/me/phone/verify", json={"phone": "0912000666", "code": last_code("0912000666")}, headers=auth
    )
    assert resp.status_code == 200 and resp.json["user"]["phone"] == "+84912000666"
