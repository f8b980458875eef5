"""The staff member who entered a listing for a villager cannot approve it; another staff member or an admin does."""

import sqlalchemy as sa

from market.catalog.models import Product, ProductStatus
from market.extensions import db
from tests.conftest import csrf_token, login_as, post_form
from tests.moderation.test_assisted_acting import post_listing, products_of


def test_the_helper_cannot_approve_what_she_entered_a_colleague_can(client, world_b, make_staff):
    w = world_b
    login_as(client, w.staff)
    assert post_listing(client, w.villager.id).status_code == 302
    [product] = products_of(w.villager.id)
    page = client.get(f"/staff/listings/{product.id}").get_data(as_text=True)
    assert "một cán bộ khác hoặc quản trị viên sẽ duyệt" in page
    assert f'action="/staff/listings/{product.id}/approve"' not in page
    queue = client.get("/staff/listings").get_data(as_text=True)
    assert f'name="ids" value="{product.id}"' not in queue and "một cán bộ khác hoặc quản trị viên" in queue

    resp = post_form(client, f"/staff/listings/{product.id}/approve", {}, page="/staff/listings")
    assert resp.status_code == 403 and "Bạn đã đăng tin này giúp bà con" in resp.get_data(as_text=True)
    resp = client.post(
        "/staff/listings/approve",
        data={"ids": [str(product.id), str(w.listing.id)], "csrf_token": csrf_token(client, "/staff/listings")},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product.id).status == ProductStatus.PENDING_REVIEW
    assert db.session.get(Product, w.listing.id).status == ProductStatus.APPROVED  # the others still go
    assert "để lại cho cán bộ khác duyệt" in client.get("/staff/listings").get_data(as_text=True)

    colleague = make_staff(w.a, name="Cán bộ thứ hai")
    db.session.commit()
    login_as(client, colleague)
    assert post_form(client, f"/staff/listings/{product.id}/approve", {}, page="/staff/listings").status_code == 302
    assert db.session.scalar(sa.select(Product.status).where(Product.id == product.id)) == ProductStatus.APPROVED
