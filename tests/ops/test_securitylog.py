"""The security log (market/securitylog.py): one line per event, UTC with Z, user, IP, request id, no secrets,
and no user text able to start a forged line."""

from __future__ import annotations

import json
import logging
import re

import pytest

from market.securitylog import format_event, mask_phone, security_event
from market.web import TextFormatter
from tests.conftest import PASSWORD, csrf_token

FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING \[[^\]]+\] market\.security: security event=")


def security_lines(caplog) -> list[str]:
    formatter = TextFormatter()
    return [formatter.format(r) for r in caplog.records if r.name == "market.security"]


def test_mask_phone_keeps_too_little_to_call():
    assert mask_phone("+84912345678") == "+849******78"
    assert "912345" not in mask_phone("+84912345678")
    assert mask_phone("12") == "**"


def test_secrets_never_written_and_phone_masked(app):
    with app.test_request_context("/"):
        line = format_event(
            "code_failed",
            {
                "phone": "+84912345678",
                "password": "hunter22",
                "token": "abc",
                "code": "123456",
                "sms_code": "654321",
                "reason": "wrong",
            },
        )
    assert "hunter22" not in line and "abc" not in line and "123456" not in line and "654321" not in line
    assert "+84912345678" not in line and "phone=+849******78" in line
    assert "password=[redacted]" in line and "reason=wrong" in line


def test_user_text_cannot_start_a_new_line_or_forge_a_field(app, caplog):
    forged = "x\n2026-12-06T00:00:00.000Z WARNING [-] market.security: security event=login_ok user=1"
    with app.test_request_context("/"), caplog.at_level(logging.WARNING, logger="market.security"):
        security_event("forbidden", path=forged, note='a" user=1')
    [line] = security_lines(caplog)
    assert "\n" not in line and LINE.match(line)
    fields = dict(FIELD.findall(line))
    assert fields["user"] == "-"  # the quoted value cannot add a second user field
    assert json.loads(fields["path"]) == forged and json.loads(fields["note"]) == 'a" user=1'


def test_any_log_message_stays_on_one_line():
    record = logging.LogRecord("market.chat", logging.INFO, __file__, 1, "chat: %s", ("hi\r\nFAKE LINE",), None)
    record.request_id = "-"
    assert "\n" not in TextFormatter().format(record) and "\r" not in TextFormatter().format(record)


def test_failed_login_logged_with_user_ip_request_id_and_utc(app, client, make_user, caplog):
    user = make_user(phone="+84912345670")
    token = csrf_token(client, "/login")
    with caplog.at_level(logging.WARNING, logger="market.security"):
        response = client.post(
            "/login",
            data={"phone": "0912345670", "password": "wrong-" + PASSWORD, "csrf_token": token},
            headers={"X-Request-ID": "req-abcdef12"},
            environ_base={"REMOTE_ADDR": "198.51.100.7"},
        )
    assert response.status_code == 400
    [line] = security_lines(caplog)
    assert LINE.match(line), line
    assert "event=login_failed" in line and "ip=198.51.100.7" in line and "request_id=req-abcdef12" in line
    assert "+84912345670" not in line and "wrong-" not in line
    assert f"user={user.id}" not in line  # an unknown number and a wrong password read the same


def test_csrf_failure_logged_with_the_request_id_and_the_user(app, client, make_user, login, caplog):
    user = make_user()
    login(user)
    with caplog.at_level(logging.WARNING, logger="market.security"):
        response = client.post(
            "/logout", headers={"X-Request-ID": "req-csrf0001"}, environ_base={"REMOTE_ADDR": "198.51.100.8"}
        )
    assert response.status_code == 400
    [line] = security_lines(caplog)
    assert "event=csrf_failed" in line and f"user={user.id}" in line and "request_id=req-csrf0001" in line
    assert "ip=198.51.100.8" in line


def test_ip_is_the_client_after_the_trusted_proxies(app, client, monkeypatch, caplog):
    from werkzeug.middleware.proxy_fix import ProxyFix

    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1))  # PROXY_COUNT=1
    with caplog.at_level(logging.WARNING, logger="market.security"):
        response = client.post(
            "/logout", environ_base={"REMOTE_ADDR": "10.0.0.2"}, headers={"X-Forwarded-For": "203.0.113.50, 192.0.2.1"}
        )
    assert response.status_code == 400
    [line] = security_lines(caplog)
    assert "ip=192.0.2.1" in line  # one trusted proxy: the address it saw, not what the client claimed


@pytest.mark.parametrize("event", ["login_locked"])
def test_locked_login_logged(app, client, caplog, event):
    token = csrf_token(client, "/login")
    with caplog.at_level(logging.WARNING, logger="market.security"):
        for _ in range(25):
            response = client.post("/login", data={"phone": "0912345671", "password": "nope-nope", "csrf_token": token})
    assert response.status_code == 429
    assert any(f"event={event}" in line for line in security_lines(caplog))


def test_the_sms_log_provider_masks_numbers_and_tokens(app, caplog):
    from market.notifications.sms import LogSms

    text = "Đơn CP7K2M9QXA đã giao. Gọi 0912 345 678 nếu cần. Hủy nhận tin: https://cho.example/u/Zk3vQ9xLr2TbW8mN4pYs"
    with app.app_context(), caplog.at_level(logging.INFO, logger="market.notifications.sms"):
        LogSms().send("+84987654321", text)
    [line] = [r.getMessage() for r in caplog.records if r.name == "market.notifications.sms"]
    assert "+84987654321" not in line and "+849******21" in line
    assert "Zk3vQ9xLr2TbW8mN4pYs" not in line and "/u/Zk3v…" in line
    assert "345 678" not in line and "0912345678" not in line
    assert "CP7K2M9QXA" in line  # an order code is not a secret: the buyer reads it on every page
    assert LogSms.sent[-1] == ("+84987654321", text)  # tests and development still read the real message


def test_a_newline_sent_by_a_client_cannot_forge_a_log_line(app, client, make_user, login, caplog):
    """Property 39: user text with a line break, in a path that is logged (CSRF failure), leaves every
    formatted log record on one line, so no forged "security event" line can appear in the log. (Chat text is
    never logged; ``test_any_log_message_stays_on_one_line`` covers whatever text a later log line carries.)"""
    forged = "2026-12-06T00:00:00.000Z WARNING [-] market.security: security event=login_ok user=1"
    login(make_user())
    with caplog.at_level(logging.DEBUG):
        resp = client.post("/lang/x%0A" + forged.replace(" ", "%20"), data={"note": "a\n" + forged})
        assert resp.status_code == 400
    formatter = TextFormatter()
    lines = [line for r in caplog.records for line in formatter.format(r).splitlines()]
    assert any("event=csrf_failed" in line for line in lines)
    assert not any(line.startswith("2026-12-06T00:00:00.000Z") for line in lines)


def test_csrf_failure_on_a_form_that_checks_its_own_token_is_logged(client, caplog):
    """/login keeps what was typed on a stale token (``form_checks_csrf``): the refusal is logged all the same."""
    with caplog.at_level(logging.WARNING, logger="market.security"):
        resp = client.post(
            "/login", data={"phone": "0912345678", "password": "x" * 10}, headers={"X-Request-ID": "req-form0001"}
        )
    assert resp.status_code == 400
    [line] = security_lines(caplog)
    assert "event=csrf_failed" in line and "checked=form" in line and "request_id=req-form0001" in line
