"""Flash deals: an offer pinned with a countdown (1–30 minutes) closes itself when it runs out, in whichever
server process sweeps first, exactly once; its unsold units go back to the shelf. (Two real processes behind
Redis: tests/live/test_servers.py::test_a_flash_deal_closes_itself_once_across_two_processes.)"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market.catalog.models import Product
from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.live import offers
from market.live.models import LiveOffer
from market.live.tasks import sweep_flash_offers
from market.orders.models import Order
from market.orders.service import Line, place_order
from tests.live.conftest import new_key
from tests.live.test_events import assert_refused, connect, heard, joined  # noqa: F401 - fixtures


def stock_of(product_id: int) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product_id))


def run_out(offer: LiveOffer) -> None:
    """The countdown reaches zero (without waiting for it)."""
    db.session.execute(
        sa.update(LiveOffer).where(LiveOffer.id == offer.id).values(ends_at=utcnow() - timedelta(milliseconds=1))
    )
    db.session.expire(offer)


@pytest.mark.parametrize("minutes", [0, 31, -1, 1.5, "abc", "3 phút", True, [5], "²"])  # "²": int() refuses it
def test_a_countdown_must_be_1_to_30_minutes(make_session, make_product, minutes):
    session = make_session()
    product = make_product(seller=session.seller.user, stock=20)
    with pytest.raises(DomainError) as err:
        offers.pin_offer(session, session.seller.user, product.id, 50_000, 10, None, minutes)
    assert err.value.code == "invalid" and err.value.field == "minutes"
    assert "1" in err.value.message and "30" in err.value.message
    assert stock_of(product.id) == 20  # nothing taken
    assert db.session.scalar(sa.select(sa.func.count(LiveOffer.id))) == 0


@pytest.mark.parametrize("minutes", [None, "", 1, "30", 30])
def test_a_countdown_sets_the_end_and_the_seconds_left(make_session, make_product, minutes):
    session = make_session()
    product = make_product(seller=session.seller.user, stock=20)
    offer = offers.pin_offer(session, session.seller.user, product.id, 50_000, 10, None, minutes)
    data = offers.offer_json(offer)
    if minutes in (None, ""):
        assert offer.ends_at is None and data["ends_at"] is None and data["seconds_left"] is None
    else:
        n = int(minutes)
        assert abs((offer.ends_at - utcnow()).total_seconds() - n * 60) < 5
        assert n * 60 - 5 <= data["seconds_left"] <= n * 60
        assert data["ends_at"] == offer.ends_at.isoformat()


def test_at_zero_the_offer_closes_once_and_the_unsold_units_go_back(app, make_offer, make_user):
    offer = make_offer(quantity=10, stock_left=5)
    db.session.execute(
        sa.update(LiveOffer).where(LiveOffer.id == offer.id).values(ends_at=utcnow() + timedelta(minutes=3))
    )
    buyer = make_user()
    place_order(buyer, [Line("offer", offer.id, 3)], new_key(), origin="live", live_session_id=offer.session_id)
    assert offers.close_due_offers() == 0  # not yet
    run_out(offer)
    assert offers.close_due_offers() == 1
    assert offers.close_due_offers() == 0  # a second sweep (another process) finds nothing to close
    db.session.refresh(offer)
    assert offer.status == "closed" and offer.sold == 3
    assert stock_of(offer.product_id) == 5 + 7  # the shelf, plus the 7 unsold, once


def test_two_sweeps_that_both_read_it_open_close_it_once(make_offer):
    """Two processes' sweeps both read the offer as open before either closed it: the conditional UPDATE lets
    one of them close it; the units go back once."""
    offer = make_offer(quantity=10, stock_left=5)
    run_out(offer)
    seen = [(offer.session_id, offer.id)] * 2  # what each sweep's SELECT returned
    assert [offers.close_if_open(session_id, offer_id) is not None for session_id, offer_id in seen] == [True, False]
    assert stock_of(offer.product_id) == 15


def test_an_order_after_zero_is_refused_before_any_sweep(make_offer, make_user):
    offer = make_offer(quantity=10, stock_left=0)
    run_out(offer)
    with pytest.raises(DomainError) as err:
        place_order(
            make_user(), [Line("offer", offer.id, 1)], new_key(), origin="live", live_session_id=offer.session_id
        )
    assert err.value.code == "offer_closed"
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0
    db.session.refresh(offer)
    assert offer.sold == 0


def test_every_viewer_hears_the_countdown_and_the_close(app, connect, make_session, make_product, make_user):  # noqa: F811 - the fixture
    session = make_session()
    host_user = session.seller.user
    product = make_product(seller=host_user, stock=12)
    viewer = connect()
    joined(viewer, session)
    host = connect(host_user)
    joined(host, session)
    for bad in (0, 31, "abc"):
        ack = host.call("pin", {"product_id": product.id, "price_vnd": 50_000, "quantity": 10, "minutes": bad})
        assert_refused(ack, "invalid")
        assert ack["field"] == "minutes" and "30" in ack["message"]
    ack = host.call("pin", {"product_id": product.id, "price_vnd": 50_000, "quantity": 10, "minutes": 2})
    assert ack["ok"] and 115 <= ack["offer"]["seconds_left"] <= 120 and ack["offer"]["ends_at"]
    [pinned] = heard(viewer)["offer"]
    assert pinned["ends_at"] == ack["offer"]["ends_at"] and pinned["seconds_left"] > 100
    late = connect()
    snap = joined(late, session)["snapshot"]
    assert snap["offers"][0]["ends_at"] == ack["offer"]["ends_at"]
    buyer = connect(make_user())
    joined(buyer, session)
    assert buyer.call("order", {"offer_id": pinned["id"], "qty": 2, "key": new_key()})["ok"]
    offer = db.session.get(LiveOffer, pinned["id"])
    run_out(offer)
    db.session.commit()
    assert_refused(buyer.call("order", {"offer_id": pinned["id"], "qty": 1, "key": new_key()}), "offer_closed")
    assert sweep_flash_offers(app) == 1
    closed = heard(viewer)["offer"][-1]
    assert closed["id"] == pinned["id"] and closed["status"] == "closed" and closed["remaining"] == 0
    assert stock_of(product.id) == 2 + 8


def test_hearts_stop_counting_when_the_session_ends(app, connect, make_session):  # noqa: F811 - the fixture
    from market.live.tasks import tick

    session = make_session()
    viewer = connect()
    joined(viewer, session)
    viewer.emit("heart", {})
    tick(app)
    host = connect(session.seller.user)
    joined(host, session)
    assert host.call("end") == {"ok": True}
    for _ in range(5):
        viewer.emit("heart", {})
    late = connect()  # joining an ended session (an API client: the page has no hearts any more)
    joined(late, session)
    late.emit("heart", {})
    tick(app)
    db.session.refresh(session)
    assert session.hearts == 1 and session.status == "ended"
    assert all(d["total"] == 1 for d in heard(viewer).get("hearts", []))
