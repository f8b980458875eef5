"""Admins assign staff to communes and remove them; the CLI does it too; all of it audited."""

import sqlalchemy as sa

from market.accounts.models import StaffAssignment, User
from market.extensions import db
from market.moderation.models import AuditEntry
from tests.conftest import login_as, post_form


def entries(action):
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_admin_assigns_and_removes_staff(client, world):
    login_as(client, world.admin)
    resp = post_form(client, "/staff/admin/staff", {"phone": world.buyer.phone, "commune_id": str(world.a.id)})
    assert resp.status_code == 302
    db.session.expire_all()
    buyer = db.session.get(User, world.buyer.id)
    assert buyer.is_staff and buyer.staff_commune_ids == {world.a.id}
    [assign] = entries("staff.assign")
    assert assign.commune_id == world.a.id and assign.actor_id == world.admin.id
    assert assign.details == {"via": "web", "user_id": buyer.id}
    assert "Hoàng Thị Hoa" in client.get("/staff/admin/staff").get_data(as_text=True)

    # the new staff member now reaches the staff pages of commune A
    staff_client = client.application.test_client()
    login_as(staff_client, buyer)
    assert staff_client.get(f"/staff/sellers/{world.pending.seller_profile.id}").status_code == 200

    [assignment_id] = [a.id for a in buyer.staff_assignments]
    assert post_form(client, f"/staff/admin/staff/{assignment_id}/remove").status_code == 302
    db.session.expire_all()
    buyer = db.session.get(User, world.buyer.id)
    assert not buyer.is_staff and buyer.staff_assignments == []
    [unassign] = entries("staff.unassign")
    assert unassign.commune_id == world.a.id and unassign.object_id == assignment_id
    assert staff_client.get("/staff/").status_code == 403


def test_assign_bad_input(client, world):
    login_as(client, world.admin)
    cases = [
        ({"phone": "0999 999 999", "commune_id": str(world.a.id)}, 400, "Chưa có tài khoản"),
        ({"phone": "abc", "commune_id": str(world.a.id)}, 400, "điện thoại"),
        ({"phone": world.buyer.phone, "commune_id": "123456"}, 400, "Hãy chọn"),
        ({"phone": world.staff.phone, "commune_id": str(world.a.id)}, 409, "đã là cán bộ"),
        ({"phone": world.banned.phone, "commune_id": str(world.a.id)}, 400, "đang bị khóa"),
    ]
    for data, status, message in cases:
        resp = post_form(client, "/staff/admin/staff", data)
        assert resp.status_code == status, data
        assert message in resp.get_data(as_text=True), data
    assert entries("staff.assign") == []


def test_staff_with_another_commune_keeps_the_other(client, world):
    login_as(client, world.admin)
    post_form(client, "/staff/admin/staff", {"phone": world.staff.phone, "commune_id": str(world.b.id)})
    db.session.expire_all()
    staff = db.session.get(User, world.staff.id)
    assert staff.staff_commune_ids == {world.a.id, world.b.id}
    a_assignment = next(a.id for a in staff.staff_assignments if a.commune_id == world.a.id)
    post_form(client, f"/staff/admin/staff/{a_assignment}/remove")
    db.session.expire_all()
    staff = db.session.get(User, world.staff.id)
    assert staff.is_staff and staff.staff_commune_ids == {world.b.id}


def test_create_staff_cli_is_audited(runner, make_commune):
    commune = make_commune("Nam Ka")
    result = runner.invoke(
        args=["create-staff", "0912 111 333", "--commune", "nam-ka", "--name", "Chị Mai", "--password", "password123"]
    )
    assert result.exit_code == 0, result.output
    [entry] = entries("staff.assign")
    assert entry.actor_id is None and entry.actor_label == "CLI" and entry.commune_id == commune.id
    assert entry.details["via"] == "cli"
    again = runner.invoke(args=["create-staff", "0912 111 333", "--commune", "nam-ka"])
    assert again.exit_code == 0 and len(entries("staff.assign")) == 1  # nothing new to record
    assert db.session.scalar(sa.select(sa.func.count(StaffAssignment.id))) == 1
