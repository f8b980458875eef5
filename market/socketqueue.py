"""The Socket.IO message queue over Redis, made to survive Redis going away.

python-socketio's ``RedisManager`` shares emits between server processes. When Redis stops it backs off up
to 60 s before subscribing again (viewers on other processes would miss updates long after Redis is back),
tries to publish twice per emit with an ERROR log each time (a storm of emits, a storm of logs), and says
nothing to the sockets it serves. ``QueueManager`` keeps its protocol and changes what happens around it:

- resubscribes every ``RETRY_MAX_S`` at most, so a process hears the others again a moment after Redis
  returns;
- tells this process's sockets when the queue is lost and back: ``relay {ok: false}`` then
  ``relay {ok: true}`` (the live page shows "reconnecting", then takes a fresh snapshot, so what it missed
  meanwhile is caught up);
- while the queue is down, emits still reach this process's own sockets (the manager handles them here
  before publishing) and publishing is tried again at most every ``PUBLISH_RETRY_S``, logged once per outage;
- ``close_room(room, namespace)`` disconnects the sockets of a room in every process (a user who logged out
  or was banned, whichever process holds their sockets).
"""

from __future__ import annotations

import json
import logging
import time

import socketio

from market.socketrooms import IndexedRooms, LocalManager

log = logging.getLogger(__name__)

RETRY_MAX_S = 2.0
PUBLISH_RETRY_S = 0.5
RELAY_EVENT = "relay"
RELAY_NAMESPACES = ("/live", "/notify")
_CLOSE_ROOM = "chophien_close_room"
_CLOSE_ROOM_BYTES = _CLOSE_ROOM.encode()


class QueueManager(IndexedRooms, socketio.RedisManager):
    name = "chophien-redis"

    def __init__(self, url: str, channel: str, redis_options: dict | None = None):
        options = {"socket_connect_timeout": 2, "socket_keepalive": True, **(redis_options or {})}
        super().__init__(url, channel=channel, redis_options=options)
        self.up: bool | None = None  # None until the first subscription
        self._publish_blocked_until = 0.0

    # -- state --------------------------------------------------------------------------------------
    def _set_up(self, up: bool, why: str = "") -> None:
        was, self.up = self.up, up
        if was is None or was == up:
            if was is None and not up:
                log.warning("socket.io queue: Redis unreachable at start (%s); retrying", why)
            return
        if up:
            log.warning("socket.io queue: Redis is back; sockets of this process resync")
        else:
            log.warning("socket.io queue: Redis lost (%s); other processes' updates wait until it returns", why)
        for namespace in RELAY_NAMESPACES:
            try:
                self.server.emit(RELAY_EVENT, {"ok": up}, namespace=namespace, ignore_queue=True)
            except Exception:  # a socket closing meanwhile must not stop the listener
                log.exception("could not tell sockets on %s about the queue", namespace)

    # -- receiving ----------------------------------------------------------------------------------
    def _redis_listen_with_retries(self):  # the parent's loop, with a short cap and state changes
        retry = 0.25
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                retry = 0.25
                self._set_up(True)
                yield from self.pubsub.listen()
            except Exception as exc:
                self._set_up(False, exc.__class__.__name__)
                self.connected = False
                self._close_quietly()
                time.sleep(retry)
                retry = min(retry * 2, RETRY_MAX_S)

    def _close_quietly(self) -> None:
        for closer in (getattr(self.pubsub, "close", None), getattr(self.redis, "close", None)):
            try:
                if closer:
                    closer()
            except Exception:  # noqa: S110 - it is gone already
                pass

    def _listen(self):
        for message in super()._listen():
            if isinstance(message, bytes) and _CLOSE_ROOM_BYTES in message:
                try:
                    data = json.loads(message)
                except ValueError:
                    data = None
                if isinstance(data, dict) and data.get("method") == _CLOSE_ROOM:
                    if data.get("host_id") != self.host_id:
                        self._close_local(data.get("room"), data.get("namespace"))
                    continue
            yield message

    # -- sending ------------------------------------------------------------------------------------
    def _publish(self, data):
        now = time.monotonic()
        if now < self._publish_blocked_until:
            return None
        try:
            if not self.connected:
                self._redis_connect()
            return self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as exc:
            self.connected = False
            self._publish_blocked_until = now + PUBLISH_RETRY_S
            if self.up is not False:
                log.warning(
                    "socket.io queue: cannot publish (%s); this process's sockets still hear it", exc.__class__.__name__
                )
            return None

    # -- closing a room everywhere ------------------------------------------------------------------
    def close_room_sockets(self, room: str, namespace: str) -> int:
        closed = self._close_local(room, namespace)
        self._publish({"method": _CLOSE_ROOM, "room": room, "namespace": namespace, "host_id": self.host_id})
        return closed

    def _close_local(self, room, namespace) -> int:
        return close_local_sockets(self.server, room, namespace)


def close_local_sockets(server, room, namespace) -> int:
    """Disconnect this process's sockets of ``room``; returns how many."""
    if not isinstance(room, str) or not isinstance(namespace, str):
        return 0
    closed = 0
    for sid, _eio_sid in list(server.manager.get_participants(namespace, room)):
        try:
            server.disconnect(sid, namespace=namespace, ignore_queue=True)
            closed += 1
        except Exception:  # a socket closing meanwhile must not stop the others
            log.exception("could not disconnect socket %s", sid)
    return closed


def close_room(room: str, namespace: str) -> int:
    """Disconnect every socket of ``room`` on ``namespace``: in this process at once, in the others through the
    queue. Returns how many this process closed."""
    from market.extensions import socketio as flask_socketio

    server = flask_socketio.server
    if server is None:
        return 0
    manager = server.manager
    if isinstance(manager, QueueManager):
        return manager.close_room_sockets(room, namespace)
    return close_local_sockets(server, room, namespace)


def make_manager(app) -> QueueManager | LocalManager:
    """The Redis queue with ``REDIS_URL``, else this process's rooms; both index each socket's rooms."""
    url = app.config.get("REDIS_URL")
    if not url:
        return LocalManager()
    return QueueManager(url, channel=app.config["SOCKETIO_CHANNEL"])
