"""Hypothesis explores orders through payment, cancellation, expiry and refunds, with events replayed and out of
order: stock is always conserved, no move outside the table happens, and no money is silently kept."""

import itertools
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from market.catalog.models import Product
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.orders import actions
from market.orders.models import Order, OrderEvent
from market.orders.payment import gateway
from market.orders.service import expire_holds
from market.orders.states import TRANSITIONS, Actor, OrderStatus
from market.payments.bankfeed import IncomingTransfer, apply_transfer
from market.payments.models import Payment, PaymentStatus, RefundStatus
from market.payments.service import new_attempt
from market.payments.stripe.events import handle_event
from market.payments.stripe.refunds import finish_refund
from market.payments.webhooks import process_once

INITIAL = 40
# More examples for a deeper search: MACHINE_EXAMPLES=300 pytest tests/payments/test_stateful_payments.py
EXAMPLES = int(os.environ.get("MACHINE_EXAMPLES", "30"))
RELEASED = {OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REFUNDED}


def run_machine(make_shop, make_user, place):
    class PaymentMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.savepoint = db.session.begin_nested()
            self.shop = make_shop("Máy thử", stock=INITIAL)
            self.product = self.shop.product
            self.buyers = [make_user(name=f"Khách {i}") for i in range(2)]
            self.events: list[tuple[str, str, dict]] = []  # (event id, type, object) already sent once
            self.n = itertools.count(1)

        def teardown(self):
            self.savepoint.rollback()
            db.session.expunge_all()

        def orders(self):
            return db.session.scalars(sa.select(Order).order_by(Order.id)).all()

        def pick(self, n, method=None):
            orders = [o for o in self.orders() if method is None or o.payment_method == method]
            return orders[n % len(orders)] if orders else None

        @rule(buyer=st.integers(0, 1), qty=st.integers(1, 9), method=st.sampled_from(["cod", "vietqr", "stripe"]))
        def place(self, buyer, qty, method):
            try:
                with db.session.begin_nested():
                    place(self.buyers[buyer], self.product, qty, method=method)
            except DomainError as err:
                assert err.code == "sold_out"

        @rule(n=st.integers(0, 99), exact=st.booleans())
        def card_paid(self, n, exact):
            order = self.pick(n, "stripe")
            if order is None:
                return
            k = next(self.n)
            session_id = f"cs_m_{k}"
            with db.session.begin_nested():
                payment = new_attempt(order, "stripe", provider_ref=session_id)
            session = {
                "id": session_id,
                "payment_status": "paid",
                "currency": "vnd",
                "payment_intent": f"pi_m_{k}",
                "amount_total": order.total_vnd if exact else order.total_vnd + 1,
                "metadata": {"order_id": str(order.id), "payment_id": str(payment.id)},
            }
            self.send(f"evt_done_{k}", "checkout.session.completed", session)

        @rule(n=st.integers(0, 99))
        def card_refunded_outside(self, n):
            payments = db.session.scalars(
                sa.select(Payment).where(Payment.method == "stripe", Payment.provider_ref.is_not(None))
            ).all()
            if not payments:
                return
            p = payments[n % len(payments)]
            intent = p.provider_payment_ref or f"pi_m_{p.provider_ref[5:]}"
            charge = {
                "id": f"ch_{p.id}",
                "amount": p.amount_vnd,
                "amount_refunded": p.amount_vnd,
                "refunded": True,
                "payment_intent": intent,
                "metadata": {"order_id": str(p.order_id), "payment_id": str(p.id)},
            }
            self.send(f"evt_refund_{p.id}", "charge.refunded", charge)

        def send(self, event_id, event_type, obj):
            event = {"id": event_id, "type": event_type, "data": {"object": obj}}
            try:
                with db.session.begin_nested():
                    process_once("stripe", event_id, event_type, lambda row: handle_event(event, row))
            except DomainError:
                pass
            self.events.append((event_id, event_type, obj))

        @rule(n=st.integers(0, 999))
        def replay(self, n):
            if self.events:
                event_id, event_type, obj = self.events[n % len(self.events)]
                before = db.session.scalar(sa.select(sa.func.count(OrderEvent.id)))
                with db.session.begin_nested():
                    outcome = process_once(
                        "stripe",
                        event_id,
                        event_type,
                        lambda row: handle_event({"type": event_type, "data": {"object": obj}}, row),
                    )
                assert outcome == "duplicate"
                assert db.session.scalar(sa.select(sa.func.count(OrderEvent.id))) == before

        @rule(n=st.integers(0, 99), exact=st.booleans())
        def transfer_arrives(self, n, exact):
            order = self.pick(n, "vietqr")
            if order is None:
                return
            k = next(self.n)
            transfer = IncomingTransfer(
                "sepay",
                f"t{k}",
                order.total_vnd if exact else order.total_vnd - 1000,
                f"CK {order.code}",
                ("1023456789",),
            )
            with db.session.begin_nested():
                process_once("sepay", transfer.transaction_id, "transfer", lambda row: apply_transfer(transfer, row))

        @rule(n=st.integers(0, 99))
        def seller_records_money(self, n):
            order = self.pick(n)
            try:
                with db.session.begin_nested():
                    actions.mark_paid(order, self.shop.user, role=Actor.SELLER)
            except (DomainError, AttributeError):
                pass

        @rule(n=st.integers(0, 99), to=st.sampled_from(list(OrderStatus)), who=st.sampled_from(["buyer", "seller"]))
        def person_moves(self, n, to, who):
            order = self.pick(n)
            if order is None:
                return
            user = order.buyer if who == "buyer" else self.shop.user
            role = Actor.BUYER if who == "buyer" else Actor.SELLER
            frm = order.status
            try:
                with db.session.begin_nested():
                    actions.move(order, user, to, role=role, reason="máy thử", carrier="Xe nhà")
                assert role in TRANSITIONS[(OrderStatus(frm), to)]
            except DomainError:
                db.session.refresh(order)
                assert order.status == frm

        @rule(n=st.integers(0, 99), who=st.sampled_from(["buyer", "seller"]))
        def cancel(self, n, who):
            self.person_moves(n, OrderStatus.CANCELLED, who)

        @rule()
        def stripe_answers_refunds(self):
            for p in db.session.scalars(sa.select(Payment).where(Payment.refund_status == RefundStatus.REQUESTED)):
                with db.session.begin_nested():
                    finish_refund(p.id, f"re_{p.id}", "succeeded")

        @rule()
        def seller_returns_transfers(self):
            for order in self.orders():
                if gateway().can_mark_refunded(order):
                    with db.session.begin_nested():
                        actions.move(order, self.shop.user, OrderStatus.REFUNDED, role=Actor.SELLER)

        @rule()
        def holds_run_out(self):
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
            held = sum(o.qty for o in self.orders() if o.status not in RELEASED)
            assert shelf >= 0 and shelf + held == INITIAL

        @invariant()
        def every_logged_move_is_in_the_table(self):
            for e in db.session.scalars(sa.select(OrderEvent).where(OrderEvent.from_status.is_not(None))):
                assert Actor(e.actor_role) in TRANSITIONS[(OrderStatus(e.from_status), OrderStatus(e.to_status))]

        @invariant()
        def no_money_is_kept_silently(self):
            for p in db.session.scalars(sa.select(Payment).where(Payment.status == PaymentStatus.SUCCEEDED)):
                order = db.session.get(Order, p.order_id)
                keeps = order.paid_at is not None and order.status not in (
                    OrderStatus.CANCELLED,
                    OrderStatus.EXPIRED,
                    OrderStatus.REFUNDED,
                )
                assert keeps or p.refund_status in (RefundStatus.REQUESTED, RefundStatus.MANUAL), (p, order)

        @invariant()
        def paid_online_before_confirmed(self):
            for o in self.orders():
                if o.status in (
                    OrderStatus.CONFIRMED,
                    OrderStatus.PACKED,
                    OrderStatus.SHIPPED,
                ) and o.payment_method in ("stripe", "vietqr"):
                    assert o.paid_at is not None, o

    PaymentMachine.TestCase.settings = settings(
        max_examples=EXAMPLES, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
    )
    PaymentMachine.TestCase().runTest()


@pytest.mark.slow
def test_payment_state_machine(app, stripe_api, make_shop, make_user, place):
    run_machine(make_shop, make_user, place)
