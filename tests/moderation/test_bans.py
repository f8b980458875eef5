"""Platform bans: every cookie and token dies, live sockets close, the next request is refused; unban."""

import pytest
import sqlalchemy as sa

from market.accounts.models import User
from market.accounts.tokens import issue_token
from market.extensions import db
from market.live import connection
from market.moderation.models import AuditEntry
from tests.conftest import login_as, post_form


def test_ban_logs_out_everywhere_and_refuses_the_next_request(app, client, world):
    victim = app.test_client()
    login_as(victim, world.villain)
    assert victim.get("/account").status_code == 200
    token = issue_token(world.villain)
    assert victim.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    login_as(client, world.staff)
    resp = post_form(client, f"/staff/users/{world.villain.id}/ban", {"ban-reason": "Bán sầu riêng giả"})
    assert resp.status_code == 302

    user = db.session.get(User, world.villain.id)
    db.session.refresh(user)
    assert user.is_banned and user.banned_reason == "Bán sầu riêng giả"
    assert user.auth_version == 2
    # the old cookie is refused: the next request asks for a login
    resp = victim.get("/account")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    # the old API token too
    assert victim.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # and logging in again shows why
    login_page = post_form(app.test_client(), "/login", {"phone": user.phone, "password": "password123"}, page="/login")
    assert "Tài khoản này đã bị khóa: Bán sầu riêng giả" in login_page.get_data(as_text=True)
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.ban"))
    assert entry.object_id == user.id and entry.commune_id == world.a.id and entry.reason == "Bán sầu riêng giả"
    assert entry.actor_id == world.staff.id


def test_ban_closes_the_users_live_sockets_and_tells_them(app, world, socket_client):
    victim = app.test_client()
    login_as(victim, world.villain)
    by_cookie = socket_client(victim)
    old_token = issue_token(world.villain)
    by_token = socket_client(auth={"token": old_token})
    bystander = socket_client(auth={"token": issue_token(world.buyer)})
    assert by_cookie.is_connected() and by_token.is_connected()

    staff = app.test_client()
    login_as(staff, world.admin)
    assert post_form(staff, f"/staff/users/{world.villain.id}/ban", {"ban-reason": "Chửi bới"}).status_code == 302

    assert not by_cookie.is_connected() and not by_token.is_connected()
    assert bystander.is_connected()
    assert all(d.get("user_id") != world.villain.id for d in connection.connections().values())
    # a reconnect with the old token is refused
    assert not socket_client(auth={"token": old_token}).is_connected()
    assert bystander.events("banned") == []


def test_banned_event_reaches_the_users_room(app, world, socket_client):
    """Sockets held by other processes get the "banned" event through the per-user room (message queue)."""
    from market.moderation.sockets import disconnect_user

    sc = socket_client(auth={"token": issue_token(world.villain)})
    other = socket_client(auth={"token": issue_token(world.buyer)})
    # as another process would see it: the socket is in the room, but not in this process's table
    saved = connection.connections().pop(sc.sid)
    try:
        disconnect_user(world.villain.id, "Tài khoản đã bị khóa")
    finally:
        connection.connections()[sc.sid] = saved
    # told, then closed server-side (the room is closed in every process through the queue)
    assert [m["args"][0] for m in sc._client.queue if m["name"] == "banned"] == [{"message": "Tài khoản đã bị khóa"}]
    assert not sc.is_connected()
    assert other.events("banned") == [] and other.is_connected()


@pytest.mark.parametrize(
    ("reason", "status", "message"),
    [
        ("", 400, "Hãy nêu lý do"),
        ("z" * 10240, 400, "tối đa 500 ký tự"),
    ],
)
def test_ban_needs_a_reason(client, world, reason, status, message):
    login_as(client, world.staff)
    resp = post_form(client, f"/staff/users/{world.villain.id}/ban", {"ban-reason": reason})
    assert resp.status_code == status and message in resp.get_data(as_text=True)
    db.session.refresh(world.villain)
    assert not world.villain.is_banned and world.villain.auth_version == 1


@pytest.mark.parametrize(
    ("actor", "target", "status"),
    [
        ("staff", "other_staff", 404),  # staff are not tied to a commune by a shop or an order
        ("staff", "seller_b", 404),  # tied to commune B only
        ("other_staff", "villain", 404),
        ("admin", "admin", 403),  # nobody bans themselves (or an admin)
        ("staff", "staff", 404),  # themselves: staff are not tied to their commune by a shop
    ],
)
def test_who_may_ban_whom(client, world, actor, target, status):
    login_as(client, getattr(world, actor))
    resp = post_form(client, f"/staff/users/{getattr(world, target).id}/ban", {"ban-reason": "Thử"})
    assert resp.status_code == status
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_staff_cannot_ban_staff_who_sell_in_their_commune(client, world, make_seller):
    colleague = world.other_staff
    make_seller(user=colleague, commune=world.a, shop_name="Vườn của cán bộ")
    login_as(client, world.staff)
    resp = post_form(client, f"/staff/users/{colleague.id}/ban", {"ban-reason": "Thử"})
    assert resp.status_code == 403 and "Chỉ quản trị viên" in resp.get_data(as_text=True)
    login_as(client, world.admin)
    assert post_form(client, f"/staff/users/{colleague.id}/ban", {"ban-reason": "Vi phạm"}).status_code == 302


def test_a_buyer_who_ordered_in_the_commune_can_be_banned_by_its_staff(client, world, make_user, make_product):
    from market.orders.service import Line, place_order

    troll = make_user(name="Khách phá rối")
    place_order(troll, [Line("product", world.product.id, 1)], "troll-order-1")
    login_as(client, world.staff)
    assert "Khách phá rối" in client.get("/staff/users?q=ph%C3%A1").get_data(as_text=True)
    assert post_form(client, f"/staff/users/{troll.id}/ban", {"ban-reason": "Đặt đơn ảo"}).status_code == 302
    login_as(client, world.other_staff)
    assert client.get(f"/staff/users/{troll.id}").status_code == 404


def test_unban(app, client, world):
    login_as(client, world.staff)
    resp = post_form(client, f"/staff/users/{world.banned.id}/unban", {"unban-reason": "Đã xác minh"})
    assert resp.status_code == 302
    db.session.refresh(world.banned)
    assert not world.banned.is_banned and world.banned.banned_reason is None
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.unban"))
    assert entry.reason == "Đã xác minh" and entry.details == {"ban_reason": "Lừa đảo"}
    again = post_form(client, f"/staff/users/{world.banned.id}/unban", {"unban-reason": ""})
    assert again.status_code == 409
