"""In-app notifications (page, badge, personal socket room) and SMS, in the recipient's language."""

import pytest
import sqlalchemy as sa

from market.accounts.tokens import issue_token
from market.extensions import db
from market.notifications.models import Notification
from market.notifications.service import message_kind, notify
from market.notifications.sms import HttpGatewaySms, LogSms
from market.orders.service import transition
from market.orders.states import Actor
from tests.conftest import login_as, post_form
from tests.notifications.standin import SmsGatewayStandIn


@message_kind("test.hello")
def _hello(params):
    from flask_babel import gettext as _

    return _("Order %(code)s is cancelled.", code=params["code"])


@pytest.fixture(autouse=True)
def clear_sms():
    LogSms.sent.clear()
    yield
    LogSms.sent.clear()


def test_text_is_written_in_the_recipients_language(app, make_user):
    vi, en = make_user(locale="vi"), make_user(locale="en", name="Anna")
    a = notify(vi, "test.hello", {"code": "CPABCDEFGH"}, link="/orders/1", sms=True)
    b = notify(en, "test.hello", {"code": "CPABCDEFGH"}, link="/orders/1", sms=True)
    assert a.text == "Đã hủy đơn hàng CPABCDEFGH."
    assert b.text == "Order CPABCDEFGH is cancelled."
    assert list(LogSms.sent) == []  # nothing leaves before the commit
    db.session.commit()
    assert [(p, t.split(" http")[0]) for p, t in LogSms.sent] == [
        (vi.phone, "Cho Phien: Da huy don hang CPABCDEFGH."),
        (en.phone, "Cho Phien: Order CPABCDEFGH is cancelled."),
    ]
    assert LogSms.sent[0][1].endswith("/orders/1")


def test_nothing_is_sent_for_a_rolled_back_change(app, make_user):
    user = make_user()
    db.session.commit()
    notify(user, "test.hello", {"code": "CPABCDEFGH"}, sms=True)
    db.session.rollback()
    db.session.commit()
    assert list(LogSms.sent) == []
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_unknown_kind_and_foreign_links_are_programming_errors(app, make_user):
    user = make_user()
    with pytest.raises(KeyError):
        notify(user, "no.such.kind")
    with pytest.raises(ValueError):
        notify(user, "test.hello", {"code": "x"}, link="https://evil.example/")


def test_personal_room_hears_only_its_own_notifications(client, app, socket_client, make_user):
    hoa, nam = make_user(name="Hoa"), make_user(name="Nam")
    login_as(client, hoa)
    hoa_socket = socket_client(client, namespace="/notify")
    nam_socket = socket_client(namespace="/notify", auth={"token": issue_token(nam)})
    assert hoa_socket.is_connected() and nam_socket.is_connected()
    assert hoa_socket.events("unread") == [{"count": 0}]
    notify(hoa, "test.hello", {"code": "CPHOAHOAHO"}, link="/orders/5")
    db.session.commit()
    got = hoa_socket.events("notification")
    assert len(got) == 1 and got[0]["text"] == "Đã hủy đơn hàng CPHOAHOAHO." and got[0]["unread"] == 1
    assert nam_socket.events("notification") == []


@pytest.mark.parametrize("auth", [None, {"token": "forged"}, {"token": 42}])
def test_anonymous_sockets_are_refused(socket_client, auth):
    assert not socket_client(namespace="/notify", auth=auth).is_connected()


def test_page_badge_and_read(client, make_user, login):
    user, other = make_user(), make_user(name="Khác")
    mine = notify(user, "test.hello", {"code": "CPMINEMINE"}, link="/orders/77")
    theirs = notify(other, "test.hello", {"code": "CPTHEIRSXX"})
    db.session.commit()
    login(user)
    html = client.get("/notifications").get_data(as_text=True)
    assert "CPMINEMINE" in html and "CPTHEIRSXX" not in html
    assert 'class="nav-badge"' in client.get("/").get_data(as_text=True)
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    resp = client.get(f"/notifications/{mine.id}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/orders/77"
    db.session.refresh(mine)
    assert mine.read_at is not None
    assert client.get("/notifications/unread").json == {"ok": True, "count": 0}
    assert 'class="nav-badge"' not in client.get("/").get_data(as_text=True)
    notify(user, "test.hello", {"code": "CPAGAINAGA"})
    db.session.commit()
    assert post_form(client, "/notifications/read", {}, page="/notifications").status_code == 302
    assert client.get("/notifications/unread").json["count"] == 0


def test_text_is_rendered_in_the_readers_current_language(client, make_user, login):
    user = make_user(locale="vi")
    notify(user, "test.hello", {"code": "CPLANGLANG"})
    db.session.commit()
    login(user)
    post_form(client, "/lang/en", {})
    assert "Order CPLANGLANG is cancelled." in client.get("/notifications").get_data(as_text=True)


def test_http_gateway_provider_against_a_stand_in(app, make_user):
    gateway = SmsGatewayStandIn().start()
    try:
        HttpGatewaySms(gateway.url + "/send", "sms-token").send("+84912345678", "Chợ Phiên: đơn CPX đã giao")
        (req,) = gateway.seen
        assert req.method == "POST" and req.path == "/send"
        assert req.headers["authorization"] == "Bearer sms-token"
        assert req.json == {"to": "+84912345678", "text": "Chợ Phiên: đơn CPX đã giao"}
        from market.notifications.sms import SmsError

        with pytest.raises(SmsError):
            HttpGatewaySms(gateway.url + "/send", "wrong-token").send("+84912345678", "x")
        # configured in the app, a committed notification goes out through it
        app.config.update(SMS_GATEWAY_URL=gateway.url + "/send", SMS_GATEWAY_TOKEN="sms-token")
        user = make_user()
        notify(user, "test.hello", {"code": "CPGATEWAYX"}, sms=True)
        db.session.commit()
        assert gateway.seen[-1].json["to"] == user.phone
        assert "CPGATEWAYX" in gateway.seen[-1].json["text"]
        # a gateway that fails never undoes the committed change
        gateway.fail_next.append((503, {"error": "busy"}))
        notify(user, "test.hello", {"code": "CPFAILFAIL"}, sms=True)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id)) == 2
    finally:
        app.config.update(SMS_GATEWAY_URL=None, SMS_GATEWAY_TOKEN=None)
        gateway.stop()


def test_buyer_hears_of_each_step_and_nobody_of_their_own(app, shop, buyer, place):
    order = place(buyer, shop.product, 2)  # cash on delivery, confirmed at once
    seller = shop.user
    transition(order, "packed", actor=seller, role=Actor.SELLER)
    order.carrier, order.tracking_code = "GHN", "GHN123"
    transition(order, "shipped", actor=seller, role=Actor.SELLER)
    transition(order, "delivered", actor=buyer, role=Actor.BUYER)
    db.session.commit()
    rows = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert [(n.user_id, n.kind) for n in rows] == [
        (seller.id, "order.placed"),
        (buyer.id, "order.packed"),
        (buyer.id, "order.shipped"),
        (seller.id, "order.received"),
    ]
    assert "GHN" in rows[2].text and "GHN123" in rows[2].text
    sms_to = [phone for phone, _ in LogSms.sent]
    assert sms_to.count(buyer.phone) == 2 and sms_to.count(seller.phone) == 1


def test_live_orders_do_not_ping_the_seller(app, shop, buyer, place, make_live_session):
    session = make_live_session(shop.user)
    place(buyer, shop.product, 1, method=None, address=False, origin="live", live_session_id=session.id)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
