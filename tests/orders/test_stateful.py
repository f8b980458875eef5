"""Hypothesis explores place / retry / confirm / cancel / expire: stock is always conserved and no move the
table forbids ever happens."""

from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from market.catalog.models import Product
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.orders.models import Order, OrderEvent
from market.orders.service import Line, expire_holds, place_order, transition
from market.orders.states import RELEASES_STOCK, TRANSITIONS, Actor, OrderStatus

INITIAL = 30


def run_machine(app, make_user, make_product):
    class OrderMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.savepoint = db.session.begin_nested()
            self.product = make_product(stock=INITIAL)
            self.buyers = [make_user(name=f"Khách {i}") for i in range(3)]
            self.keys: list[tuple[int, str]] = []
            self.n = 0

        def teardown(self):
            self.savepoint.rollback()
            db.session.expunge_all()

        @rule(buyer=st.integers(0, 2), qty=st.integers(1, 12))
        def place(self, buyer, qty):
            self.n += 1
            key = f"machine-key-{self.n:05d}"
            try:
                place_order(self.buyers[buyer], [Line("product", self.product.id, qty)], key)
                self.keys.append((buyer, key))
            except DomainError as err:
                assert err.code == "sold_out"

        @rule(pick=st.integers(0, 10_000))
        def retry(self, pick):
            if not self.keys:
                return
            buyer, key = self.keys[pick % len(self.keys)]
            before = db.session.scalar(sa.select(sa.func.count(Order.id)))
            placed = place_order(self.buyers[buyer], [Line("product", self.product.id, 1)], key)
            assert not placed.created
            assert db.session.scalar(sa.select(sa.func.count(Order.id))) == before

        @rule(pick=st.integers(0, 10_000), to=st.sampled_from(list(OrderStatus)), role=st.sampled_from(list(Actor)))
        def move(self, pick, to, role):
            orders = db.session.scalars(sa.select(Order).order_by(Order.id)).all()
            if not orders:
                return
            order = orders[pick % len(orders)]
            actor = {
                Actor.BUYER: order.buyer,
                Actor.SELLER: self.product.seller.user,
                Actor.STAFF: None,
                Actor.SYSTEM: None,
            }[role]
            if role == Actor.STAFF:
                return
            frm = order.status
            try:
                transition(order, to, actor=actor, role=role, reason="máy thử")
                assert role in TRANSITIONS[(OrderStatus(frm), to)]
            except DomainError:
                db.session.refresh(order)
                assert order.status == frm

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

        @invariant()
        def stock_is_conserved(self):
            if not hasattr(self, "product"):
                return
            shelf = db.session.scalar(sa.select(Product.stock).where(Product.id == self.product.id))
            held = sum(
                o.qty
                for o in db.session.scalars(sa.select(Order)).all()
                if o.status not in RELEASES_STOCK and o.status != OrderStatus.REFUNDED
            )
            assert shelf >= 0
            assert shelf + held == INITIAL

        @invariant()
        def every_logged_move_is_in_the_table(self):
            for e in db.session.scalars(sa.select(OrderEvent).where(OrderEvent.from_status.is_not(None))):
                assert Actor(e.actor_role) in TRANSITIONS[(OrderStatus(e.from_status), OrderStatus(e.to_status))]

    OrderMachine.TestCase.settings = settings(
        max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
    )
    OrderMachine.TestCase().runTest()


def test_order_state_machine(app, make_user, make_product):
    run_machine(app, make_user, make_product)
