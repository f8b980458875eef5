"""One-time codes go as Zalo ZNS template messages when a Zalo OA is configured with an ``auth.code`` template,
and as the SMS otherwise or whenever ZNS does not take them — against the local Zalo stand-in. The code works
whichever way it went, no log line of the ZNS path holds it, and the per-number limits hold as before."""

import logging
import re

import pytest

from market.accounts import codes
from market.accounts.codes import Purpose
from market.domain import DomainError
from market.extensions import db
from market.notifications.sms import LogSms
from tests.notifications.conftest import zalo  # noqa: F401 - the Zalo stand-in, switched on

IP = "203.0.113.9"
PHONE, E164 = "0912 000 333", "+84912000333"


@pytest.fixture(autouse=True)
def clear_sms():
    LogSms.sent.clear()
    yield
    LogSms.sent.clear()


@pytest.fixture
def zns_codes(app, zalo):  # noqa: F811 - the imported fixture
    app.config["ZALO_ZNS_TEMPLATES"] = {**app.config["ZALO_ZNS_TEMPLATES"], "auth.code": "412350"}
    return zalo


def ask(purpose=Purpose.LOGIN):
    codes.request_code(PHONE, purpose, ip=IP)
    db.session.commit()  # the message leaves after the commit (tests run deferred work inline)


def zns_log(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name == "market.notifications.zns")


def test_a_code_goes_by_zns_when_configured(app, zns_codes, caplog):
    caplog.set_level(logging.DEBUG)
    ask()
    [message] = zns_codes.sent
    assert (message["phone"], message["template_id"]) == ("84912000333", "412350")
    code = message["template_data"]["code"]
    assert re.fullmatch(r"[0-9]{6}", code) and message["template_data"] == {"code": code}
    assert list(LogSms.sent) == []  # no SMS as well
    assert "auth.code sent" in zns_log(caplog) and code not in caplog.text  # nothing logged holds the code
    assert codes.use_code(PHONE, Purpose.LOGIN, code, ip=IP) == E164


def sms_code() -> str:
    [(to, text)] = list(LogSms.sent)
    assert to == E164
    return re.search(r"\b([0-9]{6})\b", text).group(1)


@pytest.mark.parametrize("trouble", ["not_on_zalo", "down", "slow", "no_template", "token_and_refresh_refused"])
def test_a_code_falls_back_to_sms(app, zns_codes, trouble, caplog):
    caplog.set_level(logging.DEBUG)
    if trouble == "not_on_zalo":
        zns_codes.not_on_zalo.add("84912000333")
    elif trouble == "down":
        zns_codes.fail_next.append((502, {"error": 502}))
    elif trouble == "slow":
        zns_codes.delay = 3  # ZALO_TIMEOUT is 2 s here
    elif trouble == "no_template":
        app.config["ZALO_ZNS_TEMPLATES"] = {"order.shipped": "412345"}
    else:  # the access token expired and the refresh token was used elsewhere: refreshed once, then the SMS
        zns_codes.access, zns_codes.refresh = "access-elsewhere", "refresh-someone-else-used"
    ask()
    assert zns_codes.sent == []
    code = sms_code()
    if trouble == "no_template":
        assert zns_codes.seen == [] and "no template id for auth.code" in zns_log(caplog)
    else:
        assert "auth.code not sent" in zns_log(caplog)
    if trouble == "token_and_refresh_refused":
        assert [r.path for r in zns_codes.seen] == ["/message/template", "/v4/oa/access_token"]
    assert codes.use_code(PHONE, Purpose.LOGIN, code, ip=IP) == E164


def test_an_expired_token_is_refreshed_once_and_the_code_goes_by_zns(app, zns_codes):
    zns_codes.access = "access-expired-meanwhile"
    ask(Purpose.RESET)
    assert [r.path for r in zns_codes.seen] == ["/message/template", "/v4/oa/access_token", "/message/template"]
    assert len(zns_codes.sent) == 1 and list(LogSms.sent) == []


def test_a_refusal_quoting_the_code_is_logged_without_it(app, zns_codes, caplog):
    caplog.set_level(logging.DEBUG)
    zns_codes.echo_refusal = True  # Zalo's error message repeats the template data
    ask()
    code = sms_code()
    assert "Template data is invalid" in zns_log(caplog) and code not in zns_log(caplog)


def test_the_per_number_limits_hold_through_zns(app, zns_codes):
    for _ in range(3):
        ask()
    with pytest.raises(DomainError, match="15 phút") as err:
        codes.request_code(PHONE, Purpose.LOGIN, ip="198.51.100.1")
    assert err.value.status == 429
    db.session.rollback()
    assert len(zns_codes.sent) == 3 and list(LogSms.sent) == []


def test_the_old_number_hears_of_a_phone_change_by_zns_or_sms(app, zalo, make_user):  # noqa: F811
    """The notice to the old number goes like the other messages (``zns.deliver``): ZNS with the
    ``account.phone_changed`` template, the SMS when that kind has no template."""
    from market.accounts.service import change_phone

    app.config["ZALO_ZNS_TEMPLATES"] = {**app.config["ZALO_ZNS_TEMPLATES"], "account.phone_changed": "412351"}
    user = make_user(phone="0912000111")
    db.session.commit()
    change_phone(user, "+84912000666")
    db.session.commit()
    [message] = zalo.sent
    assert message["phone"] == "84912000111" and message["template_id"] == "412351"
    assert message["template_data"] == {"phone": "0912 000 666"}
    assert list(LogSms.sent) == []
    app.config["ZALO_ZNS_TEMPLATES"] = {
        k: v for k, v in app.config["ZALO_ZNS_TEMPLATES"].items() if k != "account.phone_changed"
    }
    change_phone(user, "+84912000777")
    db.session.commit()
    assert len(zalo.sent) == 1
    [(to, text)] = list(LogSms.sent)
    assert to == "+84912000666" and "0912 000 777" in text
