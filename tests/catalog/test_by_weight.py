"""Listings sold by the piece and priced by weight: what the seller types, the price worked out, the pages."""

import re

import pytest
import sqlalchemy as sa

from market.catalog.listing_input import clean_listing
from market.catalog.models import Product
from market.catalog.weight import format_kg, parse_kg
from market.domain import DomainError, FieldErrors
from market.extensions import db
from tests.catalog.conftest import jpeg_bytes, valid_listing
from tests.catalog.test_sell import post_listing


@pytest.fixture
def seller(make_seller, login):
    user = make_seller()
    login(user)
    return user


BY_WEIGHT = {
    "unit": "piece",
    "sold_by_weight": "1",
    "piece_weight": "3",
    "price_per_kg": "85k",
    "weight_tolerance": "",
    "price": "",
}


@pytest.mark.parametrize(
    ("typed", "grams"),
    [
        ("3", 3000),
        ("3,2", 3200),
        ("3.25", 3250),
        ("2,5 kg", 2500),
        ("1.200", 1_200_000),
        ("1.200,5", 1_200_500),
        (" 0,75 ", 750),
        (4, 4000),
    ],
)
def test_kilograms_as_people_type_them(app, typed, grams):
    assert parse_kg(typed, "w", minimum_g=1, maximum_g=10**9) == grams


@pytest.mark.parametrize("typed", ["", "0", "-1", "−2", "abc", "3,2,1", "1.2.3", "3,0001", "1e3", "nan", True])
def test_what_is_not_a_weight(app, typed):
    with pytest.raises(DomainError):
        parse_kg(typed, "w", minimum_g=1, maximum_g=10**9)


def test_weights_read_back_in_the_readers_language(app):
    with app.test_request_context():
        assert format_kg(3200) == "3,2 kg" and format_kg(1_250_000) == "1.250 kg" and format_kg(3000) == "3 kg"


def test_a_by_weight_listing_works_out_the_unit_price(app):
    data = clean_listing(valid_listing(**BY_WEIGHT))
    assert (data.unit, data.piece_weight_g, data.price_per_kg_vnd, data.weight_tolerance_pct, data.price_vnd) == (
        "piece",
        3000,
        85_000,
        10,
        255_000,
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"unit": "kg"}, "unit"),
        ({"piece_weight": "0"}, "piece_weight"),
        ({"piece_weight": "500"}, "piece_weight"),
        ({"piece_weight": ""}, "piece_weight"),
        ({"price_per_kg": "0"}, "price_per_kg"),
        ({"price_per_kg": "50tr", "piece_weight": "99"}, "price_per_kg"),
        ({"weight_tolerance": "0"}, "weight_tolerance"),
        ({"weight_tolerance": "75"}, "weight_tolerance"),
    ],
)
def test_bad_by_weight_fields_are_refused_with_the_field(app, fields, field):
    with pytest.raises(FieldErrors) as err:
        clean_listing(valid_listing(**{**BY_WEIGHT, **fields}))
    assert field in {e.field for e in err.value.errors}


def test_a_seller_lists_a_fruit_sold_by_weight_and_buyers_see_the_terms(client, seller, make_user, login):
    resp = post_listing(
        client, data=valid_listing(**{**BY_WEIGHT, "weight_tolerance": "15"}), files=[("a.jpg", jpeg_bytes((800, 600)))]
    )
    assert resp.status_code == 302
    product = db.session.scalar(sa.select(Product))
    assert (product.piece_weight_g, product.price_vnd, product.weight_tolerance_pct) == (3000, 255_000, 15)
    assert product.by_weight
    product.status = "approved"
    db.session.flush()
    html = client.get(f"/p/{product.id}-{product.slug}").get_data(as_text=True)
    assert "weight-terms" in html and "~3 kg" in html and "85.000" in html and "±15%" in html
    edit = client.get(f"/sell/products/{product.id}/edit").get_data(as_text=True)
    assert re.search(r"<input[^>]* checked [^>]*name=\"sold_by_weight\"", edit)
    assert 'value="3"' in edit and 'value="85.000"' in edit


def test_an_ordinary_listing_keeps_its_price(app):
    data = clean_listing(valid_listing(price_per_kg="99k", piece_weight="3"))
    assert (data.price_vnd, data.piece_weight_g, data.price_per_kg_vnd) == (85_000, None, None)
