"""The bank-feed webhook (SePay's documented format, HMAC-signed): match memo and amount, confirm or flag."""

import json
import time

import pytest
import sqlalchemy as sa

from market.extensions import db
from market.payments.bankfeed import TOLERANCE_SECONDS, order_codes_in, sign_sepay
from market.payments.models import Payment, ProcessedEvent
from tests.conftest import login_as
from tests.orders.fixtures import reload

SECRET = "sepay-webhook-secret-0123"


@pytest.fixture(autouse=True)
def sepay(_app):
    _app.config["SEPAY_WEBHOOK_SECRET"] = SECRET
    yield
    _app.config["SEPAY_WEBHOOK_SECRET"] = None


def transfer(code: str, amount: int = 158_000, txn=9001, account="1023456789", **extra) -> dict:
    return {
        "id": txn,
        "gateway": "Vietcombank",
        "transactionDate": "2026-11-23 09:41:00",
        "accountNumber": account,
        "code": None,
        "content": f"NGUYEN VAN A chuyen tien {code}",
        "transferType": "in",
        "transferAmount": amount,
        "accumulated": 19_077_000,
        "subAccount": None,
        "referenceCode": "MBVCB.3278907687",
        "description": "",
        **extra,
    }


def send(client, data, secret=SECRET, ts=None, body=None, signature=None):
    raw = body if body is not None else json.dumps(data)
    ts = str(int(time.time())) if ts is None else ts
    headers = {
        "Content-Type": "application/json",
        "X-SePay-Timestamp": ts,
        "X-SePay-Signature": signature if signature is not None else sign_sepay(secret, ts, raw.encode()),
    }
    return client.post("/webhooks/bank/sepay", data=raw, headers=headers)


@pytest.fixture
def qr_order(shop, buyer, place):
    return place(buyer, shop.product, 2, method="vietqr")


def test_matching_transfer_confirms_the_order(client, qr_order, shop, buyer):
    resp = send(client, transfer(qr_order.code))
    assert resp.status_code == 200 and resp.json == {"success": True, "outcome": "paid"}
    reload(qr_order)
    assert qr_order.status == "confirmed" and qr_order.paid_at is not None
    payment = db.session.scalar(sa.select(Payment).where(Payment.order_id == qr_order.id))
    assert (payment.status, payment.received_vnd, payment.provider_ref) == ("succeeded", 158_000, "sepay:9001")
    # SePay retries (or an attacker replays with a fresh signature): the same transaction counts once
    again = send(client, transfer(qr_order.code))
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    assert db.session.scalar(sa.select(sa.func.count(Payment.id)).where(Payment.status == "succeeded")) == 1


@pytest.mark.parametrize("amount", [157_999, 158_001, 1, 0, 1_580_000])
def test_wrong_amount_leaves_the_order_unpaid_and_flags_it(client, qr_order, shop, amount):
    resp = send(client, transfer(qr_order.code, amount=amount))
    assert resp.status_code == 200 and resp.json["outcome"] == "wrong_amount"
    reload(qr_order)
    assert qr_order.status == "pending" and qr_order.paid_at is None and qr_order.payment_flag == "amount_mismatch"
    login_as(client, shop.user)
    assert "sai số tiền" in client.get(f"/orders/{qr_order.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "attack",
    [
        "no_signature",
        "wrong_secret",
        "stale",
        "future",
        "tampered",
        "bad_timestamp",
        "superscript_timestamp",
        "no_prefix",
        "not_ascii",
    ],
)
def test_transfers_without_a_valid_signature_are_refused(client, qr_order, attack):
    data = transfer(qr_order.code)
    body = json.dumps(data)
    now = int(time.time())
    if attack == "no_signature":
        resp = client.post("/webhooks/bank/sepay", data=body, headers={"Content-Type": "application/json"})
    elif attack == "wrong_secret":
        resp = send(client, data, secret="guess")
    elif attack == "stale":
        resp = send(client, data, ts=str(now - TOLERANCE_SECONDS - 60))
    elif attack == "future":  # a minute past the tolerance: the seconds this test takes never bring it within
        resp = send(client, data, ts=str(now + TOLERANCE_SECONDS + 60))
    elif attack == "tampered":
        ts = str(now)
        resp = send(
            client, None, ts=ts, body=body.replace("158000", "1"), signature=sign_sepay(SECRET, ts, body.encode())
        )
    elif attack == "bad_timestamp":
        resp = send(client, data, ts="yesterday")
    elif attack == "superscript_timestamp":
        resp = send(client, data, ts="²")  # a digit int() refuses
    elif attack == "not_ascii":
        resp = send(client, data, signature="sha256=é" + "0" * 63)
    else:
        ts = str(now)
        resp = send(client, data, ts=ts, signature=sign_sepay(SECRET, ts, body.encode())[len("sha256=") :])
    assert resp.status_code == 401 and resp.json["ok"] is False
    assert reload(qr_order).paid_at is None
    assert db.session.scalar(sa.select(sa.func.count(ProcessedEvent.id))) == 0


def test_unknown_provider_or_feed_off_is_404(client, _app, qr_order):
    assert send(client, transfer(qr_order.code)).status_code == 200
    assert client.post("/webhooks/bank/casso", data="{}").status_code == 404
    _app.config["SEPAY_WEBHOOK_SECRET"] = None
    assert send(client, transfer(qr_order.code, txn=2)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"id": 1}),
        json.dumps({"transferAmount": 5}),
        json.dumps({"id": 1, "transferAmount": "158000"}),
        json.dumps({"id": 1, "transferAmount": -5}),
        json.dumps({"id": True, "transferAmount": 5}),
    ],
)
def test_signed_but_malformed_bodies_are_400(client, qr_order, body):
    assert send(client, None, body=body).status_code == 400
    assert reload(qr_order).paid_at is None


def test_outgoing_and_unmatched_transfers_change_nothing(client, qr_order):
    assert send(client, transfer(qr_order.code, transferType="out", txn=1)).json["outcome"] == "outgoing"
    assert send(client, transfer("CPAAAAAAAA", txn=2)).json["outcome"] == "unmatched"
    nobody = transfer("", txn=3)
    nobody["content"] = "tien an sang"
    assert send(client, nobody).json["outcome"] == "unmatched"
    assert reload(qr_order).paid_at is None


def test_transfer_to_another_account_is_flagged(client, qr_order):
    resp = send(client, transfer(qr_order.code, account="9999999999"))
    assert resp.json["outcome"] == "wrong_account"
    reload(qr_order)
    assert qr_order.paid_at is None and qr_order.payment_flag == "wrong_account"


def test_transfer_after_expiry_is_kept_for_a_manual_refund(client, qr_order):
    from datetime import timedelta

    from market.database import utcnow
    from market.orders.service import expire_holds

    qr_order.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    expire_holds()
    resp = send(client, transfer(qr_order.code))
    assert resp.json["outcome"] == "refund_due"
    reload(qr_order)
    assert qr_order.status == "expired" and qr_order.paid_at is None and qr_order.payment_flag == "paid_after_close"


def test_memo_found_however_the_bank_mangles_it(qr_order):
    code = qr_order.code
    spaced = f"{code[:4]} {code[4:]}"
    dashed = f"{code[:2]}-{code[2:]}"
    for text in (code, code.lower(), f"IBFT {code} FT26327", spaced, dashed, f"MBVCB.123.{code}.CT tu 0123"):
        assert code in order_codes_in(text), text
    assert order_codes_in("CP0000000O") == []  # 0 and O are not in the code alphabet


def test_seller_is_told_when_the_buyer_says_they_transferred(client, qr_order, buyer, shop):
    from market.notifications.models import Notification

    login_as(client, buyer)
    from tests.conftest import post_form

    resp = post_form(client, f"/payments/{qr_order.id}/transfer-sent", {}, page=f"/orders/{qr_order.id}")
    assert resp.status_code == 302
    reload(qr_order)
    assert (qr_order.hold_expires_at - qr_order.created_at).total_seconds() > 23 * 3600
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == shop.user.id)).all()
    assert any(n.kind == "order.transfer_claimed" for n in notes)
    html = client.get(f"/orders/{qr_order.id}").get_data(as_text=True)
    assert "Bạn đã báo người bán" in html and "data-transfer-claimed" not in html
    # the seller, opening the order from that notification, sees the claim there too (the page said nothing)
    login_as(client, shop.user)
    html = client.get(f"/orders/{qr_order.id}").get_data(as_text=True)
    assert "data-transfer-claimed" in html and "Người mua báo đã chuyển khoản lúc" in html


def test_seller_settles_a_flag_after_returning_the_money(client, qr_order, shop, buyer):
    send(client, transfer(qr_order.code, amount=100_000, txn=1))
    login_as(client, buyer)
    from tests.conftest import post_form

    assert (
        post_form(
            client, f"/payments/{qr_order.id}/resolve", {"as": "buyer"}, page=f"/orders/{qr_order.id}"
        ).status_code
        == 404
    )
    login_as(client, shop.user)
    assert "Đã xử lý" in client.get(f"/orders/{qr_order.id}").get_data(as_text=True)
    resp = post_form(client, f"/payments/{qr_order.id}/resolve", {"as": "seller"}, page=f"/orders/{qr_order.id}")
    assert resp.status_code == 302
    reload(qr_order)
    assert qr_order.payment_flag is None and qr_order.paid_at is None
    mismatch = db.session.scalar(sa.select(Payment).where(Payment.status == "mismatch"))
    assert mismatch.refund_status == "done" and mismatch.recorded_by_id == shop.user.id
    assert (
        post_form(
            client, f"/payments/{qr_order.id}/resolve", {"as": "seller"}, page=f"/orders/{qr_order.id}"
        ).status_code
        == 409
    )
    # the right amount still confirms it afterwards
    assert send(client, transfer(qr_order.code, txn=2)).json["outcome"] == "paid"
