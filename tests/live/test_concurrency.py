"""Zero oversell and the per-buyer limit under real concurrency: threads, separate connections, real commits —
through order merging (the socket path) and through ``place_order`` one by one (phone orders, the fallback)."""

import gc
import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from market.accounts.models import Commune, SellerProfile, User
from market.catalog.models import Product
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.live import offers
from market.live.models import LiveOffer, LiveOfferBuyer, LiveSession
from market.live.ordering import OrderRequest, merger
from market.orders.models import Order, OrderItem
from market.orders.service import Line, place_order


def setup_world(quantity: int, buyers: int, limit: int | None = None, shelf: int = 10):
    commune = Commune(name="Ea Knuếc", province="Đắk Lắk", slug="ea-knuec")
    host = User(phone="+84910000001", display_name="H'Hà Niê", password_hash="x")
    profile = SellerProfile(user=host, commune=commune, shop_name="Vườn", slug="vuon", status="approved", is_kol=True)
    product = Product(
        seller=profile,
        title="Sầu riêng Ri6",
        slug="sau-rieng",
        price_vnd=99_000,
        stock=quantity + shelf,
        status="approved",
    )
    session = LiveSession(
        seller=profile,
        commune=commune,
        title="Phiên",
        stream_url="https://www.tiktok.com/@a/live",
        scheduled_at=utcnow(),
        started_at=utcnow(),
        status="live",
    )
    users = [User(phone=f"+8491{i:07d}", display_name=f"Khách {i}", password_hash="x") for i in range(2, buyers + 2)]
    db.session.add_all([commune, host, profile, product, session, *users])
    db.session.flush()
    offer = offers.pin_offer(session, host, product.id, 79_000, quantity, limit)
    ids = offer.id, session.id, product.id, [(u.id, u.auth_version) for u in users]
    db.session.commit()
    db.session.close()  # hold no transaction (on SQLite it would hold the write lock) while the threads run
    return ids


def merged_order(app, offer_id, session_id, buyer, qty, key):
    with app.app_context():
        outcome = merger.submit(
            OrderRequest(
                user_id=buyer[0], auth_version=buyer[1], session_id=session_id, offer_id=offer_id, qty=qty, key=key
            )
        )
        return (outcome.order["id"] if outcome.ok else outcome.code), qty


def single_order(app, offer_id, session_id, buyer, qty, key):
    with app.app_context():
        try:
            user = db.session.get(User, buyer[0])
            placed = place_order(user, [Line("offer", offer_id, qty)], key, origin="live", live_session_id=session_id)
            db.session.commit()
            return placed.order.id, qty
        except DomainError as err:
            db.session.rollback()
            return err.code, qty
        finally:
            db.session.remove()


def check_books(offer_id, product_id, quantity, shelf):
    db.session.expire_all()
    offer = db.session.get(LiveOffer, offer_id)
    ordered = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(OrderItem.qty), 0)))
    counted = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LiveOfferBuyer.qty), 0)))
    stock = db.session.scalar(sa.select(Product.stock).where(Product.id == product_id))
    assert 0 <= offer.sold <= offer.quantity
    assert offer.sold == ordered == counted
    assert stock == shelf
    return offer.sold


@pytest.mark.parametrize("path", [merged_order, single_order], ids=["merged", "one-by-one"])
def test_200_buyers_race_for_50_units(committed_app, path):
    offer_id, session_id, product_id, buyers = setup_world(quantity=50, buyers=200, limit=3)
    rng = random.Random(7)
    wanted = [(b, rng.randint(1, 3)) for b in buyers]
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(
            pool.map(lambda bq: path(committed_app, offer_id, session_id, bq[0], bq[1], f"race-{bq[0][0]:06d}"), wanted)
        )
    sold = sum(qty for ref, qty in results if isinstance(ref, int))
    refusals = {ref for ref, _ in results if not isinstance(ref, int)}
    assert check_books(offer_id, product_id, 50, 10) == sold == 50
    assert refusals <= {"sold_out"}
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == sum(1 for ref, _ in results if isinstance(ref, int))


@pytest.mark.parametrize("path", [merged_order, single_order], ids=["merged", "one-by-one"])
def test_one_buyer_five_tabs_against_a_limit_of_one(committed_app, path):
    offer_id, session_id, product_id, (buyer,) = setup_world(quantity=50, buyers=1, limit=1)
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(
            pool.map(lambda i: path(committed_app, offer_id, session_id, buyer, 1, f"tab-{i}-key"), range(5))
        )
    wins = [ref for ref, _ in results if isinstance(ref, int)]
    assert len(wins) == 1
    assert sorted(ref for ref, _ in results if not isinstance(ref, int)) == ["limit_exceeded"] * 4
    assert check_books(offer_id, product_id, 50, 10) == 1


def test_same_key_from_ten_threads_makes_one_order(committed_app):
    offer_id, session_id, product_id, (buyer,) = setup_world(quantity=50, buyers=1, limit=10)
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(
            pool.map(
                lambda i: (merged_order if i % 2 else single_order)(
                    committed_app, offer_id, session_id, buyer, 2, "same-key-storm"
                ),
                range(10),
            )
        )
    assert len({ref for ref, _ in results}) == 1
    assert check_books(offer_id, product_id, 50, 10) == 2


def test_merging_takes_many_orders_per_transaction(committed_app, monkeypatch):
    """The point of merging: far fewer transactions than orders when they arrive together."""
    from market.live import ordering

    offer_id, session_id, _product_id, buyers = setup_world(quantity=500, buyers=120, limit=5)
    batches = []
    real = ordering.settle_batch
    monkeypatch.setattr(ordering, "settle_batch", lambda reqs: batches.append(len(reqs)) or real(reqs))
    committed_app.config["LIVE_ORDER_BATCH_MS"] = 50
    try:
        with ThreadPoolExecutor(max_workers=120) as pool:
            results = list(
                pool.map(lambda b: merged_order(committed_app, offer_id, session_id, b, 1, f"many-{b[0]:06d}"), buyers)
            )
    finally:
        committed_app.config["LIVE_ORDER_BATCH_MS"] = 5
    assert all(isinstance(ref, int) for ref, _ in results)
    assert sum(batches) == 120 and len(batches) < 30


def test_two_processes_short_of_units_do_not_deadlock(committed_app, monkeypatch):
    """Two order batches (two server processes) both find too little left and lock the offer row: on
    PostgreSQL they must queue, not deadlock (which would push both back to the slow one-by-one path)."""
    import threading

    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite lets one writer in at a time)")

    from market.live import ordering, stock

    offer_id, session_id, _product_id, buyers = setup_world(quantity=10, buyers=24, limit=5)
    barrier = threading.Barrier(2, timeout=10)
    real_take = stock.take_units
    first = threading.local()

    def take_units(offer, qty):
        if not getattr(first, "seen", False):  # both batches hold their counter rows before either goes on
            first.seen = True
            barrier.wait()
        return real_take(offer, qty)

    fallbacks = []
    monkeypatch.setattr(ordering, "take_units", take_units)
    monkeypatch.setattr(ordering, "settle_one", lambda r: fallbacks.append(r) or ordering._fail("unavailable"))
    batches = [
        [
            OrderRequest(
                user_id=b[0], auth_version=b[1], session_id=session_id, offer_id=offer_id, qty=1, key=f"dl-{b[0]:06d}"
            )
            for b in half
        ]
        for half in (buyers[:12], buyers[12:])
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda reqs: ordering.settle(committed_app, reqs), batches))
    assert not fallbacks
    outcomes = [o for batch in results for o in batch]
    assert sum(o.ok for o in outcomes) == 10
    assert {o.code for o in outcomes if not o.ok} == {"sold_out"}
    db.session.expire_all()
    assert db.session.get(LiveOffer, offer_id).sold == 10


def test_logins_of_sockets_connecting_together_are_read_in_one_query(committed_app, monkeypatch):
    """A crowd connecting at once: their login checks are gathered into a few queries, each socket still gets
    its own answer, and a stale auth version is still refused."""
    from market.live import connection

    buyers = setup_world(quantity=10, buyers=60)[3]
    reads = []
    real = connection._users.fetch
    monkeypatch.setattr(connection._users, "fetch", lambda keys: reads.append(len(keys)) or real(keys))
    monkeypatch.setitem(committed_app.config, "LIVE_GATHER_MS", 50)

    def check(buyer, version_off=0):
        with committed_app.app_context():
            return connection.check_user(buyer[0], buyer[1] + version_off)

    with ThreadPoolExecutor(max_workers=60) as pool:
        found = list(pool.map(check, buyers))
    assert [user.id for user in found] == [b[0] for b in buyers]
    assert sum(reads) == 60 and len(reads) < 10
    assert check(buyers[0], version_off=1) is None


def test_orders_answered_by_their_batch_each_get_one_answer_even_when_another_fails(committed_app, caplog):
    """``merger.submit_later`` (the ``order`` event): nobody waits; the batch's task fills each outcome and
    calls its reply once. A reply that raises (its socket gone mid-send) is logged, and the others still get
    theirs."""
    import threading

    offer_id, session_id, _product_id, buyers = setup_world(quantity=3, buyers=6, limit=5)
    answered: dict[int, list] = {}
    collecting: list[bool] = []  # the cycle collector, as each answer went out
    all_in = threading.Event()

    class Reply:
        def __init__(self, req, broken=False):
            self.req, self.broken = req, broken

        def set(self):
            collecting.append(gc.isenabled())
            answered.setdefault(self.req.user_id, []).append(self.req.outcome)
            if len(answered) == len(buyers):
                all_in.set()
            if self.broken:
                raise OSError("socket gone")

    committed_app.config["LIVE_ORDER_BATCH_MS"] = 50
    try:
        with committed_app.app_context():
            for i, (uid, version) in enumerate(buyers):
                req = OrderRequest(
                    user_id=uid, auth_version=version, session_id=session_id, offer_id=offer_id, qty=1, key=f"l-{i}"
                )
                merger.submit_later(req, Reply(req, broken=i == 0))  # returns at once
        assert all_in.wait(15), answered
    finally:
        committed_app.config["LIVE_ORDER_BATCH_MS"] = 5
    outcomes = [o for got in answered.values() for o in got]
    assert len(outcomes) == 6 and all(len(got) == 1 for got in answered.values())
    assert sum(o.ok for o in outcomes) == 3 and {o.code for o in outcomes if not o.ok} == {"sold_out"}
    assert "live order answer failed" in caplog.text
    # while orders were queued and settled the collector waited (market/collector.py), and runs again after
    assert collecting == [False] * 6 and _collector_back()


def _collector_back(within: float = 5.0) -> bool:
    """The order task lets the collector go once its queue is empty: a moment after the last answer."""
    deadline = time.monotonic() + within
    while not gc.isenabled() and time.monotonic() < deadline:
        time.sleep(0.01)
    return gc.isenabled()


def test_a_crashed_order_task_answers_who_waits_and_frees_its_offer(committed_app, monkeypatch, caplog):
    """Anything failing outside a batch's settling (here: the gathering window) leaves nobody unanswered, and
    the next order for the same offer starts a new task and is settled."""
    from market.live import ordering

    offer_id, session_id, _product_id, buyers = setup_world(quantity=3, buyers=2, limit=5)
    real_gather = ordering.OrderMerger._gather
    monkeypatch.setattr(ordering.OrderMerger, "_gather", lambda *a: (_ for _ in ()).throw(RuntimeError("bug")))
    first = merged_order(committed_app, offer_id, session_id, buyers[0], 1, "crash-1")
    assert first == ("unavailable", 1) and "live order task crashed" in caplog.text
    assert _collector_back()  # a crashed task does not leave the cycle collector off
    monkeypatch.setattr(ordering.OrderMerger, "_gather", real_gather)
    ref, _ = merged_order(committed_app, offer_id, session_id, buyers[1], 1, "crash-2")
    assert isinstance(ref, int)
