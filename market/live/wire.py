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

Only the simple-websocket driver (gevent's default here, and threading) is changed; gevent-websocket, if
installed, keeps its own framing.
"""

from __future__ import annotations

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


def _send(self, message) -> None:
    """SimpleWebSocketWSGI.send: a text message as its shared frame; bytes (binary packets) as before."""
    if not isinstance(message, str):
        return _plain_send(self, message)
    if not self.ws.connected:
        raise OSError("websocket closed")  # what the driver's own send raises for a closed socket
    self.ws.sock.sendall(frame_of(message))
    return None


_plain_send = None


def install(server) -> None:
    """Apply both to this python-socketio ``server`` (called once per app; idempotent)."""
    global _plain_send
    try:
        from engineio.async_drivers import _websocket_wsgi
    except ImportError:  # pragma: no cover - a python-engineio without the simple-websocket driver
        _websocket_wsgi = None
    if _websocket_wsgi is not None and _plain_send is None:
        _plain_send = _websocket_wsgi.SimpleWebSocketWSGI.send
        _websocket_wsgi.SimpleWebSocketWSGI.send = _send
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
