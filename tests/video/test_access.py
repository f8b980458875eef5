"""The live video's routes × roles with video switched on (the access matrix runs them off): only the host of a
session gets a publish token or runs the uplink check; another's session is a 404; publishing needs the token,
never a cookie; watching needs nothing. No Janus is needed: every refusal happens before the media server."""

from __future__ import annotations

import pytest

from market.video import tokens
from tests.conftest import csrf_token, login_as

DOWN = {"JANUS_URLS": ("http://127.0.0.1:9/janus",), "JANUS_API_SECRET": "x", "JANUS_ADMIN_SECRET": "y"}
ROLES = ("anonymous", "buyer", "host", "other_seller", "staff")


@pytest.fixture
def world(app, make_seller, make_live_session, make_user, make_staff):
    from market.extensions import db

    saved = {k: app.config.get(k) for k in DOWN}
    app.config.update(DOWN)
    host = make_seller(is_kol=True, shop_name="Vườn A")
    other = make_seller(is_kol=True, shop_name="Vườn B", name="Y Khoa Niê")
    live = make_live_session(host)
    users = {
        "buyer": make_user(name="Hoàng Thị Hoa"),
        "host": host,
        "other_seller": other,
        "staff": make_staff(host.seller_profile.commune),
    }
    db.session.commit()
    yield live, users
    app.config.update(saved)


def as_role(client, users, role):
    if role != "anonymous":
        login_as(client, users[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["token", "probe"])
def test_only_the_host_gets_a_token_or_an_uplink_check(client, world, role, path):
    live, users = world
    as_role(client, users, role)
    token = csrf_token(client, f"/live/{live.id}")
    resp = client.post(
        f"/live/{live.id}/video/{path}",
        data=b"x" * 1000 if path == "probe" else {"csrf_token": token},
        headers={"X-CSRFToken": token},
        content_type="application/octet-stream" if path == "probe" else None,
    )
    if role == "anonymous":
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    elif role == "host":
        assert resp.status_code == 200 and resp.json["ok"]
    else:
        assert resp.status_code == 404  # staff moderate the chat; they do not stream as the host


def test_the_token_route_checks_csrf(client, world):
    live, users = world
    login_as(client, users["host"])
    assert client.post(f"/live/{live.id}/video/token").status_code == 400


@pytest.mark.parametrize("role", ROLES)
def test_publishing_needs_the_token_not_a_cookie(client, world, role):
    live, users = world
    as_role(client, users, role)
    resp = client.post(
        f"/live/{live.id}/video/whip", data="v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n", content_type="application/sdp"
    )
    assert resp.status_code == 401 and resp.json["error"] == "not_logged_in"


def test_a_host_token_for_a_missing_session_is_a_404(client, world):
    live, users = world
    token = tokens.issue_publish_token(live.id, users["host"])
    assert (
        client.post(
            "/live/999999/video/whip",
            data="v=0",
            content_type="application/sdp",
            headers={"Authorization": f"Bearer {token}"},
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", ROLES)
def test_watching_needs_no_account(client, world, role):
    live, users = world
    as_role(client, users, role)
    resp = client.post(f"/live/{live.id}/video/whep")
    assert resp.status_code == 404 and resp.json["error"] == "not_on_air"  # nobody streams: same for all
