"""The issue's session and header rules, checked once more: cookie flags, HSTS only over HTTPS, a replayed old
cookie after logout is logged out, open sockets of a logged-out person close, rate limits never vanish when
their shared storage does."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from market.config import load_config
from tests.conftest import PASSWORD, post_form


def _login(client, phone: str, remember: bool = False):
    data = {"phone": phone, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    resp = post_form(client, "/login", data, page="/login")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return resp


def _cookie(resp, name: str) -> str:
    return next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith(name + "="))


def test_cookies_are_secure_over_https(app, client, make_user):
    cfg = load_config(app.instance_path, {"SITE_URL": "https://chophien.vn", "SECRET_KEY": "k" * 32})
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["REMEMBER_COOKIE_SECURE"]
    assert not load_config(app.instance_path, {"SECRET_KEY": "k" * 32})["SESSION_COOKIE_SECURE"]
    make_user(phone="0912000222")
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    try:
        resp = _login(client, "0912000222", remember=True)
    finally:
        app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    for name in ("session", "remember_token"):
        cookie = _cookie(resp, name)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie


def test_hsts_only_over_https(app, client):
    app.config["SITE_URL"] = "https://chophien.vn"
    try:
        assert "Strict-Transport-Security" not in client.get("/").headers  # plain http: browsers ignore it
        assert client.get("/", base_url="https://chophien.vn").headers["Strict-Transport-Security"]
    finally:
        app.config["SITE_URL"] = "http://127.0.0.1:5000"


@pytest.mark.parametrize("remember", [False, True])
def test_a_replayed_cookie_after_logout_is_logged_out(app, make_user, remember):
    make_user(phone="0912000333")
    client = app.test_client()
    resp = _login(client, "0912000333", remember=remember)
    saved = {
        name: re.match(rf"{name}=([^;]*)", _cookie(resp, name)).group(1)
        for name in (("session", "remember_token") if remember else ("session",))
    }
    assert client.get("/account").status_code == 200
    assert post_form(client, "/logout", {}, page="/account").status_code == 302
    thief = app.test_client()  # someone who copied the cookies before the logout
    for name, value in saved.items():
        thief.set_cookie(name, value)
    resp = thief.get("/account")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_logout_closes_the_persons_open_sockets(app, make_user, socket_client):
    user = make_user(phone="0912000444")
    browser = app.test_client()
    _login(browser, "0912000444")
    other_tab = app.test_client()
    other_tab.set_cookie("session", browser.get_cookie("session").value)
    live = socket_client(other_tab, "/live")
    notify = socket_client(other_tab, "/notify")
    bystander = socket_client(app.test_client(), "/live")
    assert live.is_connected() and notify.is_connected()
    live.received()
    post_form(browser, "/logout", {}, page="/account")
    assert not live.is_connected() and not notify.is_connected()
    heard = [m["name"] for m in live._client.queue if m["namespace"] == "/live"]  # what came before the close
    assert heard == ["logged_out"]
    assert bystander.is_connected()
    # reconnecting with the old cookie gives an anonymous socket at most
    again = socket_client(other_tab, "/live")
    assert again.is_connected()
    assert user.id not in [d.get("user_id") for d in _live_connections().values()]


def _live_connections():
    from market.live.connection import connections

    return connections()


def test_manual_limits_fall_back_to_this_process_when_the_store_fails(app, monkeypatch):
    from market import ratelimit

    class Down:
        def hit(self, *a):
            raise ConnectionError("redis is gone")

        test = hit

    monkeypatch.setattr(ratelimit, "_strategy", lambda: Down())
    results = [ratelimit.hit("3/minute", "fuzz", "same-key") for _ in range(5)]
    assert results == [True, True, True, False, False]  # weaker (one process), never absent
    assert ratelimit.shared_storage_down()
    assert not ratelimit.allowed("3/minute", "fuzz", "same-key")


def test_flask_limiter_decorators_fall_back_to_memory_with_our_settings(tmp_path):
    """Routes limited with Flask-Limiter's own decorators: with our settings a dead Redis means per-process
    limits (its in-memory fallback), not a 500 and not unlimited."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    cfg = load_config(tmp_path, {"REDIS_URL": "redis://127.0.0.1:9/0", "SECRET_KEY": "k" * 32})
    assert cfg["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    probe = Flask("probe")
    probe.config.update({k: v for k, v in cfg.items() if k.startswith("RATELIMIT_")})
    limiter = Limiter(key_func=get_remote_address, app=probe)

    @probe.get("/limited")
    @limiter.limit("2/minute")
    def limited():
        return "ok"

    client = probe.test_client()
    assert [client.get("/limited").status_code for _ in range(4)] == [200, 200, 429, 429]
