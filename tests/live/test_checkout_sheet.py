"""The live page's checkout sheet (POST /live/<id>/checkout), "chốt" in the chat, and the reminder at half the hold.

Every order here goes through ``ordering.submit_order`` → the merger, exactly as the ``order`` event does
(``test_the_button_chot_and_the_sheet_take_the_one_merged_path``).
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.live import chot
from market.live.holds import remind_holds
from market.live.models import LiveOffer
from market.notifications.models import Notification
from market.notifications.sms import LogSms, to_gsm
from market.orders.models import DeliveryAddress, Order
from market.orders.service import Line, place_order
from tests.conftest import csrf_token, login_as
from tests.live.conftest import new_key
from tests.shipping.conftest import carriers, connect_carrier  # noqa: F401 - fixtures

ADDRESS = {
    "ship_name": "Hoàng Thị Hoa",
    "ship_phone": "0904 000 001",
    "ship_street": "25 Nguyễn Tất Thành",
    "ship_commune": "Phường Tân Lợi",
    "ship_province": "Đắk Lắk",
}


@pytest.fixture(autouse=True)
def clear_sms():
    LogSms.sent.clear()
    yield
    LogSms.sent.clear()


@pytest.fixture
def buyer_client(app, make_user):
    """``buyer_client(user=None)`` → (flask client logged in as a buyer, the buyer, its CSRF token)."""

    def factory(user=None, session=None):
        user = user or make_user(name="Hoàng Thị Hoa")
        db.session.commit()
        client = app.test_client()
        login_as(client, user)
        return client, user, csrf_token(client, f"/live/{session.id}" if session else "/")

    return factory


def post_sheet(client, token, session, **fields):
    data = {**ADDRESS, "method": "cod", "csrf_token": token, **fields}
    return client.post(f"/live/{session.id}/checkout", data=data, headers={"Accept": "application/json"})


def orders_of(user):
    return db.session.scalars(sa.select(Order).where(Order.buyer_id == user.id).order_by(Order.id)).all()


# ---- the sheet --------------------------------------------------------------------------------------------


def test_a_returning_buyer_confirms_cash_on_delivery_in_one_request(app, make_offer, buyer_client):
    offer = make_offer(quantity=10, per_buyer_limit=5)
    session = offer.session
    client, buyer, token = buyer_client(session=session)
    page = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert 'id="sheet-data"' in page and 'id="sheet-form"' in page
    key = new_key("sheet")
    resp = post_sheet(client, token, session, offer_id=str(offer.id), qty="2", key=key)
    assert resp.status_code == 200, resp.json
    order = db.session.get(Order, resp.json["order"]["id"])
    assert order.status == "confirmed" and order.origin == "live" and order.payment_method == "cod"
    assert order.ship_street == "25 Nguyễn Tất Thành" and order.qty == 2
    assert "đã được xác nhận" in resp.json["payment_html"]
    assert db.session.scalar(sa.select(DeliveryAddress.street).where(DeliveryAddress.user_id == buyer.id))
    db.session.expire_all()
    assert db.session.get(LiveOffer, offer.id).sold == 2
    # a double tap (the same key): the first order, nothing more taken
    again = post_sheet(client, token, session, offer_id=str(offer.id), qty="2", key=key)
    assert again.status_code == 200 and again.json["order"]["id"] == order.id
    db.session.expire_all()
    assert len(orders_of(buyer)) == 1 and db.session.get(LiveOffer, offer.id).sold == 2
    # next time the sheet opens with her address and her last way to pay
    data = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert "25 Nguy\\u1ec5n T\\u1ea5t Th\\u00e0nh" in data or "25 Nguyễn Tất Thành" in data
    assert '"method": "cod"' in data


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"ship_street": ""}, "ship_street", "invalid"),
        ({"ship_name": " "}, "ship_name", "invalid"),
        ({"ship_phone": "12345"}, "ship_phone", "invalid"),
        ({"ship_street": "x" * 201}, "ship_street", "invalid"),
        ({"method": "bitcoin"}, "method", "invalid"),
        ({"method": "vietqr"}, "method", "invalid"),  # this shop has no bank account
        ({"qty": "0"}, "qty", "invalid"),
        ({"qty": "-1"}, "qty", "invalid"),
        ({"qty": "1000000000"}, "qty", "invalid"),
        ({"qty": "hai"}, "qty", "invalid"),
        ({"qty": "6"}, "qty", "limit_exceeded"),
        ({"offer_id": "999999"}, None, "invalid"),
        ({"key": ""}, "key", "invalid"),
    ],
)
def test_bad_input_is_refused_in_words_and_writes_nothing(app, make_offer, buyer_client, fields, field, code):
    offer = make_offer(quantity=10, per_buyer_limit=5)
    client, buyer, token = buyer_client(session=offer.session)
    data = {"offer_id": str(offer.id), "qty": "1", "key": new_key("bad"), **fields}
    resp = post_sheet(client, token, offer.session, **data)
    assert 400 <= resp.status_code < 500 and resp.json["ok"] is False
    assert resp.json["error"] == code and resp.json["message"], resp.json
    assert resp.json.get("field") == field
    assert orders_of(buyer) == [] and db.session.get(LiveOffer, offer.id).sold == 0


def test_sold_out_says_how_many_are_left(app, make_offer, buyer_client, make_user):
    offer = make_offer(quantity=5, per_buyer_limit=5)
    place_order(
        make_user(), [Line("offer", offer.id, 3)], new_key("so"), origin="live", live_session_id=offer.session_id
    )
    client, buyer, token = buyer_client(session=offer.session)
    resp = post_sheet(client, token, offer.session, offer_id=str(offer.id), qty="4", key=new_key("so"))
    assert resp.status_code == 409 and resp.json["error"] == "sold_out" and resp.json["remaining"] == 2
    assert "Chỉ còn 2" in resp.json["message"] and resp.json["field"] == "qty"
    assert orders_of(buyer) == []


def test_anonymous_and_csrf_are_refused(app, make_offer, buyer_client):
    offer = make_offer()
    anon = app.test_client()
    resp = post_sheet(
        anon,
        csrf_token(anon, f"/live/{offer.session.id}"),
        offer.session,
        offer_id=str(offer.id),
        qty="1",
        key=new_key("anon"),
    )
    assert resp.status_code == 401 and resp.json["error"] == "not_logged_in"
    client, buyer, _token = buyer_client()
    resp = post_sheet(client, "forged", offer.session, offer_id=str(offer.id), qty="1", key=new_key("csrf"))
    assert resp.status_code == 400 and resp.json["error"] == "csrf" and orders_of(buyer) == []


def test_a_reserved_order_is_finished_by_its_id_and_a_lapsed_hold_is_refused(app, make_offer, buyer_client, make_user):
    offer = make_offer(quantity=10, per_buyer_limit=5)
    session = offer.session
    client, buyer, token = buyer_client(session=session)
    reserved = place_order(
        buyer, [Line("offer", offer.id, 2)], new_key("r"), origin="live", live_session_id=session.id
    ).order
    lapsed = place_order(
        buyer, [Line("offer", offer.id, 1)], new_key("r"), origin="live", live_session_id=session.id
    ).order
    lapsed.hold_expires_at = utcnow() - timedelta(seconds=1)
    other = place_order(
        make_user(), [Line("offer", offer.id, 1)], new_key("r"), origin="live", live_session_id=session.id
    ).order
    db.session.commit()
    # the page lists what is missing and until when
    page = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert (
        "Còn 1 bước: chọn địa chỉ và cách trả tiền — giữ hàng đến" in page.encode().decode("unicode_escape")
        or "C\\u00f2n 1 b\\u01b0\\u1edbc" in page
    )
    resp = post_sheet(client, token, session, order_id=str(lapsed.id))
    assert resp.status_code == 409 and resp.json["error"] == "expired"
    assert "hết thời gian giữ hàng" in resp.json["message"]
    assert post_sheet(client, token, session, order_id=str(other.id)).status_code == 404  # another person's
    resp = post_sheet(client, token, session, order_id=str(reserved.id))
    assert resp.status_code == 200 and resp.json["order"]["status"] == "confirmed"
    assert db.session.get(LiveOffer, offer.id).sold == 4  # nothing reserved twice


# ---- chốt ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "qty", "number"),
    [
        ("chốt 2", 2, None),
        ("chot 2", 2, None),
        ("CHỐT 2", 2, None),
        ("Chốt 2 #3", 2, 3),
        ("chốt #3 2", 2, 3),
        ("chốt", 1, None),
        ("  chốt   5  ", 5, None),
        ("chốt 2 # 3", 2, 3),
        ("chốt +2", 2, None),
    ],
)
def test_chot_is_read_with_or_without_diacritics(text, qty, number, app):
    assert chot.parse(text) == chot.Claim(qty, number)


@pytest.mark.parametrize("text", ["chốt đơn", "Chốt với shop ơi", "chào shop", "chốtđi", "hello chốt 2"])
def test_other_messages_are_not_claims_or_say_how_to_claim(text, app):
    if text.startswith(("chào", "hello", "chốtđi")):
        assert chot.parse(text) is None
    else:
        with pytest.raises(DomainError, match="chốt 2"):
            chot.parse(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("chốt 0", "ít nhất là 1"),
        ("chốt -1", "ít nhất là 1"),
        ("chốt −1", "ít nhất là 1"),
        ("chốt 1000000000", "quá lớn"),
        ("chốt 10^9", "Hãy ghi số lượng"),
        ("chốt hai", "Hãy ghi số lượng"),
        ("chốt 2.5", "Hãy ghi số lượng"),
        ("chốt 2 3", "Hãy ghi số lượng"),
        ("chốt 2 #1 #2", "Hãy ghi số lượng"),
    ],
)
def test_bad_quantities_are_refused_in_words(text, says, app):
    with pytest.raises(DomainError) as err:
        chot.parse(text)
    assert says in err.value.message


def test_which_offer_a_claim_is_for(app, make_session, make_offer):
    from market.live import offers

    session = make_session()
    with pytest.raises(DomainError, match="Chưa có sản phẩm nào đang bán"):
        chot.resolve(session, chot.Claim(1, None))
    first = make_offer(session=session)
    assert chot.resolve(session, chot.Claim(1, None)).id == first.id
    second = make_offer(session=session)
    assert (first.number, second.number) == (1, 2)
    with pytest.raises(DomainError, match="#1, #2") as err:
        chot.resolve(session, chot.Claim(3, None))
    assert "chốt 3 #1" in err.value.message
    assert chot.resolve(session, chot.Claim(1, 2)).id == second.id
    with pytest.raises(DomainError, match="không có sản phẩm số #7"):
        chot.resolve(session, chot.Claim(1, 7))
    offers.close_offer(session, session.seller.user, first.id)
    with pytest.raises(DomainError, match="#1 đã đóng") as err:
        chot.resolve(session, chot.Claim(1, 1))
    assert err.value.code == "offer_closed"
    session.chot_enabled = False
    with pytest.raises(DomainError, match="không nhận chốt đơn qua chat"):
        chot.resolve(session, chot.Claim(1, 2))


# ---- nothing lapses unseen: the reminder at half the hold ---------------------------------------------------


def test_the_reminder_goes_out_once_at_half_the_live_hold(app, make_offer, make_user):
    app.config["LIVE_HOLD_MINUTES"] = 20
    offer = make_offer()
    buyer = make_user(name="Hoàng Thị Hoa")
    waiting = place_order(
        buyer, [Line("offer", offer.id, 2)], new_key("h"), origin="live", live_session_id=offer.session_id
    ).order
    cart = place_order(buyer, [Line("product", offer.product_id, 1)], new_key("h"), origin="cart").order
    assert 19 * 60 < (waiting.hold_expires_at - utcnow()).total_seconds() <= 20 * 60  # its own setting
    assert (cart.hold_expires_at - utcnow()).total_seconds() > 29 * 60
    db.session.commit()
    assert remind_holds(utcnow() + timedelta(minutes=9)) == 0  # not yet half
    assert remind_holds(utcnow() + timedelta(minutes=11)) == 1
    db.session.commit()
    assert remind_holds(utcnow() + timedelta(minutes=12)) == 0  # once
    db.session.commit()
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == buyer.id)).all()
    assert [n.kind for n in notes] == ["live.hold_reminder"]
    assert notes[0].text.startswith(f"Đơn {waiting.code} (")
    assert "Còn 1 bước: chọn địa chỉ và cách trả tiền — giữ hàng đến" in notes[0].text
    assert notes[0].link == f"/live/{offer.session_id}?order={waiting.id}"
    to_her = [text for phone, text in LogSms.sent if phone == buyer.phone]
    assert len(to_her) == 1 and f"/live/{offer.session_id}?order={waiting.id}" in to_her[0]
    assert to_gsm("Còn 1 bước: chọn địa chỉ và cách trả tiền") in to_her[0]  # SMS leave unaccented


def test_no_reminder_when_nothing_is_missing_on_her_side(app, make_offer, make_user):
    from market.orders.checkout import Address, complete_order

    offer = make_offer()
    buyer = make_user()
    order = place_order(
        buyer, [Line("offer", offer.id, 1)], new_key("h"), origin="live", live_session_id=offer.session_id
    ).order
    complete_order(order, buyer, Address("Hoa", "+84904000001", "Thôn 3", "", "Đắk Lắk"), "cod")
    assert order.status == "confirmed"
    db.session.commit()
    assert remind_holds(utcnow() + timedelta(minutes=15)) == 0


def test_the_sweep_and_the_cli_send_the_reminders(app, make_offer, make_user, runner):
    offer = make_offer()
    buyer = make_user()
    order = place_order(
        buyer, [Line("offer", offer.id, 1)], new_key("h"), origin="live", live_session_id=offer.session_id
    ).order
    order.hold_expires_at = utcnow() + timedelta(minutes=3)
    db.session.commit()
    result = runner.invoke(args=["expire-holds"])
    assert "1 buyer(s) reminded" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(Order, order.id).reminded_at is not None


# ---- chốt over the real socket, and the one merged path ---------------------------------------------------


@pytest.fixture
def connect(socket_client):
    from market.accounts.tokens import issue_token

    def factory(user=None):
        return socket_client(auth={"token": issue_token(user)} if user else None)

    return factory


def joined(sock, session):
    ack = sock.call("join", {"session_id": session.id})
    assert ack["ok"], ack
    sock.received()
    return ack


def test_chot_in_the_chat_orders_and_only_she_hears_the_answer(app, make_offer, make_user, connect):
    offer = make_offer(quantity=10, per_buyer_limit=5)
    session = offer.session
    buyer, other = make_user(name="Hoàng Thị Hoa"), make_user(name="Nguyễn Văn Nam")
    db.session.commit()
    her, watcher = connect(buyer), connect(other)
    joined(her, session)
    joined(watcher, session)
    ack = her.call("chat", {"text": "Chốt 2"})
    assert ack["ok"] and ack["chat"]["text"] == "Chốt 2"  # her line, in the chat as usual
    answer = ack["chot"]
    assert answer["ok"] is True and answer["order"]["qty"] == 2 and answer["order"]["missing"] == ["address", "method"]
    assert answer["order"]["missing_text"].startswith("Còn 1 bước: chọn địa chỉ và cách trả tiền")
    order = db.session.get(Order, answer["order"]["id"])
    assert order.origin == "live" and order.buyer_id == buyer.id and order.idempotency_key.startswith("live-chot-")
    heard = [m["name"] for m in watcher.received()]
    assert "chat" in heard and not any("chot" in (m or "") for m in heard)
    # bad input: a clear answer to her alone, nothing ordered
    for text, says in [
        ("chốt 0", "ít nhất là 1"),
        ("chốt 10", "tối đa 5"),
        ("chốt hai", "Hãy ghi số lượng"),
        ("chốt 2 #9", "không có sản phẩm số #9"),
    ]:
        ack = her.call("chat", {"text": text})
        assert ack["ok"] and ack["chot"]["ok"] is False and says in ack["chot"]["message"], (text, ack)
    assert len(orders_of(buyer)) == 1
    # two offers open and no number: which number to give
    from market import ratelimit

    ratelimit.reset()  # five chat messages per ten seconds
    make_offer(session=session)
    ack = her.call("chat", {"text": "chot 1"})
    assert ack["chot"]["ok"] is False and "#1, #2" in ack["chot"]["message"]
    ack = her.call("chat", {"text": "chot 1 #2"})
    assert ack["chot"]["ok"] is True
    # the host turns it off: a hint, no order
    session.chot_enabled = False
    db.session.commit()
    ack = her.call("chat", {"text": "chốt 1 #2"})
    assert ack["chot"]["ok"] is False and "không nhận chốt đơn qua chat" in ack["chot"]["message"]
    assert len(orders_of(buyer)) == 2
    # a plain message has no answer
    assert "chot" not in her.call("chat", {"text": "Còn hàng không chị?"})


def test_the_button_chot_and_the_sheet_take_the_one_merged_path(
    app, make_offer, make_user, connect, buyer_client, monkeypatch
):
    """The storm benchmark measures ``merger.submit``: the sheet and "chốt" must not go around it."""
    from market.live import ordering

    offer = make_offer(quantity=50, per_buyer_limit=10)
    session = offer.session
    seen = []
    real = ordering.OrderMerger.submit

    def spy(self, req, timeout=20.0):
        seen.append(req.key)
        return real(self, req, timeout)

    monkeypatch.setattr(ordering.OrderMerger, "submit", spy)
    client, buyer, token = buyer_client(session=session)
    sock = connect(buyer)
    joined(sock, session)
    assert sock.call("order", {"offer_id": offer.id, "qty": 1, "key": "button-key-1"})["ok"]
    assert sock.call("chat", {"text": "chốt 1"})["chot"]["ok"]
    assert post_sheet(client, token, session, offer_id=str(offer.id), qty="1", key="sheet-key-1").status_code == 200
    assert seen[0] == "button-key-1" and seen[1].startswith("live-chot-") and seen[2] == "sheet-key-1"
    assert len(orders_of(buyer)) == 3


def test_the_host_turns_chot_off_and_on_in_the_session_form(app, make_session):
    from market.live.models import LiveSession

    session = make_session(status="scheduled")
    db.session.commit()
    client = app.test_client()
    login_as(client, session.seller.user)
    page = client.get(f"/live/{session.id}/edit").get_data(as_text=True)
    assert (
        'name="chot_enabled"' in page
        and "checked" in page.split('name="chot_enabled"')[0][-200:] + page.split('name="chot_enabled"')[1][:200]
    )
    form = {
        "title": "Phiên sầu riêng",
        "stream_url": "https://www.tiktok.com/@a/live",
        "scheduled_at": "2030-01-01T20:00",
        "description": "",
        "cover_product_id": "0",
        "csrf_token": csrf_token(client, f"/live/{session.id}/edit"),
    }
    assert client.post(f"/live/{session.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(LiveSession, session.id).chot_enabled is False
    assert client.post(f"/live/{session.id}/edit", data={**form, "chot_enabled": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(LiveSession, session.id).chot_enabled is True


# ---- a new buyer (or one not logged in) completes in the same sheet ---------------------------------------


def _code_sent_to(phone_e164: str) -> str:
    import re

    texts = [t for p, t in LogSms.sent if p == phone_e164]
    assert texts, LogSms.sent
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


def test_a_new_buyer_signs_up_and_orders_without_leaving_the_sheet(app, make_offer):
    from market.accounts.models import User

    offer = make_offer(quantity=10, per_buyer_limit=5)
    session = offer.session
    db.session.commit()
    client = app.test_client()
    token = csrf_token(client, f"/live/{session.id}")
    code_url = f"/live/{session.id}/checkout/code"
    # a landline cannot receive the code: refused beside the phone, nothing sent
    resp = client.post(
        code_url, data={"csrf_token": token, "phone": "028 3822 1234"}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 400 and resp.json["field"] == "phone" and LogSms.sent == type(LogSms.sent)()
    resp = client.post(
        code_url, data={"csrf_token": token, "phone": "0912 345 678"}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 200 and "0912 345 678" in resp.json["message"]
    code = _code_sent_to("+84912345678")
    new = {
        "phone": "0912 345 678",
        "name": "Bà H'Jih",
        "ship_name": "",
        "ship_phone": "",
        "offer_id": str(offer.id),
        "qty": "2",
        "key": new_key("new"),
    }
    # no code yet, a wrong code, no name: refused beside the field, no account, no order
    assert post_sheet(client, token, session, **new).status_code == 401
    resp = post_sheet(client, token, session, **new, code="000000" if code != "000000" else "111111")
    assert resp.json["field"] == "code" and "chưa đúng" in resp.json["message"], resp.json
    resp = post_sheet(client, token, session, **{**new, "name": " "}, code=code)
    assert resp.json["field"] in ("name", "ship_name"), resp.json
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.phone == "+84912345678")) == 0
    # the right code: her account, her order, confirmed, and she is logged in on this page
    resp = post_sheet(client, token, session, **new, code=code)
    assert resp.status_code == 200 and resp.json["signed_in"] is True, resp.json
    user = db.session.scalar(sa.select(User).where(User.phone == "+84912345678"))
    assert user.display_name == "Bà H'Jih" and user.phone_verified_at is not None
    order = db.session.get(Order, resp.json["order"]["id"])
    assert order.buyer_id == user.id and order.status == "confirmed" and order.qty == 2
    assert (order.ship_name, order.ship_phone) == ("Bà H'Jih", "+84912345678")
    page = client.get(f"/live/{session.id}").get_data(as_text=True)
    assert '"logged_in": true' in page
    # the page's form still works after signing in (same CSRF token): her next order needs no code
    again = post_sheet(
        client,
        token,
        session,
        offer_id=str(offer.id),
        qty="1",
        key=new_key("new"),
        ship_name="Bà H'Jih",
        ship_phone="0912 345 678",
    )
    assert again.status_code == 200 and again.json["signed_in"] is False, again.json


def test_a_shipping_fee_is_shown_before_she_confirms_it(app, make_offer, buyer_client):
    """The sheet showed no fee; the shop charges one to her address: the reservation stands, the sheet learns the
    fee, and the next "Confirm" with that total completes the order."""
    from market.shipping.models import ShopShipping

    offer = make_offer(quantity=10, per_buyer_limit=5)
    session = offer.session
    db.session.add(
        ShopShipping(
            seller_id=session.seller_id,
            fee_commune_vnd=15_000,
            fee_province_vnd=25_000,
            fee_elsewhere_vnd=35_000,
            extra_commune_vnd=0,
            extra_province_vnd=0,
            extra_elsewhere_vnd=0,
            base_weight_g=2000,
            item_weight_g=1000,
            free_above_vnd=None,
            pickup_enabled=False,
            pickup_note="",
        )
    )
    client, buyer, token = buyer_client(session=session)
    resp = post_sheet(client, token, session, offer_id=str(offer.id), qty="1", key=new_key("fee"), shown_fee="0")
    assert resp.status_code == 409 and resp.json["error"] == "fee_changed", resp.json
    fee = resp.json["shipping_vnd"]
    assert fee > 0 and resp.json["order"]["status"] == "pending" and resp.json["order"]["missing"]
    order_id = resp.json["order"]["id"]
    resp = post_sheet(client, token, session, order_id=str(order_id), shown_fee=str(fee))
    assert resp.status_code == 200, resp.json
    assert resp.json["order"]["total_vnd"] == 79_000 + fee and resp.json["order"]["status"] == "confirmed"
    assert len(orders_of(buyer)) == 1


def test_the_sheet_charges_the_carriers_quote_when_the_shop_chose_it(
    app,
    make_offer,
    buyer_client,
    carriers,  # noqa: F811 - the fixture
    connect_carrier,  # noqa: F811 - the fixture
):
    """A shop quoting by GHTK: the sheet learns GHTK's fee for her address (not the table's), and the order keeps it."""
    from market.shipping.models import ShopShipping
    from market.shipping.service import forget_quotes

    forget_quotes()
    offer = make_offer(quantity=10, per_buyer_limit=5)
    session = offer.session
    db.session.add(
        ShopShipping(
            seller_id=session.seller_id,
            fee_commune_vnd=15_000,
            fee_province_vnd=25_000,
            fee_elsewhere_vnd=35_000,
            extra_commune_vnd=0,
            extra_province_vnd=0,
            extra_elsewhere_vnd=0,
            base_weight_g=2000,
            item_weight_g=1000,
            free_above_vnd=None,
            pickup_enabled=False,
            pickup_note="",
            quote_carrier="ghtk",
        )
    )
    connect_carrier(session.seller, "ghtk")
    client, buyer, token = buyer_client(session=session)
    resp = post_sheet(client, token, session, offer_id=str(offer.id), qty="1", key=new_key("ghtk"), shown_fee="0")
    assert resp.status_code == 409 and resp.json["shipping_vnd"] == 30_400, resp.json  # the stand-in's fee
    resp = post_sheet(client, token, session, order_id=str(resp.json["order"]["id"]), shown_fee="30400")
    assert resp.status_code == 200, resp.json
    assert resp.json["order"]["total_vnd"] == 79_000 + 30_400
    [order] = orders_of(buyer)
    assert order.shipping_vnd == 30_400
    assert len(carriers["ghtk"].calls("/services/shipment/fee")) == 2  # asked again when confirming
    forget_quotes()
