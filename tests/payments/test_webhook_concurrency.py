"""The same webhook event delivered five times at once (real commits, separate connections): counted once."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from market.accounts.models import Commune, SellerProfile, User
from market.catalog.models import Product
from market.database import utcnow
from market.extensions import db
from market.orders.models import Order, OrderEvent
from market.orders.service import Line, place_order
from market.payments.bankfeed import sign_sepay
from market.payments.models import Payment, ProcessedEvent, ShopPaymentSettings
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.standin import sign, stripe_event

SEPAY_SECRET = "sepay-secret-for-tests"


def committed_order(method: str) -> tuple[int, str, int]:
    """A pending order (committed) waiting for ``method``; returns (order id, code, product id)."""
    commune = Commune(name="Quảng Phú", province="Đắk Lắk", slug="quang-phu")
    seller = User(phone="+84903000002", display_name="Trần Văn Phú", password_hash="x")
    profile = SellerProfile(user=seller, commune=commune, shop_name="Cà phê", slug="ca-phe", status="approved")
    product = Product(seller=profile, title="Cà phê", slug="ca-phe", price_vnd=79_000, stock=20, status="approved")
    buyer = User(phone="+84904000001", display_name="Hoa", password_hash="x")
    db.session.add_all([commune, seller, profile, product, buyer])
    db.session.flush()
    db.session.add(
        ShopPaymentSettings(
            seller_id=profile.id,
            cod_enabled=True,
            cod_auto_confirm=True,
            bank_bin="970436",
            account_number="1023456789",
            account_holder="TRAN VAN PHU",
        )
    )
    order = place_order(buyer, [Line("product", product.id, 2)], "concurrent-order-1").order
    order.payment_method = method
    order.ship_name, order.ship_phone, order.ship_street, order.ship_province = "Hoa", "+84912345678", "1 A", "ĐL"
    db.session.add(
        Payment(
            order_id=order.id,
            method=method,
            attempt=1,
            status="pending",
            amount_vnd=order.total_vnd,
            provider_ref="cs_test_concurrent" if method == "stripe" else None,
        )
    )
    ids = order.id, order.code, product.id
    db.session.commit()
    db.session.close()
    return ids


def post_many(app, url: str, body: str, headers: dict, times: int = 5) -> list:
    def one(_):
        client = app.test_client()
        resp = client.post(url, data=body, headers=headers)
        return resp.status_code, (resp.get_json() or {}).get("outcome")

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(one, range(times)))


@pytest.fixture
def stripe_on(committed_app, stripe_api):
    return stripe_api


def test_same_stripe_event_five_times_at_once(committed_app, stripe_on):
    order_id, code, _ = committed_order("stripe")
    session = {
        "id": "cs_test_concurrent",
        "object": "checkout.session",
        "payment_status": "paid",
        "status": "complete",
        "amount_total": 158_000,
        "currency": "vnd",
        "payment_intent": "pi_conc",
        "metadata": {"order_id": str(order_id), "payment_id": "1"},
    }
    event = stripe_event("checkout.session.completed", session, event_id="evt_five_times")
    body = json.dumps(event)
    results = post_many(
        committed_app,
        "/webhooks/stripe",
        body,
        {"Content-Type": "application/json", "Stripe-Signature": sign(body, WEBHOOK_SECRET)},
    )
    assert all(status == 200 for status, _ in results), results
    assert sorted(outcome for _, outcome in results) == ["duplicate"] * 4 + ["paid"]
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order.status == "confirmed" and order.paid_at is not None
    assert db.session.scalar(sa.select(sa.func.count(ProcessedEvent.id))) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OrderEvent.id)).where(
                OrderEvent.order_id == order_id, OrderEvent.to_status == "confirmed"
            )
        )
        == 1
    )
    assert db.session.scalar(sa.select(sa.func.count(Payment.id)).where(Payment.status == "succeeded")) == 1
    from market.notifications.models import Notification

    told = db.session.execute(sa.select(Notification.user_id, Notification.kind)).all()
    assert sorted(kind for _, kind in told if kind.startswith("order.paid")) == ["order.paid", "order.paid_buyer"]
    assert len({user for user, kind in told if kind.startswith("order.paid")}) == 2  # one each: seller, buyer


def test_same_bank_transfer_five_times_at_once(committed_app):
    committed_app.config["SEPAY_WEBHOOK_SECRET"] = SEPAY_SECRET
    try:
        order_id, code, _ = committed_order("vietqr")
        body = json.dumps(
            {
                "id": 92704,
                "gateway": "Vietcombank",
                "transactionDate": "2026-11-23 10:00:00",
                "accountNumber": "1023456789",
                "code": None,
                "content": f"HOA CK {code}",
                "transferType": "in",
                "transferAmount": 158000,
                "accumulated": 5000000,
                "subAccount": None,
                "referenceCode": "FT2632",
                "description": "",
            }
        )
        ts = str(int(time.time()))
        results = post_many(
            committed_app,
            "/webhooks/bank/sepay",
            body,
            {
                "Content-Type": "application/json",
                "X-SePay-Timestamp": ts,
                "X-SePay-Signature": sign_sepay(SEPAY_SECRET, ts, body.encode()),
            },
        )
        assert sorted(outcome for _, outcome in results) == ["duplicate"] * 4 + ["paid"], results
        db.session.expire_all()
        order = db.session.get(Order, order_id)
        assert order.status == "confirmed" and order.paid_at is not None
        assert db.session.scalar(sa.select(sa.func.count(Payment.id)).where(Payment.status == "succeeded")) == 1
        assert utcnow() >= order.paid_at
    finally:
        committed_app.config["SEPAY_WEBHOOK_SECRET"] = None
