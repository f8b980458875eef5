"""Live orders, merged: the flash-sale technique that lets one hot offer take more orders per second than one
transaction per order could.

A transaction per order on one offer row serialises every buyer on that row's lock and pays a commit (a
disk flush) each time; the database's own ceiling is then a few hundred orders a second. Instead, per
process and per offer, a short-lived background task collects the order requests that arrive within
``LIVE_ORDER_BATCH_MS`` (and everything that queues while a batch is being settled) and settles them in ONE
transaction:

1. one query checks every buyer's login (auth version, ban) and one finds earlier orders with the same
   idempotency keys (a retry gets its first order back; the same key twice in one batch makes one order);
2. one conditional upsert counts each buyer's units against the per-buyer limit (``qty + q <= limit``),
   buyers sorted so that concurrent batches lock counter rows in the same order;
3. all orders are built by the orders area's ``build_order`` and inserted together (one flush);
4. only then one conditional UPDATE takes the batch's total from the offer (``sold + total <= quantity``),
   so the hot row stays locked just from that UPDATE to the commit. When not enough is left, the row is
   locked and the requests are served in arrival order, each while it fits; the others' orders are deleted
   again and their counters given back;
5. one commit; then every waiting handler gets its own answer.

Several processes each batch their own requests; the conditional UPDATE keeps zero oversell across them. If
the batch fails (a concurrent retry with the same key won the unique index, a deadlock), it is rolled back
and each request is settled alone through ``place_order``, which is slower but decides every case.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import make_transient_to_detached

from market.accounts.models import User
from market.accounts.service import mask_name
from market.database import on_commit, utcnow
from market.domain import DomainError
from market.extensions import db, socketio
from market.live.hub import hub
from market.live.models import LiveOfferBuyer
from market.live.stock import (
    check_orderable,
    give_back_quota,
    offer_info,
    offer_state,
    take_quota,
    take_quotas,
    take_units,
)
from market.orders.models import Order, OrderItem
from market.orders.service import Line, build_order, place_order
from market.orders.signals import order_placed
from market.orders.stock import Reservation

log = logging.getLogger(__name__)


@dataclass
class OrderRequest:
    """One buyer's ``order`` event, as the socket handler checked it."""

    user_id: int
    auth_version: int | None
    session_id: int
    offer_id: int
    qty: int
    key: str
    outcome: Outcome | None = None
    done: object = None  # an Event of the server's async mode, set when ``outcome`` is ready


@dataclass
class Outcome:
    code: str | None = None  # None: the order stands (new, or the first one for this key)
    params: dict = field(default_factory=dict)
    order: dict | None = None
    remaining: int | None = None
    created: bool = False

    @property
    def ok(self) -> bool:
        return self.code is None


def _fail(code: str, **params) -> Outcome:
    return Outcome(code=code, params=params)


def order_json(order_id: int, code: str, status: str, qty: int, total_vnd: int) -> dict:
    return {"id": order_id, "code": code, "status": str(status), "qty": qty, "total_vnd": total_vnd,
            "url": f"/orders/{order_id}"}


def _orders_by_key(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], dict]:
    if not pairs:
        return {}
    buyers = {b for b, _k in pairs}
    keys = {k for _b, k in pairs}
    rows = db.session.execute(
        sa.select(Order.id, Order.code, Order.status, Order.total_vnd, Order.buyer_id, Order.idempotency_key,
                  sa.func.coalesce(sa.func.sum(OrderItem.qty), 0))
        .join(OrderItem, OrderItem.order_id == Order.id, isouter=True)
        .where(Order.buyer_id.in_(buyers), Order.idempotency_key.in_(keys))
        .group_by(Order.id, Order.code, Order.status, Order.total_vnd, Order.buyer_id, Order.idempotency_key)
    ).all()
    return {(r[4], r[5]): order_json(r[0], r[1], r[2], int(r[6]), r[3]) for r in rows if (r[4], r[5]) in pairs}


def settle_batch(reqs: list[OrderRequest]) -> list[Outcome]:
    """Settle requests for ONE offer in the current transaction (flushes; the caller commits)."""
    offer_id = reqs[0].offer_id
    assert all(r.offer_id == offer_id for r in reqs)
    out: list[Outcome | None] = [None] * len(reqs)
    info = offer_info(offer_id)
    users = {row.id: row for row in db.session.execute(
        sa.select(User.id, User.auth_version, User.banned_at, User.display_name)
        .where(User.id.in_({r.user_id for r in reqs})))}

    candidates = []
    for i, r in enumerate(reqs):
        user = users.get(r.user_id)
        if user is None or user.banned_at is not None or (r.auth_version is not None
                                                           and user.auth_version != r.auth_version):
            out[i] = _fail("not_logged_in")
            continue
        try:
            check_orderable(info, r.qty, r.session_id)
        except DomainError as err:
            out[i] = _fail(err.code, **getattr(err, "params", {}))
            continue
        if info.seller_user_id == r.user_id:
            out[i] = _fail("forbidden", reason="own_shop")
            continue
        candidates.append(i)

    # Idempotency: a key seen before returns its order; the same key twice in this batch makes one order.
    earlier = _orders_by_key({(reqs[i].user_id, reqs[i].key) for i in candidates})
    leader_of: dict[tuple[int, str], int] = {}
    followers: dict[int, int] = {}
    fresh = []
    for i in candidates:
        k = (reqs[i].user_id, reqs[i].key)
        if k in earlier:
            out[i] = Outcome(order=earlier[k])
        elif k in leader_of:
            followers[i] = leader_of[k]
        else:
            leader_of[k] = i
            fresh.append(i)

    # Per-buyer limit: one upsert for each buyer's first request, then repeats (two tabs) one by one.
    limit = info.per_buyer_limit if info else 0
    first_of_buyer: dict[int, int] = {}
    for i in fresh:
        first_of_buyer.setdefault(reqs[i].user_id, i)
    rows = sorted((reqs[i].user_id, reqs[i].qty) for i in first_of_buyer.values())
    fitted = take_quotas(offer_id, rows, limit)
    accepted = []
    over_limit = []
    for i in fresh:
        r = reqs[i]
        if first_of_buyer[r.user_id] == i:
            fits = r.user_id in fitted
        else:
            fits = take_quota(offer_id, r.user_id, r.qty, limit)
        (accepted if fits else over_limit).append(i)
    if over_limit:
        have = dict(db.session.execute(sa.select(LiveOfferBuyer.buyer_id, LiveOfferBuyer.qty).where(
            LiveOfferBuyer.offer_id == offer_id,
            LiveOfferBuyer.buyer_id.in_({reqs[i].user_id for i in over_limit}))).all())
        for i in over_limit:
            out[i] = _fail("limit_exceeded", limit=limit, unit=info.unit, have=have.get(reqs[i].user_id, 0))

    # Every candidate's order is built and inserted BEFORE the hot offer row is touched: the row is then
    # locked only from its one UPDATE to the commit, not while Python builds a few hundred orders.
    built: dict[int, Order] = {}
    if accepted:
        from market.accounts.models import SellerProfile

        seller = db.session.get(SellerProfile, info.seller_id)  # held: the identity map keeps it only while used
        for i in accepted:
            r = reqs[i]
            reservation = Reservation(product_id=info.product_id, seller_id=info.seller_id, title=info.title,
                                      unit=info.unit, unit_price_vnd=info.price_vnd, source="offer",
                                      source_id=offer_id, qty=r.qty, live_session_id=info.session_id,
                                      est_weight_g=info.est_weight_g, weight_tolerance_pct=info.weight_tolerance_pct)
            order = build_order(_BuyerRef(r.user_id), [reservation], r.key, origin="live", placed_by=None,
                                live_session_id=info.session_id, payment_method=None, note="", shipping_vnd=0)
            order._live_recorded = True  # the room hears of it below, without loading each buyer again
            built[i] = order
        insert_orders(list(built.values()))
        del seller

    # The offer: one conditional UPDATE for the batch total, else first-fit in arrival order.
    winners, losers = accepted, []
    total = sum(reqs[i].qty for i in accepted)
    remaining = take_units(offer_id, total) if total else None
    if total and remaining is None:
        state = offer_state(offer_id, lock=True)
        if state is None or state[0] != "open":
            winners, losers, loser_code = [], accepted, "offer_closed"
        else:
            left, winners, losers, loser_code = state[1], [], [], "sold_out"
            for i in accepted:
                if reqs[i].qty <= left:
                    winners.append(i)
                    left -= reqs[i].qty
                else:
                    losers.append(i)
            take = sum(reqs[i].qty for i in winners)
            remaining = take_units(offer_id, take) if take else state[1]
            if remaining is None:  # cannot happen while we hold the row; refuse rather than guess
                raise RuntimeError("offer changed under its lock")
        give_back_quota(offer_id, [(reqs[i].user_id, reqs[i].qty) for i in losers])
        for i in losers:
            db.session.delete(built.pop(i))
            out[i] = (_fail("sold_out", remaining=remaining or 0, unit=info.unit) if loser_code == "sold_out"
                      else _fail("offer_closed"))
        db.session.flush()
    if remaining is None:
        state = offer_state(offer_id) if info else None
        remaining = state[1] if state and state[0] == "open" else 0

    if winners:
        sales, feed = [], []
        for i in winners:
            r, order = reqs[i], built[i]
            out[i] = Outcome(order=order_json(order.id, order.code, order.status, r.qty, order.total_vnd),
                             remaining=remaining, created=True)
            name = users[r.user_id].display_name
            sales.append({"offer_id": offer_id, "buyer": mask_name(name), "qty": r.qty, "unit": info.unit})
            feed.append(host_item(order.id, order.code, name, r.qty, info, order.total_vnd, "live"))
            order_placed.send(order, created=True)
        session_id = info.session_id
        on_commit(lambda: hub.record_sales(session_id, sales, feed))

    for i, leader in followers.items():
        out[i] = out[leader] if not out[leader].created else Outcome(order=out[leader].order,
                                                                     remaining=out[leader].remaining)
    for o in out:
        if o.ok and o.remaining is None:
            o.remaining = remaining
    return out


def _copy_value(value):
    return value.value if isinstance(value, enum.Enum) else value


def insert_orders(orders: list[Order]) -> None:
    """Write many new orders (with their lines and first events) at once and keep them in the session.

    SQLite: the ORM flush. PostgreSQL: ids drawn from the sequences, then one COPY per table (the fastest
    bulk path: no statement to parse per row), and the objects attached as persistent without another round
    trip — so listeners of ``order_placed`` get real persistent orders that lazy-load like any other. The
    values are whatever ``build_order`` set; columns it leaves unset take their defaults.
    """
    if not orders:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.add_all(orders)
        db.session.flush()
        return
    from market.orders.models import OrderEvent

    items = [item for order in orders for item in order.items]
    events = [event for order in orders for event in order.events]
    counts = {Order.__table__: len(orders), OrderItem.__table__: len(items), OrderEvent.__table__: len(events)}
    ids = {table: db.session.execute(
        sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
        {"t": table.name, "n": n}).scalars().all() for table, n in counts.items()}
    for order, pk in zip(orders, ids[Order.__table__], strict=True):
        order.id = pk
        for item in order.items:
            item.order_id = pk
        for event in order.events:
            event.order_id = pk
    for obj, pk in zip(items, ids[OrderItem.__table__], strict=True):
        obj.id = pk
    for obj, pk in zip(events, ids[OrderEvent.__table__], strict=True):
        obj.id = pk
    import psycopg

    raw = db.session.connection().connection.dbapi_connection  # the same transaction, psycopg's own COPY
    try:
        _copy_rows(raw, orders, items, events)
    except psycopg.Error as exc:  # the raw driver's error, as SQLAlchemy would have raised it (IntegrityError …)
        raise sa.exc.DBAPIError.instance("COPY orders", None, exc, psycopg.Error) from exc
    for obj in (*orders, *items, *events):
        make_transient_to_detached(obj)
    for order in orders:
        db.session.add(order)  # cascades to its lines and event: attached as persistent, nothing re-inserted


def _copy_rows(raw, orders, items, events) -> None:
    from market.orders.models import OrderEvent

    with raw.cursor() as cursor:
        for table, objs in ((Order.__table__, orders), (OrderItem.__table__, items), (OrderEvent.__table__, events)):
            defaults = [c for c in table.columns if c.default is not None and not c.primary_key]
            for obj in objs:  # what an INSERT would have filled in (COPY knows no Python-side defaults)
                for c in defaults:
                    if c.key not in obj.__dict__:
                        setattr(obj, c.key, c.default.arg(None) if c.default.is_callable else c.default.arg)
            keys = [c.key for c in table.columns]
            columns = ", ".join(f'"{table.c[k].name}"' for k in keys)
            with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for obj in objs:
                    copy.write_row([_copy_value(obj.__dict__.get(k)) for k in keys])


class _BuyerRef:
    """``build_order`` needs the buyer's id only; the batch has checked the rest."""

    __slots__ = ("id",)

    def __init__(self, user_id: int):
        self.id = user_id


def host_item(order_id: int, code: str, buyer_name: str, qty: int, info, total_vnd: int, origin: str) -> dict:
    return {"id": order_id, "code": code, "buyer": buyer_name, "qty": qty, "unit": info.unit, "title": info.title,
            "offer_id": info.id, "total_vnd": total_vnd, "origin": origin, "at": utcnow().isoformat()}


def settle_one(r: OrderRequest) -> Outcome:
    """The slow, always-correct path: one request through ``place_order`` in its own transaction (commits)."""
    try:
        user = db.session.get(User, r.user_id)
        if user is None or user.is_banned or (r.auth_version is not None and user.auth_version != r.auth_version):
            return _fail("not_logged_in")
        check_orderable(offer_info(r.offer_id), r.qty, r.session_id)
        placed = place_order(user, [Line("offer", r.offer_id, r.qty)], r.key, origin="live",
                             live_session_id=r.session_id)
        order = placed.order
        state = offer_state(r.offer_id)
        outcome = Outcome(order=order_json(order.id, order.code, order.status, order.qty, order.total_vnd),
                          remaining=state[1] if state and state[0] == "open" else 0, created=placed.created)
        db.session.commit()
        return outcome
    except DomainError as err:
        db.session.rollback()
        params = getattr(err, "params", None)
        return _fail(err.code, **(params if params is not None else {"message": err.message}))
    except (DBAPIError, PoolTimeout) as exc:
        db.session.rollback()
        log.warning("live order could not be settled: %s", exc.__class__.__name__)
        return _fail("unavailable")


def settle(app, reqs: list[OrderRequest]) -> list[Outcome]:
    """Settle a batch in its own app context and transaction; fall back to one by one if the batch fails."""
    with app.app_context():
        try:
            try:
                started = time.perf_counter()
                outcomes = settle_batch(reqs)
                db.session.commit()
                log.debug("live order batch: %d request(s) settled in %.1f ms", len(reqs),
                          (time.perf_counter() - started) * 1000)
                return outcomes
            except PoolTimeout:
                log.warning("live order batch of %d: no database connection in time", len(reqs))
                return [_fail("unavailable") for _ in reqs]
            except (IntegrityError, DBAPIError, RuntimeError) as exc:
                db.session.rollback()
                log.info("live order batch of %d fell back to one by one (%s: %s)", len(reqs),
                         exc.__class__.__name__, str(getattr(exc, "orig", exc)).splitlines()[0][:200])
                return [settle_one(r) for r in reqs]
        except Exception:
            log.exception("live order batch failed")
            db.session.rollback()
            return [_fail("unavailable") for _ in reqs]
        finally:
            db.session.remove()


class OrderMerger:
    """Per process: a queue per offer, drained by one background task while requests keep coming."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queues: dict[int, list[OrderRequest]] = {}
        self._active: set[int] = set()

    def submit(self, req: OrderRequest, timeout: float = 20.0) -> Outcome:
        app = current_app._get_current_object()
        window = app.config.get("LIVE_ORDER_BATCH_MS", 5) / 1000
        if window <= 0:  # merging off: one transaction per order (the baseline the benchmark compares with)
            return settle(app, [req])[0]
        req.done = socketio.server.eio.create_event()
        with self._lock:
            self._queues.setdefault(req.offer_id, []).append(req)
            start = req.offer_id not in self._active
            self._active.add(req.offer_id)
        if start:
            socketio.start_background_task(self._drain, app, req.offer_id, window)
        if not req.done.wait(timeout):
            return _fail("unavailable")
        return req.outcome

    def _drain(self, app, offer_id: int, window: float) -> None:
        socketio.sleep(window)
        most = app.config.get("LIVE_ORDER_BATCH_MAX", 500)
        while True:
            with self._lock:
                queue = self._queues.get(offer_id) or []
                batch, self._queues[offer_id] = queue[:most], queue[most:]
                if not batch:
                    self._queues.pop(offer_id, None)
                    self._active.discard(offer_id)
                    return
            try:
                outcomes = settle(app, batch)
            except Exception:  # never leave a buyer waiting
                log.exception("live order batch crashed")
                outcomes = [_fail("unavailable") for _ in batch]
            for req, outcome in zip(batch, outcomes, strict=True):
                req.outcome = outcome
                req.done.set()


merger = OrderMerger()
