"""The websocket transport's two per-message costs that a crowd multiplies, cut (measured in docs/performance.md).

1. **A frame per message, made once.** python-socketio already encodes a room broadcast once (one Engine.IO
   packet, one string, handed to every participant's writer); simple-websocket then had wsproto frame that
   string again for every socket (~14 µs each here, ~32 µs with permessage-deflate). Server frames are not
   masked, so one text frame's bytes are the same for every socket: the websocket (``market.live.websocket``,
   which replaces simple-websocket as python-engineio's driver) frames a string once and writes those bytes.
2. **Hearts handled where they are read.** python-socketio starts a greenlet per incoming event (~15–30 µs of
   CPU here). A heart is counted in memory and answered with nothing, so it runs in the socket's reading
   greenlet instead. An ``order`` sent with an ack id is checked there too and queued for its batch, whose
   task sends the ack (``install``'s ``later``): nobody's greenlet waits for the batch. Every other event
   keeps its own greenlet (they wait on the database).

3. **A message written where it is sent, when nothing waits before it.** python-engineio queues every packet
   for the socket's writer greenlet: a ``put``, a switch to that greenlet, a ``get`` (and a ``get`` that raises
   ``Empty``), then the write — per socket per message. Under gevent a message for a socket whose queue is
   empty and whose writer is not in the middle of a write goes straight to the kernel with one non-blocking
   ``send`` in the sender's greenlet. Everything else keeps the queue, so a socket's messages never change
   order: a queued message, a writer blocked on a full socket (``writing``), an upgrade under way, a ping
   (the writer's ``get`` waits at most ping interval + timeout for a packet, then closes the socket: pings,
   and one message a ping interval on a busy socket, keep it fed). A socket
   that takes only part of the frame (a slow reader, a full kernel buffer) gets the rest queued first for its
   writer; the sender never waits for a socket. A socket that fails the write gets the message queued as
   before, and its writer meets the error and closes it. python-engineio's per-packet ``info`` log is not
   written for these (the project runs with ``engineio_logger=False``).

The websocket driver is ``market.live.websocket.WebSocket`` under gevent and threading. Direct writes need
gevent's socket (its non-blocking kernel socket, and no other thread racing the writer): under threading
every message keeps the queue.
"""

from __future__ import annotations

import functools
import time

from engineio import packet as eio_packet
from engineio import socket as eio_socket

from market.live.websocket import Raw, WebSocket, frame_of

INLINE_EVENTS = frozenset({"heart"})
DRIVEN_MODES = frozenset({"gevent", "threading"})  # python-engineio modes whose websocket is ours


class _Rest:
    """A queue item for the socket's writer greenlet carrying ``Raw`` frame bytes (the unsent end of a frame
    written straight to a socket that took only part of it, or a pong): it calls ``encode()`` on each item."""

    __slots__ = ("tail",)
    packet_type = eio_packet.MESSAGE

    def __init__(self, tail: Raw):
        self.tail = tail

    def encode(self) -> Raw:
        return self.tail


def _write_now(sock, pkt) -> bool:
    """Write ``pkt`` to the kernel now if nothing of this socket's waits before it (see 3. above); False when
    it must take the queue. Never waits: a full socket gets the rest of the frame queued for its writer."""
    if pkt.packet_type != eio_packet.MESSAGE or pkt.binary:
        return False
    return _write_frame_now(sock, frame_of(pkt.encode()))


def _write_frame_now(sock, frame: bytes) -> bool:
    ws = getattr(sock, "wire_ws", None)
    if ws is None or ws.writing or sock.queue.qsize() or not sock.upgraded or sock.upgrading or not ws.connected:
        return False
    try:
        sent = ws.sock._sock.send(frame)  # gevent's kernel socket (non-blocking); a closed one raises EBADF
    except BlockingIOError:
        sent = 0
    except OSError:
        return False
    if sent < len(frame):
        _queue(sock, _Rest(Raw(frame[sent:])))
    return True


def _deliver(sock, frame: bytes) -> None:
    """A frame the websocket's reader must send (a pong): in order with everything else this socket writes."""
    if not _write_frame_now(sock, frame):
        _queue(sock, _Rest(Raw(frame)))


def _queue(sock, item) -> None:
    """The writer's queue, and when it was last fed: its ``get`` gives up (and closes the socket) after ping
    interval + ping timeout without a packet, so a busy socket still sends one message a ping interval through
    it, as before every message did; a silent one gets the pings, as before."""
    sock.queue.put(item)
    sock.wire_fed = time.monotonic()


def _socket_send(self, pkt) -> None:
    """engineio Socket.send: a closed or timed-out socket as before; a message written now when it can be."""
    if not self.check_ping_timeout():
        return
    if time.monotonic() - self.wire_fed > self.server.ping_interval or not _write_now(self, pkt):
        _queue(self, pkt)


def _websocket_handler(self, ws):
    """engineio Socket._websocket_handler: remembers the websocket for direct writes while it serves, gevent
    sockets only (``type is``: a TLS socket, a subclass, must keep its own ``send``)."""
    import gevent.socket

    if isinstance(ws, WebSocket) and type(ws.sock) is gevent.socket.socket:
        self.wire_ws, self.wire_fed = ws, time.monotonic()
        ws.deliver = functools.partial(_deliver, self)
    try:
        return _plain_handler(self, ws)
    finally:
        self.wire_ws = None


_plain_handler = None


def install(server, later: dict | None = None) -> None:
    """Apply the three to this python-socketio ``server`` (called once per app; idempotent). ``later`` maps
    (namespace, event) to a handler that answers its ack itself, later: called in the reading greenlet as
    ``handler(server, sid, eio_sid, namespace, ack_id, *args)`` for an event sent with an ack id, instead of a
    greenlet that would wait for the answer (the ``order`` event: its batch sends the ack)."""
    global _plain_handler
    server._answered_later = dict(later or {})
    eio = getattr(server, "eio", None)
    if eio is not None and eio.async_mode in DRIVEN_MODES and eio._async.get("websocket") is not WebSocket:
        eio._async = {**eio._async, "websocket": WebSocket}  # this server's driver; the module's table untouched
    if _plain_handler is None:
        _plain_handler = eio_socket.Socket._websocket_handler
        eio_socket.Socket._websocket_handler = _websocket_handler
        eio_socket.Socket.send = _socket_send
        eio_socket.Socket.wire_fed = 0.0
    if getattr(server, "_inline_events", False):
        return
    spawn = server.start_background_task
    handle = type(server)._handle_event_internal

    def start_background_task(target, *args, **kwargs):
        # python-socketio: start_background_task(self._handle_event_internal, self, sid, eio_sid, data, ns, id)
        if getattr(target, "__func__", None) is handle and args[3]:
            _, sid, eio_sid, data, namespace, ack_id = args
            if data[0] in INLINE_EVENTS:
                return target(*args, **kwargs)
            answer_later = server._answered_later.get((namespace, data[0]))
            if answer_later is not None and ack_id is not None:
                return answer_later(server, sid, eio_sid, namespace, ack_id, *data[1:])
        return spawn(target, *args, **kwargs)

    server.start_background_task = start_background_task
    server._inline_events = True
