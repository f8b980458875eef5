"""Zalo ZNS beside SMS, against a local stand-in of Zalo's APIs: template messages when configured, the OA token
refreshed once when it expired, and the SMS as before whenever ZNS does not take the message."""

import pytest
import sqlalchemy as sa

from market.config import ConfigError, load_config
from market.extensions import db
from market.notifications.service import notify
from market.notifications.sms import LogSms
from market.notifications.zns import ZaloToken


@pytest.fixture(autouse=True)
def clear_sms():
    LogSms.sent.clear()
    yield
    LogSms.sent.clear()


def shipped(user):
    notify(
        user,
        "order.shipped",
        {
            "code": "CPABCDEFGH",
            "carrier": "GHTK",
            "tracking": "S1.A1.17373471",
            "shop": "Cà phê Quảng Phú",
            "total": 183000,
        },
        link="/orders/1",
        sms=True,
    )
    db.session.commit()


def test_zns_instead_of_sms(app, make_user, zalo):
    user = make_user()
    shipped(user)
    [message] = zalo.sent
    assert message["phone"] == user.phone.lstrip("+") and message["template_id"] == "412345"
    assert message["template_data"]["code"] == "CPABCDEFGH" and message["template_data"]["total"] == "183000"
    assert list(LogSms.sent) == []


def test_an_expired_token_is_refreshed_once_and_kept_sealed(app, make_user, zalo):
    user = make_user()
    zalo.access = "access-expired-meanwhile"  # Zalo no longer takes access-1
    zalo.refresh = "refresh-1"
    shipped(user)
    assert len(zalo.sent) == 1 and list(LogSms.sent) == []
    assert [r.path for r in zalo.seen] == ["/message/template", "/v4/oa/access_token", "/message/template"]
    db.session.expire_all()
    row = db.session.get(ZaloToken, 1)
    assert "refresh-2" not in row.refresh_sealed and "access-2" not in (row.access_sealed or "")
    shipped(user)  # the new token is used straight away: no second refresh
    assert [r.path for r in zalo.seen][-1] == "/message/template" and len(zalo.sent) == 2
    assert zalo.refresh == "refresh-2"


def test_refresh_refused_falls_back_to_sms(app, make_user, zalo):
    user = make_user()
    zalo.access, zalo.refresh = "access-elsewhere", "refresh-someone-else-used"
    shipped(user)
    assert zalo.sent == [] and [p for p, _t in LogSms.sent] == [user.phone]


@pytest.mark.parametrize("trouble", ["not_on_zalo", "down", "slow"])
def test_zns_failures_fall_back_to_sms(app, make_user, zalo, trouble):
    user = make_user()
    if trouble == "not_on_zalo":
        zalo.not_on_zalo.add(user.phone.lstrip("+"))
    elif trouble == "down":
        zalo.fail_next.append((502, {"error": 502}))
    else:
        zalo.delay = 3
    shipped(user)
    assert zalo.sent == [] and [p for p, _t in LogSms.sent] == [user.phone]


def test_a_kind_without_a_template_goes_by_sms(app, make_user, zalo):
    user = make_user()
    notify(user, "order.confirmed", {"code": "CPABCDEFGH", "shop": "Cà phê Quảng Phú"}, sms=True)
    db.session.commit()
    assert zalo.seen == [] and len(LogSms.sent) == 1


def test_off_by_default(app, make_user):
    user = make_user()
    shipped(user)
    assert len(LogSms.sent) == 1
    assert db.session.scalar(sa.select(sa.func.count(ZaloToken.id))) == 0


@pytest.mark.parametrize(
    "env,variable",
    [
        ({"ZALO_APP_ID": "1"}, "ZALO_APP_SECRET"),
        (
            {
                "ZALO_APP_ID": "1",
                "ZALO_APP_SECRET": "s",
                "ZALO_OA_REFRESH_TOKEN": "r",
                "ZALO_ZNS_TEMPLATES": "order.shipped",
            },
            "ZALO_ZNS_TEMPLATES",
        ),
        (
            {"ZALO_APP_ID": "1", "ZALO_APP_SECRET": "s", "ZALO_OA_REFRESH_TOKEN": "r", "ZALO_ZNS_TEMPLATES": "a=b"},
            "ZALO_ZNS_TEMPLATES",
        ),
        ({"ZALO_API_BASE": "ftp://x"}, "ZALO_API_BASE"),
        ({"SHIPPING_CARRIERS": "ghn,dhl"}, "SHIPPING_CARRIERS"),
        ({"CARRIER_TIMEOUT": "soon"}, "CARRIER_TIMEOUT"),
    ],
)
def test_wrong_values_stop_the_app_naming_the_variable(tmp_path, env, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config(tmp_path, env={"SECRET_KEY": "k" * 20, **env})


def test_templates_are_parsed(tmp_path):
    cfg = load_config(
        tmp_path,
        env={
            "SECRET_KEY": "k" * 20,
            "ZALO_APP_ID": "1",
            "ZALO_APP_SECRET": "s",
            "ZALO_OA_REFRESH_TOKEN": "r",
            "ZALO_ZNS_TEMPLATES": "order.shipped=412345, order.delivered = 412346",
        },
    )
    assert cfg["ZALO_ZNS_TEMPLATES"] == {"order.shipped": "412345", "order.delivered": "412346"}
