"""Hypothesis explores pin / order (merged or one by one) / retry / expire / cancel / confirm / close / end: the
product's stock + what open offers still hold + what live orders hold is always what there was at the start,
every offer's ``sold`` and every buyer's counter match the orders, and no limit is ever exceeded."""

from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from market.catalog.models import Product
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.live.models import LiveOffer, LiveOfferBuyer, LiveSession, OfferStatus
from market.live.offers import close_offer, pin_offer
from market.live.ordering import OrderRequest, settle_batch
from market.live.sessions import end_session
from market.orders.models import Order, OrderItem
from market.orders.service import Line, expire_holds, place_order, transition
from market.orders.states import Actor, OrderStatus

INITIAL = 60
ACTIVE = ("pending", "confirmed", "packed", "shipped", "delivered")


def run_machine(make_user, make_product, make_session):
    class LiveMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.savepoint = db.session.begin_nested()
            self.session = make_session()
            self.host = self.session.seller.user
            self.product = make_product(seller=self.host, stock=INITIAL)
            self.buyers = [make_user(name=f"Khách {i}") for i in range(3)]
            self.keys: list[tuple[int, str]] = []
            self.n = 0

        def teardown(self):
            self.savepoint.rollback()
            db.session.expunge_all()

        def _offers(self, open_only=True):
            stmt = sa.select(LiveOffer).where(LiveOffer.session_id == self.session.id).order_by(LiveOffer.id)
            if open_only:
                stmt = stmt.where(LiveOffer.status == OfferStatus.OPEN)
            return db.session.scalars(stmt).all()

        @rule(quantity=st.integers(1, 40), limit=st.integers(1, 10))
        def pin(self, quantity, limit):
            try:
                pin_offer(self.session, self.host, self.product.id, 79_000, quantity, limit)
            except DomainError as err:
                assert err.code in {"invalid", "session_not_live"}

        @rule(buyer=st.integers(0, 2), pick=st.integers(0, 100), qty=st.integers(1, 12))
        def order_one(self, buyer, pick, qty):
            offers = self._offers(open_only=False)
            if not offers:
                return
            offer = offers[pick % len(offers)]
            self.n += 1
            key = f"one-key-{self.n:05d}"
            try:
                place_order(
                    self.buyers[buyer],
                    [Line("offer", offer.id, qty)],
                    key,
                    origin="live",
                    live_session_id=self.session.id,
                )
                self.keys.append((buyer, key))
            except DomainError as err:
                assert err.code in {"sold_out", "limit_exceeded", "offer_closed", "session_not_live"}

        @rule(
            pick=st.integers(0, 100),
            wants=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 8)), min_size=1, max_size=6),
        )
        def order_batch(self, pick, wants):
            offers = self._offers(open_only=False)
            if not offers:
                return
            offer = offers[pick % len(offers)]
            reqs = []
            for buyer, qty in wants:
                self.n += 1
                user = self.buyers[buyer]
                reqs.append(
                    OrderRequest(
                        user_id=user.id,
                        auth_version=user.auth_version,
                        session_id=self.session.id,
                        offer_id=offer.id,
                        qty=qty,
                        key=f"batch-key-{self.n:05d}",
                    )
                )
            for (buyer, _qty), r, outcome in zip(wants, reqs, settle_batch(reqs), strict=True):
                if outcome.ok:
                    self.keys.append((buyer, r.key))
                else:
                    assert outcome.code in {"sold_out", "limit_exceeded", "offer_closed", "session_not_live"}

        @rule(pick=st.integers(0, 10_000))
        def retry(self, pick):
            if not self.keys:
                return
            buyer, key = self.keys[pick % len(self.keys)]
            before = db.session.scalar(sa.select(sa.func.count(Order.id)))
            any_offer = db.session.scalar(sa.select(LiveOffer.id).limit(1))
            placed = place_order(self.buyers[buyer], [Line("offer", any_offer, 1)], key, origin="live")
            assert not placed.created
            assert db.session.scalar(sa.select(sa.func.count(Order.id))) == before

        @rule(
            pick=st.integers(0, 10_000),
            to=st.sampled_from([OrderStatus.CANCELLED, OrderStatus.CONFIRMED, OrderStatus.REFUNDED]),
        )
        def move(self, pick, to):
            orders = db.session.scalars(sa.select(Order).order_by(Order.id)).all()
            if not orders:
                return
            order = orders[pick % len(orders)]
            role = Actor.BUYER if to == OrderStatus.CANCELLED else Actor.SYSTEM
            try:
                transition(order, to, actor=order.buyer if role == Actor.BUYER else None, role=role)
            except DomainError:
                pass

        @rule()
        def expire_all(self):
            now = utcnow()
            db.session.execute(
                sa.update(Order)
                .where(Order.status == "pending")
                .values(hold_expires_at=now - timedelta(minutes=1))
                .execution_options(synchronize_session=False)
            )
            db.session.expire_all()
            expire_holds(now=now)

        @rule(pick=st.integers(0, 100))
        def close(self, pick):
            offers = self._offers()
            if offers:
                close_offer(self.session, self.host, offers[pick % len(offers)].id)

        @rule()
        def end_and_reopen(self):
            """End the session (every offer closes), then carry on in a new live session."""
            end_session(self.session, self.host)
            self.session = LiveSession(
                seller_id=self.session.seller_id,
                commune_id=self.session.commune_id,
                title="Phiên tiếp",
                stream_url=self.session.stream_url,
                scheduled_at=utcnow(),
                status="live",
                started_at=utcnow(),
            )
            db.session.add(self.session)
            db.session.flush()

        @invariant()
        def stock_is_conserved(self):
            if not hasattr(self, "product"):
                return
            db.session.expire_all()
            shelf = db.session.scalar(sa.select(Product.stock).where(Product.id == self.product.id))
            offers = db.session.scalars(sa.select(LiveOffer)).all()
            in_offers = sum(o.quantity - o.sold for o in offers if o.status == OfferStatus.OPEN)
            held = db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(OrderItem.qty), 0)).join(Order).where(Order.status.in_(ACTIVE))
            )
            assert shelf >= 0 and in_offers >= 0
            assert shelf + in_offers + held == INITIAL

        @invariant()
        def offers_and_counters_match_the_orders(self):
            if not hasattr(self, "product"):
                return
            for offer in db.session.scalars(sa.select(LiveOffer)).all():
                active = db.session.execute(
                    sa.select(Order.buyer_id, sa.func.sum(OrderItem.qty))
                    .join(OrderItem)
                    .where(OrderItem.source == "offer", OrderItem.source_id == offer.id, Order.status.in_(ACTIVE))
                    .group_by(Order.buyer_id)
                ).all()
                assert 0 <= offer.sold <= offer.quantity
                assert offer.sold == sum(q for _b, q in active)
                counters = dict(
                    db.session.execute(
                        sa.select(LiveOfferBuyer.buyer_id, LiveOfferBuyer.qty).where(
                            LiveOfferBuyer.offer_id == offer.id
                        )
                    ).all()
                )
                for buyer_id, qty in active:
                    assert counters.get(buyer_id) == qty <= offer.per_buyer_limit

    LiveMachine.TestCase.settings = settings(
        max_examples=30, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
    )
    LiveMachine.TestCase().runTest()


def test_live_stock_state_machine(app, make_user, make_product, make_session):
    run_machine(make_user, make_product, make_session)
