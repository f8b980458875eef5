"""Units read as sellers write them, from one source (the catalog's labels), on the live page, the product
page, the orders and the messages; and how much an order holds is said the same way in the order list and in
the seller's notification and SMS ("2 túi", not "1 sản phẩm" here and "2 sản phẩm" there)."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from market.catalog.labels import unit_label
from market.catalog.models import Unit
from market.domain import DomainError
from market.extensions import db
from market.live import offers
from market.notifications.models import Notification
from market.notifications.sms import LogSms
from market.orders.service import Line, place_order
from market.orders.units import quantity_text
from tests.live.conftest import new_key


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_template_says_the_catalogs_label(app, locale):
    with app.test_request_context(), force_locale(locale):
        unit = app.jinja_env.filters["unit"]
        for u in Unit:
            assert unit(u.value) == unit_label(u.value)
    with app.test_request_context(), force_locale("vi"):
        assert [unit_label(u) for u in ("fruit", "piece", "bag", "box", "kg")] == ["trái", "cái", "túi", "thùng", "kg"]


def test_durian_by_the_fruit_reads_trai_on_the_live_and_product_pages(client, make_offer, make_product, make_session):
    session = make_session()
    durian = make_product(seller=session.seller.user, stock=150, unit="fruit", title="Sầu riêng Ri6 theo trái")
    offer = make_offer(session=session, product=durian, quantity=113, per_buyer_limit=3)
    live = client.get(f"/live/{offer.session_id}").get_data(as_text=True)
    assert "Còn 113 trái · tối đa 3 trái/người" in live and "113 cái" not in live
    assert 'data-units="kg:kg,box:thùng,bag:túi,piece:cái,fruit:trái,metre:mét"' in live  # what the script says
    page = client.get(f"/p/{durian.id}-{durian.slug}").get_data(as_text=True)
    assert "/ trái" in page and "37 trái" in page  # price per fruit; what is left on the shelf


def test_live_refusals_name_the_unit_not_its_code(make_offer, make_product, make_session, make_user):
    session = make_session()
    durian = make_product(seller=session.seller.user, stock=5, unit="fruit")
    offer = make_offer(session=session, product=durian, quantity=2, per_buyer_limit=2, stock_left=0)
    with pytest.raises(DomainError) as err:
        place_order(make_user(), [Line("offer", offer.id, 3)], new_key(), origin="live", live_session_id=session.id)
    assert "2 trái" in err.value.message and "fruit" not in err.value.message
    other = make_product(seller=session.seller.user, stock=1, unit="bag", title="Cà phê")
    with pytest.raises(DomainError) as err:
        offers.pin_offer(session, session.seller.user, other.id, 50_000, 5)
    assert "1 túi" in err.value.message and "bag" not in err.value.message


def test_quantity_text_adds_up_per_unit(app):
    with app.test_request_context(), force_locale("vi"):
        assert quantity_text([(2, "bag")]) == "2 túi"
        assert quantity_text([(3, "kg"), (2, "bag"), (1_500, "kg")]) == "1.503 kg, 2 túi"


def test_the_order_list_and_the_sellers_message_count_alike(client, login, make_product, make_user, make_seller):
    seller = make_seller(shop_name="Cà phê Ea Tu")
    coffee = make_product(seller=seller, stock=10, unit="bag", title="Cà phê rang xay", price_vnd=120_000)
    buyer = make_user()
    LogSms.sent.clear()
    order = place_order(buyer, [Line("product", coffee.id, 2)], new_key(), origin="cart").order
    db.session.commit()
    text = db.session.scalar(
        sa.select(Notification.text).where(Notification.user_id == seller.id, Notification.kind == "order.placed")
    )
    assert f"Đơn mới {order.code}: 2 túi, 240.000" in text
    sms = [t for phone, t in LogSms.sent if phone == seller.phone]
    assert sms and all("2 t" in t and "san pham" not in t.lower() and "sản phẩm" not in t for t in sms)
    login(buyer)
    orders = client.get("/orders").get_data(as_text=True)
    assert "2 túi" in orders and "1 sản phẩm" not in orders
