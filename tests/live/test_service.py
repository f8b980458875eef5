"""Live services without sockets: pinning, closing, ending, the offer stock source, merged orders, chat."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.catalog.models import Product
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.live import chat, offers, sessions, snapshot, streams
from market.live.models import ChatMessage, LiveMute, LiveOffer, LiveOfferBuyer
from market.live.ordering import OrderRequest, settle_batch
from market.orders.models import Order
from market.orders.service import Line, expire_holds, place_order, transition
from market.orders.states import Actor, OrderStatus
from tests.live.conftest import new_key


def stock_of(product_id: int) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product_id))


def offer_row(offer_id: int) -> LiveOffer:
    offer = db.session.get(LiveOffer, offer_id)
    db.session.refresh(offer)
    return offer


def order_live(buyer, offer, qty, key=None):
    return place_order(
        buyer, [Line("offer", offer.id, qty)], key or new_key(), origin="live", live_session_id=offer.session_id
    )


# ---- pin, close, end --------------------------------------------------------------------------------


def test_pin_takes_the_allotment_from_the_product(make_session, make_product):
    session = make_session()
    host = session.seller.user
    product = make_product(seller=host, stock=600)
    offer = offers.pin_offer(session, host, product.id, 79_000, 500, 20)
    assert (offer.quantity, offer.per_buyer_limit, offer.sold, offer.status) == (500, 20, 0, "open")
    assert stock_of(product.id) == 100


def test_pin_more_than_in_stock_changes_nothing(make_session, make_product):
    session = make_session()
    host = session.seller.user
    product = make_product(seller=host, stock=10)
    with pytest.raises(DomainError) as err:
        offers.pin_offer(session, host, product.id, 79_000, 11, 5)
    assert err.value.code == "invalid" and "10" in err.value.message
    assert stock_of(product.id) == 10
    assert db.session.scalar(sa.select(sa.func.count(LiveOffer.id))) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("product_id", None),
        ("product_id", "1"),
        ("product_id", True),
        ("product_id", 999_999),
        ("price_vnd", 0),
        ("price_vnd", -5),
        ("price_vnd", 79_000.5),
        ("price_vnd", "79000"),
        ("price_vnd", 10**12),
        ("quantity", 0),
        ("quantity", -1),
        ("quantity", 10**9),
        ("quantity", 1.5),
        ("quantity", None),
        ("per_buyer_limit", 0),
        ("per_buyer_limit", "5"),
        ("per_buyer_limit", False),
    ],
)
def test_pin_refuses_bad_values(make_session, make_product, field, value):
    session = make_session()
    host = session.seller.user
    product = make_product(seller=host, stock=100)
    args = {"product_id": product.id, "price_vnd": 79_000, "quantity": 10, "per_buyer_limit": 5, field: value}
    with pytest.raises(DomainError) as err:
        offers.pin_offer(session, host, **args)
    assert err.value.code == "invalid"
    assert stock_of(product.id) == 100


def test_pin_limit_is_capped_by_quantity_and_defaults_to_it(make_session, make_product):
    session = make_session()
    host = session.seller.user
    a = offers.pin_offer(session, host, make_product(seller=host, stock=10).id, 50_000, 5, 99)
    b = offers.pin_offer(session, host, make_product(seller=host, title="Monthong", stock=10).id, 50_000, 7, None)
    assert a.per_buyer_limit == 5 and b.per_buyer_limit == 7


def test_only_the_host_pins_her_own_approved_products(make_session, make_product, make_user, make_seller):
    session = make_session()
    host = session.seller.user
    with pytest.raises(DomainError) as err:
        offers.pin_offer(session, make_user(), make_product(seller=host).id, 79_000, 5, 1)
    assert err.value.code == "forbidden"
    other = make_product(seller=make_seller(shop_name="Khác"))
    with pytest.raises(DomainError) as err:
        offers.pin_offer(session, host, other.id, 79_000, 5, 1)
    assert err.value.code == "invalid"
    draft = make_product(seller=host, status="draft")
    with pytest.raises(DomainError):
        offers.pin_offer(session, host, draft.id, 79_000, 5, 1)


def test_pinning_needs_the_session_on_air(make_session, make_product):
    for status in ("scheduled", "ended"):
        session = make_session(status=status)
        host = session.seller.user
        with pytest.raises(DomainError) as err:
            offers.pin_offer(session, host, make_product(seller=host).id, 79_000, 5, 1)
        assert err.value.code == "session_not_live"


def test_the_same_product_is_pinned_once_at_a_time(make_offer):
    offer = make_offer()
    session = offer.session
    with pytest.raises(DomainError, match="đã được ghim"):
        offers.pin_offer(session, session.seller.user, offer.product_id, 79_000, 5, 1)


def test_close_returns_unsold_units_to_the_product(make_offer, make_user):
    offer = make_offer(quantity=50, stock_left=10)
    order_live(make_user(), offer, 3)
    data = offers.close_offer(offer.session, offer.session.seller.user, offer.id)
    assert data["status"] == "closed" and data["remaining"] == 0
    assert stock_of(offer.product_id) == 10 + 47
    with pytest.raises(DomainError) as err:
        offers.close_offer(offer.session, offer.session.seller.user, offer.id)
    assert err.value.code == "offer_closed"


def test_end_closes_every_offer_and_refuses_twice(make_offer, make_session):
    session = make_session()
    a = make_offer(session=session, quantity=10, stock_left=0)
    b = make_offer(session=session, quantity=20, stock_left=0)
    sessions.end_session(session, session.seller.user)
    db.session.refresh(session)
    assert session.status == "ended" and session.ended_at is not None
    assert offer_row(a.id).status == offer_row(b.id).status == "closed"
    assert stock_of(a.product_id) == 10 and stock_of(b.product_id) == 20
    with pytest.raises(DomainError) as err:
        sessions.end_session(session, session.seller.user)
    assert err.value.code == "session_not_live"


def test_start_once_and_one_live_session_per_host(make_session):
    session = make_session(status="scheduled")
    host = session.seller.user
    sessions.start_session(session, host)
    db.session.refresh(session)
    assert session.status == "live" and session.started_at is not None
    with pytest.raises(DomainError):
        sessions.start_session(session, host)
    other = make_session(host=host, status="scheduled")
    with pytest.raises(DomainError, match="phiên live khác"):
        sessions.start_session(other, host)


# ---- the offer stock source -------------------------------------------------------------------------


def test_live_order_takes_from_the_offer_at_the_live_price(make_offer, make_user):
    offer = make_offer(quantity=50, price_vnd=79_000, stock_left=10)
    placed = order_live(make_user(), offer, 5)
    order = placed.order
    assert order.total_vnd == 395_000 and order.origin == "live" and order.live_session_id == offer.session_id
    item = order.items[0]
    assert (item.source, item.source_id, item.unit_price_vnd) == ("offer", offer.id, 79_000)
    assert offer_row(offer.id).sold == 5
    assert stock_of(offer.product_id) == 10  # the shelf is untouched


@pytest.mark.parametrize("state", ["closed", "ended", "scheduled"])
def test_no_orders_from_a_closed_offer_or_a_session_off_air(make_offer, make_user, state):
    offer = make_offer()
    if state == "closed":
        offers.close_offer(offer.session, offer.session.seller.user, offer.id)
        code = "offer_closed"
    else:
        offer.session.status = state
        db.session.flush()
        code = "session_not_live"
    with pytest.raises(DomainError) as err:
        order_live(make_user(), offer, 1)
    assert err.value.code == code


def test_per_buyer_limit_counts_across_orders(make_offer, make_user):
    offer = make_offer(quantity=50, per_buyer_limit=5)
    buyer = make_user()
    order_live(buyer, offer, 3)
    with pytest.raises(DomainError) as err:
        order_live(buyer, offer, 3)
    assert err.value.code == "limit_exceeded" and "3" in err.value.message
    order_live(buyer, offer, 2)
    assert offer_row(offer.id).sold == 5
    with pytest.raises(DomainError) as err:
        order_live(make_user(), offer, 6)
    assert err.value.code == "limit_exceeded"


def test_sold_out_takes_nothing_and_keeps_the_limit_unspent(make_offer, make_user):
    offer = make_offer(quantity=4, per_buyer_limit=4)
    buyer = make_user()
    order_live(make_user(), offer, 3)
    with pytest.raises(DomainError) as err:
        order_live(buyer, offer, 2)
    assert err.value.code == "sold_out"
    assert db.session.scalar(sa.select(LiveOfferBuyer.qty).where(LiveOfferBuyer.buyer_id == buyer.id)) in (None, 0)
    order_live(buyer, offer, 1)
    assert offer_row(offer.id).sold == 4


def test_host_cannot_buy_from_herself(make_offer):
    offer = make_offer()
    with pytest.raises(DomainError) as err:
        order_live(offer.session.seller.user, offer, 1)
    assert err.value.code == "forbidden"


def test_cancel_gives_units_back_to_the_open_offer_then_to_the_shelf(make_offer, make_user):
    offer = make_offer(quantity=10, per_buyer_limit=10, stock_left=0)
    buyer = make_user()
    first = order_live(buyer, offer, 4).order
    second = order_live(buyer, offer, 3).order
    transition(first, OrderStatus.CANCELLED, actor=buyer, role=Actor.BUYER)
    assert offer_row(offer.id).sold == 3
    assert db.session.scalar(sa.select(LiveOfferBuyer.qty).where(LiveOfferBuyer.buyer_id == buyer.id)) == 3
    offers.close_offer(offer.session, offer.session.seller.user, offer.id)
    assert stock_of(offer.product_id) == 7
    transition(second, OrderStatus.CANCELLED, actor=buyer, role=Actor.BUYER)
    assert stock_of(offer.product_id) == 10
    assert offer_row(offer.id).sold == 0


def test_expired_live_orders_give_units_back_to_the_offer(make_offer, make_user):
    offer = make_offer(quantity=10, stock_left=0)
    order = order_live(make_user(), offer, 4).order
    order.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    assert expire_holds() == 1
    assert offer_row(offer.id).sold == 0


# ---- merged orders ----------------------------------------------------------------------------------


def req(buyer, offer, qty, key=None, session_id=None):
    return OrderRequest(
        user_id=buyer.id,
        auth_version=buyer.auth_version,
        session_id=session_id or offer.session_id,
        offer_id=offer.id,
        qty=qty,
        key=key or new_key(),
    )


def test_a_batch_writes_every_order_with_one_offer_update(make_offer, make_user):
    offer = make_offer(quantity=100, per_buyer_limit=10)
    buyers = [make_user(name=f"Khách {i}") for i in range(20)]
    outcomes = settle_batch([req(b, offer, 1 + i % 3) for i, b in enumerate(buyers)])
    assert all(o.ok and o.created for o in outcomes)
    sold = sum(1 + i % 3 for i in range(20))
    assert offer_row(offer.id).sold == sold
    assert {o.remaining for o in outcomes} == {100 - sold}
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 20
    order = db.session.get(Order, outcomes[4].order["id"])
    assert order.buyer_id == buyers[4].id and order.qty == 2 and order.total_vnd == 2 * 79_000
    assert order.origin == "live" and order.status == "pending" and order.hold_expires_at is not None
    assert [e.to_status for e in order.events] == ["pending"]


def test_a_batch_fills_in_arrival_order_when_not_enough_is_left(make_offer, make_user):
    offer = make_offer(quantity=5, per_buyer_limit=5)
    a, b, c, d = (make_user(name=n) for n in ("An", "Bình", "Chi", "Dũng"))
    outcomes = settle_batch([req(a, offer, 3), req(b, offer, 3), req(c, offer, 2), req(d, offer, 1)])
    assert [o.ok for o in outcomes] == [True, False, True, False]
    assert outcomes[1].code == outcomes[3].code == "sold_out"
    assert offer_row(offer.id).sold == 5
    # the refused buyers' per-buyer counters were given back
    held = dict(db.session.execute(sa.select(LiveOfferBuyer.buyer_id, LiveOfferBuyer.qty)).all())
    assert held.get(b.id, 0) == 0 and held.get(d.id, 0) == 0 and held[a.id] == 3


def test_a_batch_keeps_keys_idempotent_and_limits_per_buyer(make_offer, make_user):
    offer = make_offer(quantity=50, per_buyer_limit=4)
    buyer, other = make_user(), make_user(name="Khác")
    earlier = settle_batch([req(buyer, offer, 1, key="retry-key-0001")])[0]
    outcomes = settle_batch(
        [
            req(buyer, offer, 1, key="retry-key-0001"),  # a retry: the first order
            req(buyer, offer, 2, key="tab-one-key-01"),
            req(buyer, offer, 2, key="tab-one-key-01"),  # the same request twice in one batch: one order
            req(buyer, offer, 2, key="tab-two-key-01"),  # a second tab: over the limit of 4
            req(other, offer, 5, key="too-many-0001"),  # over the limit alone
        ]
    )
    assert outcomes[0].ok and not outcomes[0].created and outcomes[0].order["id"] == earlier.order["id"]
    assert outcomes[1].ok and outcomes[1].created
    assert outcomes[2].ok and not outcomes[2].created and outcomes[2].order["id"] == outcomes[1].order["id"]
    assert outcomes[3].code == "limit_exceeded" and outcomes[3].params["have"] == 3
    assert outcomes[4].code == "limit_exceeded"
    assert offer_row(offer.id).sold == 3
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 2


def test_a_batch_that_read_a_stale_remainder_fits_again_and_writes_only_winners(make_offer, make_user, monkeypatch):
    """Another process took units between the batch's read of the offer and its UPDATE: the UPDATE refuses
    the batch's total, the batch fits again in arrival order under the row lock, and writes no order (and
    keeps no counter) for the requests that lost."""
    from dataclasses import replace

    from market.live import ordering

    offer = make_offer(quantity=6, per_buyer_limit=6)
    order_live(make_user(name="Người khác"), offer, 4)  # "the other process": 2 units left
    real = ordering.offer_info
    monkeypatch.setattr(ordering, "offer_info", lambda offer_id: replace(real(offer_id), remaining=6))
    buyers = [make_user(name=n) for n in ("An", "Bình", "Chi")]
    outcomes = settle_batch([req(buyers[0], offer, 1), req(buyers[1], offer, 2), req(buyers[2], offer, 1)])
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].code == "sold_out" and outcomes[1].params["remaining"] == 0
    assert offer_row(offer.id).sold == 6
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 3
    held = dict(db.session.execute(sa.select(LiveOfferBuyer.buyer_id, LiveOfferBuyer.qty)).all())
    assert held.get(buyers[1].id, 0) == 0 and held[buyers[0].id] == held[buyers[2].id] == 1


def test_a_sold_out_offer_refuses_a_batch_without_writing(make_offer, make_user):
    offer = make_offer(quantity=2, per_buyer_limit=2)
    early, late = make_user(name="An"), make_user(name="Bình")
    first = settle_batch([req(early, offer, 2, key="first-key-001")])[0]
    outcomes = settle_batch([req(late, offer, 1), req(early, offer, 2, key="first-key-001")])
    assert outcomes[0].code == "sold_out" and outcomes[0].params["remaining"] == 0
    assert outcomes[1].ok and not outcomes[1].created and outcomes[1].order["id"] == first.order["id"]  # a retry
    assert db.session.scalar(sa.select(LiveOfferBuyer.qty).where(LiveOfferBuyer.buyer_id == late.id)) is None
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1


def test_a_batch_refuses_what_it_must(make_offer, make_user, make_session):
    offer = make_offer(quantity=50)
    other_session = make_session(host=offer.session.seller.user, status="scheduled")
    logged_out = make_user(name="Đã đăng xuất")
    stale = req(logged_out, offer, 1)
    logged_out.auth_version += 1
    db.session.flush()
    outcomes = settle_batch(
        [
            req(make_user(), offer, 1, session_id=other_session.id),
            stale,
            req(offer.session.seller.user, offer, 1),
            req(make_user(), offer, 51),
        ]
    )
    assert [o.code for o in outcomes] == ["invalid", "not_logged_in", "forbidden", "limit_exceeded"]
    assert offer_row(offer.id).sold == 0
    offers.close_offer(offer.session, offer.session.seller.user, offer.id)
    assert settle_batch([req(make_user(), offer, 1)])[0].code == "offer_closed"


# ---- chat -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, 5, "", "   ", "\u200b\n\t", "x" * 301, "x" * 1_000_000, ["hi"]])
def test_bad_chat_is_refused(make_session, make_user, text):
    session = make_session()
    with pytest.raises(DomainError) as err:
        chat.post_chat(session, make_user(), text)
    assert err.value.code == "invalid"
    assert db.session.scalar(sa.select(sa.func.count(ChatMessage.id))) == 0


def test_chat_is_cleaned_and_muting_stops_it(make_session, make_user):
    session = make_session()
    user = make_user(name="Hoàng Thị Hoa")
    data = chat.post_chat(session, user, "  Còn   sầu riêng\nkhông? ")
    assert data["text"] == "Còn sầu riêng không?" and data["user"] == "Hoa H." and data["user_id"] == user.id
    chat.mute(session, session.seller.user, user.id, 10)
    with pytest.raises(DomainError) as err:
        chat.post_chat(session, user, "xin chào")
    assert err.value.code == "muted"
    # a past mute no longer counts
    db.session.execute(sa.update(LiveMute).values(until=utcnow() - timedelta(seconds=1)))
    chat.post_chat(session, user, "xin chào lại")


def test_only_the_host_and_commune_staff_moderate(make_session, make_user, make_staff, make_commune):
    session = make_session()
    writer = make_user(name="Người viết")
    message = chat.post_chat(session, writer, "spam spam")
    outsider_staff = make_staff(make_commune(name="Xã khác"))
    for actor in (make_user(), outsider_staff, writer):
        with pytest.raises(DomainError) as err:
            chat.remove_chat(session, actor, message["id"])
        assert err.value.code == "forbidden"
    staff = make_staff(session.commune)
    chat.remove_chat(session, staff, message["id"])
    chat.remove_chat(session, staff, message["id"])  # idempotent
    assert db.session.get(ChatMessage, message["id"]).removed_by_id == staff.id
    assert snapshot.recent_chat(session) == []
    with pytest.raises(DomainError) as err:
        chat.mute(session, staff, session.seller.user_id, 10)
    assert err.value.code == "forbidden"


@pytest.mark.parametrize(
    ("user_id", "minutes"),
    [(None, 5), ("3", 5), (True, 5), (10**9, 5), ("me", 0), ("me", -1), ("me", 10**6), ("me", 2.5), ("me", "10")],
)
def test_bad_mutes(make_session, make_user, user_id, minutes):
    session = make_session()
    target = make_user()
    with pytest.raises(DomainError) as err:
        chat.mute(session, session.seller.user, target.id if user_id == "me" else user_id, minutes)
    assert err.value.code == "invalid"


# Phone orders: tests/live/test_phone_orders.py


# ---- stream links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/live/dQw4w9WgXcQ?si=x", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/@kenh/live", None),
        ("https://www.tiktok.com/@hhanie/live", None),
        ("https://www.facebook.com/hhanie/videos/123", None),
    ],
)
def test_stream_links(url, embed):
    assert streams.clean_stream_url(url) == url
    info = streams.stream_info(url)
    assert (info["embed_url"] is None) == (embed is None)
    if embed:
        assert info["embed_url"].startswith(f"https://www.youtube-nocookie.com/embed/{embed}?")


@pytest.mark.parametrize(
    "url",
    [
        "http://www.tiktok.com/@a/live",
        "https://evil.example/live",
        "javascript:alert(1)",
        "https://www.tiktok.com.evil.example/x",
        "https://user:pw@www.tiktok.com/x",
        "https://www.tiktok.com:8443/x",
        "https://www.tiktok.com/" + "x" * 600,
        "https://www.tiktok.com/a b",
    ],
)
def test_other_links_are_refused(url):
    with pytest.raises(DomainError):
        streams.clean_stream_url(url)


def test_merged_orders_are_the_same_rows_as_place_order_writes(make_offer, make_user):
    """The batch writes with COPY on PostgreSQL (the ORM on SQLite): the rows must not differ."""
    from market.orders.models import OrderEvent, OrderItem

    offer = make_offer(quantity=50)
    a, b = make_user(name="An"), make_user(name="Bình")
    one = order_live(a, offer, 2).order.id
    merged = settle_batch([req(b, offer, 2)])[0].order["id"]
    db.session.expire_all()
    skip = {
        "id",
        "code",
        "idempotency_key",
        "buyer_id",
        "created_at",
        "updated_at",
        "hold_expires_at",
        "status_changed_at",
        "order_id",
        "actor_id",
    }

    def rows(order_id):
        order = db.session.get(Order, order_id)
        out = []
        for model, objs in ((Order, [order]), (OrderItem, order.items), (OrderEvent, order.events)):
            for obj in objs:
                out.append({c.key: getattr(obj, c.key) for c in model.__table__.columns if c.key not in skip})
        return out, order

    (expected, first), (got, second) = rows(one), rows(merged)
    assert got == expected
    assert second.created_at is not None and abs((second.hold_expires_at - first.hold_expires_at).total_seconds()) < 60
    assert second.events[0].actor_id == b.id and second.buyer.display_name == "Bình"


def test_a_batch_that_loses_a_key_race_falls_back_one_by_one(app, make_offer, make_user, monkeypatch):
    """Another process committed the same key between our lookup and our insert: the unique index refuses the
    batch (COPY on PostgreSQL, the flush on SQLite), which is rolled back and settled one by one."""
    from market.live import ordering

    offer = make_offer(quantity=50)
    buyer, other = make_user(), make_user(name="Khác")
    first = order_live(buyer, offer, 2, key="raced-key-0001").order
    db.session.flush()
    monkeypatch.setattr(ordering, "orders_by_key", lambda pairs: {})  # the lookup "missed" it
    outcomes = ordering.settle(app, [req(buyer, offer, 2, key="raced-key-0001"), req(other, offer, 1)])
    assert outcomes[0].ok and outcomes[0].order["id"] == first.id and not outcomes[0].created
    assert outcomes[1].ok and outcomes[1].created
    assert offer_row(offer.id).sold == 3


def test_a_batch_counts_the_order_rate_limit_per_buyer(app, make_offer, make_user):
    """The rate limit is counted for the whole batch at once: a buyer's eleventh order in ten seconds is
    refused even when all eleven arrive together; another buyer in the same batch is not held back."""
    from market.live.ordering import settle_requests

    offer = make_offer(quantity=100, per_buyer_limit=100)
    eager, calm = make_user(name="Vội"), make_user(name="Thong thả")
    db.session.flush()
    outcomes = settle_requests(app, [req(eager, offer, 1) for _ in range(11)] + [req(calm, offer, 1)])
    assert [o.ok for o in outcomes] == [True] * 10 + [False, True]
    assert outcomes[10].code == "rate_limited"
    assert offer_row(offer.id).sold == 11


def test_a_stock_change_is_seen_after_redis_restarts_empty(app, redis_url):
    """Stock versions are values never written before, not a counter: after Redis restarted empty, another
    process that had seen version 1 before the outage saw 1 again for the next change and told nobody."""
    import uuid

    import redis

    from market.live.counters import RedisBackend

    prefix = f"test-stockver-{uuid.uuid4().hex[:8]}"
    writer, reader = RedisBackend(redis_url, prefix), RedisBackend(redis_url, prefix)
    seen: dict = {}
    try:
        assert reader.changed([7], seen) == set()  # the room is new to the reader: its viewers got a snapshot
        writer.push({7}, {})
        assert reader.changed([7], seen) == {7}
        assert reader.changed([7], seen) == set()
        redis.Redis.from_url(redis_url).delete(f"{prefix}:stockver:7")  # Redis comes back with nothing
        writer.push({7}, {})
        assert reader.changed([7], seen) == {7}
    finally:
        redis.Redis.from_url(redis_url).delete(f"{prefix}:stockver:7")


def test_merged_and_single_orders_send_the_same_placement_signal(make_offer, make_user):
    """``orders_placed`` is the one signal of a new order: a merged batch and ``place_order`` both send it,
    with the same ``Placement`` (what the room's ticker, the host console and the metrics read)."""
    from market.live.hub import hub
    from market.orders.signals import orders_placed

    offer = make_offer(quantity=20)
    heard = []

    def listen(origin, placed=(), **_kw):
        heard.extend((origin, p) for p in placed)

    orders_placed.connect(listen)
    try:
        merged = settle_batch([req(make_user(name="Gộp"), offer, 2)])[0]
        single = order_live(make_user(name="Lẻ"), offer, 3).order
    finally:
        orders_placed.disconnect(listen)
    assert [
        (origin, p.id, p.buyer_name, [(ln.source, ln.source_id, ln.qty) for ln in p.lines]) for origin, p in heard
    ] == [
        ("live", merged.order["id"], "Gộp", [("offer", offer.id, 2)]),
        ("live", single.id, "Lẻ", [("offer", offer.id, 3)]),
    ]
    assert heard[1][1].load() is single
    db.session.commit()  # the room hears of both at the next tick, by the one listener
    assert [s["qty"] for s in hub.sales[offer.session_id]] == [2, 3]


def test_a_large_rooms_viewer_count_is_told_when_it_moves_enough(monkeypatch):
    """While thousands join, the count changes every second: a large room hears it when it moved by 5% or
    after 5 s, a small room at every change (each is one delivery per viewer)."""
    from market.live import tick
    from market.live.hub import Sent

    now = [100.0]
    monkeypatch.setattr(tick.time, "monotonic", lambda: now[0])
    sent = Sent(viewers=4000, viewers_at=100.0)
    assert not tick._worth_telling(4000, sent)
    assert not tick._worth_telling(4150, sent)
    assert tick._worth_telling(4200, sent)
    now[0] = 105.0
    assert tick._worth_telling(4001, sent)
    small = Sent(viewers=3, viewers_at=100.0)
    now[0] = 100.5
    assert tick._worth_telling(4, small) and tick._worth_telling(2, small)
    assert tick._worth_telling(1, Sent())
