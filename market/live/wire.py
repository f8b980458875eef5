"""The websocket transport's two per-message costs that a crowd multiplies, cut (measured in docs/performance.md).

1. **A frame per message, made once.** python-socketio already encodes a room broadcast once (one Engine.IO
   packet, one string, handed to every participant's writer); simple-websocket then had wsproto frame that
   string again for every socket (~14 µs each here, ~32 µs when the browser negotiated permessage-deflate:
   browsers always offer it, and every frame was then compressed per socket). Server frames are not masked, so
   one text frame's bytes are the same for every socket: ``send`` frames a string once (kept by identity for
   the next sockets of the same broadcast) and writes those bytes. Frames go uncompressed whatever was
   negotiated: RFC 7692 §6 lets a sender leave any message uncompressed (RSV1 clear), and a live room's
   messages are a few hundred bytes.
2. **Hearts handled where they are read.** python-socketio starts a greenlet per incoming event (~15–30 µs of
   CPU here). A heart is counted in memory and answered with nothing, so it runs in the socket's reading
   greenlet instead; every other event keeps its own greenlet (they wait on the database or on a batch).

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

Only the simple-websocket driver (gevent's default here, and threading) is changed; gevent-websocket, if
installed, keeps its own framing. Direct writes need gevent's socket (its non-blocking kernel socket, and no
other thread racing the writer): under threading every message keeps the queue.
"""

from __future__ import annotations

import time

from engineio import packet as eio_packet
from engineio import socket as eio_socket

INLINE_EVENTS = frozenset({"heart"})
_FRAMES_KEPT = 256  # strings whose frame is kept: one tick's broadcasts, far fewer than a crowd's sockets
_frames: dict[int, tuple[str, bytes]] = {}


def text_frame(text: str) -> bytes:
    """One final, unmasked websocket text frame (RFC 6455 §5.2) carrying ``text``."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        head = bytes((0x81, n))
    elif n < 65536:
        head = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return head + payload


def frame_of(text: str) -> bytes:
    """The frame of ``text``, made once per string object: a broadcast hands the same string to every socket."""
    kept = _frames.get(id(text))
    if kept is not None and kept[0] is text:
        return kept[1]
    frame = text_frame(text)
    if len(_frames) >= _FRAMES_KEPT:
        _frames.clear()
    _frames[id(text)] = (text, frame)
    return frame


class _Tail(bytes):
    """The unsent end of a frame written straight to a socket that took only part of it: sent as it is."""


class _Rest:
    """A queue item for the socket's writer greenlet carrying a ``_Tail`` (it calls ``encode()`` on each item)."""

    __slots__ = ("tail",)
    packet_type = eio_packet.MESSAGE

    def __init__(self, tail: _Tail):
        self.tail = tail

    def encode(self) -> _Tail:
        return self.tail


def _send(self, message) -> None:
    """SimpleWebSocketWSGI.send (the writer greenlet's write): a text message as its shared frame, a ``_Tail``
    as it is, bytes (binary packets) as before; ``writing`` while it may wait for the socket."""
    self.writing = True
    try:
        if type(message) is _Tail or isinstance(message, str):
            if not self.ws.connected:
                raise OSError("websocket closed")  # what the driver's own send raises for a closed socket
            self.ws.sock.sendall(message if type(message) is _Tail else frame_of(message))
            return None
        return _plain_send(self, message)
    finally:
        self.writing = False


def _write_now(sock, pkt) -> bool:
    """Write ``pkt`` to the kernel now if nothing of this socket's waits before it (see 3. above); False when
    it must take the queue. Never waits: a full socket gets the rest of the frame queued for its writer."""
    ws = getattr(sock, "wire_ws", None)
    if (
        ws is None
        or ws.writing
        or sock.queue.qsize()
        or not sock.upgraded
        or sock.upgrading
        or pkt.packet_type != eio_packet.MESSAGE
        or pkt.binary
        or not ws.ws.connected
    ):
        return False
    frame = frame_of(pkt.encode())
    try:
        sent = ws.ws.sock._sock.send(frame)  # gevent's kernel socket (non-blocking); a closed one raises EBADF
    except BlockingIOError:
        sent = 0
    except OSError:
        return False
    if sent < len(frame):
        _queue(sock, _Rest(_Tail(frame[sent:])))
    return True


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

    if type(getattr(getattr(ws, "ws", None), "sock", None)) is gevent.socket.socket:
        self.wire_ws, self.wire_fed = ws, time.monotonic()
    try:
        return _plain_handler(self, ws)
    finally:
        self.wire_ws = None


_plain_send = None
_plain_handler = None


def install(server) -> None:
    """Apply the three to this python-socketio ``server`` (called once per app; idempotent)."""
    global _plain_send, _plain_handler
    try:
        from engineio.async_drivers import _websocket_wsgi
    except ImportError:  # pragma: no cover - a python-engineio without the simple-websocket driver
        _websocket_wsgi = None
    if _websocket_wsgi is not None and _plain_send is None:
        _plain_send = _websocket_wsgi.SimpleWebSocketWSGI.send
        _websocket_wsgi.SimpleWebSocketWSGI.send = _send
        _websocket_wsgi.SimpleWebSocketWSGI.writing = False
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
        if getattr(target, "__func__", None) is handle and args[3] and args[3][0] in INLINE_EVENTS:
            return target(*args, **kwargs)
        return spawn(target, *args, **kwargs)

    server.start_background_task = start_background_task
    server._inline_events = True
