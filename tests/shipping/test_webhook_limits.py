"""Rate limits on the carriers' webhooks, and wrong GHTK secrets in the security log: a flood or a guesser is
refused (429) before anything is read or asked of GHN, and nothing moves."""

import logging

import pytest

from market.shipping import webhooks
from tests.orders.fixtures import reload
from tests.shipping import test_shipments
from tests.shipping.test_shipments import create, ghn_hook, ghtk_hook, the_shipment

shipped = test_shipments.shipped  # the same fixture: a cash-on-delivery order shipped with GHTK


@pytest.fixture
def cod_order(shop, buyer, place, fee_table):
    fee_table(shop.profile)
    return place(buyer, shop.product, 2)


def security_lines(caplog, event: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "market.security" and f"event={event}" in r.getMessage()
    ]


def test_a_wrong_ghtk_secret_is_logged_even_for_a_parcel_we_do_not_know(client, shipped, caplog):
    order, shipment, secret = shipped
    caplog.set_level(logging.WARNING, logger="market.security")
    assert ghtk_hook(client, "guess-1", shipment.tracking_code, 5).status_code == 403
    assert ghtk_hook(client, "guess-2", "S1.A1.999", 5).status_code == 403  # was a quiet 200 "unknown"
    assert ghtk_hook(client, "guess!~", "S1.A1.999", 5).status_code == 403  # not even a secret's shape
    assert ghtk_hook(client, secret, "S1.A1.999", 5).json["outcome"] == "unknown"  # a shop's own secret
    lines = security_lines(caplog, "webhook_bad_signature")
    assert len(lines) == 3 and all("provider=ghtk" in line for line in lines)
    assert not any("guess" in line for line in lines)  # the secret tried is never written
    reload(order)
    assert order.status == "shipped"


def test_an_address_guessing_secrets_is_refused_then_even_with_the_right_one(client, shipped, caplog):
    order, shipment, secret = shipped
    caplog.set_level(logging.WARNING, logger="market.security")
    for n in range(10):
        assert ghtk_hook(client, f"guess-{n}", shipment.tracking_code, 5).status_code == 403
    resp = ghtk_hook(client, secret, shipment.tracking_code, 5)
    assert resp.status_code == 429 and resp.json["outcome"] == "rate_limited"
    assert security_lines(caplog, "webhook_limited")
    reload(order)
    assert order.status == "shipped"
    # GHTK's own servers (another address) are not held back by the guesser
    other = client.post(
        f"/webhooks/carrier/ghtk/{secret}",
        data=f"label_id={shipment.tracking_code}&status_id=5&action_time=2026-12-06T10:00:00%2B07:00",
        content_type="application/x-www-form-urlencoded",
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert other.status_code == 200 and other.json["outcome"] == "applied"
    reload(order)
    assert order.status == "delivered"


def test_too_many_calls_from_one_address(client, shipped, monkeypatch):
    order, shipment, secret = shipped
    monkeypatch.setattr(webhooks, "RATE_CALLS", "3/minute")
    for status in (3, 4, 10):
        assert ghtk_hook(client, secret, shipment.tracking_code, status).status_code == 200
    assert ghtk_hook(client, secret, shipment.tracking_code, 5).status_code == 429
    reload(order)
    assert order.status == "shipped"
    assert client.post("/webhooks/carrier/ghn", data="{}", content_type="application/json").status_code == 400


def test_ghn_events_ask_for_the_detail_a_bounded_number_of_times(
    client, login, shop, cod_order, carriers, connect_carrier, monkeypatch
):
    connect_carrier(shop.profile, "ghn")
    login(shop.user)
    create(client, cod_order, "ghn")
    client.get("/logout")
    code = the_shipment(cod_order).tracking_code
    monkeypatch.setattr(webhooks, "RATE_GHN_DETAIL", "2/hour")
    detail = "/shiip/public-api/v2/shipping-order/detail"
    assert ghn_hook(client, code, "delivered").status_code == 503  # forged: GHN's detail says ready_to_pick
    assert ghn_hook(client, code, "delivered").status_code == 503
    assert len(carriers["ghn"].calls(detail)) == 2
    resp = ghn_hook(client, code, "delivered")
    assert resp.status_code == 429 and len(carriers["ghn"].calls(detail)) == 2  # GHN not asked a third time
    reload(cod_order)
    assert cod_order.status == "shipped"
