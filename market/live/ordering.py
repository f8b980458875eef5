"""Live orders, merged: the flash-sale technique that lets one hot offer take more orders per second than one
transaction per order could.

A transaction per order on one offer row serialises every buyer on that row's lock and pays a commit (a
disk flush) each time; the database's own ceiling is then a few hundred orders a second. Instead, per
process and per offer, a short-lived background task collects the order requests that arrive within
``LIVE_ORDER_BATCH_MS`` (and everything that queues while a batch is being settled) and settles them in ONE
transaction, as a short pipeline of named steps over small objects (``Batch`` of ``Ask``, one per request):

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
5. every request gets its answer and the new orders are announced with ``orders_placed`` (the same signal as
   one order placed by ``place_order``); one commit; then every request is answered from the batch's task:
   an ``order`` event's ack is sent from there (``submit_later``: no greenlet per buyer waits for the batch),
   a waiting chốt or checkout sheet is woken.

Several processes each batch their own requests; the conditional UPDATE keeps zero oversell across them. If
the batch fails (a concurrent retry with the same key won the unique index, a deadlock), it is rolled back
and each request is settled alone through ``place_order``, which is slower but decides every case.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from market import collector, ratelimit
from market.accounts.models import User
from market.database import retry_on_conflict
from market.domain import DomainError, ErrorCode, parse_id
from market.extensions import db, socketio
from market.live import taps
from market.live.models import LiveOfferBuyer, OfferStatus
from market.live.stock import (
    OfferInfo,
    check_orderable,
    give_back_quota,
    offer_info,
    offer_reservation,
    offer_state,
    take_quota,
    take_quotas,
    take_units,
)
from market.orders.bulk import among, delete_orders, insert_orders, order_brief, orders_by_key
from market.orders.service import Line, OrderRows, Placement, order_rows, place_order
from market.orders.signals import orders_placed
from market.orders.states import OrderOrigin

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
    done: Any = None  # a Reply: an Event of the server's async mode, or the ack sent when ``outcome`` is ready
    arrived: float = field(default_factory=time.monotonic)


class Reply(Protocol):
    """What the batch's task calls once a request's ``outcome`` is filled in."""

    def set(self) -> None: ...


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


# ---- one batch, step by step ------------------------------------------------------------------------------


@dataclass(eq=False)
class Ask:
    """One request inside a batch, and what has become of it so far."""

    req: OrderRequest
    outcome: Outcome | None = None  # decided
    leader: Ask | None = None  # the same (buyer, key) earlier in this batch: this one gets the leader's answer
    late: bool = False  # no units left for it: "sold out", with what is left once the batch is done
    rows: OrderRows | None = None  # its order, written, while it waits for the offer's units

    @property
    def key(self) -> tuple[int, str]:
        return self.req.user_id, self.req.key

    @property
    def waiting(self) -> bool:
        return self.outcome is None and self.leader is None and not self.late


@dataclass(eq=False)
class Batch:
    """Requests for ONE offer settled in one transaction, and what the steps learn on the way."""

    offer: OfferInfo | None
    asks: list[Ask]
    buyers: dict[int, sa.Row]  # user id → (id, auth_version, banned_at, display_name)
    left: int  # units left when the batch began
    remaining: int | None = None  # units left once the batch took its own

    def waiting(self) -> list[Ask]:
        return [a for a in self.asks if a.waiting]

    def give_back_quota(self, asks: list[Ask]) -> None:
        if asks:
            give_back_quota(self.offer.id, [(a.req.user_id, a.req.qty) for a in asks])


def settle_batch(reqs: list[OrderRequest]) -> list[Outcome]:
    """Settle requests for ONE offer in the current transaction (flushes; the caller commits)."""
    assert all(r.offer_id == reqs[0].offer_id for r in reqs)
    batch = read_batch(reqs)
    for step in (
        check_buyers,
        match_keys,
        refuse_when_sold_out,
        count_quotas,
        fit_in_stock,
        write_orders,
        take_stock,
        answer,
    ):
        step(batch)
    return [a.outcome for a in batch.asks]


def read_batch(reqs: list[OrderRequest]) -> Batch:
    """The offer and every buyer's login, in two queries."""
    offer = offer_info(reqs[0].offer_id)
    buyers = {
        row.id: row
        for row in db.session.execute(
            sa.select(User.id, User.auth_version, User.banned_at, User.display_name).where(
                among(User.id, (r.user_id for r in reqs))
            )
        )
    }
    return Batch(offer, [Ask(r) for r in reqs], buyers, left=offer.remaining if offer else 0)


def check_buyers(batch: Batch) -> None:
    """Each buyer still logged in (auth version, no ban), ordering an open offer of her session, not her own."""
    for ask in batch.asks:
        r, buyer = ask.req, batch.buyers.get(ask.req.user_id)
        if (
            buyer is None
            or buyer.banned_at is not None
            or (r.auth_version is not None and buyer.auth_version != r.auth_version)
        ):
            ask.outcome = _fail(ErrorCode.NOT_LOGGED_IN)
            continue
        try:
            check_orderable(batch.offer, r.qty, r.session_id)
        except DomainError as err:
            ask.outcome = _fail(err.code, **(err.params or {}))
            continue
        if batch.offer.seller_user_id == r.user_id:
            ask.outcome = _fail(ErrorCode.FORBIDDEN, reason="own_shop")


def match_keys(batch: Batch) -> None:
    """Idempotency: a key seen before returns its order; the same key twice in this batch makes one order."""
    asks = batch.waiting()
    earlier = orders_by_key({a.key for a in asks})
    leaders: dict[tuple[int, str], Ask] = {}
    for ask in asks:
        if ask.key in earlier:
            ask.outcome = Outcome(order=earlier[ask.key])
        elif ask.key in leaders:
            ask.leader = leaders[ask.key]
        else:
            leaders[ask.key] = ask


def refuse_when_sold_out(batch: Batch) -> None:
    """Nothing left when the batch began (the second half of a storm): refused at once, nothing written."""
    asks = batch.waiting()
    if asks and batch.left <= 0:
        for ask in asks:
            ask.outcome = _fail(ErrorCode.SOLD_OUT, remaining=0, unit=batch.offer.unit)


def count_quotas(batch: Batch) -> None:
    """Per-buyer limit: one upsert for each buyer's first request, then repeats (two tabs) one by one."""
    asks = batch.waiting()
    if not asks:
        return
    offer, limit = batch.offer, batch.offer.per_buyer_limit
    first: dict[int, Ask] = {}
    for ask in asks:
        first.setdefault(ask.req.user_id, ask)
    fitted = take_quotas(offer.id, sorted((a.req.user_id, a.req.qty) for a in first.values()), limit)
    over = []
    for ask in asks:
        if first[ask.req.user_id] is ask:
            fits = ask.req.user_id in fitted
        else:
            fits = take_quota(offer.id, ask.req.user_id, ask.req.qty, limit)
        if not fits:
            over.append(ask)
    if over:
        have = dict(
            db.session.execute(
                sa.select(LiveOfferBuyer.buyer_id, LiveOfferBuyer.qty).where(
                    LiveOfferBuyer.offer_id == offer.id, among(LiveOfferBuyer.buyer_id, (a.req.user_id for a in over))
                )
            ).all()
        )
        for ask in over:
            ask.outcome = _fail(
                ErrorCode.LIMIT_EXCEEDED, limit=limit, unit=offer.unit, have=have.get(ask.req.user_id, 0)
            )


def _first_fit(asks: list[Ask], left: int) -> tuple[list[Ask], list[Ask]]:
    """In arrival order: (those whose units fit into ``left``, those whose do not)."""
    fit, over = [], []
    for ask in asks:
        if ask.req.qty <= left:
            fit.append(ask)
            left -= ask.req.qty
        else:
            over.append(ask)
    return fit, over


def fit_in_stock(batch: Batch) -> None:
    """First fit into what was left when the batch began; those that do not fit are late (their counters given
    back). Since the batch began, units can only have gone to another process — ``take_stock`` notices — or
    come back from a cancelled order, which a refusal "sold out" as of the batch's start may ignore."""
    _fit, late = _first_fit(batch.waiting(), batch.left)
    for ask in late:
        ask.late = True
    batch.give_back_quota(late)


def write_orders(batch: Batch) -> None:
    """The orders are written BEFORE the hot offer row is touched: the row is then locked only from its one
    UPDATE to the commit (two round trips), not while a few hundred orders are written — in a busy server
    process every round trip under that lock also waits its turn among a thousand sockets' work."""
    asks = batch.waiting()
    for ask in asks:
        ask.rows = order_rows(
            ask.req.user_id,
            batch.offer.seller_id,
            [offer_reservation(batch.offer, ask.req.qty)],
            ask.req.key,
            origin=OrderOrigin.LIVE,
            live_session_id=batch.offer.session_id,
        )
    insert_orders([a.rows for a in asks])


def take_stock(batch: Batch) -> None:
    """One conditional UPDATE takes the batch's total from the offer. If another process took units meanwhile,
    the row is locked and the batch fitted again in arrival order; the orders that no longer fit are taken back
    with their counters (late, or refused "offer closed" when the offer closed)."""
    asks = batch.waiting()
    total = sum(a.req.qty for a in asks)
    batch.remaining = take_units(batch.offer.id, total) if total else None
    if total and batch.remaining is None:
        state = offer_state(batch.offer.id, lock=True)
        if state is None or state[0] != OfferStatus.OPEN:
            gone = asks
            for ask in gone:
                ask.outcome = _fail(ErrorCode.OFFER_CLOSED)
        else:
            keep, gone = _first_fit(asks, state[1])
            take = sum(a.req.qty for a in keep)
            batch.remaining = take_units(batch.offer.id, take) if take else state[1]
            if batch.remaining is None:  # cannot happen while we hold the row; refuse rather than guess
                raise RuntimeError("offer changed under its lock")
            for ask in gone:
                ask.late = True
        delete_orders([a.rows.order["id"] for a in gone])
        batch.give_back_quota(gone)
    if batch.remaining is None:
        state = offer_state(batch.offer.id) if batch.offer else None
        batch.remaining = state[1] if state and state[0] == OfferStatus.OPEN else 0


def answer(batch: Batch) -> None:
    """Every request gets its answer: a new order, "sold out" with what is left, or (a repeated key) its
    leader's; the new orders are announced with ``orders_placed`` (the room's ticker, the host console, metrics)."""
    placed = []
    for ask in batch.asks:
        if ask.late:
            ask.outcome = _fail(ErrorCode.SOLD_OUT, remaining=batch.remaining, unit=batch.offer.unit)
        elif ask.leader is not None:
            lead = ask.leader.outcome
            ask.outcome = Outcome(order=lead.order, remaining=lead.remaining) if lead.created else lead
        elif ask.outcome is None:
            order = ask.rows.order
            ask.outcome = Outcome(
                order=order_brief(order["id"], order["code"], order["status"], ask.req.qty, order["total_vnd"]),
                remaining=batch.remaining,
                created=True,
            )
            placed.append(Placement.of_rows(order["id"], ask.rows, batch.buyers[ask.req.user_id].display_name))
        if ask.outcome.ok and ask.outcome.remaining is None:
            ask.outcome.remaining = batch.remaining
    if placed:
        orders_placed.send("live", placed=placed)


def _settle_one(r: OrderRequest) -> Outcome:
    user = db.session.get(User, r.user_id)
    if user is None or user.is_banned or (r.auth_version is not None and user.auth_version != r.auth_version):
        return _fail(ErrorCode.NOT_LOGGED_IN)
    check_orderable(offer_info(r.offer_id), r.qty, r.session_id)
    placed = place_order(
        user, [Line("offer", r.offer_id, r.qty)], r.key, origin=OrderOrigin.LIVE, live_session_id=r.session_id
    )
    order = placed.order
    state = offer_state(r.offer_id)
    outcome = Outcome(
        order=order_brief(order.id, order.code, order.status, order.qty, order.total_vnd),
        remaining=state[1] if state and state[0] == "open" else 0,
        created=placed.created,
    )
    db.session.commit()
    return outcome


def settle_one(r: OrderRequest) -> Outcome:
    """The slow, always-correct path: one request through ``place_order`` in its own transaction (commits),
    run again if PostgreSQL aborted it for a deadlock."""
    try:
        return retry_on_conflict(_settle_one, r)
    except DomainError as err:
        db.session.rollback()
        return _fail(err.code, **(err.params if err.params is not None else {"message": err.message}))
    except (DBAPIError, PoolTimeout) as exc:
        db.session.rollback()
        log.warning("live order could not be settled: %s", exc.__class__.__name__)
        return _fail(ErrorCode.UNAVAILABLE)


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
                return [_fail(ErrorCode.UNAVAILABLE) for _ in reqs]
            except (IntegrityError, DBAPIError, RuntimeError) as exc:
                db.session.rollback()
                log.info(
                    "live order batch of %d fell back to one by one (%s: %s)",
                    len(reqs),
                    exc.__class__.__name__,
                    str(getattr(exc, "orig", exc)).splitlines()[0][:200],
                )
                return [settle_one(r) for r in reqs]
        except Exception:
            log.exception("live order batch failed")
            db.session.rollback()
            return [_fail(ErrorCode.UNAVAILABLE) for _ in reqs]
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
    return [next(settled) if ok else _fail(ErrorCode.RATE_LIMITED) for ok in allowed]


def _answer(req: OrderRequest, outcome: Outcome) -> None:
    """Fill in ``req``'s outcome and call its reply. One buyer's answer failing to go out (her socket gone)
    is logged, and leaves everyone else theirs."""
    req.outcome = outcome
    try:
        req.done.set()
    except Exception:
        log.exception("live order answer failed")


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
        """Queue ``req`` for its offer's next batch and wait for its outcome (chốt, the checkout sheet)."""
        done = socketio.server.eio.create_event()
        self.submit_later(req, done)
        if not done.wait(timeout):
            return _fail(ErrorCode.UNAVAILABLE)
        return req.outcome

    def submit_later(self, req: OrderRequest, reply: Reply) -> None:
        """Queue ``req`` and return at once: the batch's task fills ``req.outcome`` and calls ``reply.set()``.
        What the ``order`` event uses, so that no greenlet per buyer waits for the batch."""
        app = current_app._get_current_object()
        taps.count(req.session_id)  # the post-live report's "taps", whatever the answer
        req.done = reply
        window = app.config.get("LIVE_ORDER_BATCH_MS", 5) / 1000
        if window <= 0:  # merging off: one transaction per order (the baseline the benchmark compares with)
            _answer(req, settle_requests(app, [req])[0])
            return
        with self._lock:
            self._queues.setdefault(req.offer_id, []).append(req)
            start = req.offer_id not in self._active
            self._active.add(req.offer_id)
        if start:
            collector.burst.hold()  # released by ``_drain``: no collection walks the queued requests
            try:
                socketio.start_background_task(self._drain, app, req.offer_id, window)
            except BaseException:
                collector.burst.release()
                raise

    def _drain(self, app, offer_id: int, window: float) -> None:
        """The offer's batches, one after another, until its queue is empty. Should anything outside a batch's
        settling fail, whoever is still queued is answered "unavailable" and the offer is free for the next
        task: a crashed task must not leave its offer taking requests nobody will answer."""
        try:
            self._batches(app, offer_id, window)
        except Exception:
            log.exception("live order task crashed")
            with self._lock:
                stranded = self._queues.pop(offer_id, None) or []
                self._active.discard(offer_id)
            for req in stranded:
                _answer(req, _fail(ErrorCode.UNAVAILABLE))
        finally:
            collector.burst.release()

    def _batches(self, app, offer_id: int, window: float) -> None:
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
            collector.burst.due()
            started = time.monotonic()
            try:
                outcomes = settle_requests(app, batch)
            except Exception:  # never leave a buyer waiting
                log.exception("live order batch crashed")
                outcomes = [_fail(ErrorCode.UNAVAILABLE) for _ in batch]
            settled = time.monotonic()
            for req, outcome in zip(batch, outcomes, strict=True):
                _answer(req, outcome)
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "live order batch of %d: waited %.0f–%.0f ms, settled in %.0f ms",
                    len(batch),
                    (started - batch[-1].arrived) * 1000,
                    (started - batch[0].arrived) * 1000,
                    (settled - started) * 1000,
                )

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


def order_request(
    user_id: int, auth_version: int | None, session_id: int, offer_id: object, qty: object, key: object
) -> OrderRequest:
    """The one way into live ordering, whoever asks: the ``order`` event, "chốt" in the chat and the checkout
    sheet all check the request here, then go to the merged batch that settles it (``submit_order`` waits for
    it; the ``order`` event is answered by the batch, ``merger.submit_later``)."""
    from market.live.messages import live_error
    from market.orders.service import check_key, check_qty

    parsed = parse_id(offer_id, text=False)
    if parsed is None:
        raise live_error(ErrorCode.INVALID, reason="unknown_offer")
    return OrderRequest(
        user_id=user_id,
        auth_version=auth_version,
        session_id=session_id,
        offer_id=parsed,
        qty=check_qty(qty),
        key=check_key(key),  # the rate limit is counted with the batch (settle_requests)
    )


def submit_order(
    user_id: int, auth_version: int | None, session_id: int, offer_id: object, qty: object, key: object
) -> Outcome:
    """``order_request``, then wait for its batch's outcome."""
    return merger.submit(order_request(user_id, auth_version, session_id, offer_id, qty, key))


def outcome_ack(outcome: Outcome) -> dict:
    """The ``order`` ack of an outcome, in the current language."""
    from market.live.messages import error_ack

    if outcome.ok:
        return {"ok": True, "order": outcome.order, "remaining": outcome.remaining}
    ack = error_ack(outcome.code, **outcome.params)
    if outcome.code == ErrorCode.SOLD_OUT:
        ack["remaining"] = outcome.params.get("remaining", 0)
    return ack
