"""Followers hear when a live session starts: one in-app notification and one SMS each, whatever the number of
follow paths, in their own language, with the live link and an unsubscribe link; at most once per host and
hour; fanned out after the commit, in batches, off the request."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.accounts.models import User
from market.brands import alerts
from market.brands.models import BrandShop, Follow, LiveAlert
from market.database import utcnow
from market.extensions import db
from market.live.models import LiveSession
from market.live.sessions import end_session, start_session
from market.notifications.models import Notification
from market.notifications.sms import LogSms
from tests.brands.conftest import count
from tests.conftest import post_form


@pytest.fixture
def session_of(app):
    def factory(host, title="Phiên sầu riêng Ea Knuếc", stream_url="https://www.tiktok.com/@hhanie/live"):
        profile = host.seller_profile
        s = LiveSession(
            seller_id=profile.id,
            commune_id=profile.commune_id,
            title=title,
            stream_url=stream_url,
            scheduled_at=utcnow() + timedelta(minutes=5),
            status="scheduled",
            description="",
        )
        db.session.add(s)
        db.session.flush()
        return s

    return factory


def follow(user, kind, target_id):
    db.session.add(Follow(user_id=user.id, target_type=kind, target_id=target_id))
    db.session.flush()


def live_notes():
    return db.session.scalars(
        sa.select(Notification).where(Notification.kind == alerts.KIND).order_by(Notification.user_id)
    ).all()


def start(host, session):
    start_session(session, host)
    db.session.commit()  # the signal is sent after this commit; tests run deferred work inline


def test_followers_by_every_path_hear_once_in_their_language(
    client, login, make_user, make_seller, commune, kol, brand, session_of
):
    by_shop = make_user(name="Theo gian hàng")
    by_brand = make_user(name="Theo thương hiệu")
    by_commune = make_user(name="Theo xã")
    everything = make_user(name="Anna", locale="en")
    stranger = make_user(name="Không theo dõi")
    follow(by_shop, "shop", kol.seller_profile.id)
    follow(by_brand, "brand", brand.id)
    follow(by_commune, "commune", commune.id)
    for kind, target in [("commune", commune.id), ("brand", brand.id), ("shop", kol.seller_profile.id)]:
        follow(everything, kind, target)
    follow(kol, "commune", commune.id)  # the host herself is not told
    session = session_of(kol)
    db.session.commit()

    login(kol)
    resp = post_form(client, f"/live/{session.id}/start", {}, page=f"/live/{session.id}/host")  # the real route
    assert resp.status_code == 302

    notes = live_notes()
    assert [n.user_id for n in notes] == sorted([by_shop.id, by_brand.id, by_commune.id, everything.id])
    text = {n.user_id: n.text for n in notes}
    assert text[by_shop.id] == "Vườn sầu riêng Ea Knuếc đang live: Phiên sầu riêng Ea Knuếc"
    assert text[by_brand.id] == (
        "Vườn sầu riêng Ea Knuếc đang live (bạn theo dõi Ami kao Durian): Phiên sầu riêng Ea Knuếc"
    )
    assert text[by_commune.id] == "Vườn sầu riêng Ea Knuếc đang live (bạn theo dõi Ea Knuếc): Phiên sầu riêng Ea Knuếc"
    assert text[everything.id] == "Vườn sầu riêng Ea Knuếc is live now: Phiên sầu riêng Ea Knuếc"  # the shop path
    assert all(n.link == f"/live/{session.id}" for n in notes)

    sms = {phone: body for phone, body in LogSms.sent}
    assert len(LogSms.sent) == 4 and set(sms) == {u.phone for u in (by_shop, by_brand, by_commune, everything)}
    assert stranger.phone not in sms and kol.phone not in sms
    vi_sms = sms[by_brand.phone]
    assert vi_sms.startswith("Cho Phien: Vuon sau rieng Ea Knuec dang live (ban theo doi Ami kao Durian)")
    assert f"http://127.0.0.1:5000/live/{session.id}" in vi_sms
    assert "Ngung nhan tin: http://127.0.0.1:5000/stop/" in vi_sms
    assert "Stop these messages: http://127.0.0.1:5000/stop/" in sms[everything.phone]

    # The unsubscribe link of the SMS stops the follow it was sent for (the brand here), without logging in.
    token = re.search(r"/stop/(\S+)$", vi_sms).group(1)
    anonymous = client.application.test_client()
    page = anonymous.get(f"/stop/{token}")
    assert page.status_code == 200 and "Ami kao Durian" in page.get_data(as_text=True)
    assert post_form(anonymous, f"/stop/{token}", {}, page=f"/stop/{token}").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Follow.id)).where(Follow.user_id == by_brand.id)) == 0


def test_a_shop_under_several_brands_tells_each_follower_once(
    make_user, make_seller, make_brand, commune, kol, session_of
):
    other_kol = make_seller(commune=commune, shop_name="Vườn Y Khoa", is_kol=True)
    one = make_brand(name="Ami kao Durian")
    two = make_brand(kol_user=other_kol, name="Cà phê Ea Knuếc")
    db.session.add(BrandShop(brand_id=two.id, seller_id=kol.seller_profile.id))
    fan = make_user()
    follow(fan, "brand", one.id)
    follow(fan, "brand", two.id)
    start(kol, session_of(kol))
    assert [n.user_id for n in live_notes()] == [fan.id] and len(LogSms.sent) == 1


def test_followers_of_other_communes_and_shops_hear_nothing(
    make_user, make_seller, make_commune, commune, kol, session_of
):
    elsewhere = make_commune("Xuân Lãnh")
    other_shop = make_seller(commune=commune, shop_name="Vườn khác")
    fan_of_elsewhere, fan_of_other_shop = make_user(), make_user()
    follow(fan_of_elsewhere, "commune", elsewhere.id)
    follow(fan_of_other_shop, "shop", other_shop.seller_profile.id)
    start(kol, session_of(kol))
    assert live_notes() == [] and list(LogSms.sent) == []


def test_a_session_streamed_only_here_is_announced_the_same(make_user, kol, session_of):
    fan = make_user()
    follow(fan, "shop", kol.seller_profile.id)
    session = session_of(kol, stream_url=None)  # no TikTok/YouTube/Facebook link: the live page is the place
    start(kol, session)
    [note] = live_notes()
    assert note.user_id == fan.id and note.link == f"/live/{session.id}"
    [(phone, body)] = LogSms.sent
    assert phone == fan.phone and f"/live/{session.id}" in body


def test_banned_followers_are_not_told(make_user, kol, session_of):
    banned = make_user()
    banned.banned_at = utcnow()
    follow(banned, "shop", kol.seller_profile.id)
    start(kol, session_of(kol))
    assert live_notes() == []


def test_a_hidden_brand_tells_nobody(make_user, make_seller, make_brand, commune, kol, session_of):
    from market.accounts.models import SellerStatus

    other_kol = make_seller(commune=commune, shop_name="Vườn Y Khoa", is_kol=True)
    brand = make_brand(kol_user=other_kol, name="Ami kao")
    db.session.add(BrandShop(brand_id=brand.id, seller_id=kol.seller_profile.id))
    other_kol.seller_profile.status = SellerStatus.SUSPENDED
    fan = make_user()
    follow(fan, "brand", brand.id)
    start(kol, session_of(kol))
    assert live_notes() == []


def test_a_host_restarting_within_the_hour_does_not_tell_twice(make_user, kol, session_of):
    fan = make_user()
    follow(fan, "shop", kol.seller_profile.id)
    first = session_of(kol)
    start(kol, first)
    end_session(db.session.get(LiveSession, first.id), kol)
    db.session.commit()
    second = session_of(kol, title="Phiên hai")
    start(kol, second)
    assert len(live_notes()) == 1 and len(LogSms.sent) == 1
    # An hour later the next session is news again.
    db.session.execute(sa.update(LiveAlert).values(sent_at=utcnow() - timedelta(hours=1, seconds=1)))
    end_session(db.session.get(LiveSession, second.id), kol)
    db.session.commit()
    start(kol, session_of(kol, title="Phiên ba"))
    assert len(live_notes()) == 2 and len(LogSms.sent) == 2
    assert live_notes()[-1].text.endswith("Phiên ba")


def test_running_the_fan_out_again_tells_nobody_twice(make_user, kol, session_of):
    fans = [make_user() for _ in range(3)]
    for fan in fans:
        follow(fan, "shop", kol.seller_profile.id)
    session = session_of(kol)
    start(kol, session)
    again = alerts.announce(session.id)
    assert again == {"followers": 3, "notified": 0, "skipped": 3, "batches": 1}
    assert len(live_notes()) == 3 and len(LogSms.sent) == 3


def test_the_fan_out_goes_in_batches(make_user, commune, kol, brand, session_of, monkeypatch):
    fans = [make_user(name=f"Người {i}") for i in range(7)]
    for i, fan in enumerate(fans):
        follow(fan, "shop" if i % 2 else "commune", kol.seller_profile.id if i % 2 else commune.id)
        if i % 3 == 0:
            follow(fan, "brand", brand.id)
    monkeypatch.setattr(alerts, "BATCH_SIZE", 3)
    commits = []
    monkeypatch.setattr(alerts, "_tell_batch", _spy(alerts._tell_batch, commits))
    session = session_of(kol)
    results = []
    monkeypatch.setattr(alerts, "announce", _spy(alerts.announce, results, keep_result=True))
    start(kol, session)
    assert results == [{"followers": 7, "notified": 7, "skipped": 0, "batches": 3}]
    assert [len(batch) for batch in commits] == [3, 3, 1]
    assert sorted(n.user_id for n in live_notes()) == sorted(f.id for f in fans)
    assert count(LiveAlert) == 7


def _spy(fn, record, keep_result=False):
    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        record.append(result if keep_result else args[0])
        return result

    return wrapper


def test_starting_only_defers_the_fan_out(make_user, kol, session_of, monkeypatch):
    """Thousands of followers cost the host nothing: the start commits, then the work is handed to defer."""
    deferred = []
    monkeypatch.setattr(alerts, "defer", lambda fn, *args: deferred.append((fn, args)))
    follow(make_user(), "shop", kol.seller_profile.id)
    session = session_of(kol)
    start_session(session, kol)
    assert deferred == []  # nothing before the commit
    db.session.commit()
    assert deferred == [(alerts.announce, (session.id,))]
    assert live_notes() == []  # no follower was told inside the host's request
    fn, args = deferred[0]
    fn(*args)
    assert len(live_notes()) == 1


def test_a_rolled_back_start_tells_nobody(make_user, kol, session_of):
    follow(make_user(), "shop", kol.seller_profile.id)
    session = session_of(kol)
    db.session.commit()
    start_session(session, kol)
    db.session.rollback()
    db.session.commit()
    assert live_notes() == [] and list(LogSms.sent) == []


def test_a_thousand_followers(make_commune, kol, session_of, monkeypatch):
    """Many followers through several paths: every one told once, in batches of the default size."""
    from market.accounts.passwords import hash_password

    commune_id = kol.seller_profile.commune_id
    pw = hash_password("x")
    db.session.execute(
        sa.insert(User),
        [
            {
                "phone": f"+8498{i:07d}",
                "display_name": f"Người mua {i}",
                "password_hash": pw,
                "locale": "vi" if i % 3 else "en",
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
            for i in range(1100)
        ],
    )
    ids = db.session.scalars(sa.select(User.id).where(User.phone.like("+8498%")).order_by(User.id)).all()
    rows = [{"user_id": uid, "target_type": "commune", "target_id": commune_id, "created_at": utcnow()} for uid in ids]
    rows += [
        {"user_id": uid, "target_type": "shop", "target_id": kol.seller_profile.id, "created_at": utcnow()}
        for uid in ids[::2]
    ]
    db.session.execute(sa.insert(Follow), rows)
    monkeypatch.setattr(alerts, "BATCH_SIZE", 500)
    results = []
    monkeypatch.setattr(alerts, "announce", _spy(alerts.announce, results, keep_result=True))
    LogSms.sent = type(LogSms.sent)(maxlen=2000)
    try:
        start(kol, session_of(kol))
        assert results == [{"followers": 1100, "notified": 1100, "skipped": 0, "batches": 3}]
        assert (
            db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.kind == alerts.KIND)) == 1100
        )
        assert len(LogSms.sent) == 1100 and len({p for p, _t in LogSms.sent}) == 1100
        english = [t for p, t in LogSms.sent if "is live now" in t]
        assert len(english) == len([i for i in range(1100) if i % 3 == 0])
    finally:
        LogSms.sent = type(LogSms.sent)(maxlen=200)


def test_starting_from_the_host_console_socket_tells_followers(socket_client, make_user, kol, session_of):
    from market.accounts.tokens import issue_token
    from market.live.hub import hub

    hub.reset()
    try:
        fan = make_user()
        follow(fan, "shop", kol.seller_profile.id)
        session = session_of(kol)
        db.session.commit()
        host = socket_client(auth={"token": issue_token(kol)})
        assert host.call("join", {"session_id": session.id})["ok"]
        assert host.call("start") == {"ok": True}
        assert [n.user_id for n in live_notes()] == [fan.id] and len(LogSms.sent) == 1
    finally:
        hub.reset()
