"""Socket.IO "/live" namespace: the live protocol (docs/architecture.md, "Live sessions"). Each handler's docstring
says who sends it.

Handlers are thin: check the payload's shape, who is asking and how often, call a service, commit once, and
answer with an ack ``{ok: true, …}`` or ``{ok: false, error, message}`` (message in the asker's language).
Room updates are sent after commit by the services (``on_commit``) and the hub's tick.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from functools import wraps

from flask import Flask, current_app, g, request, session
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from market import ratelimit
from market.database import retry_on_conflict
from market.domain import DomainError, NotFound, parse_id
from market.extensions import db, socketio
from market.live import access, chat, offers, sessions, snapshot
from market.live.connection import (
    NAMESPACE,
    authenticate_connection,
    connection_data,
    forget_connection,
    socket_identity,
    socket_user,
    update_connection,
)
from market.live.hub import hub
from market.live.messages import error_ack, live_error
from market.live.models import LiveSession
from market.live.ordering import merger, order_request, outcome_ack, submit_order
from market.live.rooms import frames_room, host_room, room, ticks_room
from market.metrics import socket_connected
from market.orders.phone import PhoneOrderRequest, phone_order_json

log = logging.getLogger(__name__)

# Per user, per event (joins: per socket).
RATE_CHAT = "5/10 seconds"
RATE_HOST = "120/minute"
RATE_PHONE_ORDER = "60/minute"
HEARTS_PER_SECOND = 10  # per socket, counted in this process's memory: hearts never touch the database
_hearts_window: dict[str, list] = {}
# A socket lives in one process, so limits per socket are exact in this process's memory (no round trip):
# sid → times of its recent joins.
_joins: dict[str, list[float]] = {}
JOINS_PER_MINUTE = 30
# Limits per user go to the shared storage (Redis with several processes); at most this many at once, so a
# burst of a thousand orders reuses a few connections instead of opening a thousand.
_shared_gate = threading.BoundedSemaphore(16)


def _locale() -> None:
    """Answer in the socket's language without loading the user again (select_locale honours g.force_locale)."""
    g.force_locale = connection_data().get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]


def _payload(args: tuple, allow_empty: bool = False) -> dict:
    data = args[0] if args else None
    if data is None and allow_empty:
        return {}
    if not isinstance(data, dict):
        raise live_error("invalid", message=None)
    return data


def _rate(limit: str, event: str, who: object) -> None:
    """Count one ``event`` by user ``who`` against the shared limit."""
    with _shared_gate:
        allowed = ratelimit.hit(limit, f"live-{event}", str(who))
    if not allowed:
        raise live_error("rate_limited")


def _rate_join(sid: str) -> None:
    if not ratelimit.enabled():
        return
    now = time.monotonic()
    recent = [t for t in _joins.get(sid, ()) if now - t < 60]
    if len(recent) >= JOINS_PER_MINUTE:
        raise live_error("rate_limited")
    recent.append(now)
    _joins[sid] = recent


def _commit_begun() -> None:
    """Commit the transaction this connect or join began, if it began one. Most began none (the login is
    checked by ``gather`` in its own session, the snapshot comes from the hub's cache), and a commit with
    nothing begun still made, began and closed a session: 15–35 µs per socket of a crowd."""
    if db.session.registry.has() and db.session().in_transaction():
        db.session.commit()


def _user():
    user = socket_user()
    if user is None:
        raise live_error("not_logged_in")
    return user


def _joined():
    session_id = connection_data().get("session_id")
    if session_id is None:
        raise live_error("invalid", reason="not_joined")
    live_session = db.session.get(LiveSession, session_id)
    if live_session is None:
        raise live_error("invalid", reason="unknown_session")
    return live_session


def answer_errors(name: str, fn, *args):
    """Run one handler (again if PostgreSQL aborted its transaction for a deadlock); what it raises becomes its
    ack (``failure_ack``)."""
    try:
        return retry_on_conflict(fn, *args)
    except Exception as exc:
        return failure_ack(name, exc)


def failure_ack(name: str, exc: Exception) -> dict:
    """The one place that decides how a /live handler fails; the transaction is rolled back:

    - a refusal (``DomainError``): ``{ok: false, error, message}``, plus ``field`` when it is about one;
    - the database unavailable: ``unavailable``, logged as a warning (the client retries);
    - anything else is a bug: logged once with its traceback, answered ``unavailable``.
    """
    try:
        db.session.rollback()
    except Exception:  # noqa: S110 - the connection is gone; the original error is what matters
        pass
    if isinstance(exc, DomainError):
        ack = {"ok": False, "error": exc.code if exc.code != "not_found" else "invalid", "message": exc.message}
        if exc.field:  # forms show the message beside this field
            ack["field"] = exc.field
        return ack
    if isinstance(exc, (DBAPIError, PoolTimeout)):
        log.warning("live %s: database unavailable (%s)", name, exc.__class__.__name__)
    else:
        log.error("live %s failed: %s", name, exc.__class__.__name__, exc_info=exc)
    return error_ack("unavailable")


def live_event(name: str, fn):
    """A /live handler (through Flask-SocketIO: a request context per event) wrapped in ``answer_errors``."""

    @wraps(fn)
    def handler(*args):
        _locale()
        return answer_errors(name, fn, *args)

    return handler


def on_error(exc):
    """What escapes a handler not wrapped in ``answer_errors`` (connect, disconnect)."""
    if isinstance(exc, ConnectionError):  # a refused connection (bad token) is not an error
        raise exc
    return failure_ack("event", exc)


def on_connect(auth=None):
    """Any browser or client opening the live namespace; anonymous viewers may watch."""
    from market.live.tasks import ensure_started

    try:
        user = authenticate_connection(auth)
        lang = session.get("lang") if user is None else user.locale
        update_connection(locale=lang if lang in current_app.config["LANGUAGES"] else None)
        ensure_started(current_app._get_current_object())
        _commit_begun()
        socket_connected(NAMESPACE)
    except (DBAPIError, PoolTimeout) as exc:  # refused for now; the client connects again (it retries)
        db.session.rollback()
        forget_connection()
        log.warning("live connect: database unavailable (%s)", exc.__class__.__name__)
        raise ConnectionRefusedError("unavailable", error_ack("unavailable")) from None
    return True


def on_heart(sid, *_args):
    """Any viewer tapping the heart. No ack; counted per process and sent to the room coalesced.

    The busiest event (every viewer, about once a second) needs no database, no language and no Flask
    request, so it is registered with python-socketio directly: no request context is built per heart.
    """
    session_id = connection_data(sid).get("session_id")
    if session_id is None:
        return None
    now = time.monotonic()
    window = _hearts_window.setdefault(sid, [now, 0])
    if now - window[0] >= 1.0:
        window[0], window[1] = now, 0
    if window[1] >= HEARTS_PER_SECOND:
        return None
    window[1] += 1
    hub.add_heart(session_id)
    return None


def on_order(app, sid, *args):
    """A logged-in buyer ordering from a pinned offer: ``{offer_id, qty, key}``. The price is the server's.

    Sent without an ack id (no one to answer): checked and settled like the others, in a greenlet of its own.
    With one, ``on_order_later`` takes it.
    """
    with app.app_context():
        conn = connection_data(sid)
        g.force_locale = conn.get("locale") or app.config["BABEL_DEFAULT_LOCALE"]
        return answer_errors("order", lambda: outcome_ack(merger.submit(_order_request(conn, args))))


def on_order_later(app, server, sid, eio_sid, namespace, ack_id, *args) -> None:
    """The hot path of a storm (every viewer at once): read in the socket's own greenlet, checked (nothing
    here waits: no database), queued for its offer's batch, and answered by the batch's task when it settles
    (``AckLater``). A greenlet per buyer waiting for the batch cost ~15 % of a storm's CPU (its spawn, its
    switches, its app context). An app context is enough: Flask's request context is about 0.15 ms."""
    with app.app_context():
        conn = connection_data(sid)
        reply = AckLater(app, server, eio_sid, namespace, ack_id, conn.get("locale"))
        g.force_locale = reply.locale
        try:
            reply.req = _order_request(conn, args)
            merger.submit_later(reply.req, reply)
        except Exception as exc:
            reply.send(failure_ack("order", exc))


class AckLater:
    """An ``order`` event's ack, sent when its batch has settled (``Reply`` of ``merger.submit_later``), in
    the buyer's language, through python-socketio's own ack packet."""

    __slots__ = ("app", "server", "eio_sid", "namespace", "ack_id", "locale", "req")

    def __init__(self, app, server, eio_sid, namespace, ack_id, locale):
        self.app, self.server, self.eio_sid, self.namespace, self.ack_id = app, server, eio_sid, namespace, ack_id
        self.locale = locale or app.config["BABEL_DEFAULT_LOCALE"]
        self.req = None

    def set(self) -> None:
        with self.app.app_context():
            g.force_locale = self.locale
            ack = outcome_ack(self.req.outcome)
        self.send(ack)

    def send(self, ack: dict) -> None:
        from socketio import packet

        server = self.server
        server._send_packet(
            self.eio_sid, server.packet_class(packet.ACK, namespace=self.namespace, id=self.ack_id, data=[ack])
        )


def _order_request(conn: dict, args: tuple):
    if conn.get("user_id") is None:
        raise live_error("not_logged_in")
    if conn.get("session_id") is None:
        raise live_error("invalid", reason="not_joined")
    data = _payload(args)
    return order_request(
        conn["user_id"],
        conn.get("auth_version"),
        conn["session_id"],
        data.get("offer_id"),
        data.get("qty"),
        data.get("key"),
    )


def on_disconnect(*_args):
    """Sent by Socket.IO when a socket closes, whoever it was."""
    data = forget_connection()
    if data:  # a socket this process counted when it connected
        socket_connected(NAMESPACE, -1)
    hub.leave(data.get("session_id"), request.sid)
    _hearts_window.pop(request.sid, None)
    _joins.pop(request.sid, None)


def on_join(app, sid, *args):
    """A viewer (anonymous or logged in) opening a live page, or re-joining after a drop: a fresh snapshot.

    A crowd's first event, all at once, so like ``order`` it skips Flask's per-event request context (about
    0.2 ms of URL matching and session opening each): an app context is enough.
    """
    with app.app_context():
        g.force_locale = connection_data(sid).get("locale") or app.config["BABEL_DEFAULT_LOCALE"]
        return answer_errors("join", _join, sid, args)


def _join(sid: str, args: tuple) -> dict:
    data = _payload(args)
    _rate_join(sid)
    session_id = parse_id(data.get("session_id"), text=False)
    if session_id is None:
        raise live_error("invalid", reason="unknown_session")
    # Cached until a change (a chat, an offer, stock) or a counters' period: the viewers and hearts it carries
    # are a second old at most (rebuilding it every tick while thousands joined was a fifth of their CPU).
    ttl = max(current_app.config["LIVE_COALESCE_MS"], current_app.config["LIVE_COUNTERS_MS"]) / 1000
    try:  # what every joiner gets alike, built once per room and change (a crowd joins at once)
        live_session, shared = hub.cached_snapshot(session_id, ttl, lambda: snapshot.room_view(session_id))
    except NotFound:
        raise live_error("invalid", reason="unknown_session") from None
    frames = data.get("frames") is True  # one ``tick`` message per tick (tick.Frames); else separate messages
    user = socket_identity(sid)
    server = socketio.server
    previous = connection_data(sid).get("session_id")
    if previous is not None:
        for name in (room(previous), host_room(previous), ticks_room(previous), frames_room(previous)):
            server.leave_room(sid, name, namespace=NAMESPACE)
        hub.leave(previous, sid)
    moderator = access.can_moderate(live_session, user)
    server.enter_room(sid, room(session_id), namespace=NAMESPACE)
    server.enter_room(sid, frames_room(session_id) if frames else ticks_room(session_id), namespace=NAMESPACE)
    if moderator:
        server.enter_room(sid, host_room(session_id), namespace=NAMESPACE)
    hub.enter(session_id, sid, host=moderator)
    connection_data(sid)["session_id"] = session_id
    you = {
        "user_id": user.id if user else None,
        "logged_in": user is not None,
        "is_host": access.is_host(live_session, user),
        "can_moderate": moderator,
    }
    _commit_begun()
    viewers = max(shared.data["viewers"], hub.local_viewers(session_id))  # the shared one may predate this joiner
    return {"ok": True, "snapshot": shared.for_joiner(viewers, you)}  # its JSON spliced in (encoded.py)


def on_chat(*args):
    """A logged-in viewer writing in the chat: ``{text}`` (1 to 300 characters)."""
    user = _user()
    live_session = _joined()
    data = _payload(args)
    text = chat.clean_chat(data.get("text"))
    _rate(RATE_CHAT, "chat", user.id)
    message = chat.post_chat(live_session, user, text)
    db.session.commit()
    answer = _claim(live_session, user, text, message["id"])
    return {"ok": True, "chat": message, **({"chot": answer} if answer else {})}


def _claim(live_session, user, text: str, message_id: int) -> dict | None:
    """ "chốt 2" in the chat: the writer alone hears the answer (chot.py); None when the message is no claim."""
    from market.live import chot, sheet

    try:
        claim = chot.parse(text)
        if claim is None:
            return None
        offer = chot.resolve(live_session, claim)
    except DomainError as err:
        db.session.rollback()
        return err.as_ack()
    ids = (user.id, connection_data().get("auth_version"), live_session.id, offer.id)
    db.session.commit()  # no transaction held while the merged batch settles (nor opened again: ids read before)
    ack = outcome_ack(submit_order(*ids, claim.qty, f"live-chot-{message_id}"))
    if ack["ok"]:
        ack["order"] = sheet.order_json(sheet.live_order(user, live_session, ack["order"]["id"]))
        db.session.commit()
    return ack


def on_pin(*args):
    """The host pinning one of her products: ``{product_id, price_vnd, quantity, per_buyer_limit, minutes}``
    (``minutes``, 1 to 30, optional: a flash deal that closes itself when its countdown ends)."""
    user = _user()
    live_session = _joined()
    data = _payload(args)
    _rate(RATE_HOST, "host", user.id)
    offer = offers.pin_offer(
        live_session,
        user,
        data.get("product_id"),
        data.get("price_vnd"),
        data.get("quantity"),
        data.get("per_buyer_limit"),
        data.get("minutes"),
    )
    result = offers.offer_json(offer)
    db.session.commit()
    return {"ok": True, "offer": result}


def on_close_offer(*args):
    """The host unpinning an offer: ``{offer_id}``; unsold units go back to the product."""
    user = _user()
    live_session = _joined()
    data = _payload(args)
    _rate(RATE_HOST, "host", user.id)
    offer = offers.close_offer(live_session, user, data.get("offer_id"))
    db.session.commit()
    return {"ok": True, "offer": offer}


def on_start(*args):
    """The host going on air (the console's button; also a plain form)."""
    user = _user()
    live_session = _joined()
    _payload(args, allow_empty=True)
    _rate(RATE_HOST, "host", user.id)
    sessions.start_session(live_session, user)
    db.session.commit()
    return {"ok": True}


def on_end(*args):
    """The host ending the session: every open offer closes."""
    user = _user()
    live_session = _joined()
    _payload(args, allow_empty=True)
    _rate(RATE_HOST, "host", user.id)
    sessions.end_session(live_session, user)
    db.session.commit()
    return {"ok": True}


def on_remove_chat(*args):
    """The host or the commune's staff hiding a message: ``{message_id}``."""
    user = _user()
    live_session = _joined()
    data = _payload(args)
    _rate(RATE_HOST, "host", user.id)
    chat.remove_chat(live_session, user, data.get("message_id"))
    db.session.commit()
    return {"ok": True}


def on_mute(*args):
    """The host or the commune's staff muting someone in this session: ``{user_id, minutes}``."""
    user = _user()
    live_session = _joined()
    data = _payload(args)
    _rate(RATE_HOST, "host", user.id)
    entry = chat.mute(live_session, user, data.get("user_id"), data.get("minutes"))
    db.session.commit()
    return {"ok": True, "until": entry.until.isoformat()}


def on_phone_order(*args):
    """The host or a staff helper entering a caller's order: ``{phone, name, street, commune, province, offer_id,
    qty, method, key, confirm_duplicate}``. Refusals name their ``field``; ``duplicate`` asks to confirm."""
    user = _user()
    live_session = _joined()
    data = _payload(args)
    _rate(RATE_PHONE_ORDER, "phone-order", user.id)
    placed = offers.phone_order(
        live_session,
        user,
        data.get("offer_id"),
        PhoneOrderRequest(
            phone=data.get("phone"),
            name=data.get("name"),
            street=data.get("street"),
            commune=data.get("commune"),
            province=data.get("province"),
            qty=data.get("qty"),
            method=data.get("method"),
            key=data.get("key"),
            confirm_duplicate=data.get("confirm_duplicate") is True,
        ),
    )
    result = phone_order_json(placed)
    db.session.commit()
    return {"ok": True, "order": result}


# The events of a joined socket that go through Flask-SocketIO, each answered by ``answer_errors``.
EVENTS = {
    "chat": on_chat,
    "pin": on_pin,
    "close_offer": on_close_offer,
    "start": on_start,
    "end": on_end,
    "remove_chat": on_remove_chat,
    "mute": on_mute,
    "phone_order": on_phone_order,
}


def register(app: Flask) -> None:
    """The namespace's handlers, on the Socket.IO server ``socketio.init_app`` made for ``app`` (each app gets a
    new one): connect and disconnect, ``EVENTS``, and the handlers that bypass Flask's request context
    (``heart``, ``order``, ``join``) bound to python-socketio's server directly."""
    from market.live import encoded, wire

    encoded.install(socketio.server)  # the join snapshot's JSON encoded once per room change, not per joiner
    socketio.on_error(NAMESPACE)(on_error)
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", on_disconnect, namespace=NAMESPACE)
    for name, fn in EVENTS.items():
        socketio.on_event(name, live_event(name, fn), namespace=NAMESPACE)
    # one frame per broadcast, hearts handled where they are read, an order answered by its batch
    wire.install(socketio.server, later={(NAMESPACE, "order"): functools.partial(on_order_later, app)})
    socketio.server.on("heart", on_heart, namespace=NAMESPACE)
    socketio.server.on("order", functools.partial(on_order, app), namespace=NAMESPACE)
    socketio.server.on("join", functools.partial(on_join, app), namespace=NAMESPACE)
