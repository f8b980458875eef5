"""The shop's shipping settings page: the suggestion until saved, typed the Vietnamese way, bad input refused
beside its field with nothing saved, shops only."""

import pytest

from market.shipping.service import settings_for
from tests.conftest import post_form

GOOD = {
    "fee_commune_vnd": "15.000",
    "extra_commune_vnd": "2k",
    "fee_province_vnd": "25.000",
    "extra_province_vnd": "4.000",
    "fee_elsewhere_vnd": "",
    "extra_elsewhere_vnd": "",
    "base_weight_kg": "2",
    "item_weight_kg": "0,5",
    "free_above_vnd": "500k",
    "pickup_note": "",
}


def test_save_and_read_back(client, login, shop):
    login(shop.user)
    page = client.get("/sell/shipping").get_data(as_text=True)
    assert 'value="35.000"' in page and "Chưa cài đặt" in page  # the suggestion, not yet in force
    resp = post_form(client, "/sell/shipping", GOOD, page="/sell/shipping")
    assert resp.status_code == 302
    saved = settings_for(shop.profile.id)
    assert (
        saved.fee_commune_vnd,
        saved.extra_commune_vnd,
        saved.fee_elsewhere_vnd,
        saved.item_weight_g,
        saved.free_above_vnd,
        saved.pickup_enabled,
    ) == (15_000, 2_000, None, 500, 500_000, False)
    page = client.get("/sell/shipping").get_data(as_text=True)
    assert 'value="500.000"' in page and 'value="0,5"' in page


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("fee_province_vnd", "-5.000", "lớn hơn 0"),
        ("fee_province_vnd", "hai mươi nghìn", "85.000"),
        ("fee_province_vnd", "50.000.000", "Tối đa"),
        ("base_weight_kg", "0", ""),
        ("item_weight_kg", "nặng", ""),
        ("pickup_note", "x" * 201, "200"),
        ("transfer_after_refusals", "9" * 5000, "1 đến 20"),
        ("transfer_after_refusals", "²", "1 đến 20"),
    ],
)
def test_bad_input_is_refused_beside_the_field(client, login, shop, field, value, message):
    login(shop.user)
    resp = post_form(client, "/sell/shipping", {**GOOD, field: value}, page="/sell/shipping")
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert settings_for(shop.profile.id) is None


def test_no_way_to_get_the_goods_is_refused(client, login, shop):
    login(shop.user)
    blank = {**GOOD, "fee_commune_vnd": "", "fee_province_vnd": ""}
    assert post_form(client, "/sell/shipping", blank, page="/sell/shipping").status_code == 400
    pickup_without_note = {**blank, "pickup_enabled": "y"}
    resp = post_form(client, "/sell/shipping", pickup_without_note, page="/sell/shipping")
    assert resp.status_code == 400 and "nhận hàng ở đâu" in resp.get_data(as_text=True)
    ok = {**blank, "pickup_enabled": "y", "pickup_note": "Sạp 12, chợ Ea Knuếc"}
    assert post_form(client, "/sell/shipping", ok, page="/sell/shipping").status_code == 302
    assert not settings_for(shop.profile.id).delivers


def test_shops_only(client, login, buyer):
    login(buyer)
    assert client.get("/sell/shipping").status_code == 302  # sent to apply for a shop
    assert post_form(client, "/sell/shipping", GOOD, page="/").status_code == 403
