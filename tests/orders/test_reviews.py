"""Rating a delivered order (once), and the shop's average on its page."""

import pytest
import sqlalchemy as sa

from market.extensions import db
from market.orders.models import Review
from market.orders.service import transition
from market.orders.states import Actor
from market.ui import slot_entries
from tests.conftest import login_as, post_form


def deliver(order, seller):
    for to in ("packed", "shipped", "delivered"):
        transition(order, to, actor=seller, role=Actor.SELLER)


@pytest.fixture
def delivered(shop, buyer, place):
    order = place(buyer, shop.product, 2)
    deliver(order, shop.user)
    return order


def test_buyer_rates_once(client, delivered, buyer, shop):
    login_as(client, buyer)
    assert "Đánh giá đơn hàng" in client.get(f"/orders/{delivered.id}").get_data(as_text=True)
    resp = post_form(
        client,
        f"/orders/{delivered.id}/review",
        {"rating": "5", "comment": "Cà phê thơm, giao nhanh"},
        page=f"/orders/{delivered.id}",
    )
    assert resp.status_code == 302
    review = db.session.scalar(sa.select(Review))
    assert (review.rating, review.comment, review.seller_id) == (5, "Cà phê thơm, giao nhanh", shop.profile.id)
    again = post_form(client, f"/orders/{delivered.id}/review", {"rating": "1"}, page=f"/orders/{delivered.id}")
    assert again.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 1


@pytest.mark.parametrize("rating", ["0", "6", "-1", "abc", "", "4.5", "²", "9" * 5000])
def test_bad_ratings(client, delivered, buyer, rating):
    login_as(client, buyer)
    resp = post_form(client, f"/orders/{delivered.id}/review", {"rating": rating}, page=f"/orders/{delivered.id}")
    assert resp.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_only_the_buyer_and_only_after_delivery(client, shop, buyer, place, make_user, delivered):
    pending = place(buyer, shop.product, 1)
    login_as(client, buyer)
    assert post_form(client, f"/orders/{pending.id}/review", {"rating": "5"}, page="/orders").status_code == 409
    login_as(client, make_user(name="Người lạ"))
    assert post_form(client, f"/orders/{delivered.id}/review", {"rating": "1"}, page="/orders").status_code == 404
    login_as(client, shop.user)
    assert post_form(client, f"/orders/{delivered.id}/review", {"rating": "5"}, page="/orders").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_shop_shows_the_average(client, app, shop, make_user, place):
    for rating in (5, 4, 4):
        order = place(make_user(name="Khách"), shop.product, 1)
        deliver(order, shop.user)
        from market.orders.reviews import submit

        submit(order, order.buyer, rating, f"{rating} sao")
    html = client.get(f"/reviews/{shop.profile.slug}").get_data(as_text=True)
    assert "4,3" in html and "3 đánh giá" in html and "5 sao" in html
    with app.test_request_context("/"):
        (entry,) = [e for e in slot_entries("shop.top", profile=shop.profile) if "rating" in e["context"]]
        assert entry["context"]["rating"].count == 3
    assert client.get("/reviews/no-such-shop").status_code == 404
    shop_page = client.get(f"/s/{shop.profile.slug}").get_data(as_text=True)  # the catalog's shop page, our slot
    assert "4,3" in shop_page and "3 đánh giá" in shop_page and "4 sao" in shop_page
