"""Live orders, merged: the flash-sale technique that lets one hot offer take more orders per second than one
transaction per order could.

A transaction per order on one offer row serialises every buyer on that row's lock and pays a commit (a
disk flush) each time; the database's own ceiling is then a few hundred orders a second. Instead, per
process and per offer, a short-lived background task collects the order requests that arrive within
``LIVE_ORDER_BATCH_MS`` (and everything that queues while a batch is being settled) and settles them in ONE
transaction:

0. before it, the buyers' order rate limit is counted for the whole batch in one round trip to the shared
   storage (``ratelimit.hit_many``: the same counters as one hit per order, so it holds across processes);
1. one query checks every buyer's login (auth version, ban) and one finds earlier orders with the same
   idempotency keys (a retry gets its first order back; the same key twice in one batch makes one order);
2. one conditional upsert counts each buyer's units against the per-buyer limit (``qty + q <= limit``),
   buyers sorted so that concurrent batches lock counter rows in the same order;
3. the requests are fitted, in arrival order, into the units left when the batch began (an offer already
   sold out refuses the whole batch here, writing nothing); the orders of those that fit are written
   together, as plain rows made by the orders area's ``order_rows`` (COPY on PostgreSQL, no ORM objects);
4. only then one conditional UPDATE takes the batch's total from the offer (``sold + total <= quantity``),
   so the hot row stays locked just from that UPDATE to the commit. When another process took units
   meanwhile, the row is locked and the batch fitted again in arrival order; the orders that no longer fit
   are deleted again and their counters given back;
5. one commit; then every waiting handler gets its own answer.

Several processes each batch their own requests; the conditional UPDATE keeps zero oversell across them. If
the batch fails (a concurrent retry with the same key won the unique index, a deadlock), it is rolled back
and each request is settled alone through ``place_order``, which is slower but decides every case.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from market import ratelimit
from market.accounts.models import User
from market.accounts.service import mask_name
from market.database import on_commit, retry_on_conflict, utcnow
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
from market.orders.models import Order, OrderEvent, OrderItem
from market.orders.service import Line, OrderRows, order_rows, place_order
from market.orders.signals import orders_placed
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
    arrived: float = field(default_factory=time.monotonic)


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


def among(column, values) -> sa.ColumnElement:
    """``column IN values`` for a batch: on PostgreSQL one array parameter (``= ANY``), so the statement's text
    is the same for every batch (cached, prepared) and the driver does not parse hundreds of placeholders."""
    values = sorted(set(values))
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


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
        .where(among(Order.buyer_id, buyers), among(Order.idempotency_key, keys))
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
        .where(among(User.id, (r.user_id for r in reqs))))}

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

    # Nothing left when the batch began (the second half of a storm): refused at once, nothing written.
    left = info.remaining if info else 0
    if fresh and left <= 0:
        for i in fresh:
            out[i] = _fail("sold_out", remaining=0, unit=info.unit)
        fresh = []

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
            among(LiveOfferBuyer.buyer_id, (reqs[i].user_id for i in over_limit)))).all())
        for i in over_limit:
            out[i] = _fail("limit_exceeded", limit=limit, unit=info.unit, have=have.get(reqs[i].user_id, 0))

    # First fit, in arrival order, into what was left when the batch began. (Since then units can only have
    # gone to another process — the UPDATE below notices — or come back from a cancelled order, which a
    # refusal "sold out" as of the batch's start may ignore.) Those that do not fit are refused now.
    late = []
    if sum(reqs[i].qty for i in accepted) > left:
        fitting = []
        for i in accepted:
            if reqs[i].qty <= left:
                fitting.append(i)
                left -= reqs[i].qty
            else:
                late.append(i)
        accepted = fitting
        give_back_quota(offer_id, [(reqs[i].user_id, reqs[i].qty) for i in late])

    # The orders are written BEFORE the hot offer row is touched: the row is then locked only from its one
    # UPDATE to the commit (two round trips), not while a few hundred orders are written — in a busy server
    # process every round trip under that lock also waits its turn among a thousand sockets' work.
    built = dict(zip(accepted, insert_orders(
        [order_rows(reqs[i].user_id, info.seller_id, [_reservation(info, reqs[i].qty)], reqs[i].key,
                    origin="live", live_session_id=info.session_id) for i in accepted]), strict=True))

    # The offer: one conditional UPDATE for the batch total; if another process took units meanwhile, lock
    # the row and fit again in arrival order, and take back the orders (and counters) that no longer fit.
    winners, loser_code, gone = accepted, "sold_out", []
    total = sum(reqs[i].qty for i in accepted)
    remaining = take_units(offer_id, total) if total else None
    if total and remaining is None:
        state = offer_state(offer_id, lock=True)
        if state is None or state[0] != "open":
            winners, gone, loser_code = [], accepted, "offer_closed"
        else:
            left, winners = state[1], []
            for i in accepted:
                if reqs[i].qty <= left:
                    winners.append(i)
                    left -= reqs[i].qty
                else:
                    gone.append(i)
            take = sum(reqs[i].qty for i in winners)
            remaining = take_units(offer_id, take) if take else state[1]
            if remaining is None:  # cannot happen while we hold the row; refuse rather than guess
                raise RuntimeError("offer changed under its lock")
        delete_orders([built.pop(i)[0] for i in gone])
        give_back_quota(offer_id, [(reqs[i].user_id, reqs[i].qty) for i in gone])
    if remaining is None:
        state = offer_state(offer_id) if info else None
        remaining = state[1] if state and state[0] == "open" else 0
    for i in late:
        out[i] = _fail("sold_out", remaining=remaining or 0, unit=info.unit)
    for i in gone:
        out[i] = (_fail("sold_out", remaining=remaining or 0, unit=info.unit) if loser_code == "sold_out"
                  else _fail("offer_closed"))

    if winners:
        sales, feed = [], []
        for i in winners:
            r = reqs[i]
            order_id, row = built[i]
            out[i] = Outcome(order=order_json(order_id, row["code"], row["status"], r.qty, row["total_vnd"]),
                             remaining=remaining, created=True)
            name = users[r.user_id].display_name
            sales.append({"offer_id": offer_id, "buyer": mask_name(name), "qty": r.qty, "unit": info.unit})
            feed.append(host_item(order_id, row["code"], name, r.qty, info, row["total_vnd"], "live"))
        orders_placed.send("live", ids=[built[i][0] for i in winners])
        session_id = info.session_id
        on_commit(lambda: hub.record_sales(session_id, sales, feed))

    for i, leader in followers.items():
        out[i] = out[leader] if not out[leader].created else Outcome(order=out[leader].order,
                                                                     remaining=out[leader].remaining)
    for o in out:
        if o.ok and o.remaining is None:
            o.remaining = remaining
    return out


def _reservation(info, qty: int) -> Reservation:
    return Reservation(product_id=info.product_id, seller_id=info.seller_id, title=info.title, unit=info.unit,
                       unit_price_vnd=info.price_vnd, source="offer", source_id=info.id, qty=qty,
                       live_session_id=info.session_id, est_weight_g=info.est_weight_g,
                       weight_tolerance_pct=info.weight_tolerance_pct)


def _columns(table, rows: list[dict], skip: tuple[str, ...] = ("id",)) -> tuple[list[str], list[tuple]]:
    """The table's columns (but ``skip``) and each row's values in that order; a column a row leaves out
    takes its Python-side default (a bulk INSERT or COPY knows none). Values are plain (``order_rows``)."""
    keys = [c.key for c in table.columns if c.key not in skip]
    defaults = {c.key: c.default for c in table.columns if c.default is not None and not c.primary_key}
    values = []
    for row in rows:
        for k in keys:
            if k not in row:
                default = defaults.get(k)
                row[k] = None if default is None else (default.arg(None) if default.is_callable else default.arg)
        values.append(tuple(row[k] for k in keys))
    return keys, values


def insert_orders(orders: list[OrderRows]) -> list[tuple[int, dict]]:
    """Write many new orders (their lines and first events too) at once, as plain rows; (id, order row) each.

    PostgreSQL: the orders' ids drawn from the sequence in one query, then one COPY per table (the fastest bulk
    path: no statement to parse per row, no ORM object). SQLite: one multi-row INSERT per table.
    """
    if not orders:
        return []
    order_t, item_t, event_t = Order.__table__, OrderItem.__table__, OrderEvent.__table__
    heads = [o.order for o in orders]
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        ids = db.session.execute(
            sa.text("SELECT nextval(pg_get_serial_sequence('orders', 'id')) FROM generate_series(1, :n)"),
            {"n": len(orders)}).scalars().all()
    else:
        keys, values = _columns(order_t, heads)
        ids = db.session.execute(order_t.insert().returning(order_t.c.id, sort_by_parameter_order=True),
                                 [dict(zip(keys, v, strict=True)) for v in values]).scalars().all()
    items, events = [], []
    for o, pk in zip(orders, ids, strict=True):
        o.order["id"] = pk
        for item in o.items:
            item["order_id"] = pk
            items.append(item)
        for event in o.events:
            event["order_id"] = pk
            events.append(event)
    if postgres:
        import psycopg

        raw = db.session.connection().connection.dbapi_connection  # the same transaction, psycopg's own COPY
        try:
            with raw.cursor() as cursor:
                for table, rows, skip in ((order_t, heads, ()), (item_t, items, ("id",)), (event_t, events, ("id",))):
                    keys, values = _columns(table, rows, skip)
                    columns = ", ".join(f'"{table.c[k].name}"' for k in keys)
                    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                        for value in values:
                            copy.write_row(value)
        except psycopg.Error as exc:  # the raw driver's error, as SQLAlchemy would have raised it (IntegrityError …)
            raise sa.exc.DBAPIError.instance("COPY orders", None, exc, psycopg.Error) from exc
    else:
        for table, rows in ((item_t, items), (event_t, events)):
            keys, values = _columns(table, rows)
            db.session.execute(table.insert(), [dict(zip(keys, v, strict=True)) for v in values])
    return list(zip(ids, heads, strict=True))


def delete_orders(order_ids: list[int]) -> None:
    """Take back orders this transaction has just written and that did not get their units."""
    if not order_ids:
        return
    for table, column in ((OrderEvent.__table__, "order_id"), (OrderItem.__table__, "order_id"),
                          (Order.__table__, "id")):
        db.session.execute(sa.delete(table).where(among(table.c[column], order_ids)))


def host_item(order_id: int, code: str, buyer_name: str, qty: int, info, total_vnd: int, origin: str) -> dict:
    return {"id": order_id, "code": code, "buyer": buyer_name, "qty": qty, "unit": info.unit, "title": info.title,
            "offer_id": info.id, "total_vnd": total_vnd, "origin": origin, "at": utcnow().isoformat()}


def _settle_one(r: OrderRequest) -> Outcome:
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


def settle_one(r: OrderRequest) -> Outcome:
    """The slow, always-correct path: one request through ``place_order`` in its own transaction (commits),
    run again if PostgreSQL aborted it for a deadlock."""
    try:
        return retry_on_conflict(_settle_one, r)
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
                outcomes = settle_batch(reqs)
                db.session.commit()
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


RATE_ORDER = "10/10 seconds"  # per buyer, across every process (the shared storage: Redis with several)


def settle_requests(app, reqs: list[OrderRequest]) -> list[Outcome]:
    """What each batch goes through: the buyers' order rate limit, counted for the whole batch in one round
    trip to the shared storage (the same counters one ``ratelimit.hit`` per order would use), then
    ``settle`` for the requests within their limit."""
    with app.app_context():
        allowed = ratelimit.hit_many(RATE_ORDER, [("live-order", str(r.user_id)) for r in reqs])
    passing = [r for r, ok in zip(reqs, allowed, strict=True) if ok]
    settled = iter(settle(app, passing) if passing else ())
    return [next(settled) if ok else _fail("rate_limited") for ok in allowed]


class OrderMerger:
    """Per process: a queue per offer, drained by one background task while requests keep coming.

    One batch per offer at a time in a process: two in flight (measured) made smaller batches that queued on
    the offer row's lock behind each other, and the acks came later.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._queues: dict[int, list[OrderRequest]] = {}
        self._active: set[int] = set()

    def submit(self, req: OrderRequest, timeout: float = 20.0) -> Outcome:
        app = current_app._get_current_object()
        window = app.config.get("LIVE_ORDER_BATCH_MS", 5) / 1000
        if window <= 0:  # merging off: one transaction per order (the baseline the benchmark compares with)
            return settle_requests(app, [req])[0]
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
        most = app.config.get("LIVE_ORDER_BATCH_MAX", 500)
        self._gather(offer_id, window, most)
        while True:  # what queued while a batch was settled has waited: it goes at once
            with self._lock:
                queue = self._queues.get(offer_id) or []
                batch, self._queues[offer_id] = queue[:most], queue[most:]
                if not batch:
                    self._queues.pop(offer_id, None)
                    self._active.discard(offer_id)
                    return
            started = time.monotonic()
            try:
                outcomes = settle_requests(app, batch)
            except Exception:  # never leave a buyer waiting
                log.exception("live order batch crashed")
                outcomes = [_fail("unavailable") for _ in batch]
            settled = time.monotonic()
            for req, outcome in zip(batch, outcomes, strict=True):
                req.outcome = outcome
                req.done.set()
            if log.isEnabledFor(logging.DEBUG):
                log.debug("live order batch of %d: waited %.0f–%.0f ms, settled in %.0f ms", len(batch),
                          (started - batch[-1].arrived) * 1000, (started - batch[0].arrived) * 1000,
                          (settled - started) * 1000)

    def _gather(self, offer_id: int, window: float, most: int) -> None:
        """Wait one window; while requests keep coming (a storm still being read off a thousand sockets),
        wait another, up to ``GATHER_WINDOWS`` in all: the first batch then takes the burst instead of its
        first few, which would make everyone else wait for that small batch's transaction."""
        with self._lock:
            seen = len(self._queues.get(offer_id) or ())
        for _ in range(GATHER_WINDOWS):
            socketio.sleep(window)
            with self._lock:
                queued = len(self._queues.get(offer_id) or ())
            if queued >= most or queued == seen:
                return
            seen = queued


GATHER_WINDOWS = 10
merger = OrderMerger()
