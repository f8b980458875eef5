"""Staff approve and reject listings of their own communes; anyone else gets 403 or 404."""

import pytest

from market.catalog.models import ProductStatus
from market.extensions import db
from tests.conftest import csrf_token


@pytest.fixture
def pending(make_product):
    return make_product(status=ProductStatus.PENDING_REVIEW, title="Sầu riêng chờ duyệt")


def test_staff_see_the_queue_of_their_commune_and_approve(client, login, make_staff, pending, make_product,
                                                           make_commune, make_seller):
    elsewhere = make_product(seller=make_seller(commune=make_commune("Xã xa")), status=ProductStatus.PENDING_REVIEW,
                             title="Cà phê xã khác")
    staff = make_staff(pending.seller.commune)
    login(staff)
    html = client.get("/staff/listings").get_data(as_text=True)
    assert "Sầu riêng chờ duyệt" in html and "Cà phê xã khác" not in html
    assert client.get(f"/staff/listings/{pending.id}").status_code == 200
    assert "Duyệt tin đăng (1)" in client.get("/account").get_data(as_text=True)
    token = csrf_token(client, f"/staff/listings/{pending.id}")
    resp = client.post(f"/staff/listings/{pending.id}/approve", data={"csrf_token": token})
    assert resp.status_code == 302
    db.session.refresh(pending)
    assert pending.status == ProductStatus.APPROVED and pending.reviewed_by_id == staff.id
    # another commune's listing: 404 for viewing and for acting
    assert client.get(f"/staff/listings/{elsewhere.id}").status_code == 404
    assert client.post(f"/staff/listings/{elsewhere.id}/approve", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/staff/listings/{elsewhere.id}/reject",
                       data={"csrf_token": token, "reason": "x"}).status_code == 404
    db.session.refresh(elsewhere)
    assert elsewhere.status == ProductStatus.PENDING_REVIEW


def test_reject_with_a_reason(client, login, make_staff, pending):
    login(make_staff(pending.seller.commune))
    token = csrf_token(client, f"/staff/listings/{pending.id}")
    resp = client.post(f"/staff/listings/{pending.id}/reject", data={"csrf_token": token, "reason": " "})
    assert resp.status_code == 400 and "Give a reason" not in resp.get_data(as_text=True)
    assert 'id="reason-error"' in resp.get_data(as_text=True)
    resp = client.post(f"/staff/listings/{pending.id}/reject",
                       data={"csrf_token": token, "reason": "Ảnh <b>mờ</b>, chụp lại"})
    assert resp.status_code == 302
    db.session.refresh(pending)
    assert pending.status == ProductStatus.REJECTED and pending.rejection_reason == "Ảnh <b>mờ</b>, chụp lại"


def test_approving_twice_is_refused(client, login, make_staff, pending):
    login(make_staff(pending.seller.commune))
    token = csrf_token(client, f"/staff/listings/{pending.id}")
    client.post(f"/staff/listings/{pending.id}/approve", data={"csrf_token": token})
    again = client.post(f"/staff/listings/{pending.id}/approve", data={"csrf_token": token})
    assert again.status_code == 400 and "Đang bán" in again.get_data(as_text=True)


def test_admin_sees_every_commune(client, login, make_staff, pending):
    login(make_staff(admin=True))
    assert "Sầu riêng chờ duyệt" in client.get("/staff/listings").get_data(as_text=True)


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_non_staff_are_refused(client, login, make_user, pending, who):
    login(make_user() if who == "buyer" else pending.seller.user)
    assert client.get("/staff/listings").status_code == 403
    assert client.get(f"/staff/listings/{pending.id}").status_code == 403
    token = csrf_token(client, "/")
    assert client.post(f"/staff/listings/{pending.id}/approve", data={"csrf_token": token}).status_code == 403
    db.session.refresh(pending)
    assert pending.status == ProductStatus.PENDING_REVIEW


def test_anonymous_must_log_in(client, pending):
    assert "/login" in client.get("/staff/listings").headers["Location"]
