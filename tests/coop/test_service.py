"""Co-op lots: stock is the sum of the contributions; changes never move kilograms already sold."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from market.catalog.models import Product
from market.coop import service
from market.coop.models import CoopContribution, CoopHousehold, CoopLot
from market.domain import DomainError, FieldErrors
from market.extensions import db
from tests.coop.conftest import add_household


def stock_of(lot) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == lot.product_id))


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(CoopHousehold.id))),
        db.session.scalar(sa.select(sa.func.count(CoopContribution.id))),
    )


def test_a_lot_is_a_listing_with_no_stock_until_households_bring_some(lot):
    product = lot.product
    assert product.by_weight and product.unit == "piece" and product.piece_weight_g == 3000
    assert product.price_vnd == 255_000 and product.price_per_kg_vnd == 85_000 and product.weight_tolerance_pct == 10
    assert product.stock == 0 and lot.unit_g == 3000 and lot.contributed_g == 0 and lot.shipping_vnd_per_kg == 5000


def test_adding_contributions_adds_whole_units_to_the_stock(lot):
    hh = add_household(lot, kg="10")  # 3 fruits of ~3 kg, 1 kg left over
    assert stock_of(lot) == 3
    service.add_contribution(hh, {"kg": "2", "contributed_on": ""})  # 12 kg: 4 fruits
    assert stock_of(lot) == 4
    add_household(lot, name="H'Lim Mlô", kg="21,5")  # 33,5 kg: 11 fruits
    db.session.refresh(lot)
    assert lot.contributed_g == 33_500 and stock_of(lot) == 11


def test_a_lot_sold_by_the_kg_counts_kilograms(make_lot):
    lot = make_lot(sold_by_weight="", title="Bơ sáp 034 — vụ 2026", price_per_kg="45k")
    assert lot.product.unit == "kg" and not lot.product.by_weight and lot.product.price_vnd == 45_000
    add_household(lot, kg="120,5")
    assert stock_of(lot) == 120


@pytest.mark.parametrize("kg", ["0", "-5", "1000000000", "10^9", "ba mươi", "", "0,01", "1,2345"])
def test_absurd_contributions_are_refused_and_nothing_is_written(lot, kg):
    with pytest.raises(DomainError) as err:
        add_household(lot, kg=kg)
    assert any(e.field == "kg" for e in err.value.errors)
    assert counts() == (0, 0) and stock_of(lot) == 0
    db.session.refresh(lot)
    assert lot.contributed_g == 0


def test_every_field_is_checked_at_once(lot):
    with pytest.raises(FieldErrors) as err:
        service.add_household(
            lot,
            {
                "name": "",
                "village": "",
                "phone": "12",
                "kg": "0",
                "bank_bin": "123456",
                "account_number": "12#4",
                "account_holder": "1",
                "contributed_on": "2099-01-01",
            },
        )
    fields = {e.field for e in err.value.errors}
    assert fields == {
        "name",
        "village",
        "phone",
        "kg",
        "bank_bin",
        "account_number",
        "account_holder",
        "contributed_on",
    }
    assert counts() == (0, 0)


def test_the_bank_account_is_all_three_fields_or_none(lot):
    hh = add_household(lot, bank=True)
    assert hh.has_bank and hh.account_holder == "NGUYEN VAN TAM" and hh.bank_bin == "970418"
    with pytest.raises(FieldErrors) as err:
        add_household(lot, name="B", account_number="123")  # an account without its bank
    assert [e.field for e in err.value.errors] == ["bank_bin"]


def test_reducing_is_allowed_down_to_what_is_sold(lot, sell, buyer):
    hh = add_household(lot, kg="30", days_ago=5)
    c = hh.contributions[0]
    sell(lot, buyer, 3, kg="9,4")  # 9,4 kg sold from this household
    with pytest.raises(DomainError) as err:
        service.change_contribution(c, {"kg": "9"})
    assert "9,4 kg" in err.value.message and err.value.status == 409
    db.session.refresh(c)
    assert c.grams == 30_000
    service.change_contribution(c, {"kg": "12"})  # 12 kg: 4 fruits in all, 3 sold, 1 left
    assert stock_of(lot) == 1
    service.change_contribution(c, {"kg": "9,4"})  # exactly what is sold: 3 fruits, none left
    assert stock_of(lot) == 0


def test_removing_a_household_that_already_sold_is_refused(lot, sell, buyer):
    sold = add_household(lot, name="Y Bhin Niê", kg="10", days_ago=5)
    later = add_household(lot, name="H'Ra Êban", kg="30", days_ago=2)
    sell(lot, buyer, 1)
    with pytest.raises(DomainError) as err:
        service.remove_household(sold)
    assert "Y Bhin Niê" in err.value.message and "3 kg" in err.value.message
    assert counts() == (2, 2) and stock_of(lot) == 12
    service.remove_household(later)  # sold nothing: it leaves with its 30 kg (10 fruits)
    assert counts() == (1, 1) and stock_of(lot) == 2


def test_units_held_by_open_orders_cannot_be_taken_back(lot, sell, buyer):
    hh = add_household(lot, kg="6")  # 2 fruits
    sell(lot, buyer, 2, deliver=False)  # both held by a confirmed order, not delivered: nothing is sold yet
    assert stock_of(lot) == 0
    with pytest.raises(DomainError) as err:
        service.remove_household(hh)
    assert err.value.status == 409 and err.value.field == "kg"
    assert counts() == (1, 1)
    db.session.refresh(lot)
    assert lot.contributed_g == 6000


def test_a_new_contribution_cannot_jump_ahead_of_one_that_has_sold(lot, sell, buyer):
    add_household(lot, name="A", kg="30", days_ago=5)
    sell(lot, buyer, 1)
    head = date.today() - timedelta(days=5)
    with pytest.raises(DomainError) as err:
        add_household(lot, name="B", kg="30", days_ago=6)
    assert [e.field for e in err.value.errors] == ["contributed_on"]
    assert head.strftime("%d/%m/%Y") in err.value.message
    add_household(lot, name="B", kg="30", days_ago=5)  # the same day comes after: allowed


def test_a_contribution_others_sold_after_cannot_grow(lot, sell, buyer):
    first = add_household(lot, name="A", kg="3", days_ago=5)
    add_household(lot, name="B", kg="30", days_ago=4)
    sell(lot, buyer, 2, kg="6")  # 3 kg from A (sold out), 3 kg from B
    with pytest.raises(DomainError) as err:
        service.change_contribution(first.contributions[0], {"kg": "5"})
    assert err.value.status == 409
    service.add_contribution(first, {"kg": "2", "contributed_on": ""})  # a new contribution dated today: fine
    state = service.lot_state(lot)
    assert state.sold_g == 6000 and sorted(state.sold_by_share.values()) == [3000, 3000]


def test_what_counts_as_sold_is_delivered_orders_only(lot, sell, buyer, make_user):
    from market.orders.service import transition
    from market.orders.states import Actor, OrderStatus

    add_household(lot, kg="60")
    sell(lot, buyer, 1, kg="3,2")  # delivered: counts
    sell(lot, make_user(), 2, deliver=False)  # confirmed and weighed, not delivered: does not count yet
    cancelled = sell(lot, make_user(), 1, deliver=False)
    transition(cancelled, OrderStatus.CANCELLED, actor=cancelled.buyer, role=Actor.BUYER)
    state = service.lot_state(lot)
    assert state.sold_g == 3200
    assert len(service.sales(lot)) == 1


def test_the_listing_form_cannot_change_a_lots_stock_unit_or_estimate(lot):
    from market.catalog.lifecycle import update_listing
    from market.catalog.listing_input import clean_listing
    from market.catalog.stock_managers import stock_managed

    add_household(lot, kg="30")
    product = lot.product
    assert stock_managed(product)
    data = clean_listing(
        {
            "title": product.title,
            "category": "durian",
            "unit": "box",
            "price": "1",
            "stock": "999",
            "sold_by_weight": "1",
            "piece_weight": "1",
            "price_per_kg": "90.000",
            "weight_tolerance": "15",
        }
    )
    update_listing(product, data, None, by=lot.product.seller.user)
    db.session.refresh(product)
    assert (product.stock, product.unit, product.piece_weight_g) == (10, "piece", 3000)
    assert product.price_per_kg_vnd == 90_000 and product.price_vnd == 270_000 and product.weight_tolerance_pct == 15


def test_another_sellers_lot_is_not_found(lot, make_kol):
    other = make_kol()
    with pytest.raises(DomainError) as err:
        service.lot_for_seller(other, lot.id)
    assert err.value.status == 404
    assert service.lot_for_seller(lot.product.seller.user, lot.id) is lot
    assert db.session.scalar(sa.select(sa.func.count(CoopLot.id))) == 1
