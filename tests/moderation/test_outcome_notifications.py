"""Every staff decision about a seller's things (and a report's answer) reaches her: a notification in her
language with a link where to act, and a short unaccented SMS."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from market.extensions import db
from market.moderation.listings import service as listings
from market.moderation.ocop import service as ocop
from market.moderation.reports import service as reports
from market.moderation.sellers import service as mod
from market.notifications.models import Notification
from market.notifications.sms import LogSms, is_gsm, parts


@pytest.fixture(autouse=True)
def clear_sms():
    LogSms.sent.clear()
    yield
    LogSms.sent.clear()


def told(user, kind: str) -> tuple[Notification, str]:
    """The one notification of ``kind`` to ``user`` and the SMS sent for it (after the commit)."""
    db.session.commit()
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()
    assert len(notes) == 1, f"{kind}: {len(notes)} notifications"
    sms = [text for phone, text in LogSms.sent if phone == user.phone]
    assert len(sms) == 1, f"{kind}: {len(sms)} SMS"
    assert is_gsm(sms[0]) and parts(sms[0]) == 1, sms[0]
    assert sms[0].endswith(notes[0].link)
    LogSms.sent.clear()
    return notes[0], sms[0]


def test_shop_approved_suspended_restored(world):
    w = world
    mod.approve_seller(w.pending.seller_profile, w.staff)
    note, sms = told(w.pending, "seller.approve")
    assert note.text == "Cửa hàng Hồ tiêu Y Điêng đã được duyệt. Bạn có thể đăng sản phẩm ngay."
    assert note.link == "/sell/products" and sms.startswith("Cho Phien: Cua hang Ho tieu Y Dieng da duoc duyet")
    mod.suspend_seller(w.villain.seller_profile, w.staff, "Bán hàng giả.")
    note, _sms = told(w.villain, "seller.suspend")
    assert note.text == "Cửa hàng Hàng giả bị tạm ngừng: Bán hàng giả" and note.link == "/sell/apply"
    mod.restore_seller(w.suspended.seller_profile, w.staff)
    note, _sms = told(w.suspended, "seller.restore")
    assert note.link == "/sell/products"


def test_kol_badge_granted_and_revoked_in_english_for_an_english_seller(world):
    w = world
    w.seller.locale = "en"
    mod.grant_kol(w.seller.seller_profile, w.staff)
    note, sms = told(w.seller, "seller.kol_grant")
    assert note.text == "You are now the KOL of Ea Knuếc: you can host live sessions." and note.link == "/live/new"
    assert "KOL of Ea Knuec" in sms
    mod.revoke_kol(w.kol.seller_profile, w.staff, "Không còn ở xã")
    note, _sms = told(w.kol, "seller.kol_revoke")
    assert note.text == "Huy hiệu KOL của bạn đã bị gỡ: Không còn ở xã"


def test_listing_approved_and_rejected_with_the_reason(world):
    w = world
    listings.approve(w.listing, w.staff)
    note, _sms = told(w.seller, "listing.approve")
    assert note.text == "“Sầu riêng Monthong” đã được duyệt và đang bán." and note.link == f"/p/{w.listing.id}"
    listings.reject(w.listing2, w.staff, None, "Ảnh bị mờ.")
    note, sms = told(w.seller, "listing.reject")
    assert note.text == "“Bơ sáp” chưa được duyệt: Ảnh bị mờ. Hãy sửa rồi gửi lại."
    assert note.link == f"/sell/products/{w.listing2.id}/edit"
    assert '"Bo sap" chua duoc duyet: Anh bi mo.' in sms


def test_ocop_claim_verified_and_refused(world_b, make_product):
    w = world_b
    issued = date.today() - timedelta(days=30)
    ocop.verify(w.ocop, w.staff, certificate_no="OCOP-DL-2025-0412", stars=4, issued_on=issued.isoformat())
    note, _sms = told(w.seller, "ocop.verify")
    assert note.link == f"/p/{w.ocop.id}"
    other = make_product(seller=w.seller, title="Mật ong", ocop_stars=3, ocop_certificate_no="X-1")
    ocop.reject_claim(other, w.staff, "Giấy chứng nhận đã hết hạn")
    note, _sms = told(w.seller, "ocop.reject")
    assert note.text == "Chứng nhận OCOP của “Mật ong” bị từ chối: Giấy chứng nhận đã hết hạn"
    assert note.link == f"/sell/products/{other.id}/edit"


@pytest.mark.parametrize("outcome, kind", [("resolved", "report.resolved"), ("dismissed", "report.dismissed")])
def test_a_reporter_hears_the_answer(world, outcome, kind):
    w = world
    reports.close_report(w.report, w.staff, outcome, "Đã gỡ sản phẩm")
    note, _sms = told(w.buyer, kind)
    assert "Đã gỡ sản phẩm" in note.text and note.link == "/reports"


def test_nothing_is_told_of_a_decision_rolled_back(world):
    mod.approve_seller(world.pending.seller_profile, world.staff)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0 and not LogSms.sent


def test_a_long_reason_takes_two_parts_at_most_and_keeps_the_link(world):
    w = world
    listings.reject(w.listing2, w.staff, None, "Ảnh không rõ, " * 35)
    db.session.commit()
    ((phone, sms),) = LogSms.sent
    assert parts(sms) == 2 and "..." in sms and sms.endswith(f"/sell/products/{w.listing2.id}/edit")
