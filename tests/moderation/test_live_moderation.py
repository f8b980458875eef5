"""Live chat moderation by commune staff over the real /live protocol (Flask-SocketIO's test client): removals
reach every viewer, mutes with bounds, the commune's word filter, ending a session for breaking the rules,
reports about chat messages and the chat footprint. Every staff action is audited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from market.accounts.tokens import issue_token
from market.extensions import db
from market.live.models import ChatMessage, LiveMute, LiveSession
from market.moderation.models import AuditEntry, ChatFilterWord, Report
from tests.conftest import login_as, post_form


@pytest.fixture(autouse=True)
def _fresh_hub():
    from market.live.hub import hub

    hub.reset()
    yield
    hub.reset()


@pytest.fixture
def connect(socket_client):
    def factory(user=None):
        return socket_client(auth={"token": issue_token(user)} if user else None)

    return factory


@pytest.fixture
def room(world, make_live_session):
    """A live session of commune A's KOL, with a buyer and an anonymous viewer in the room."""
    session = make_live_session(world.kol, status="live", title="Phiên sầu riêng Ea Knuếc")
    return session


def joined(sock, session):
    ack = sock.call("join", {"session_id": session.id})
    assert ack["ok"], ack
    sock.received()
    return ack


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def refused(ack, code):
    assert ack["ok"] is False and ack["error"] == code, ack
    assert isinstance(ack["message"], str) and ack["message"]


def say(sock, text):
    ack = sock.call("chat", {"text": text})
    assert ack["ok"], ack
    return ack["chat"]


# ---- remove and mute ---------------------------------------------------------------------------------------


def test_staff_remove_a_message_and_it_vanishes_for_every_viewer(connect, world, room):
    writer, viewer, anonymous, staff = connect(world.buyer), connect(world.seller), connect(), connect(world.staff)
    for sock in (writer, viewer, anonymous, staff):
        joined(sock, room)
    message = say(writer, "Mua hàng giả ở đây rẻ hơn")
    assert staff.events("chat")[0]["id"] == message["id"]  # the moderator sees it as it happens
    assert staff.call("remove_chat", {"message_id": message["id"]}) == {"ok": True}
    for sock in (writer, viewer, anonymous):
        assert sock.events("chat_removed") == [{"id": message["id"]}]
    assert connect().call("join", {"session_id": room.id})["snapshot"]["chat"] == []  # gone for newcomers too
    [entry] = entries("live.chat_remove")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.commune_id) == (
        world.staff.id,
        "chat",
        message["id"],
        world.a.id,
    )
    assert entry.details == {"session_id": room.id, "author_id": world.buyer.id, "text": "Mua hàng giả ở đây rẻ hơn"}


def test_the_host_moderating_her_own_chat_is_not_a_staff_action(connect, world, room):
    writer, host = connect(world.buyer), connect(world.kol)
    joined(writer, room)
    joined(host, room)
    message = say(writer, "spam spam")
    assert host.call("remove_chat", {"message_id": message["id"]}) == {"ok": True}
    assert host.call("mute", {"user_id": world.buyer.id, "minutes": 5})["ok"]
    assert not entries("live.chat_remove") and not entries("live.mute")


def test_staff_mute_for_n_minutes_and_the_muted_chat_is_refused(connect, world, room):
    writer, staff = connect(world.buyer), connect(world.staff)
    joined(writer, room)
    joined(staff, room)
    ack = staff.call("mute", {"user_id": world.buyer.id, "minutes": 10})
    assert ack["ok"] is True and ack["until"]
    assert writer.events("muted")[0]["session_id"] == room.id
    refused(writer.call("chat", {"text": "cho tôi nói"}), "muted")
    [mute] = db.session.scalars(sa.select(LiveMute)).all()
    minutes = (mute.until - mute.created_at).total_seconds() / 60
    assert 9.9 < minutes < 10.1
    [entry] = entries("live.mute")
    assert (entry.object_type, entry.object_id, entry.commune_id, entry.details["minutes"]) == (
        "user",
        world.buyer.id,
        world.a.id,
        10,
    )


@pytest.mark.parametrize("minutes", [-5, 0, 10**9, 10081, "10", 2.5, None, True])
def test_absurd_mute_lengths_are_refused_and_nothing_is_written(connect, world, room, minutes):
    staff = connect(world.staff)
    joined(staff, room)
    refused(staff.call("mute", {"user_id": world.buyer.id, "minutes": minutes}), "invalid")
    assert db.session.scalar(sa.select(sa.func.count(LiveMute.id))) == 0 and not entries("live.mute")


def test_buyers_sellers_and_other_communes_staff_are_forbidden(connect, world, room):
    writer = connect(world.buyer)
    joined(writer, room)
    message = say(writer, "xin chào")
    for actor in (world.buyer, world.seller, world.villain, world.other_staff):  # buyer, sellers, commune B
        sock = connect(actor)
        assert joined(sock, room)["snapshot"]["you"]["can_moderate"] is False
        refused(sock.call("remove_chat", {"message_id": message["id"]}), "forbidden")
        refused(sock.call("mute", {"user_id": world.buyer.id, "minutes": 5}), "forbidden")
    anonymous = connect()
    joined(anonymous, room)
    refused(anonymous.call("remove_chat", {"message_id": message["id"]}), "not_logged_in")
    assert db.session.get(ChatMessage, message["id"]).removed_at is None
    assert db.session.scalar(sa.select(sa.func.count(LiveMute.id))) == 0


def test_a_message_of_another_sessions_is_not_found(connect, world, room, make_live_session, make_seller):
    other_host = make_seller(name="Host B", commune=world.b, shop_name="Thổ cẩm live", is_kol=True)
    other = make_live_session(other_host, status="live")
    writer = connect(world.buyer)
    joined(writer, other)
    message = say(writer, "ở phiên khác")
    staff = connect(world.staff)
    joined(staff, other)  # anyone may watch commune B's session, but it is not hers to moderate
    refused(staff.call("remove_chat", {"message_id": message["id"]}), "forbidden")
    joined(staff, room)
    refused(staff.call("remove_chat", {"message_id": message["id"]}), "invalid")  # not in this session


# ---- the word filter ---------------------------------------------------------------------------------------


def add_word(client, commune, word, **extra):
    return post_form(client, "/staff/live/words", {"word-commune_id": str(commune.id), "word-word": word, **extra})


def test_a_filtered_word_refuses_the_message_and_tells_the_sender(client, connect, world, room):
    login_as(client, world.staff)
    assert add_word(client, world.a, "Kiếm tiền online").status_code == 302
    [entry] = entries("live.filter_add")
    assert entry.details == {"word": "Kiếm tiền online"} and entry.commune_id == world.a.id
    writer, viewer = connect(world.buyer), connect()
    joined(writer, room)
    joined(viewer, room)
    for text in ("KIEM TIEN ONLINE tại nhà!!", "ai muốn kiếm   tiền, online không", "Kiếm-tiền-Online"):
        ack = writer.call("chat", {"text": text})
        refused(ack, "invalid")
        assert "kiếm tiền online" in ack["message"].lower() and "không được phép" in ack["message"]
    assert viewer.events("chat") == []  # nobody else heard any of it
    assert db.session.scalar(sa.select(sa.func.count(ChatMessage.id))) == 0
    assert say(writer, "Kiếm tiền onlines")  # whole words only
    assert say(writer, "Tiền online kiếm đâu")


def test_another_communes_filter_does_not_apply(client, connect, world, room, make_live_session, make_seller):
    login_as(client, world.other_staff)
    assert add_word(client, world.b, "sầu riêng").status_code == 302
    writer = connect(world.buyer)
    joined(writer, room)
    assert say(writer, "Sầu riêng còn không chị?")


@pytest.mark.parametrize(
    ("word", "status", "message"),
    [
        ("x" * 10240, 400, "tối đa 60 ký tự"),
        ("a" * 61, 400, "tối đa 60 ký tự"),
        ("   ", 400, "Hãy gõ một từ"),
        ("!!! ???", 400, "Hãy gõ một từ"),
        ("LỪA ĐẢO", 409, "đã có trong bộ lọc"),  # the world's "lừa đảo", folded the same
    ],
)
def test_bad_filter_words_are_refused_and_nothing_is_written(client, world_b, word, status, message):
    w = world_b
    before = db.session.scalar(sa.select(sa.func.count(ChatFilterWord.id)))
    login_as(client, w.staff)
    resp = add_word(client, w.a, word)
    assert resp.status_code == status and message in resp.get_data(as_text=True)
    assert 'id="word-word-error"' in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ChatFilterWord.id))) == before
    assert not entries("live.filter_add")


def test_another_communes_filter_is_404(client, world_b):
    w = world_b
    login_as(client, w.other_staff)
    assert add_word(client, w.a, "hàng nhái").status_code == 404
    assert post_form(client, f"/staff/live/words/{w.word.id}/remove").status_code == 404
    assert client.get(f"/staff/live/words?commune={w.a.id}").status_code == 404
    assert db.session.get(ChatFilterWord, w.word.id) is not None
    assert not entries("live.filter_add") and not entries("live.filter_remove")


def test_removing_a_word_lets_it_through_again(client, connect, world_b):
    w = world_b
    writer = connect(w.buyer)
    joined(writer, w.session)
    refused(writer.call("chat", {"text": "lua dao"}), "invalid")
    login_as(client, w.staff)
    resp = post_form(client, f"/staff/live/words/{w.word.id}/remove", {"session_id": str(w.session.id)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/staff/live/{w.session.id}#words")
    assert entries("live.filter_remove")[0].details == {"word": "lừa đảo"}
    assert say(writer, "lua dao")


# ---- ending a session ----------------------------------------------------------------------------------------


def test_staff_end_a_session_that_breaks_the_rules(client, connect, world, room):
    viewer = connect(world.buyer)
    joined(viewer, room)
    login_as(client, world.staff)
    assert post_form(client, f"/staff/live/{room.id}/end", {"end-reason": ""}).status_code == 400
    assert viewer.events("session") == []
    resp = post_form(client, f"/staff/live/{room.id}/end", {"end-reason": "Bán hàng cấm trong phiên"})
    assert resp.status_code == 302
    assert viewer.events("session") == [{"status": "ended", "reason": "Bán hàng cấm trong phiên"}]
    db.session.expire_all()
    assert db.session.get(LiveSession, room.id).status == "ended"
    [entry] = entries("live.end")
    assert (entry.object_type, entry.object_id, entry.reason, entry.details) == (
        "live_session",
        room.id,
        "Bán hàng cấm trong phiên",
        {"from": "live"},
    )
    again = post_form(client, f"/staff/live/{room.id}/end", {"end-reason": "lần nữa"})
    assert again.status_code == 409 and len(entries("live.end")) == 1


def test_only_the_communes_staff_end_it(client, world, room):
    login_as(client, world.other_staff)
    assert post_form(client, f"/staff/live/{room.id}/end", {"end-reason": "x"}).status_code == 404
    login_as(client, world.kol)  # the host ends her own session from her console, not here
    assert post_form(client, f"/staff/live/{room.id}/end", {"end-reason": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(LiveSession, room.id).status == "live" and not entries("live.end")


# ---- pages -------------------------------------------------------------------------------------------------


def test_the_sessions_list_and_the_moderator_page(client, world, room, make_live_session, make_seller):
    other_host = make_seller(name="Host B", commune=world.b, shop_name="Thổ cẩm live", is_kol=True)
    make_live_session(other_host, status="live", title="Phiên thổ cẩm Xuân Lãnh")
    login_as(client, world.staff)
    html = client.get("/staff/live").get_data(as_text=True)
    assert "Phiên sầu riêng Ea Knuếc" in html and "Phiên thổ cẩm Xuân Lãnh" not in html
    html = client.get(f"/staff/live/{room.id}").get_data(as_text=True)
    assert 'data-page="moderate"' in html and f'data-session-id="{room.id}"' in html
    assert "staff-live.js" in html and "socket.io.min.js" in html and 'id="mute-minutes"' in html
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html
    assert 'data-counter="live_now">1<' in client.get("/staff/").get_data(as_text=True)


# ---- reports and the chat footprint -----------------------------------------------------------------------


def test_a_buyer_reports_a_chat_message(client, connect, world, room):
    writer = connect(world.villain)
    joined(writer, room)
    message = say(writer, "Chuyển khoản trước cho tôi nhé")
    login_as(client, world.buyer)
    form = client.get(f"/report?type=chat&id={message['id']}")
    assert form.status_code == 200 and "Chuyển khoản trước" in form.get_data(as_text=True)
    assert post_form(client, f"/report?type=chat&id={message['id']}", {"category": "fraud"}).status_code == 302
    report = db.session.scalar(sa.select(Report).where(Report.target_type == "chat"))
    assert report.commune_id == world.a.id and report.target_id == message["id"]
    login_as(client, world.staff)
    html = client.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    assert f'href="/staff/live/{room.id}"' in html
    login_as(client, world.other_staff)
    assert client.get(f"/staff/reports/{report.id}").status_code == 404


def test_reports_about_missing_or_removed_messages_are_404(client, connect, world, room):
    writer, staff = connect(world.villain), connect(world.staff)
    joined(writer, room)
    joined(staff, room)
    message = say(writer, "tin nhắn sẽ bị gỡ")
    staff.call("remove_chat", {"message_id": message["id"]})
    login_as(client, world.buyer)
    for target in (message["id"], 999_999, "abc"):
        assert client.get(f"/report?type=chat&id={target}").status_code == 404
        assert post_form(client, f"/report?type=chat&id={target}", {"category": "spam"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Report.id)).where(Report.target_type == "chat")) == 0


def test_staff_find_and_ban_someone_who_only_chatted_in_their_commune(client, connect, world, room, make_user):
    troll = make_user(name="Kẻ phá phiên")
    sock = connect(troll)
    joined(sock, room)
    say(sock, "phá phiên")
    login_as(client, world.other_staff)
    assert client.get(f"/staff/users/{troll.id}").status_code == 404  # not tied to commune B
    login_as(client, world.staff)
    assert client.get(f"/staff/users/{troll.id}").status_code == 200
    resp = post_form(client, f"/staff/users/{troll.id}/ban", {"ban-reason": "Phá phiên live nhiều lần"})
    assert resp.status_code == 302
    assert not sock.is_connected()  # the ban closes their socket
    assert entries("user.ban")[0].commune_id == world.a.id


def test_phone_orders_staff_take_at_the_live_console_are_audited(connect, world, room, make_product):
    from market.live import offers as live_offers

    product = make_product(seller=world.kol, title="Sầu riêng Ri6 live", stock=100)
    offer = live_offers.pin_offer(room, world.kol, product.id, 75_000, 20, 5)
    staff, host = connect(world.staff), connect(world.kol)
    joined(staff, room)
    joined(host, room)
    ack = staff.call(
        "phone_order",
        {
            "phone": "0912 555 444",
            "name": "Anh Tư",
            "offer_id": offer.id,
            "qty": 2,
            "street": "Thôn 3",
            "province": "Đắk Lắk",
            "key": "live-phone-000000001",
        },
    )
    assert ack["ok"], ack
    assert host.call(
        "phone_order",
        {
            "phone": "0912 555 333",
            "name": "Chị Ba",
            "offer_id": offer.id,
            "qty": 1,
            "street": "Thôn 3",
            "province": "Đắk Lắk",
            "key": "live-phone-000000002",
        },
    )["ok"]
    [entry] = entries("order.phone_placed")  # the host's own call is not a staff action
    assert (entry.actor_id, entry.object_id, entry.commune_id) == (world.staff.id, ack["order"]["id"], world.a.id)
    assert entry.details["live_session_id"] == room.id
