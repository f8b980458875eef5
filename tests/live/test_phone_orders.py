"""Phone orders entered at the live console finish there and then (orders.phone through live.offers.phone_order)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.accounts.models import User
from market.domain import DomainError
from market.extensions import db
from market.live import offers
from market.notifications.models import Notification
from market.notifications.sms import LogSms, parts, to_gsm
from market.orders.models import Order
from market.orders.phone import UNUSABLE_PASSWORD, PhoneOrderRequest
from tests.live.conftest import new_key


@pytest.fixture(autouse=True)
def _clear_sms():
    LogSms.sent.clear()
    yield
    LogSms.sent.clear()


def request(**overrides) -> PhoneOrderRequest:
    data = {
        "phone": "0987 111 222",
        "name": "Chị Hạnh",
        "street": "Thôn 3, buôn Ea Knuếc",
        "commune": "Ea Knuếc",
        "province": "Đắk Lắk",
        "qty": 2,
        "method": None,
        "key": new_key("phone"),
        "confirm_duplicate": False,
    }
    data.update(overrides)
    return PhoneOrderRequest(**data)


def pay_settings(session, cod=True, bank=True, auto_confirm=True):
    from market.payments.models import ShopPaymentSettings

    db.session.add(
        ShopPaymentSettings(
            seller_id=session.seller_id,
            cod_enabled=cod,
            cod_auto_confirm=auto_confirm,
            bank_bin="970436" if bank else None,
            account_number="1023456789" if bank else None,
            account_holder="TRAN VAN PHU" if bank else None,
        )
    )
    db.session.flush()


def sms_to(phone: str) -> list[str]:
    return [text for to, text in LogSms.sent if to == phone]


def offer_sold(offer_id: int) -> int:
    from market.live.models import LiveOffer

    return db.session.scalar(sa.select(LiveOffer.sold).where(LiveOffer.id == offer_id))


def test_a_cash_on_delivery_phone_order_is_complete_and_the_caller_gets_one_sms(make_offer):
    offer = make_offer(quantity=50)
    session, host = offer.session, offer.session.seller.user
    pay_settings(session)
    placed = offers.phone_order(session, host, offer.id, request())
    order = placed.order
    assert placed.created and order.status == "confirmed" and order.payment_method == "cod"
    assert order.is_complete and order.ship_street == "Thôn 3, buôn Ea Knuếc" and order.ship_phone == "+84987111222"
    assert (order.origin, order.placed_by_id, order.live_session_id) == ("phone", host.id, session.id)
    assert offer_sold(offer.id) == 2
    buyer = db.session.get(User, order.buyer_id)
    assert buyer.display_name == "Chị Hạnh" and buyer.password_hash == UNUSABLE_PASSWORD  # claimable later
    db.session.commit()
    [text] = sms_to("+84987111222")
    for part in (
        order.code,
        session.seller.shop_name,
        "2 kg Sầu riêng Ri6",
        "158.000 ₫",
        "Thôn 3, buôn Ea Knuếc, Ea Knuếc, Đắk Lắk",
        "tiền mặt",
        f"/orders/{order.id}",
    ):
        assert to_gsm(part) in text, text  # every SMS leaves unaccented
    assert len(text) <= 320, len(text)
    [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == buyer.id)).all()
    assert note.kind == "order.phone_placed" and note.link == f"/orders/{order.id}"


def test_a_transfer_phone_order_sends_the_vietqr_details(make_offer):
    offer = make_offer(quantity=50)
    session, host = offer.session, offer.session.seller.user
    pay_settings(session)
    order = offers.phone_order(session, host, offer.id, request(method="vietqr", qty=3)).order
    assert order.status == "pending" and order.payment_method == "vietqr" and order.is_complete
    db.session.commit()
    [text] = sms_to("+84987111222")
    for part in ("Chuyển khoản 237.000 ₫", "1023456789", "TRAN VAN PHU", f"nội dung {order.code}", "trước "):
        assert to_gsm(part) in text, text  # every SMS leaves unaccented
    assert len(text) <= 400, len(text)


def test_cash_on_delivery_is_the_default_and_transfer_when_the_shop_takes_no_cash(make_offer):
    offer = make_offer()
    pay_settings(offer.session, cod=False)
    order = offers.phone_order(offer.session, offer.session.seller.user, offer.id, request()).order
    assert order.payment_method == "vietqr"


def test_a_shop_that_must_accept_cash_orders_keeps_its_rule(make_offer):
    offer = make_offer()
    pay_settings(offer.session, auto_confirm=False)
    order = offers.phone_order(offer.session, offer.session.seller.user, offer.id, request()).order
    assert order.status == "pending" and order.payment_method == "cod"
    db.session.commit()
    [text] = sms_to("+84987111222")
    assert to_gsm("shop sẽ xác nhận") in text, text


def test_an_existing_buyer_gets_the_sms_too_and_keeps_her_account(make_offer, make_user):
    offer = make_offer()
    buyer = make_user(name="Hoàng Thị Hoa", phone="0912 345 678")
    before = buyer.password_hash
    order = offers.phone_order(
        offer.session, offer.session.seller.user, offer.id, request(phone="0912345678", name="Hoa (nhận hàng)")
    ).order
    assert order.buyer_id == buyer.id and order.ship_name == "Hoa (nhận hàng)"
    db.session.refresh(buyer)
    assert buyer.password_hash == before and buyer.display_name == "Hoàng Thị Hoa"
    db.session.commit()
    assert len(sms_to("+84912345678")) == 1


def test_the_sms_stays_short_with_the_longest_fields(make_offer, make_product):
    offer = make_offer()
    pay_settings(offer.session)
    long_request = request(name="N" * 80, street="S" * 200, commune="C" * 120, province="P" * 120, method="vietqr")
    order = offers.phone_order(offer.session, offer.session.seller.user, offer.id, long_request).order
    db.session.commit()
    [text] = sms_to("+84987111222")
    assert parts(text) <= 2, len(text)  # two SMS parts at most
    # what the caller needs to pay survives whole: the address is what gets shortened
    assert f"1023456789 (TRAN VAN PHU), noi dung {order.code}, truoc " in text, text
    assert text.endswith(f"/orders/{order.id}")


def test_the_same_caller_offer_and_quantity_within_two_minutes_asks_to_confirm(make_offer):
    offer = make_offer()
    host = offer.session.seller.user
    first = offers.phone_order(offer.session, host, offer.id, request()).order
    with pytest.raises(DomainError) as err:
        offers.phone_order(offer.session, host, offer.id, request())
    assert err.value.code == "duplicate" and err.value.field == "confirm_duplicate" and first.code in err.value.message
    assert offer_sold(offer.id) == 2
    # another quantity is another order; confirmed, the same one goes through
    offers.phone_order(offer.session, host, offer.id, request(qty=1))
    offers.phone_order(offer.session, host, offer.id, request(confirm_duplicate=True))
    assert offer_sold(offer.id) == 5
    # after two minutes it is no longer a likely duplicate
    for order in db.session.scalars(sa.select(Order)):
        order.created_at -= timedelta(minutes=3)
    db.session.flush()
    offers.phone_order(offer.session, host, offer.id, request())
    assert offer_sold(offer.id) == 7


def test_the_same_key_twice_is_one_order_not_a_duplicate_question(make_offer):
    offer = make_offer()
    host = offer.session.seller.user
    req = request()
    first = offers.phone_order(offer.session, host, offer.id, req)
    again = offers.phone_order(offer.session, host, offer.id, req)
    assert again.order.id == first.order.id and not again.created
    db.session.commit()
    assert len(sms_to("+84987111222")) == 1 and offer_sold(offer.id) == 2


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"phone": "028 3822 4567"}, "phone", "số di động"),  # a Hồ Chí Minh City landline
        ({"phone": "1900 1234"}, "phone", None),
        ({"phone": "abc"}, "phone", None),
        ({"phone": None}, "phone", None),
        ({"name": "  "}, "name", "tên"),
        ({"street": ""}, "ship_street", "địa chỉ"),
        ({"province": ""}, "ship_province", "tỉnh"),
        ({"qty": 51}, "qty", "tối đa 50"),
        ({"qty": 0}, "qty", None),
        ({"qty": "2"}, "qty", None),
        ({"qty": 10**9}, "qty", None),
        ({"method": "stripe"}, "method", None),
        ({"key": "x"}, "key", None),
    ],
)
def test_bad_phone_orders_write_nothing(make_offer, overrides, field, words):
    offer = make_offer(quantity=50)
    users = db.session.scalar(sa.select(sa.func.count(User.id)))
    with pytest.raises(DomainError) as err:
        offers.phone_order(offer.session, offer.session.seller.user, offer.id, request(**overrides))
    assert err.value.field == field, (err.value.field, err.value.message)
    if words:
        assert words in err.value.message, err.value.message
    assert offer_sold(offer.id) == 0 and not db.session.scalars(sa.select(Order)).all()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == users
    db.session.commit()
    assert not LogSms.sent


def test_more_than_the_offer_has_left_is_refused_beside_the_quantity(make_offer):
    offer = make_offer(quantity=50)
    host = offer.session.seller.user
    offers.phone_order(offer.session, host, offer.id, request(phone="0912 000 111", qty=45))
    with pytest.raises(DomainError) as err:
        offers.phone_order(offer.session, host, offer.id, request(qty=6))
    assert (err.value.code, err.value.field) == ("sold_out", "qty") and "Chỉ còn 5" in err.value.message
    assert offer_sold(offer.id) == 45
    assert db.session.scalar(sa.select(User.id).where(User.phone == "+84987111222")) is None


def test_phone_orders_by_the_host_and_staff_of_the_commune_only(make_offer, make_staff, make_user, make_commune):
    offer = make_offer()
    for outsider in (make_staff(make_commune(name="Xã khác")), make_user()):
        with pytest.raises(DomainError) as err:
            offers.phone_order(offer.session, outsider, offer.id, request())
        assert err.value.code == "forbidden"
    placed = offers.phone_order(offer.session, make_staff(offer.session.commune), offer.id, request())
    assert placed.order.events[0].actor_role == "staff"


def test_an_offer_of_another_session_is_refused(make_offer):
    offer, other = make_offer(), make_offer()
    with pytest.raises(DomainError) as err:
        offers.phone_order(offer.session, offer.session.seller.user, other.id, request())
    assert err.value.field == "offer_id"
