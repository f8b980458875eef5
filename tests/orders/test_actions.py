"""Table-driven: what a person may do to an order, by payment method, status and role — on top of the
transition table, the payment rules (no confirming unpaid online orders, no hand-made card refunds)."""

import pytest

from market.domain import DomainError
from market.orders import actions
from market.orders.service import transition
from market.orders.states import TRANSITIONS, Actor, OrderStatus
from tests.orders.fixtures import reload

S = OrderStatus

# (method, paid) → may the seller confirm a pending order?
CONFIRM_PENDING = {("cod", False): True, ("vietqr", False): False, ("stripe", False): False}


@pytest.fixture
def make_order(shop, buyer, place, _app, stripe_keys):
    def factory(method: str, status: OrderStatus, paid: bool = False):
        order = place(buyer, shop.product, 1, method=method)
        if paid:
            from market.orders.payment import gateway

            if method == "stripe":
                from market.payments.service import new_attempt, record_paid

                record_paid(order, new_attempt(order, "stripe"), actor=None, role=Actor.SYSTEM, reason="test")
            elif gateway().can_mark_paid(order):
                gateway().mark_paid(order, shop.user, Actor.SELLER)
        path = {
            S.PENDING: [],
            S.CONFIRMED: [S.CONFIRMED],
            S.PACKED: [S.CONFIRMED, S.PACKED],
            S.SHIPPED: [S.CONFIRMED, S.PACKED, S.SHIPPED],
            S.CANCELLED: [S.CANCELLED],
        }[status]
        who = {
            S.CONFIRMED: (None, Actor.SYSTEM),
            S.PACKED: (shop.user, Actor.SELLER),
            S.SHIPPED: (shop.user, Actor.SELLER),
            S.CANCELLED: (buyer, Actor.BUYER),
        }
        for step in path:
            if order.status != step:
                actor, role = who[step]
                transition(order, step, actor=actor, role=role, reason="test")
        return reload(order)

    return factory


@pytest.fixture
def stripe_keys(_app):
    saved = (_app.config.get("STRIPE_SECRET_KEY"), _app.config.get("STRIPE_WEBHOOK_SECRET"))
    _app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x")
    yield
    _app.config.update(STRIPE_SECRET_KEY=saved[0], STRIPE_WEBHOOK_SECRET=saved[1])


@pytest.mark.parametrize("method", ["cod", "vietqr", "stripe"])
def test_seller_confirms_a_pending_order_only_when_the_method_allows(make_order, shop, method):
    from market.extensions import db
    from market.payments.models import ShopPaymentSettings

    db.session.query(ShopPaymentSettings).update({"cod_auto_confirm": False})
    order = make_order(method, S.PENDING)
    assert order.status == S.PENDING
    if CONFIRM_PENDING[(method, False)]:
        actions.move(order, shop.user, S.CONFIRMED, role=Actor.SELLER)
        assert order.status == S.CONFIRMED
    else:
        with pytest.raises(DomainError) as err:
            actions.move(order, shop.user, S.CONFIRMED, role=Actor.SELLER)
        assert err.value.status == 409 and reload(order).status == S.PENDING


@pytest.mark.parametrize(
    "method,status,paid,can_pay",
    [
        ("cod", S.CONFIRMED, False, True),
        ("cod", S.SHIPPED, False, True),
        ("cod", S.SHIPPED, True, False),
        ("vietqr", S.PENDING, False, True),
        ("vietqr", S.CONFIRMED, True, False),
        ("stripe", S.PENDING, False, False),
        ("cod", S.CANCELLED, False, False),
        ("vietqr", S.CANCELLED, False, False),
    ],
)
def test_who_may_record_money_by_hand(make_order, shop, buyer, method, status, paid, can_pay):
    order = make_order(method, status, paid=paid)
    assert ("paid" in actions.seller_actions(order)) == can_pay
    with pytest.raises(DomainError):
        actions.mark_paid(order, buyer, role=Actor.BUYER)
    if can_pay:
        actions.mark_paid(order, shop.user, role=Actor.SELLER)
        assert order.paid_at is not None
    else:
        with pytest.raises(DomainError):
            actions.mark_paid(order, shop.user, role=Actor.SELLER)


@pytest.mark.parametrize("method,manual", [("vietqr", True), ("cod", True), ("stripe", False)])
def test_refund_by_hand_only_for_money_the_seller_returns(make_order, shop, buyer, method, manual):
    order = make_order(method, S.CONFIRMED, paid=True)
    assert order.paid_at is not None
    actions.cancel(order, buyer, role=Actor.BUYER)
    assert order.status == S.CANCELLED
    assert ("refunded" in actions.seller_actions(order)) == manual
    if manual:
        assert order.payment_flag == "refund_due"
        actions.move(order, shop.user, S.REFUNDED, role=Actor.SELLER)
        assert order.status == S.REFUNDED and order.payment_flag is None
    else:
        with pytest.raises(DomainError):
            actions.move(order, shop.user, S.REFUNDED, role=Actor.SELLER)


@pytest.mark.parametrize("frm", [S.PENDING, S.CONFIRMED, S.PACKED, S.SHIPPED, S.CANCELLED])
@pytest.mark.parametrize("to", list(OrderStatus))
@pytest.mark.parametrize("role", [Actor.BUYER, Actor.SELLER])
def test_people_never_leave_the_table(make_order, shop, buyer, frm, to, role):
    order = make_order("vietqr" if frm == S.PENDING else "cod", frm)
    assert order.status == frm
    user = buyer if role == Actor.BUYER else shop.user
    try:
        actions.move(order, user, to, role=role, reason="lý do", carrier="GHN")
    except DomainError:
        assert reload(order).status == frm
    else:
        assert role in TRANSITIONS[(frm, to)] and order.status == to


def test_claimed_role_must_be_held(make_order, shop, buyer):
    order = make_order("cod", S.CONFIRMED)
    with pytest.raises(DomainError) as err:
        actions.acting_role(order, buyer, "seller")
    assert err.value.status == 404
    with pytest.raises(DomainError):
        actions.acting_role(order, buyer, "system")
    assert actions.acting_role(order, buyer, None) == Actor.BUYER
    assert actions.acting_role(order, shop.user, None) == Actor.SELLER
