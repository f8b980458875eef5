"""Buyers report a listing, a shop or an order; staff handle it; the reporter reads the outcome."""

import pytest
import sqlalchemy as sa

from market.extensions import db
from market.moderation.models import AuditEntry, Report
from tests.conftest import login_as, post_form


def reports():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Report).order_by(Report.id)))


def test_buyer_reports_a_listing_and_reads_the_outcome(app, client, world, make_user):
    buyer = make_user(name="Nguyễn Văn Nam")
    login_as(client, buyer)
    url = f"/report?type=product&id={world.product.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Sầu riêng Ri6" in page.get_data(as_text=True)
    resp = post_form(client, url, {"category": "fake", "text": "Ảnh chụp từ <i>mạng</i>"}, page=url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/reports")
    report = reports()[-1]
    assert (report.target_type, report.target_id, report.commune_id) == ("product", world.product.id, world.a.id)
    assert report.status == "open" and report.target_label == "Sầu riêng Ri6"
    assert "đang xem xét" not in client.get("/reports").get_data(as_text=True)

    staff = app.test_client()
    login_as(staff, world.staff)
    queue = staff.get("/staff/reports").get_data(as_text=True)
    assert f"/staff/reports/{report.id}" in queue
    detail = staff.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    assert "Ảnh chụp từ &lt;i&gt;mạng&lt;/i&gt;" in detail
    assert post_form(staff, f"/staff/reports/{report.id}/take").status_code == 302
    assert "đang xem xét" in client.get("/reports").get_data(as_text=True)
    resp = post_form(
        staff,
        f"/staff/reports/{report.id}/close",
        {"close-outcome": "resolved", "close-note": "Đã yêu cầu người bán thay ảnh thật"},
    )
    assert resp.status_code == 302
    report = reports()[-1]
    assert report.status == "resolved" and report.handled_by_id == world.staff.id
    mine = client.get("/reports").get_data(as_text=True)
    assert "đã xử lý" in mine and "Đã yêu cầu người bán thay ảnh thật" in mine
    actions = list(
        db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.object_id == report.id, AuditEntry.object_type == "report")
        )
    )
    assert sorted(actions) == ["report.resolve", "report.take"]
    # the account page now links to "My reports"
    assert "/reports" in client.get("/account").get_data(as_text=True)


def test_report_a_shop_and_an_order(client, world, make_user):
    from market.orders.service import Line, place_order

    buyer = make_user(name="Khách")
    order = place_order(buyer, [Line("product", world.product.id, 2)], "report-order-1").order
    login_as(client, buyer)
    shop = world.seller.seller_profile
    assert post_form(client, f"/report?type=shop&id={shop.id}", {"category": "fraud", "text": ""}).status_code == 302
    assert (
        post_form(
            client, f"/report?type=order&id={order.id}", {"category": "not_received", "text": "Đã 10 ngày"}
        ).status_code
        == 302
    )
    got = [(r.target_type, r.commune_id, r.category) for r in reports()[-2:]]
    assert got == [("shop", world.a.id, "fraud"), ("order", world.a.id, "not_received")]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("type=product&id=999999", 404, "không tồn tại"),
        ("type=product&id=99999999999999999999", 404, "không tồn tại"),
        ("type=product&id=abc", 404, "không tồn tại"),
        ("type=product", 404, "không tồn tại"),
        ("type=spaceship&id=1", 400, "Không thể báo cáo loại nội dung này"),
        ("type=chat&id=999999", 404, "không tồn tại"),  # a chat message that does not exist
        ("", 400, "Không thể báo cáo loại nội dung này"),
    ],
)
def test_reports_about_nothing_are_refused(client, world, query, status, message):
    login_as(client, world.buyer)
    for resp in (client.get(f"/report?{query}"), post_form(client, f"/report?{query}", {"category": "fake"})):
        assert resp.status_code == status
        assert message in resp.get_data(as_text=True)
    assert len(reports()) == 2  # the world's two


def test_cannot_report_another_buyers_order_or_a_hidden_listing(client, world, make_user, make_product):
    from market.catalog.models import ProductStatus
    from market.orders.service import Line, place_order

    order = place_order(make_user(), [Line("product", world.product.id, 1)], "someone-elses-1").order
    draft = make_product(seller=world.seller, title="Bản nháp", status=ProductStatus.DRAFT)
    login_as(client, world.buyer)
    assert client.get(f"/report?type=order&id={order.id}").status_code == 404
    assert client.get(f"/report?type=product&id={draft.id}").status_code == 404
    assert client.get(f"/report?type=shop&id={world.pending.seller_profile.id}").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"category": "abuse"}, "Hãy chọn"),  # not a category of listings
        ({"category": ""}, "Hãy chọn"),
        ({"category": "other", "text": ""}, "Hãy cho chúng tôi biết vấn đề là gì"),
        ({"category": "fake", "text": "x" * 10240}, "tối đa 2000 ký tự"),
    ],
)
def test_bad_report_forms(client, world, data, message):
    login_as(client, world.buyer)
    url = f"/report?type=product&id={world.product.id}"
    resp = post_form(client, url, data)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert len(reports()) == 2


def test_one_open_report_per_person_and_target(client, world, make_user):
    login_as(client, make_user())
    url = f"/report?type=product&id={world.product.id}"
    assert post_form(client, url, {"category": "fake"}).status_code == 302
    again = post_form(client, url, {"category": "spam"})
    assert again.status_code == 409 and "đã báo cáo" in again.get_data(as_text=True)


def test_reporting_needs_login(client, world):
    resp = client.get(f"/report?type=product&id={world.product.id}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"close-outcome": "resolved", "close-note": ""}, "Hãy ghi lời nhắn"),
        ({"close-outcome": "deleted", "close-note": "ok"}, "Hãy chọn đã xử lý hoặc bác"),
        ({"close-outcome": "dismissed", "close-note": "n" * 10240}, "tối đa 500 ký tự"),
    ],
)
def test_closing_a_report_needs_an_outcome_and_a_note(client, world, data, message):
    login_as(client, world.staff)
    resp = post_form(client, f"/staff/reports/{world.report.id}/close", data)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    assert reports()[0].status == "open"
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_closed_reports_stay_closed(client, world):
    login_as(client, world.admin)
    url = f"/staff/reports/{world.report.id}/close"
    assert post_form(client, url, {"close-outcome": "dismissed", "close-note": "Ảnh đúng"}).status_code == 302
    assert post_form(client, url, {"close-outcome": "resolved", "close-note": "Lại"}).status_code == 409
    assert post_form(client, f"/staff/reports/{world.report.id}/take").status_code == 409


def test_staff_of_another_commune_cannot_handle_it(client, world):
    login_as(client, world.other_staff)
    assert client.get(f"/staff/reports/{world.report.id}").status_code == 404
    resp = post_form(
        client, f"/staff/reports/{world.report.id}/close", {"close-outcome": "dismissed", "close-note": "x"}
    )
    assert resp.status_code == 404
    assert reports()[0].status == "open"


def test_a_new_target_type_plugs_in(client, world, monkeypatch):
    """A target type plugs in like "chat" did: the form, the queue and the outcome need nothing else."""
    from market.moderation.reports import service as reports_module

    monkeypatch.setattr(reports_module, "_types", dict(reports_module._types))
    reports_module.register_target_type(
        "review",
        "một đánh giá",
        lambda i, u: reports_module.Target(world.seller, world.a.id, "Tin nhắn #7") if i == 7 else None,
        ("abuse", "spam", "other"),
    )
    login_as(client, world.buyer)
    assert client.get("/report?type=review&id=8").status_code == 404
    assert post_form(client, "/report?type=review&id=7", {"category": "abuse"}).status_code == 302
    assert reports()[-1].target_label == "Tin nhắn #7"
