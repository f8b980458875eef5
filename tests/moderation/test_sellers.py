"""Seller applications: approve, suspend with a reason the seller reads, restore; the KOL badge."""

import pytest
import sqlalchemy as sa

from market.accounts.models import SellerProfile, SellerStatus
from market.extensions import db
from market.moderation.models import AuditEntry
from tests.conftest import login_as, post_form


def audit_of(action, object_id=None):
    stmt = sa.select(AuditEntry).where(AuditEntry.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    return list(db.session.scalars(stmt))


def profile(user) -> SellerProfile:
    db.session.expire_all()  # requests ran in their own sessions
    return db.session.scalar(sa.select(SellerProfile).where(SellerProfile.user_id == user.id))


def test_queue_shows_pending_shops_of_my_commune(client, world):
    login_as(client, world.staff)
    html = client.get("/staff/sellers").get_data(as_text=True)
    assert "Hồ tiêu Y Điêng" in html
    assert "Vườn sầu riêng" not in html  # approved: not in the default (pending) queue
    assert "Thổ cẩm B" not in html  # pending, but of commune B


def test_approve_then_grant_kol_the_seller_sees_it(app, client, world):
    pid = world.pending.seller_profile.id
    login_as(client, world.staff)
    assert post_form(client, f"/staff/sellers/{pid}/approve").status_code == 302
    p = profile(world.pending)
    assert p.status == SellerStatus.APPROVED and p.reviewed_by_id == world.staff.id
    assert post_form(client, f"/staff/sellers/{pid}/kol").status_code == 302
    db.session.refresh(p)
    assert p.is_kol
    [approve] = audit_of("seller.approve", pid)
    assert approve.actor_id == world.staff.id and approve.commune_id == world.a.id
    assert approve.details == {"from": "pending"} and approve.object_label == "Hồ tiêu Y Điêng"
    assert len(audit_of("seller.kol_grant", pid)) == 1

    seller = app.test_client()
    login_as(seller, world.pending)
    html = seller.get("/sell/apply").get_data(as_text=True)
    assert "Gian hàng của bạn đã mở" in html and "KOL của xã" in html
    assert "Đã duyệt người bán" in html and "Đã cấp huy hiệu KOL" in html  # the decisions, in Vietnamese


def test_suspend_with_reason_seller_reads_it_then_restore(app, client, world):
    pid = world.seller.seller_profile.id
    login_as(client, world.staff)
    resp = post_form(client, f"/staff/sellers/{pid}/suspend", {"suspend-reason": "Ảnh <b>không</b> đúng hàng thật"})
    assert resp.status_code == 302
    p = profile(world.seller)
    assert p.status == SellerStatus.SUSPENDED and p.status_reason == "Ảnh <b>không</b> đúng hàng thật"
    [entry] = audit_of("seller.suspend", pid)
    assert entry.reason == "Ảnh <b>không</b> đúng hàng thật" and entry.details == {"from": "approved"}

    seller = app.test_client()
    login_as(seller, world.seller)
    html = seller.get("/sell/apply").get_data(as_text=True)
    assert "Gian hàng của bạn đang bị tạm ngừng" in html
    assert "Ảnh &lt;b&gt;không&lt;/b&gt; đúng hàng thật" in html  # escaped

    assert post_form(client, f"/staff/sellers/{pid}/restore", {"restore-reason": ""}).status_code == 302
    db.session.refresh(p)
    assert p.status == SellerStatus.APPROVED and p.status_reason is None
    assert len(audit_of("seller.restore", pid)) == 1


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Hãy nêu lý do"),
        ("   \n\t ", "Hãy nêu lý do"),
        ("x" * 10240, "tối đa 500 ký tự"),
    ],
)
def test_suspend_needs_a_reason_of_sensible_length(client, world, reason, message):
    pid = world.seller.seller_profile.id
    login_as(client, world.staff)
    resp = post_form(client, f"/staff/sellers/{pid}/suspend", {"suspend-reason": reason})
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    assert profile(world.seller).status == SellerStatus.APPROVED
    assert audit_of("seller.suspend") == []


def test_reason_over_500_refused_by_the_service_too(app, world):
    from market.domain import DomainError
    from market.moderation.sellers.service import suspend_seller

    with pytest.raises(DomainError) as err:
        suspend_seller(world.seller.seller_profile, world.staff, "y" * 501)
    assert err.value.field == "reason"


@pytest.mark.parametrize(
    ("who", "path", "message"),
    [
        ("seller", "approve", "không chờ duyệt"),
        ("pending", "kol", "Chỉ gian hàng đang mở"),
        ("kol", "kol", "đã có huy hiệu KOL"),
        ("seller", "restore", "không bị tạm ngừng"),
    ],
)
def test_impossible_moves_are_refused_with_409(client, world, who, path, message):
    pid = getattr(world, who).seller_profile.id
    login_as(client, world.staff)
    resp = post_form(client, f"/staff/sellers/{pid}/{path}", {"restore-reason": ""})
    assert resp.status_code == 409
    assert message in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_staff_of_another_commune_cannot_approve(client, world):
    pid = world.pending.seller_profile.id
    login_as(client, world.other_staff)
    assert post_form(client, f"/staff/sellers/{pid}/approve").status_code == 404
    assert profile(world.pending).status == SellerStatus.PENDING


def test_seller_page_shows_other_kols_of_the_commune(client, world):
    login_as(client, world.staff)
    html = client.get(f"/staff/sellers/{world.seller.seller_profile.id}").get_data(as_text=True)
    assert "Sầu riêng H&#39;Lan" in html  # the commune's current KOL, linked


def test_revoke_kol(client, world):
    pid = world.kol.seller_profile.id
    login_as(client, world.admin)
    assert post_form(client, f"/staff/sellers/{pid}/kol/revoke", {"revoke-reason": "Hết nhiệm kỳ"}).status_code == 302
    assert not profile(world.kol).is_kol
    [entry] = audit_of("seller.kol_revoke", pid)
    assert entry.reason == "Hết nhiệm kỳ" and entry.actor_id == world.admin.id
