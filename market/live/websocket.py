"""The websocket under Engine.IO (RFC 6455), lean enough for a crowd: python-engineio's driver interface
(``__call__(environ, start_response)``, ``wait``, ``send``, ``close``) in place of simple-websocket's.

Why not simple-websocket, measured (docs/performance.md, "A crowd against Node, fourth round"):
- **The handshake.** simple-websocket rebuilds the request's bytes from the WSGI environ and parses them again
  with h11 (through wsproto), then has wsproto build the 101 answer: 7–9 % of the server's CPU while a crowd
  comes and goes. The environ already holds every header; the answer is one SHA-1 and one ``sendall``.
- **A frame read where it is handled.** simple-websocket reads in a greenlet of its own per socket, parses with
  wsproto's event machinery and wakes Engine.IO's handler greenlet through an ``Event`` for every frame: two
  greenlets and two switches per heart. Here the handler greenlet reads and parses its frames itself: one
  greenlet fewer per socket (its stack and its switches).
- **No permessage-deflate.** Every browser offers it; this server declines it (RFC 7692 §5: an answer without
  the extension), so browsers send plain frames. What a viewer sends is a few dozen bytes (a heart, an order,
  a chat line) where deflate saves nothing and costs an inflate per frame and a zlib context per socket; what
  the server sends was already sent uncompressed (``frame_of``: one frame per broadcast for every socket).

Bad input closes the socket with the status RFC 6455 gives (1002 protocol error, 1007 text that is not UTF-8,
1009 too big) before the rest of a too-big frame is read; a bad handshake gets a 400 (or a 426 for another
protocol version) and never reaches the room. Nothing here is specific to the live room.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import socket
from collections.abc import Callable
from typing import Any

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x1, 0x2, 0x8, 0x9, 0xA
_KNOWN_OPCODES = frozenset((0x0, _TEXT, _BINARY, _CLOSE, _PING, _PONG))
_RECV = 65536
_FRAMES_KEPT = 256  # strings whose frame is kept: one tick's broadcasts, far fewer than a crowd's sockets
_frames: dict[int, tuple[str, bytes]] = {}

PROTOCOL_ERROR, INVALID_TEXT, TOO_BIG, NORMAL = 1002, 1007, 1009, 1000
_ECHOED = frozenset((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011))  # a peer's status sent back as it is


class Refused(Exception):
    """The peer broke the protocol: the socket is closed with ``code``."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


class Raw(bytes):
    """Bytes already framed (a pong, or the rest of a frame a socket took only part of): written as they are."""


# -- frames ---------------------------------------------------------------------------------------------------------
def frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame (RFC 6455 §5.2): what a server sends."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


def text_frame(text: str) -> bytes:
    """One final, unmasked websocket text frame carrying ``text``."""
    return frame(_TEXT, text.encode())


def frame_of(text: str) -> bytes:
    """The frame of ``text``, made once per string object: a broadcast hands the same string to every socket
    (server frames are not masked, so one message's bytes are the same for all of them)."""
    kept = _frames.get(id(text))
    if kept is not None and kept[0] is text:
        return kept[1]
    made = text_frame(text)
    if len(_frames) >= _FRAMES_KEPT:
        _frames.clear()
    _frames[id(text)] = (text, made)
    return made


def close_frame(code: int, reason: str = "") -> bytes:
    """A close frame with its status; the reason cut to fit a control frame's 125 bytes."""
    return frame(_CLOSE, code.to_bytes(2, "big") + reason.encode()[:120])


def unmask(data: bytes, mask: bytes) -> bytes:
    """A client frame's payload, unmasked (RFC 6455 §5.3) with one big-integer XOR rather than a loop per byte."""
    n = len(data)
    if not n:
        return b""
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "little")
    return (int.from_bytes(data, "little") ^ key).to_bytes(n, "little")


# -- the handshake --------------------------------------------------------------------------------------------------
def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept (RFC 6455 §4.2.2): SHA-1 as the protocol fixes it, a proof of the handshake, not a
    secret."""
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID, usedforsecurity=False).digest()).decode()


def handshake_refusal(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """The HTTP answer to a request that is not a websocket opening handshake we accept (RFC 6455 §4.2.1),
    or None for one that is."""
    plain = [("Content-Type", "text/plain; charset=utf-8")]
    connection = {t.strip().lower() for t in environ.get("HTTP_CONNECTION", "").split(",")}
    if environ.get("HTTP_UPGRADE", "").lower() != "websocket" or "upgrade" not in connection:
        return "400 Bad Request", plain, b"Not a websocket upgrade"
    if environ.get("HTTP_SEC_WEBSOCKET_VERSION", "").strip() != "13":
        return "426 Upgrade Required", [*plain, ("Sec-WebSocket-Version", "13")], b"Websocket version 13 only"
    try:
        key = base64.b64decode(environ.get("HTTP_SEC_WEBSOCKET_KEY", ""), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 16:
        return "400 Bad Request", plain, b"Bad Sec-WebSocket-Key"
    return None


def accept_answer(environ: dict[str, Any]) -> bytes:
    """The 101 answer: no subprotocol, no extension (permessage-deflate declined, see above)."""
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(environ['HTTP_SEC_WEBSOCKET_KEY'].strip())}\r\n\r\n"
    ).encode()


def socket_of(environ: dict[str, Any]) -> tuple[Any, str]:
    """The client's socket in the servers this project runs under, and which server it is (what to do after
    the websocket ends differs): gunicorn (production), gevent's WSGI server (``make run``, the tests),
    Werkzeug's (threading)."""
    if "gunicorn.socket" in environ:
        return environ["gunicorn.socket"], "gunicorn"
    if "werkzeug.socket" in environ:
        return environ["werkzeug.socket"], "werkzeug"
    stream: Any = environ.get("wsgi.input")
    if not hasattr(stream, "raw") and hasattr(stream, "rfile"):
        stream = stream.rfile
    raw = getattr(getattr(stream, "raw", None), "_sock", None)
    if raw is None:
        raise RuntimeError("Cannot obtain the socket from this WSGI server's environ")
    # gevent's WSGI server closes its own socket when the request ends: the websocket keeps a copy
    return raw.dup(), "gevent"


# -- the driver -----------------------------------------------------------------------------------------------------
class WebSocket:
    """python-engineio's websocket driver. ``engineio.Socket._websocket_handler`` (``app``) reads with ``wait``
    in the request's greenlet; its writer greenlet writes with ``send`` and, at its end, ``close``. So every
    frame is written by the writer, in order: the reader only reads, and asks for a pong through ``deliver``
    and for a closing status through ``close_code``. ``market.live.wire`` also writes frames straight to
    ``sock`` when nothing waits before them (``writing`` says when ``send`` may be inside a frame) and routes
    ``deliver`` through the same order."""

    writing = False

    def __init__(self, handler: Any, server: Any, **_ignored: Any):
        self.app, self.server = handler, server
        self.sock: Any = None
        self.connected = False
        self.close_code, self.close_reason = NORMAL, ""
        self.max_size = int(getattr(server, "max_http_buffer_size", 1_000_000))
        self.deliver: Callable[[bytes], None] = self._deliver_now
        self._buf = b""
        self._lock: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        refusal = handshake_refusal(environ)
        if refusal is not None:
            status, headers, body = refusal
            self._abandon_engineio_socket()
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]
        sock, mode = socket_of(environ)
        handler: Any = getattr(start_response, "__self__", None)
        if mode == "gevent" and handler is not None:
            handler.close_connection = True  # gevent's WSGI server: no next request once the websocket ends
        idle = getattr(self.server, "ping_interval", 25) + getattr(self.server, "ping_timeout", 20)
        sock.settimeout(idle)  # a peer silent past Engine.IO's ping deadline, or not reading, is gone
        sock.sendall(accept_answer(environ))
        self.sock, self.connected = sock, True
        try:
            answer = self.app(self)
        finally:
            self.connected = False
            sock.close()
        if mode == "gunicorn":
            raise StopIteration()  # gunicorn: the connection is over, write no HTTP response
        if mode == "werkzeug":
            raise ConnectionError()
        return answer

    def _abandon_engineio_socket(self) -> None:
        """A refused handshake that was a new connection: Engine.IO opened its session before asking for the
        websocket; close it now rather than let it wait for its ping timeout. A refused upgrade of a polling
        session leaves that session as it was (it goes on polling)."""
        eio_socket = getattr(self.app, "__self__", None)
        if eio_socket is not None and not eio_socket.connected:
            eio_socket.close(wait=False, abort=True)

    # -- writing (the writer greenlet) ------------------------------------------------------------------------------
    def send(self, message: str | bytes) -> None:
        """A text message as its shared frame, ``Raw`` as it is, other bytes as a binary frame."""
        if type(message) is Raw:
            data: bytes = message
        elif isinstance(message, str):
            data = frame_of(message)
        else:
            data = frame(_BINARY, bytes(message))
        if not self._write(data):
            raise OSError("websocket closed")

    def close(self) -> None:
        """The last write: a close frame (the peer's status echoed, or why this side ends it), then the reader
        is woken (its ``wait`` returns None) and Engine.IO's handler ends."""
        try:
            self._write(close_frame(self.close_code, self.close_reason), last=True)
        except OSError:
            pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _write(self, data: bytes, last: bool = False) -> bool:
        """One whole frame at a time (a pong the reader asks for never cuts into the writer's frame); False
        once the connection is over. ``last``: nothing is written after it."""
        if self._lock is None:
            self._lock = _lock_for(self.sock)
        with self._lock:
            if not self.connected:
                return False
            if last:
                self.connected = False  # before the write: a direct write (wire) must not follow it
            self.writing = True
            try:
                self.sock.sendall(data)
            finally:
                self.writing = False
            return True

    def _deliver_now(self, data: bytes) -> None:
        """A pong, when no ``market.live.wire`` orders the writes (threading): one frame at a time, like the rest."""
        self.send(Raw(data))

    # -- reading (the request's greenlet) ---------------------------------------------------------------------------
    def wait(self) -> str | bytes | None:
        """The next message, or None once the connection is over: closed by the peer (the writer echoes its
        status), broken or timed out, or refused for bad input (the writer closes with the status that says
        why)."""
        try:
            return self._message()
        except Refused as refused:
            self.close_code, self.close_reason = refused.code, refused.reason
            return None
        except (OSError, EOFError):
            self.connected = False  # nothing more can be written either
            return None

    def _message(self) -> str | bytes | None:
        parts: list[bytes] = []
        kind = 0
        size = 0
        while True:
            fin, opcode, payload = self._frame()
            if opcode >= _CLOSE:
                if opcode == _CLOSE:
                    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else NORMAL
                    self.close_code = code if code in _ECHOED else NORMAL
                    return None
                if opcode == _PING:
                    self.deliver(frame(_PONG, payload))
                continue  # a pong
            if opcode:  # the first frame of a message
                if kind:
                    raise Refused(PROTOCOL_ERROR, "A new message inside a fragmented one")
                kind = opcode
            elif not kind:
                raise Refused(PROTOCOL_ERROR, "A continuation of nothing")
            size += len(payload)
            if size > self.max_size:
                raise Refused(TOO_BIG, "Message is too big")
            parts.append(payload)
            if fin:
                data = parts[0] if len(parts) == 1 else b"".join(parts)
                if kind == _BINARY:
                    return data
                try:
                    return data.decode()
                except UnicodeDecodeError:
                    raise Refused(INVALID_TEXT, "Text is not UTF-8") from None

    def _frame(self) -> tuple[bool, int, bytes]:
        """One client frame: (final, opcode, unmasked payload)."""
        buf = self._fill(2)
        b0, b1 = buf[0], buf[1]
        opcode = b0 & 0x0F
        if b0 & 0x70 or opcode not in _KNOWN_OPCODES:
            raise Refused(PROTOCOL_ERROR, "Unknown opcode or extension bits")  # no extension was negotiated
        if not b1 & 0x80:
            raise Refused(PROTOCOL_ERROR, "Client frames must be masked")
        n = b1 & 0x7F
        head = 6
        if opcode >= _CLOSE and (n > 125 or not b0 & 0x80):
            raise Refused(PROTOCOL_ERROR, "Bad control frame")
        if n == 126:
            buf = self._fill(8)
            n, head = int.from_bytes(buf[2:4], "big"), 8
        elif n == 127:
            buf = self._fill(14)
            n, head = int.from_bytes(buf[2:10], "big"), 14
        if n > self.max_size:
            raise Refused(TOO_BIG, "Message is too big")  # before reading it
        buf = self._fill(head + n)
        payload = unmask(buf[head : head + n], buf[head - 4 : head])
        self._buf = buf[head + n :]
        return bool(b0 & 0x80), opcode, payload

    def _fill(self, need: int) -> bytes:
        """The buffer, read from the socket until it holds ``need`` bytes."""
        buf = self._buf
        while len(buf) < need:
            chunk = self.sock.recv(max(_RECV, need - len(buf)))
            if not chunk:
                raise EOFError
            buf = buf + chunk if buf else chunk
        self._buf = buf
        return buf


def _lock_for(sock: Any) -> Any:
    """A lock that blocks the right thing: a greenlet for a gevent socket, a thread otherwise."""
    import gevent.socket

    if isinstance(sock, gevent.socket.socket):
        import gevent.lock

        return gevent.lock.Semaphore()
    import threading

    return threading.Lock()
