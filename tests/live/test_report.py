"""The host sees the money: console totals, the post-live report (funnel, GMV, products, earlier sessions), its
CSV, and who may read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.database import utcnow
from market.extensions import db
from market.live import offers, report, taps
from market.live.models import LiveSession
from market.orders.payment import gateway
from market.orders.phone import PhoneOrderRequest
from market.orders.service import transition
from tests.conftest import login_as
from tests.live.conftest import new_key
from tests.live.test_events import connect, joined, tick  # noqa: F401 - socket fixtures

PRICE = 79_000


def phone(session, offer, number: str, qty: int = 1, method: str | None = None):
    req = PhoneOrderRequest(
        phone=number,
        name="Người gọi",
        street="Thôn 3",
        commune="Ea Knuếc",
        province="Đắk Lắk",
        qty=qty,
        method=method,
        key=new_key("phone"),
    )
    return offers.phone_order(session, session.seller.user, offer.id, req).order


@pytest.fixture
def sold(make_offer):
    """A session with an order in each state: delivered, confirmed, paid by transfer, reserved (pending),
    expired, cancelled, and paid then cancelled (its money to give back)."""
    from market.payments.models import ShopPaymentSettings

    offer = make_offer(quantity=50)
    session = offer.session
    host = session.seller.user
    db.session.add(
        ShopPaymentSettings(
            seller_id=session.seller_id,
            cod_enabled=True,
            cod_auto_confirm=True,
            bank_bin="970436",
            account_number="1023456789",
            account_holder="TRAN VAN PHU",
        )
    )
    db.session.flush()
    orders = {
        "delivered": phone(session, offer, "0912000001", 1),
        "confirmed": phone(session, offer, "0912000002", 2),
        "paid": phone(session, offer, "0912000003", 1, "vietqr"),
        "reserved": phone(session, offer, "0912000004", 1, "vietqr"),
        "expired": phone(session, offer, "0912000005", 3, "vietqr"),
        "cancelled": phone(session, offer, "0912000006", 1),
        "refund_due": phone(session, offer, "0912000007", 1, "vietqr"),  # paid, then cancelled: not "paid"
    }
    for step in ("packed", "shipped", "delivered"):
        transition(orders["delivered"], step, actor=host, role="seller")
    gateway().mark_paid(orders["paid"], host, "seller")
    transition(orders["expired"], "expired", actor=None, role="system")
    transition(orders["cancelled"], "cancelled", actor=host, role="seller", reason="Hết hàng")
    gateway().mark_paid(orders["refund_due"], host, "seller")
    transition(orders["refund_due"], "cancelled", actor=host, role="seller", reason="Khách đổi ý")
    db.session.flush()
    return session, offer, orders


def test_the_console_totals_count_each_state(sold):
    session, _offer, orders = sold
    money = report.money(session.id)
    assert (money.reserved.orders, money.reserved.vnd) == (1, PRICE)
    assert (money.confirmed.orders, money.confirmed.vnd) == (3, 4 * PRICE)  # delivered 1 + confirmed 2 + paid 1
    assert (money.paid.orders, money.paid.vnd) == (1, PRICE)
    assert (money.gone.orders, money.gone.vnd) == (3, 5 * PRICE)  # expired 3 + cancelled 1 + 1
    assert money.placed.orders == 7


def test_the_report_funnel_gmv_and_products(sold, make_product):
    session, offer, _orders = sold
    taps.count(session.id, 25)
    taps.count(session.id, 5)
    assert taps.flush() == 30
    db.session.expire(session)
    data = report.session_report(session)
    m = data.this.money
    assert data.this.taps == 30
    funnel = (m.placed.orders, m.confirmed.orders, m.delivered.orders, m.expired.orders, m.cancelled.orders)
    assert funnel == (7, 3, 1, 1, 2)
    assert (m.confirmed.vnd, m.delivered.vnd) == (4 * PRICE, PRICE)
    [line] = data.products
    assert (line.title, line.reserved_qty, line.confirmed_qty, line.delivered_qty) == ("Sầu riêng Ri6", 10, 4, 1)
    assert (line.confirmed_vnd, line.delivered_vnd) == (4 * PRICE, PRICE)
    assert data.previous == [] and data.previous_average is None


def test_the_report_compares_with_the_hosts_earlier_sessions(sold, make_session, make_offer):
    session, _offer, _orders = sold
    host = session.seller.user
    earlier = make_session(host=host, status="live", title="Phiên tuần trước")
    earlier.started_at = utcnow() - timedelta(days=7)
    earlier.peak_viewers = 40
    db.session.flush()
    old_offer = make_offer(session=earlier, quantity=10)
    phone(earlier, old_offer, "0912000010", 2)
    later = make_session(host=host, status="scheduled", title="Phiên tuần sau")  # not on air yet: not compared
    other_host = make_session(title="Phiên của shop khác")
    other_host.started_at = utcnow() - timedelta(days=3)
    db.session.flush()
    data = report.session_report(session)
    assert [f.session.id for f in data.previous] == [earlier.id]
    assert data.previous[0].money.confirmed.vnd == 2 * PRICE
    assert data.previous_average["gmv_confirmed"] == 2 * PRICE and data.previous_average["peak_viewers"] == 40
    assert later.id not in [f.session.id for f in data.previous]


def test_taps_are_counted_once_per_order_request(connect, make_offer, make_user, tick):  # noqa: F811
    offer = make_offer(quantity=2)
    buyer = connect(make_user())
    joined(buyer, offer.session)
    for _ in range(3):  # the third is sold out: still a tap
        buyer.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})
    tick()
    assert db.session.scalar(sa.select(LiveSession.order_taps).where(LiveSession.id == offer.session.id)) == 3


def test_the_csv_has_sessions_then_products_and_is_spreadsheet_safe(sold):
    session, _offer, _orders = sold
    session.title = '=HYPERLINK("http://x")'
    db.session.flush()
    body = report.report_csv(report.session_report(session))
    assert body.startswith("\ufeff")
    lines = body.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Phiên,Tiêu đề phiên,Lên sóng")
    assert f'{session.id},"\'=HYPERLINK(""http://x"")"' in lines[1]
    assert lines[1].endswith(f",7,3,1,1,2,{4 * PRICE},{PRICE}")
    assert lines[2] == "" and lines[4].startswith("Sầu riêng Ri6,kg,10,4,1,")


@pytest.fixture
def people(sold, make_staff, make_seller, make_commune):
    session = sold[0]
    return {
        "host": session.seller.user,
        "staff": make_staff(session.commune),
        "other_staff": make_staff(make_commune(name="Xã khác")),
        "other_seller": make_seller(is_kol=True),
    }


@pytest.mark.parametrize("path", ["/report", "/report.csv", "/host/orders"])
@pytest.mark.parametrize(
    ("who", "status"), [("host", 200), ("staff", 200), ("other_staff", 404), ("other_seller", 404)]
)
def test_who_may_read_the_report_and_totals(client, sold, people, path, who, status):
    session = sold[0]
    login_as(client, people[who])
    resp = client.get(f"/live/{session.id}{path}")
    assert resp.status_code == status
    if status == 200 and path == "/report":
        html = resp.get_data(as_text=True)
        assert 'data-figure="gmv_confirmed"' in html and "316.000" in html and "<svg" in html
        assert f"/live/{session.id}/report.csv" in html
    if status == 200 and path == "/report.csv":
        assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]


def test_anonymous_visitors_are_sent_to_log_in(client, sold):
    resp = client.get(f"/live/{sold[0].id}/report")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_console_shows_the_money_and_links(client, sold):
    session, _offer, orders = sold
    login_as(client, session.seller.user)
    html = client.get(f"/live/{session.id}/host").get_data(as_text=True)
    assert f"/sell/orders/live/{session.id}/packing" in html and f"/live/{session.id}/report" in html
    assert 'class="money-tile money-confirmed" data-orders="3" data-vnd="316000"' in html
    fragment = client.get(f"/live/{session.id}/host/orders").get_data(as_text=True)
    assert f'data-order-id="{orders["expired"].id}" data-status="expired"' in fragment
    assert 'class="money-tile money-paid" data-orders="1" data-vnd="79000"' in fragment
