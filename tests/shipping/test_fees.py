"""The fee table: zones from what people type, weights, free shipping, places a shop does not serve."""

import pytest

from market.orders import delivery
from market.shipping.fees import FeeTable, extra_kilograms, line_grams, table_fee
from market.shipping.zones import Zone, place_key, zone_of

TABLE = FeeTable(
    fees={Zone.COMMUNE: 15_000, Zone.PROVINCE: 25_000, Zone.ELSEWHERE: None},
    extras={Zone.COMMUNE: 2_000, Zone.PROVINCE: 4_000, Zone.ELSEWHERE: 0},
    base_weight_g=2000,
    item_weight_g=1000,
    free_above_vnd=500_000,
)


@pytest.mark.parametrize(
    "typed,key",
    [
        ("Tỉnh Đắk Lắk", "dak lak"),
        ("dak lak", "dak lak"),
        ("ĐẮK LẮK", "dak lak"),
        ("Daklak", "dak lak"),
        ("TP.HCM", "ho chi minh"),
        ("Thành phố Hồ Chí Minh", "ho chi minh"),
        ("Sài Gòn", "ho chi minh"),
        ("Xã Ea Knuếc", "ea knuec"),
        ("  ea   knuec ", "ea knuec"),
        ("", ""),
        (None, ""),
        ("Pleiku", "pleiku"),
    ],
)
def test_place_names_fold_the_way_people_type_them(typed, key):
    assert place_key(typed) == key


def test_zone_of():
    shop = ("Ea Knuếc", "Đắk Lắk")
    assert zone_of(*shop, "xã ea knuec", "Tỉnh Đắk Lắk") == Zone.COMMUNE
    assert zone_of(*shop, "Ea Tul", "dak lak") == Zone.PROVINCE
    assert zone_of(*shop, "", "Đắk Lắk") == Zone.PROVINCE  # no commune typed: the province decides
    assert zone_of(*shop, "Ea Knuếc", "Gia Lai") == Zone.ELSEWHERE  # same commune name, another province
    assert zone_of(*shop, "Bến Nghé", "TP.HCM") == Zone.ELSEWHERE


def test_weights_and_extra_kilograms():
    assert line_grams("kg", 3, None, 1000) == 3000
    assert line_grams("piece", 2, 3200, 1000) == 6400  # by weight: the estimate of each fruit
    assert line_grams("box", 2, None, 750) == 1500  # a box that states no weight: the shop's per-item weight
    assert [extra_kilograms(g, 2000) for g in (0, 2000, 2001, 3000, 3001)] == [0, 0, 1, 1, 2]


def test_table_fee():
    assert table_fee(TABLE, Zone.COMMUNE, 1500, 100_000) == 15_000
    assert table_fee(TABLE, Zone.PROVINCE, 4500, 100_000) == 25_000 + 3 * 4_000
    assert table_fee(TABLE, Zone.PROVINCE, 4500, 500_000) == 0  # free from 500.000 ₫
    assert table_fee(TABLE, Zone.ELSEWHERE, 100, 100_000) is None  # not delivered there …
    assert table_fee(TABLE, Zone.ELSEWHERE, 100, 900_000) is None  # … free shipping does not change that


def test_quote_through_the_orders_interface(app, shop, fee_table):
    lines = [delivery.WeighedLine("bag", 3, None)]  # 3 kg at the default per-item weight
    here = delivery.Destination("", "Đắk Lắk")
    # never set: delivery stays included in the price, as before
    fee = delivery.quote(shop.profile, lines, 237_000, here)
    assert (fee.fee_vnd, fee.ok) == (0, True)
    fee_table(shop.profile, fee_elsewhere_vnd=None, pickup_enabled=True, pickup_note="Chợ xã, 7–11 giờ")
    assert delivery.quote(shop.profile, lines, 237_000, here).fee_vnd == 25_000 + 4_000
    far = delivery.quote(shop.profile, lines, 237_000, delivery.Destination("", "Hà Nội"))
    assert far.fee_vnd is None and "Hà Nội" in far.problem
    assert delivery.quote(shop.profile, lines, 237_000, None).fee_vnd is None  # no address yet: not known
    pickup = delivery.quote(shop.profile, lines, 237_000, None, delivery.PICKUP)
    assert (pickup.option, pickup.fee_vnd) == ("pickup", 0)
    assert [c.name for c in delivery.rates().choices(shop.profile.id)] == ["ship", "pickup"]
