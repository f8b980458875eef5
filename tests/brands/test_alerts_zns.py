"""Live-start alerts through Zalo ZNS (kind ``follow.live_started``) when a Zalo OA has a template for them, the
SMS otherwise or whenever ZNS does not take one — fanned out in batches as before, against the Zalo stand-in."""

import pytest
import sqlalchemy as sa

from market.brands import alerts
from market.brands.models import Follow
from market.extensions import db
from market.notifications.sms import LogSms
from tests.brands.test_alerts import follow, live_notes, session_of, start  # noqa: F401 - session_of: a fixture
from tests.conftest import post_form
from tests.notifications.conftest import zalo  # noqa: F401 - the Zalo stand-in, switched on

SITE = "http://127.0.0.1:5000"


@pytest.fixture
def zns_alerts(app, zalo):  # noqa: F811 - the imported fixture
    app.config["ZALO_ZNS_TEMPLATES"] = {**app.config["ZALO_ZNS_TEMPLATES"], alerts.KIND: "412360"}
    return zalo


def test_live_alerts_go_by_zns_in_batches(
    client,
    app,
    zns_alerts,
    make_user,
    kol,
    brand,
    session_of,  # noqa: F811
    monkeypatch,
):
    fans = [make_user(name=f"Người {i}") for i in range(5)]
    for i, fan in enumerate(fans):
        follow(fan, "brand" if i == 0 else "shop", brand.id if i == 0 else kol.seller_profile.id)
    zns_alerts.not_on_zalo.add(fans[4].phone.lstrip("+"))  # this one is not on Zalo: her SMS goes as before
    monkeypatch.setattr(alerts, "BATCH_SIZE", 2)
    results = []
    real = alerts.announce
    monkeypatch.setattr(alerts, "announce", lambda *a, **k: results.append(real(*a, **k)))
    session = session_of(kol)
    start(kol, session)
    assert results == [{"followers": 5, "notified": 5, "skipped": 0, "batches": 3}]
    assert len(live_notes()) == 5
    sent = {m["phone"]: m for m in zns_alerts.sent}
    assert set(sent) == {f.phone.lstrip("+") for f in fans[:4]}
    assert {m["template_id"] for m in sent.values()} == {"412360"}
    by_brand = sent[fans[0].phone.lstrip("+")]["template_data"]
    assert (by_brand["shop"], by_brand["title"], by_brand["via"], by_brand["link"]) == (
        "Vườn sầu riêng Ea Knuếc",
        session.title,
        brand.name,
        f"{SITE}/live/{session.id}",
    )
    assert sent[fans[1].phone.lstrip("+")]["template_data"]["via"] == ""  # the shop's own follower
    [(phone, text)] = list(LogSms.sent)
    assert phone == fans[4].phone and "Ngung nhan tin: http://127.0.0.1:5000/stop/" in text
    # the ZNS message's unsubscribe address stops the follow it was sent for, as the SMS's does
    stop = by_brand["stop"]
    assert stop.startswith(f"{SITE}/stop/")
    path = stop.removeprefix(SITE)
    anonymous = client.application.test_client()
    assert post_form(anonymous, path, {}, page=path).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Follow.id)).where(Follow.user_id == fans[0].id)) == 0


@pytest.mark.parametrize("trouble", ["no_template", "token_and_refresh_refused"])
def test_live_alerts_fall_back_to_sms(app, zns_alerts, make_user, kol, session_of, trouble):  # noqa: F811
    fans = [make_user() for _ in range(3)]
    for fan in fans:
        follow(fan, "shop", kol.seller_profile.id)
    if trouble == "no_template":
        app.config["ZALO_ZNS_TEMPLATES"] = {"order.shipped": "412345"}
    else:
        zns_alerts.access, zns_alerts.refresh = "access-elsewhere", "refresh-someone-else-used"
    start(kol, session_of(kol))
    assert zns_alerts.sent == []
    assert sorted(p for p, _t in LogSms.sent) == sorted(f.phone for f in fans)
    if trouble == "no_template":
        assert zns_alerts.seen == []


def test_an_expired_token_is_refreshed_once_for_the_whole_fan_out(app, zns_alerts, make_user, kol, session_of):  # noqa: F811
    fans = [make_user() for _ in range(3)]
    for fan in fans:
        follow(fan, "shop", kol.seller_profile.id)
    zns_alerts.access = "access-expired-meanwhile"
    start(kol, session_of(kol))
    assert len(zns_alerts.sent) == 3 and list(LogSms.sent) == []
    assert [r.path for r in zns_alerts.seen].count("/v4/oa/access_token") == 1
