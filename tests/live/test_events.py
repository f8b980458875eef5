"""The /live protocol with Flask-SocketIO's real test client: every event, and every bad input the issue lists.

Room updates are coalesced by the hub's tick, which the server runs in the background; here the tests run
one tick themselves (``tick``) so that what each viewer hears is exact.
"""

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.accounts.tokens import issue_token
from market.database import utcnow
from market.extensions import db
from market.live.models import ChatMessage, LiveOffer
from market.live.tasks import sweep_holds
from market.live.tasks import tick as run_tick
from market.orders.models import Order
from tests.conftest import login_as
from tests.live.conftest import new_key

ERROR_CODES = {
    "not_logged_in",
    "forbidden",
    "invalid",
    "sold_out",
    "limit_exceeded",
    "offer_closed",
    "session_not_live",
    "muted",
    "rate_limited",
}


@pytest.fixture
def connect(socket_client):
    """``connect(user=None)`` → a socket of that user (by API token), or anonymous."""

    def factory(user=None):
        return socket_client(auth={"token": issue_token(user)} if user else None)

    return factory


@pytest.fixture
def tick(app):
    def run():
        run_tick(app)

    return run


@pytest.fixture
def no_errors_logged(caplog):
    caplog.set_level(logging.WARNING)
    yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


def heard(sock) -> dict[str, list]:
    """Everything a socket received since last asked, by event name (``events()`` drains the queue)."""
    out: dict[str, list] = {}
    for m in sock.received():
        out.setdefault(m["name"], []).append(m["args"][0] if m["args"] else None)
    return out


def joined(sock, session):
    ack = sock.call("join", {"session_id": session.id})
    assert ack["ok"], ack
    sock.received()  # forget what came before
    return ack


def sold_total(offer_id):
    return db.session.scalar(sa.select(LiveOffer.sold).where(LiveOffer.id == offer_id))


def order_count():
    return db.session.scalar(sa.select(sa.func.count(Order.id)))


def assert_refused(ack, code):
    assert ack["ok"] is False and ack["error"] == code, ack
    assert isinstance(ack["message"], str) and ack["message"]


# ---- join -------------------------------------------------------------------------------------------


def test_a_token_connects_only_while_it_is_valid(socket_client, make_session, make_user, no_errors_logged):
    """The socket's token check reads three columns, not the ORM user: it must refuse what user_from_token
    refuses (a garbage token, one of a logged-out user, one of a banned user) and know a good one."""
    from market.database import utcnow

    session = make_session()
    good, logged_out, banned = make_user(name="Lan"), make_user(name="Đã ra"), make_user(name="Bị cấm")
    tokens = {u.id: issue_token(u) for u in (good, logged_out, banned)}
    logged_out.auth_version += 1
    banned.banned_at = utcnow()
    db.session.flush()
    for token in ("not-a-token", tokens[logged_out.id], tokens[banned.id], "x" * 600):
        assert not socket_client(auth={"token": token}).is_connected(), token
    sock = socket_client(auth={"token": tokens[good.id]})
    assert sock.is_connected()
    you = joined(sock, session)["snapshot"]["you"]
    assert you == {"user_id": good.id, "logged_in": True, "is_host": False, "can_moderate": False}
    host = socket_client(auth={"token": issue_token(session.seller.user)})
    assert joined(host, session)["snapshot"]["you"]["is_host"] is True


def test_join_gives_a_snapshot(connect, make_offer, make_user, no_errors_logged):
    offer = make_offer(quantity=500, per_buyer_limit=20, price_vnd=79_000)
    from market.live import chat

    chat.post_chat(offer.session, make_user(name="Hoàng Thị Hoa"), "Còn hàng không chị?")
    ack = connect().call("join", {"session_id": offer.session_id})
    assert ack["ok"] is True
    snap = ack["snapshot"]
    assert snap["session"]["id"] == offer.session_id and snap["session"]["status"] == "live"
    assert snap["session"]["stream"]["platform"] == "tiktok" and snap["session"]["stream"]["embed_url"] is None
    assert snap["offers"] == [
        {
            "id": offer.id,
            "product_id": offer.product_id,
            "title": "Sầu riêng Ri6",
            "unit": "kg",
            "price_vnd": 79_000,
            "remaining": 500,
            "per_buyer_limit": 20,
            "image": None,
            "quantity": 500,
            "sold": 0,
            "status": "open",
            "number": 1,
            "ends_at": None,
            "seconds_left": None,
        }
    ]
    assert [(c["user"], c["text"]) for c in snap["chat"]] == [("Hoa H.", "Còn hàng không chị?")]
    assert snap["viewers"] == 1 and snap["hearts"] == 0
    assert snap["you"] == {"user_id": None, "logged_in": False, "is_host": False, "can_moderate": False}


def test_join_works_while_the_shared_counters_are_away(connect, make_offer, monkeypatch, no_errors_logged):
    """Redis gone for a moment (several processes): a viewer joining then gets a snapshot with this process's
    own figures, not a failed join and a traceback in the log (seen in the reconnecting-banner e2e test)."""
    import redis

    from market.live.hub import hub

    offer = make_offer()
    offer.session.hearts = 7
    db.session.flush()

    class Gone:
        shared = True

        def viewer_totals(self, local):
            raise redis.exceptions.ConnectionError("Connection reset by peer")

        hearts_totals = viewer_totals

    monkeypatch.setattr(hub, "backend", Gone())
    ack = connect().call("join", {"session_id": offer.session_id})
    assert ack["ok"] is True
    assert ack["snapshot"]["viewers"] == 1 and ack["snapshot"]["hearts"] == 7
    assert hub.shared_ok is False


def test_offers_show_the_products_cover_photo(app, client, connect, make_session, make_product):
    """The pinned offer carries the product's first photo (its 320 px JPEG, served by the catalog's /media/)."""
    from market.catalog.models import ProductPhoto
    from market.live import offers

    session = make_session()
    product = make_product(seller=session.seller.user, stock=80)
    digest, second = "ab" * 32, "cd" * 32
    db.session.add_all(
        [
            ProductPhoto(product=product, position=1, image_hash=second, width=800, height=600),
            ProductPhoto(product=product, position=0, image_hash=digest, width=600, height=800),
        ]
    )
    db.session.flush()
    db.session.expire(product, ["photos"])
    pinned = offers.pin_offer(session, session.seller.user, product.id, 79_000, 30, None)
    cover = f"/media/p/ab/ab/{digest}-320.jpg"
    with app.test_request_context():
        from flask import url_for

        assert cover == url_for("catalog.media", filename=f"p/ab/ab/{digest}-320.jpg")
    assert offers.offer_json(pinned)["image"] == cover
    [offer] = connect().call("join", {"session_id": session.id})["snapshot"]["offers"]
    assert offer["image"] == cover


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "1",
        1,
        {},
        {"session_id": None},
        {"session_id": "1"},
        {"session_id": True},
        {"session_id": 1.0},
        {"session_id": -1},
        {"session_id": 10**12},
        {"session_id": 999_999},
    ],
)
def test_join_refuses_bad_payloads(connect, make_session, payload, no_errors_logged):
    make_session()
    assert_refused(connect().call("join", payload), "invalid")


def test_join_without_payload_at_all(connect, no_errors_logged):
    sock = connect()
    assert_refused(sock.emit("join", callback=True), "invalid")


def test_rejoin_moves_the_socket_to_the_new_room(connect, make_session, tick):
    a, b = make_session(), make_session()
    sock = connect()
    joined(sock, a)
    joined(sock, b)
    tick()
    assert sock.events("viewers") == [{"count": 1}]
    from market.live.hub import hub

    assert hub.local_viewers(a.id) == 0 and hub.local_viewers(b.id) == 1


# ---- order ------------------------------------------------------------------------------------------


def test_order_in_two_taps_and_every_viewer_sees_the_stock_drop(connect, make_offer, make_user, tick, no_errors_logged):
    offer = make_offer(quantity=500, per_buyer_limit=20, price_vnd=79_000)
    buyer = make_user(name="Hoàng Thị Hoa")
    viewer = connect()
    joined(viewer, offer.session)
    sock = connect(buyer)
    joined(sock, offer.session)
    ack = sock.call("order", {"offer_id": offer.id, "qty": 5, "key": new_key()})
    assert ack["ok"] is True and ack["remaining"] == 495
    order = ack["order"]
    assert (order["status"], order["qty"], order["total_vnd"]) == ("pending", 5, 395_000)
    assert order["url"] == f"/orders/{order['id']}"
    saved = db.session.get(Order, order["id"])
    assert saved.buyer_id == buyer.id and saved.origin == "live" and saved.live_session_id == offer.session_id
    assert viewer.received() == []  # nothing until the tick: coalesced
    tick()
    got = heard(viewer)
    assert got["stock"] == [{"offer_id": offer.id, "remaining": 495}]
    assert got["sold"] == [{"offer_id": offer.id, "buyer": "Hoa H.", "qty": 5, "unit": "kg"}]


def test_the_client_never_sets_the_price(connect, make_offer, make_user):
    offer = make_offer(price_vnd=79_000)
    sock = connect(make_user())
    joined(sock, offer.session)
    ack = sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key(), "price_vnd": 1, "total_vnd": 1})
    assert ack["order"]["total_vnd"] == 79_000


def test_same_key_returns_the_first_order(connect, make_offer, make_user):
    offer = make_offer(quantity=50)
    sock = connect(make_user())
    joined(sock, offer.session)
    first = sock.call("order", {"offer_id": offer.id, "qty": 2, "key": "retry-after-drop-1"})
    again = sock.call("order", {"offer_id": offer.id, "qty": 2, "key": "retry-after-drop-1"})
    assert first["ok"] and again["ok"] and first["order"]["id"] == again["order"]["id"]
    assert order_count() == 1 and sold_total(offer.id) == 2


def test_an_order_sent_without_an_ack_is_settled_all_the_same(connect, make_offer, make_user):
    """Only an ``order`` with an ack id is answered by its batch (``on_order_later``); one sent without (no one
    to answer) still goes through ``on_order`` and the same batch."""
    import time

    offer = make_offer(quantity=50)
    sock = connect(make_user())
    joined(sock, offer.session)
    sock.emit("order", {"offer_id": offer.id, "qty": 2, "key": "no-ack-1"})
    deadline = time.monotonic() + 10
    while sold_total(offer.id) != 2:
        assert time.monotonic() < deadline, "the order was never settled"
        time.sleep(0.05)
    again = sock.call("order", {"offer_id": offer.id, "qty": 2, "key": "no-ack-1"})  # its retry finds it
    assert again["ok"] and order_count() == 1 and sold_total(offer.id) == 2


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "order",
        {},
        {"qty": 1, "key": "KEY"},
        {"offer_id": "OFFER", "key": "KEY"},
        {"offer_id": "OFFER", "qty": 1},
        {"offer_id": "OFFER", "qty": 0, "key": "KEY"},
        {"offer_id": "OFFER", "qty": -1, "key": "KEY"},
        {"offer_id": "OFFER", "qty": 10**9, "key": "KEY"},
        {"offer_id": "OFFER", "qty": 1.5, "key": "KEY"},
        {"offer_id": "OFFER", "qty": "3", "key": "KEY"},
        {"offer_id": "OFFER", "qty": True, "key": "KEY"},
        {"offer_id": "OFFER", "qty": None, "key": "KEY"},
        {"offer_id": "OFFER", "qty": [1], "key": "KEY"},
        {"offer_id": True, "qty": 1, "key": "KEY"},
        {"offer_id": "1", "qty": 1, "key": "KEY"},
        {"offer_id": 1.0, "qty": 1, "key": "KEY"},
        {"offer_id": 999_999, "qty": 1, "key": "KEY"},
        {"offer_id": -3, "qty": 1, "key": "KEY"},
        {"offer_id": "OFFER", "qty": 1, "key": "short"},
        {"offer_id": "OFFER", "qty": 1, "key": "x" * 65},
        {"offer_id": "OFFER", "qty": 1, "key": 12345678},
        {"offer_id": "OFFER", "qty": 1, "key": "bad key with spaces"},
    ],
)
def test_bad_orders_are_refused_and_write_nothing(connect, make_offer, make_user, payload, no_errors_logged):
    offer = make_offer(quantity=50)
    if isinstance(payload, dict):
        payload = {
            k: {"OFFER": offer.id, "KEY": new_key()}.get(v, v) if isinstance(v, str) else v for k, v in payload.items()
        }
    sock = connect(make_user())
    joined(sock, offer.session)
    assert_refused(sock.call("order", payload), "invalid")
    assert order_count() == 0 and sold_total(offer.id) == 0


def test_order_from_another_sessions_offer(connect, make_offer, make_session, make_user, no_errors_logged):
    offer = make_offer()
    other = make_session()
    sock = connect(make_user())
    joined(sock, other)
    assert_refused(sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "invalid")
    assert order_count() == 0


def test_order_from_a_closed_offer_and_an_ended_session(connect, make_offer, make_user, no_errors_logged):
    from market.live import offers, sessions

    offer = make_offer()
    sock = connect(make_user())
    joined(sock, offer.session)
    offers.close_offer(offer.session, offer.session.seller.user, offer.id)
    assert_refused(sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "offer_closed")
    sessions.end_session(offer.session, offer.session.seller.user)
    assert_refused(sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "session_not_live")
    assert order_count() == 0


def test_a_listing_archived_or_rejected_mid_live_closes_its_offers(
    connect, make_offer, make_user, make_staff, tick, no_errors_logged
):
    from market.catalog import lifecycle
    from market.catalog.models import Product
    from market.catalog.signals import listing_changed

    offer = make_offer(quantity=10, stock_left=5)
    product, seller = db.session.get(Product, offer.product_id), offer.session.seller.user
    sock = connect(make_user())
    joined(sock, offer.session)
    assert sock.call("order", {"offer_id": offer.id, "qty": 2, "key": new_key()})["ok"]
    tick()
    sock.received()
    # an edit that sends it back to review does not stop the live sale …
    listing_changed.send(product, action="edited", from_status="approved", by=seller)
    db.session.commit()
    assert db.session.get(LiveOffer, offer.id).status == "open"
    # … archiving does: the offer closes in the room and its 8 unsold units go back to the shelf
    lifecycle.archive(product, seller)
    db.session.commit()
    tick()
    closed = [m for m in sock.events("offer") if m["id"] == offer.id]
    assert closed and closed[-1]["status"] == "closed", closed
    assert_refused(sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "offer_closed")
    assert db.session.scalar(sa.select(Product.stock).where(Product.id == product.id)) == 5 + 8

    # staff rejecting a listing under review closes its offer too
    second = make_offer(session=offer.session, quantity=3)
    listing = db.session.get(Product, second.product_id)
    listing.status = "pending_review"
    db.session.flush()
    lifecycle.reject(listing, make_staff(listing.seller.commune), "Ảnh không đúng sản phẩm")
    db.session.commit()
    assert db.session.get(LiveOffer, second.id).status == "closed"


def test_order_before_join_and_anonymous(connect, make_offer, make_user, no_errors_logged):
    offer = make_offer()
    assert_refused(connect(make_user()).call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "invalid")
    anon = connect()
    assert_refused(anon.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "not_logged_in")
    joined(anon, offer.session)
    assert_refused(anon.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "not_logged_in")
    assert order_count() == 0


def test_logged_out_socket_cannot_order(connect, make_offer, make_user):
    offer = make_offer()
    buyer = make_user()
    sock = connect(buyer)
    joined(sock, offer.session)
    buyer.auth_version += 1  # logout everywhere
    db.session.flush()
    assert_refused(sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "not_logged_in")


def test_sold_out_and_limit(connect, make_offer, make_user, tick, no_errors_logged):
    offer = make_offer(quantity=3, per_buyer_limit=2)
    viewer = connect()
    joined(viewer, offer.session)
    a, b = connect(make_user(name="An")), connect(make_user(name="Bình"))
    joined(a, offer.session)
    joined(b, offer.session)
    assert a.call("order", {"offer_id": offer.id, "qty": 2, "key": new_key()})["remaining"] == 1
    assert_refused(a.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "limit_exceeded")
    refused = b.call("order", {"offer_id": offer.id, "qty": 2, "key": new_key()})
    assert_refused(refused, "sold_out")
    assert refused["remaining"] == 1 and "1 kg" in refused["message"]
    assert b.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})["remaining"] == 0
    assert_refused(b.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}), "sold_out")
    tick()
    assert viewer.events("stock") == [{"offer_id": offer.id, "remaining": 0}]
    assert sold_total(offer.id) == 3


def test_orders_are_rate_limited(connect, make_offer, make_user):
    offer = make_offer(quantity=100, per_buyer_limit=100)
    sock = connect(make_user())
    joined(sock, offer.session)
    acks = [sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()}) for _ in range(11)]
    assert all(a["ok"] for a in acks[:10])
    assert_refused(acks[10], "rate_limited")
    assert sold_total(offer.id) == 10


def test_a_burst_costs_each_viewer_one_stock_message(connect, make_offer, make_user, tick):
    offer = make_offer(quantity=100, per_buyer_limit=5)
    viewer = connect()
    joined(viewer, offer.session)
    for i in range(12):
        sock = connect(make_user(name=f"Khách {i}"))
        joined(sock, offer.session)
        assert sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})["ok"]
    tick()
    received = viewer.received()
    assert [m["args"][0] for m in received if m["name"] == "stock"] == [{"offer_id": offer.id, "remaining": 88}]
    sold = [m["args"][0] for m in received if m["name"] == "sold"]
    assert len(sold) == 1 and sold[0]["more"] == 11
    tick()
    assert viewer.events("stock") == []  # nothing changed: nothing sent


def test_every_process_sales_reach_a_viewer_as_one_sold_per_tick(
    connect, make_offer, make_user, tick, redis_url, monkeypatch
):
    """Several processes (Redis): each adds its sales to the room's shared count, and each viewer hears one
    ``sold`` per tick from its own process, with the sales of every process in ``more``."""
    import uuid

    import redis

    from market.live.counters import RedisBackend
    from market.live.hub import hub

    prefix = f"test-sales-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(hub, "backend", RedisBackend(redis_url, prefix))
    other = RedisBackend(redis_url, prefix)  # another server process
    try:
        offer = make_offer(quantity=100, per_buyer_limit=5)
        viewer = connect()
        joined(viewer, offer.session)
        buyer = connect(make_user())
        joined(buyer, offer.session)
        tick()
        viewer.received()
        assert buyer.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})["ok"]
        other.sales({offer.session_id: [{"offer_id": offer.id, "buyer": "Lan T.", "qty": 2, "unit": "kg"}] * 3}, [])
        tick()
        sold = viewer.events("sold")
        assert len(sold) == 1 and sold[0]["more"] == 3, sold
        tick()
        assert viewer.events("sold") == []
        other.sales({offer.session_id: [{"offer_id": offer.id, "buyer": "Lan T.", "qty": 2, "unit": "kg"}]}, [])
        tick()
        assert viewer.events("sold") == [{"offer_id": offer.id, "buyer": "Lan T.", "qty": 2, "unit": "kg"}]
        # Redis restarts empty: the count starts again below what this process told, and sales still get through
        r = redis.Redis.from_url(redis_url)
        for key in r.scan_iter(f"{prefix}:*"):
            r.delete(key)
        other.sales({offer.session_id: [{"offer_id": offer.id, "buyer": "Hoa N.", "qty": 1, "unit": "kg"}]}, [])
        tick()
        assert viewer.events("sold") == [{"offer_id": offer.id, "buyer": "Hoa N.", "qty": 1, "unit": "kg"}]
    finally:
        r = redis.Redis.from_url(redis_url)
        for key in r.scan_iter(f"{prefix}:*"):
            r.delete(key)


def test_expired_holds_give_units_back_and_the_room_hears(app, connect, make_offer, make_user, tick):
    offer = make_offer(quantity=10)
    viewer = connect()
    joined(viewer, offer.session)
    buyer = connect(make_user())
    joined(buyer, offer.session)
    ack = buyer.call("order", {"offer_id": offer.id, "qty": 4, "key": new_key()})
    tick()
    assert viewer.events("stock") == [{"offer_id": offer.id, "remaining": 6}]
    db.session.execute(
        sa.update(Order).where(Order.id == ack["order"]["id"]).values(hold_expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    assert sweep_holds(app) == 1
    tick()
    assert viewer.events("stock") == [{"offer_id": offer.id, "remaining": 10}]


# ---- chat -------------------------------------------------------------------------------------------


def test_chat_reaches_the_room(connect, make_session, make_user, no_errors_logged):
    session = make_session()
    viewer = connect()
    joined(viewer, session)
    writer = make_user(name="Nguyễn Văn Nam")
    sock = connect(writer)
    joined(sock, session)
    ack = sock.call("chat", {"text": "  Chốt 5 kg!  "})
    assert ack["ok"] is True
    [message] = viewer.events("chat")
    assert message["text"] == "Chốt 5 kg!" and message["user"] == "Nam N." and message["user_id"] == writer.id
    assert message["id"] == ack["chat"]["id"] and message["at"]


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "hello",
        {},
        {"text": None},
        {"text": 5},
        {"text": ["hi"]},
        {"text": ""},
        {"text": "     "},
        {"text": "\n\t\u200b"},
        {"text": "x" * 301},
        {"text": "x" * (1024 * 1024)},
    ],
)
def test_bad_chat_is_refused(connect, make_session, make_user, payload, no_errors_logged):
    session = make_session()
    sock = connect(make_user())
    joined(sock, session)
    assert_refused(sock.call("chat", payload), "invalid")
    assert db.session.scalar(sa.select(sa.func.count(ChatMessage.id))) == 0


def test_chat_with_lone_surrogates_is_cleaned_not_a_crash(connect, make_session, make_user, no_errors_logged):
    """JSON's "\\ud800" decodes to a lone surrogate, which the database's UTF-8 refuses (found by the fuzzer)."""
    session = make_session()
    sock = connect(make_user())
    joined(sock, session)
    ack = sock.call("chat", {"text": "\ud800 hỏng \udfff\ud800"})
    assert ack["ok"] is True and ack["chat"]["text"] == "hỏng"
    assert_refused(sock.call("chat", {"text": "\ud800"}), "invalid")  # nothing left to say


def test_chat_needs_login_and_join_and_is_rate_limited(connect, make_session, make_user, no_errors_logged):
    session = make_session()
    anon = connect()
    joined(anon, session)
    assert_refused(anon.call("chat", {"text": "xin chào"}), "not_logged_in")
    sock = connect(make_user())
    assert_refused(sock.call("chat", {"text": "xin chào"}), "invalid")
    joined(sock, session)
    acks = [sock.call("chat", {"text": f"tin {i}"}) for i in range(6)]
    assert all(a["ok"] for a in acks[:5])
    assert_refused(acks[5], "rate_limited")


def test_no_chat_after_the_end(connect, make_session, make_user):
    session = make_session(status="ended")
    sock = connect(make_user())
    joined(sock, session)
    assert_refused(sock.call("chat", {"text": "còn không?"}), "session_not_live")


# ---- moderation -------------------------------------------------------------------------------------


def test_host_removes_a_message_and_mutes_its_writer(connect, make_session, make_user, no_errors_logged):
    session = make_session()
    viewer = connect()
    joined(viewer, session)
    spammer = make_user(name="Kẻ spam")
    bad = connect(spammer)
    joined(bad, session)
    message = bad.call("chat", {"text": "mua hàng giả ở đây"})["chat"]
    host = connect(session.seller.user)
    joined(host, session)
    assert host.call("remove_chat", {"message_id": message["id"]}) == {"ok": True}
    assert viewer.events("chat_removed") == [{"id": message["id"]}]
    ack = host.call("mute", {"user_id": spammer.id, "minutes": 30})
    assert ack["ok"] is True and ack["until"]
    assert heard(bad)["muted"][0]["session_id"] == session.id
    assert_refused(bad.call("chat", {"text": "lại đây"}), "muted")
    assert viewer.call("join", {"session_id": session.id})["snapshot"]["chat"] == []


def test_commune_staff_moderate_but_buyers_and_other_staff_cannot(
    connect, make_session, make_user, make_staff, make_commune, no_errors_logged
):
    session = make_session()
    writer = make_user()
    sock = connect(writer)
    joined(sock, session)
    message = sock.call("chat", {"text": "xin chào"})["chat"]
    for actor in (make_user(name="Người mua"), make_staff(make_commune(name="Xã khác"))):
        other = connect(actor)
        joined(other, session)
        assert_refused(other.call("remove_chat", {"message_id": message["id"]}), "forbidden")
        assert_refused(other.call("mute", {"user_id": writer.id, "minutes": 5}), "forbidden")
    staff = connect(make_staff(session.commune))
    ack = joined(staff, session)
    assert ack["snapshot"]["you"]["can_moderate"] is True and ack["snapshot"]["you"]["is_host"] is False
    assert staff.call("remove_chat", {"message_id": message["id"]}) == {"ok": True}
    assert staff.call("mute", {"user_id": writer.id, "minutes": 5})["ok"]


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("remove_chat", None),
        ("remove_chat", {}),
        ("remove_chat", {"message_id": "1"}),
        ("remove_chat", {"message_id": 999_999}),
        ("remove_chat", {"message_id": True}),
        ("mute", None),
        ("mute", {}),
        ("mute", {"user_id": "WRITER", "minutes": 0}),
        ("mute", {"user_id": "WRITER", "minutes": -5}),
        ("mute", {"user_id": "WRITER", "minutes": 10**9}),
        ("mute", {"user_id": "WRITER", "minutes": "5"}),
        ("mute", {"user_id": 999_999, "minutes": 5}),
    ],
)
def test_bad_moderation_payloads(connect, make_session, make_user, event, payload, no_errors_logged):
    session = make_session()
    writer = make_user()
    if isinstance(payload, dict):
        payload = {k: (writer.id if v == "WRITER" else v) for k, v in payload.items()}
    host = connect(session.seller.user)
    joined(host, session)
    assert_refused(host.call(event, payload), "invalid")


def test_message_of_another_session_cannot_be_removed(connect, make_session, make_user):
    from market.live import chat

    a, b = make_session(), make_session()
    message = chat.post_chat(b, make_user(), "ở phiên khác")
    host = connect(a.seller.user)
    joined(host, a)
    assert_refused(host.call("remove_chat", {"message_id": message["id"]}), "invalid")


# ---- hearts and viewers -----------------------------------------------------------------------------


def test_hearts_and_viewers_are_coalesced(connect, make_session, tick):
    session = make_session()
    socks = [connect() for _ in range(3)]
    for s in socks:
        joined(s, session)
    for _ in range(4):
        socks[1].emit("heart", {})
    socks[2].emit("heart")  # no payload at all is fine for a heart
    tick()
    got = heard(socks[0])
    assert got["hearts"] == [{"total": 5}] and got["viewers"] == [{"count": 3}]
    db.session.refresh(session)
    assert session.peak_viewers == 3
    socks[2].disconnect()
    tick()
    got = heard(socks[0])
    assert got["viewers"] == [{"count": 2}] and "hearts" not in got


def test_hearts_are_limited_per_socket_and_ignored_before_join(connect, make_session, tick):
    session = make_session()
    viewer = connect()
    joined(viewer, session)
    early = connect()
    early.emit("heart", {})
    joined(early, session)
    for _ in range(50):
        early.emit("heart", {})
    tick()
    assert viewer.events("hearts") == [{"total": 10}]


# ---- host actions -----------------------------------------------------------------------------------


def test_host_pins_closes_and_ends(connect, make_session, make_product, make_user, tick, no_errors_logged):
    session = make_session()
    host_user = session.seller.user
    product = make_product(seller=host_user, stock=600)
    viewer = connect()
    joined(viewer, session)
    host = connect(host_user)
    assert joined(host, session)["snapshot"]["you"]["is_host"] is True
    ack = host.call("pin", {"product_id": product.id, "price_vnd": 79_000, "quantity": 500, "per_buyer_limit": 20})
    assert ack["ok"] is True
    offer = ack["offer"]
    assert (offer["remaining"], offer["per_buyer_limit"], offer["price_vnd"]) == (500, 20, 79_000)
    assert viewer.events("offer") == [offer]
    assert host.call("close_offer", {"offer_id": offer["id"]})["ok"]
    [closed] = heard(viewer)["offer"]
    assert closed["status"] == "closed" and closed["remaining"] == 0
    assert_refused(host.call("close_offer", {"offer_id": offer["id"]}), "offer_closed")
    assert host.call("end", {}) == {"ok": True}
    assert viewer.events("session") == [{"status": "ended"}]
    assert_refused(host.call("end", {}), "session_not_live")
    assert_refused(host.call("pin", {"product_id": product.id, "price_vnd": 79_000, "quantity": 5}), "session_not_live")


def test_ending_keeps_the_hearts(connect, make_session, tick):
    session = make_session()
    viewer = connect()
    joined(viewer, session)
    for _ in range(3):
        viewer.emit("heart", {})
    tick()
    host = connect(session.seller.user)
    joined(host, session)
    assert host.call("end") == {"ok": True}
    db.session.refresh(session)
    assert session.hearts == 3 and session.status == "ended"


def test_host_starts_from_the_console(connect, make_session):
    session = make_session(status="scheduled")
    viewer = connect()
    joined(viewer, session)
    host = connect(session.seller.user)
    joined(host, session)
    assert host.call("start") == {"ok": True}
    assert viewer.events("session") == [{"status": "live"}]


def test_only_the_host_pins_closes_and_ends(connect, make_offer, make_user, make_staff, no_errors_logged):
    offer = make_offer()
    session = offer.session
    product_id = offer.product_id
    for actor in (make_user(), make_staff(session.commune)):
        sock = connect(actor)
        joined(sock, session)
        assert_refused(sock.call("pin", {"product_id": product_id, "price_vnd": 79_000, "quantity": 1}), "forbidden")
        assert_refused(sock.call("close_offer", {"offer_id": offer.id}), "forbidden")
        assert_refused(sock.call("end", {}), "forbidden")
        assert_refused(sock.call("start", {}), "forbidden")
    anon = connect()
    joined(anon, session)
    assert_refused(anon.call("pin", {"product_id": product_id, "price_vnd": 79_000, "quantity": 1}), "not_logged_in")
    assert db.session.scalar(sa.select(sa.func.count(LiveOffer.id))) == 1


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {},
        {"product_id": "P", "price_vnd": 79_000},
        {"product_id": "P", "quantity": 5},
        {"product_id": "P", "price_vnd": 0, "quantity": 5},
        {"product_id": "P", "price_vnd": 79_000.0, "quantity": 5},
        {"product_id": "P", "price_vnd": "79000", "quantity": 5},
        {"product_id": "P", "price_vnd": 79_000, "quantity": 0},
        {"product_id": "P", "price_vnd": 79_000, "quantity": -1},
        {"product_id": "P", "price_vnd": 79_000, "quantity": 10**9},
        {"product_id": "P", "price_vnd": 79_000, "quantity": 1.5},
        {"product_id": "P", "price_vnd": 79_000, "quantity": True},
        {"product_id": "P", "price_vnd": 79_000, "quantity": 5, "per_buyer_limit": 0},
        {"product_id": "P", "price_vnd": 79_000, "quantity": 5, "per_buyer_limit": "2"},
        {"product_id": 999_999, "price_vnd": 79_000, "quantity": 5},
        {"product_id": "1", "price_vnd": 79_000, "quantity": 5},
    ],
)
def test_bad_pins(connect, make_session, make_product, payload, no_errors_logged):
    session = make_session()
    product = make_product(seller=session.seller.user, stock=100)
    if isinstance(payload, dict):
        payload = {k: (product.id if v == "P" else v) for k, v in payload.items()}
    host = connect(session.seller.user)
    joined(host, session)
    assert_refused(host.call("pin", payload), "invalid")
    assert db.session.scalar(sa.select(sa.func.count(LiveOffer.id))) == 0


@pytest.mark.parametrize("payload", [None, {}, {"offer_id": "1"}, {"offer_id": True}, {"offer_id": 999_999}])
def test_bad_close(connect, make_offer, payload, no_errors_logged):
    offer = make_offer()
    host = connect(offer.session.seller.user)
    joined(host, offer.session)
    assert_refused(host.call("close_offer", payload), "invalid")


def test_host_events_before_join(connect, make_offer):
    offer = make_offer()
    host = connect(offer.session.seller.user)
    for event, payload in [
        ("pin", {"product_id": offer.product_id, "price_vnd": 79_000, "quantity": 1}),
        ("close_offer", {"offer_id": offer.id}),
        ("end", {}),
        ("remove_chat", {"message_id": 1}),
        ("mute", {"user_id": 1, "minutes": 5}),
        ("chat", {"text": "hi"}),
    ]:
        assert_refused(host.call(event, payload), "invalid")


def test_host_console_hears_orders_and_totals(connect, make_offer, make_user, tick):
    offer = make_offer(quantity=50)
    host = connect(offer.session.seller.user)
    joined(host, offer.session)
    buyer = connect(make_user(name="Hoàng Thị Hoa"))
    joined(buyer, offer.session)
    order = buyer.call("order", {"offer_id": offer.id, "qty": 3, "key": new_key()})["order"]
    tick()
    got = heard(host)
    [feed] = got["host_orders"]
    assert feed["orders"][0]["id"] == order["id"] and feed["orders"][0]["buyer"] == "Hoàng Thị Hoa"
    assert feed["orders"][0]["qty"] == 3 and feed["orders"][0]["origin"] == "live"
    assert got["host_stats"][-1]["offers"][0]["sold"] == 3
    buyer.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})
    tick()
    stats = heard(host)["host_stats"]
    assert stats == [{"offers": [{"offer_id": offer.id, "sold": 4, "quantity": 50, "remaining": 46, "status": "open"}]}]
    got = heard(buyer)
    assert "host_orders" not in got and "host_stats" not in got


def test_phone_order_through_the_console(connect, make_offer, make_user, tick, no_errors_logged):
    offer = make_offer(quantity=50)
    host = connect(offer.session.seller.user)
    joined(host, offer.session)
    ack = host.call(
        "phone_order",
        {
            "phone": "0987 222 333",
            "name": "Cô Ba",
            "offer_id": offer.id,
            "qty": 4,
            "street": "Thôn 3",
            "province": "Đắk Lắk",
            "key": new_key("phone"),
        },
    )
    assert ack["ok"] and ack["order"]["buyer"] == "Cô Ba" and ack["order"]["qty"] == 4
    tick()
    assert host.events("host_orders")[0]["orders"][0]["origin"] == "phone"
    assert sold_total(offer.id) == 4
    buyer = connect(make_user())
    joined(buyer, offer.session)
    assert_refused(
        buyer.call("phone_order", {"phone": "0987222333", "offer_id": offer.id, "qty": 1, "key": new_key()}),
        "forbidden",
    )
    ack = host.call(
        "phone_order",
        {
            "phone": "not a phone",
            "name": "Cô Ba",
            "offer_id": offer.id,
            "qty": 1,
            "street": "Thôn 3",
            "province": "Đắk Lắk",
            "key": new_key(),
        },
    )
    assert_refused(ack, "invalid")
    assert ack["field"] == "phone"  # the console shows it under the phone field
    ack = host.call(
        "phone_order",
        {
            "phone": "0987 222 333",
            "name": "Cô Ba",
            "offer_id": offer.id,
            "qty": 4,
            "street": "Thôn 3",
            "province": "Đắk Lắk",
            "key": new_key("phone"),
        },
    )
    assert_refused(ack, "duplicate")
    assert ack["field"] == "confirm_duplicate" and sold_total(offer.id) == 4


def test_messages_follow_the_socket_language(connect, make_offer, make_user):
    offer = make_offer(quantity=1)
    first, vi, en = connect(make_user()), connect(make_user()), connect(make_user(locale="en"))
    for s in (first, vi, en):
        joined(s, offer.session)
    first.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})
    assert "Hết hàng" in vi.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})["message"]
    assert "Sold out" in en.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})["message"]


def test_cookie_login_works_for_the_browser(client, socket_client, make_offer, make_user):
    offer = make_offer()
    buyer = make_user()
    login_as(client, buyer)
    sock = socket_client(client)
    joined(sock, offer.session)
    assert sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})["ok"]


def test_every_error_code_is_a_protocol_word():
    from market.live.messages import CODES

    assert ERROR_CODES <= CODES and CODES - ERROR_CODES == {"unavailable"}


def test_a_persons_sockets_share_one_personal_room(connect, make_session, make_user, no_errors_logged):
    """Mutes, bans and logouts all go to ``rooms.user_room``: a socket is in that one personal room, not in a
    second one with another spelling that some notices would miss."""
    from market.extensions import socketio
    from market.live.rooms import NAMESPACE, user_room

    user, session = make_user(name="Một phòng"), make_session()
    joined(connect(user), session)
    joined(connect(user), session)  # a second tab
    rooms = socketio.server.manager.rooms[NAMESPACE]
    personal = {
        name
        for name in rooms
        if isinstance(name, str) and name.startswith("user") and name[4:].lstrip(":-") == str(user.id)
    }
    assert personal == {user_room(user.id)}
    assert len(rooms[user_room(user.id)]) == 2


@pytest.mark.parametrize("event", ["order", "chat"])
def test_a_handler_bug_or_a_lost_database_is_an_unavailable_ack(
    connect, make_offer, make_user, monkeypatch, caplog, event
):
    """One wrapper (``events.answer_errors``) answers every handler's failures, the raw ``order`` handler's and
    Flask-SocketIO's alike: a bug is ``unavailable`` with its traceback logged once; a lost database is
    ``unavailable`` with a warning and no traceback."""
    from sqlalchemy.exc import OperationalError

    from market.live import events

    offer = make_offer()
    sock = connect(make_user())
    joined(sock, offer.session)
    payload = {"offer_id": offer.id, "qty": 1, "key": new_key()} if event == "order" else {"text": "chào"}
    target = (events, "_order_request") if event == "order" else (events.chat, "post_chat")
    caplog.set_level(logging.WARNING)
    for error, level in (
        (KeyError("bug"), logging.ERROR),
        (OperationalError("SELECT", {}, Exception("gone")), logging.WARNING),
    ):
        caplog.clear()
        monkeypatch.setattr(*target, lambda *_a, error=error, **_k: (_ for _ in ()).throw(error))
        assert_refused(sock.call(event, payload), "unavailable")
        assert [(r.levelno, bool(r.exc_info)) for r in caplog.records] == [(level, level == logging.ERROR)]


def test_what_a_process_keeps_per_socket_goes_with_the_socket(connect, make_session, make_user, tick):
    """Waves of sockets that join, tap and leave, and sockets that never join: once they are gone the process
    keeps nothing of them (connection data, join and heart windows, the hub's rooms), so memory is bounded
    by the sockets that are there, not by those that came."""
    from market.live import events
    from market.live.connection import connections
    from market.live.hub import hub

    session = make_session()
    for _wave in range(3):
        crowd = [connect(make_user()) if i % 3 == 0 else connect() for i in range(30)]
        for sock in crowd[:20]:
            joined(sock, session)
            sock.emit("heart", {})
        for sock in crowd:
            sock.disconnect()
    tick()
    assert connections() == {} and events._joins == {} and events._hearts_window == {}
    assert hub.rooms == {} and hub.hosts == {}


# ---- one frame per tick (join's opt-in ``frames``) ------------------------------------------------------


def test_a_viewer_who_asks_for_frames_hears_one_tick_message_per_tick(connect, make_offer, make_user, tick):
    offer = make_offer(quantity=100, per_buyer_limit=5)
    classic, framed = connect(), connect()
    joined(classic, offer.session)
    ack = framed.call("join", {"session_id": offer.session.id, "frames": True})
    assert ack["ok"]
    framed.received()
    for i in range(3):
        sock = connect(make_user(name=f"Khung {i}"))
        joined(sock, offer.session)
        assert sock.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})["ok"]
        sock.emit("heart", {})
    tick()
    old = heard(classic)
    new = heard(framed)
    assert "tick" not in old and set(new) == {"tick"} and len(new["tick"]) == 1  # chat, offers… still as before
    [frame] = new["tick"]
    # each part exactly what its own message carries to a classic viewer
    assert frame["stock"] == old["stock"] == [{"offer_id": offer.id, "remaining": 97}]
    assert [frame["sold"]] == old["sold"] and frame["sold"]["more"] == 2
    assert [frame["hearts"]] == old["hearts"] == [{"total": 3}]
    assert [frame["viewers"]] == old["viewers"] == [{"count": 5}]
    tick()
    assert heard(framed) == {} and heard(classic) == {}  # nothing changed: nothing sent
    chatter = connect(make_user(name="Chat"))
    joined(chatter, offer.session)
    assert chatter.call("chat", {"text": "vẫn là tin nhắn riêng"})["ok"]
    assert [m["text"] for m in framed.events("chat")] == ["vẫn là tin nhắn riêng"]


def test_frames_is_opt_in_and_a_rejoin_can_change_it(connect, make_offer, make_user, tick):
    offer = make_offer(quantity=100, per_buyer_limit=5)
    sock = connect()
    for flag, expect in (
        (True, {"tick"}),
        ("yes", {"stock"}),
        (1, {"stock"}),
        (None, {"stock"}),
        (True, {"tick"}),
        (False, {"stock"}),
    ):
        ack = sock.call("join", {"session_id": offer.session.id, "frames": flag})
        assert ack["ok"]
        buyer = connect(make_user())
        joined(buyer, offer.session)
        assert buyer.call("order", {"offer_id": offer.id, "qty": 1, "key": new_key()})["ok"]
        sock.received()
        tick()
        got = heard(sock)
        assert expect <= set(got) and not ({"tick", "stock"} - expect) & set(got), (flag, got)
        buyer.disconnect()
