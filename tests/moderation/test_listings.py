"""The listing review queue in the staff area: photos, approve, reject with a common or typed reason (the seller
reads it), bulk approve; scoped to the staff member's communes; every decision audited, every refusal clean."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from market.catalog.models import Product, ProductPhoto, ProductStatus
from market.extensions import db
from market.moderation.models import AuditEntry
from tests.conftest import login_as, post_form


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def status_of(product) -> str:
    db.session.expire(product)
    return product.status


@pytest.fixture
def queue(world):
    """world's two pending listings of commune A (one with two photos) and a pending one in commune B."""
    for position, digest in enumerate(("a" * 64, "b" * 64)):
        db.session.add(
            ProductPhoto(product_id=world.listing.id, position=position, image_hash=digest, width=800, height=600)
        )
    seller_b = world.seller_b.seller_profile
    seller_b.status = "approved"
    elsewhere = Product(
        seller_id=seller_b.id,
        title="Thổ cẩm chờ duyệt",
        slug="tho-cam",
        price_vnd=250_000,
        stock=5,
        status=ProductStatus.PENDING_REVIEW,
        unit="piece",
        category="brocade",
        search_text="tho cam",
    )
    db.session.add(elsewhere)
    db.session.flush()
    world.elsewhere = elsewhere
    return world


def test_the_queue_shows_photos_of_her_communes_only(client, queue):
    login_as(client, queue.staff)
    html = client.get("/staff/listings").get_data(as_text=True)
    assert "Sầu riêng Monthong" in html and "Bơ sáp" in html and "Thổ cẩm chờ duyệt" not in html
    assert html.count('src="/media/p/aa/aa/') == 1 and 'src="/media/p/bb/bb/' in html  # both photos, small size
    assert 'name="ids" value="%d"' % queue.listing.id in html
    assert "2 tin đăng đang chờ" in html
    login_as(client, queue.other_staff)
    html = client.get("/staff/listings").get_data(as_text=True)
    assert "Thổ cẩm chờ duyệt" in html and "Sầu riêng Monthong" not in html
    login_as(client, queue.admin)
    html = client.get("/staff/listings").get_data(as_text=True)
    assert "Thổ cẩm chờ duyệt" in html and "Sầu riêng Monthong" in html


def test_the_desk_counts_what_waits(client, queue):
    login_as(client, queue.staff)
    html = client.get("/staff/").get_data(as_text=True)
    assert 'data-counter="pending_listings">2<' in html


def test_approve_one_audited_and_the_seller_is_told(client, queue):
    from market.moderation import signals

    told = []

    def hear(uid, **kw):
        told.append((uid, kw["kind"]))

    signals.outcome.connect(hear)
    try:
        login_as(client, queue.staff)
        resp = post_form(client, f"/staff/listings/{queue.listing.id}/approve")
    finally:
        signals.outcome.disconnect(hear)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff/listings")
    assert status_of(queue.listing) == ProductStatus.APPROVED and queue.listing.reviewed_by_id == queue.staff.id
    [entry] = entries("listing.approve")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.commune_id) == (
        queue.staff.id,
        "product",
        queue.listing.id,
        queue.a.id,
    )
    assert told == [(queue.seller.id, "listing.approve")]
    assert [e.action for e in queue.listing.events] == ["approved"]  # the catalog's own event log too


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("photos", "", "Ảnh bị mờ hoặc không chụp chính sản phẩm. Vui lòng chụp lại."),
        ("other", "Giá ghi 1 đồng, kiểm tra lại nhé", "Giá ghi 1 đồng, kiểm tra lại nhé"),
        ("", "Thiếu mô tả", "Thiếu mô tả"),
        ("price", "Giá 1 đồng/kg", "Giá hoặc đơn vị có vẻ sai. Vui lòng kiểm tra số 0 và đơn vị. Giá 1 đồng/kg"),
    ],
)
def test_reject_with_a_common_or_typed_reason_the_seller_reads(client, queue, code, text, expected):
    login_as(client, queue.staff)
    resp = post_form(
        client, f"/staff/listings/{queue.listing2.id}/reject", {"reject-reason_code": code, "reject-reason": text}
    )
    assert resp.status_code == 302
    assert status_of(queue.listing2) == ProductStatus.REJECTED
    assert queue.listing2.rejection_reason == expected
    [entry] = entries("listing.reject")
    assert entry.reason == expected and entry.details["reason_code"] == (code or "other")
    login_as(client, queue.seller)  # the seller reads it beside the listing
    assert expected in client.get("/sell/products?status=rejected").get_data(as_text=True)


def test_a_common_reason_is_written_in_the_sellers_language(client, queue):
    queue.seller.locale = "en"
    db.session.flush()
    login_as(client, queue.staff)  # the staff member works in Vietnamese
    post_form(client, f"/staff/listings/{queue.listing2.id}/reject", {"reject-reason_code": "duplicate"})
    assert status_of(queue.listing2) == ProductStatus.REJECTED
    assert queue.listing2.rejection_reason == "This product is already listed in your shop."


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reject-reason_code": "", "reject-reason": "   "}, "reject-reason", "Hãy nêu lý do"),
        ({"reject-reason_code": "other", "reject-reason": ""}, "reject-reason", "Hãy nêu lý do"),
        ({"reject-reason_code": "nonsense", "reject-reason": "x"}, "reject-reason_code", "Hãy chọn một lý do"),
        ({"reject-reason_code": "", "reject-reason": "x" * 501}, "reject-reason", "tối đa 500 ký tự"),
        ({"reject-reason_code": "photos", "reject-reason": "y" * 480}, "reject-reason", "tối đa 500 ký tự"),
    ],
)
def test_rejecting_without_a_good_reason_is_refused_beside_the_field(client, queue, data, field, message):
    login_as(client, queue.staff)
    resp = post_form(client, f"/staff/listings/{queue.listing2.id}/reject", data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in html and f'id="{field}-error"' in html
    assert status_of(queue.listing2) == ProductStatus.PENDING_REVIEW and not entries("listing.reject")
    if len(data["reject-reason"]) < 600 and data["reject-reason"].strip():
        assert data["reject-reason"] in html  # what was typed is kept


def test_bulk_approve(client, queue):
    login_as(client, queue.staff)
    resp = post_form(client, "/staff/listings/approve", {"ids": [str(queue.listing.id), str(queue.listing2.id)]})
    assert resp.status_code == 302
    assert status_of(queue.listing) == status_of(queue.listing2) == ProductStatus.APPROVED
    approved = entries("listing.approve")
    assert {e.object_id for e in approved} == {queue.listing.id, queue.listing2.id}
    assert all(e.details == {"bulk": True} for e in approved)
    assert "Đã duyệt 2 tin đăng" in client.get("/staff/listings").get_data(as_text=True)


def test_bulk_with_another_communes_listing_is_404_and_approves_nothing(client, queue):
    login_as(client, queue.staff)
    resp = post_form(client, "/staff/listings/approve", {"ids": [str(queue.listing.id), str(queue.elsewhere.id)]})
    assert resp.status_code == 404
    assert status_of(queue.listing) == ProductStatus.PENDING_REVIEW and not entries("listing.approve")


def test_bulk_skips_what_someone_else_reviewed_meanwhile(client, queue):
    from market.catalog import lifecycle

    lifecycle.approve(queue.listing, queue.admin)
    login_as(client, queue.staff)
    post_form(client, "/staff/listings/approve", {"ids": [str(queue.listing.id), str(queue.listing2.id)]})
    assert [e.object_id for e in entries("listing.approve")] == [queue.listing2.id]
    assert "1 tin đăng đã được người khác xử lý" in client.get("/staff/listings").get_data(as_text=True)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "Hãy đánh dấu ít nhất một tin đăng"),
        (["abc"], "Hãy đánh dấu các tin đăng trong danh sách"),
        (["0"], "Hãy đánh dấu các tin đăng trong danh sách"),
        ([str(i) for i in range(1, 102)], "tối đa 100 tin đăng"),
    ],
)
def test_bad_bulk_selections_are_refused_and_change_nothing(client, queue, ids, message):
    login_as(client, queue.staff)
    resp = post_form(client, "/staff/listings/approve", {"ids": ids})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and message in html and 'id="ids-error"' in html
    assert "Sầu riêng Monthong" in html  # the queue is still there to tick again
    assert status_of(queue.listing) == ProductStatus.PENDING_REVIEW and not entries("listing.approve")


def test_bulk_with_an_id_that_does_not_exist_is_404(client, queue):
    login_as(client, queue.staff)
    assert post_form(client, "/staff/listings/approve", {"ids": [str(queue.listing.id), "99999999"]}).status_code == 404
    assert status_of(queue.listing) == ProductStatus.PENDING_REVIEW and not entries("listing.approve")


def test_another_communes_listing_is_404_everywhere(client, queue):
    login_as(client, queue.other_staff)
    pid = queue.listing.id
    assert client.get(f"/staff/listings/{pid}").status_code == 404
    assert post_form(client, f"/staff/listings/{pid}/approve").status_code == 404
    assert post_form(client, f"/staff/listings/{pid}/reject", {"reject-reason": "x"}).status_code == 404
    assert status_of(queue.listing) == ProductStatus.PENDING_REVIEW
    assert not entries("listing.approve") and not entries("listing.reject")


def test_deciding_twice_is_a_clear_409(client, queue):
    login_as(client, queue.staff)
    post_form(client, f"/staff/listings/{queue.listing.id}/approve")
    again = post_form(client, f"/staff/listings/{queue.listing.id}/approve")
    assert again.status_code == 409 and "không còn chờ duyệt" in again.get_data(as_text=True)
    late = post_form(client, f"/staff/listings/{queue.listing.id}/reject", {"reject-reason_code": "photos"})
    assert late.status_code == 409
    assert len(entries("listing.approve")) == 1 and not entries("listing.reject")


def test_the_detail_page_has_photos_reasons_and_history(client, queue):
    login_as(client, queue.staff)
    html = client.get(f"/staff/listings/{queue.listing.id}").get_data(as_text=True)
    assert "Chờ duyệt" in html and "Ảnh bị mờ" in html and 'value="other"' in html
    assert "/media/p/aa/aa/" in html and "<script>" not in html and " style=" not in html


def test_buyers_and_sellers_are_refused(client, queue):
    for who in (queue.buyer, queue.seller):
        login_as(client, who)
        assert client.get("/staff/listings").status_code == 403
        assert post_form(client, f"/staff/listings/{queue.listing.id}/approve").status_code == 403
    assert status_of(queue.listing) == ProductStatus.PENDING_REVIEW


def test_the_old_catalog_review_page_is_gone_one_queue_remains(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith("/staff/listings")}
    assert endpoints and all(e.startswith("staff.") for e in endpoints)
