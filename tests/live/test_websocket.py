"""The websocket under Engine.IO (market/live/websocket.py), read and written over a real socket pair: the
handshake's answers, frames as a browser sends them (masked, fragmented, cut anywhere by TCP), and bad input
closed with the status RFC 6455 names. The same over real servers: tests/live/test_servers.py."""

import os

import gevent
import gevent.socket
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.live.websocket import (
    WebSocket,
    accept_answer,
    accept_key,
    close_frame,
    handshake_refusal,
    text_frame,
    unmask,
)
from tests.live.conftest import masked


class _Server:
    max_http_buffer_size = 1000
    ping_interval, ping_timeout = 25, 20


def served(max_size: int = 1000) -> tuple[WebSocket, gevent.socket.socket]:
    server_end, peer = gevent.socket.socketpair()
    server = _Server()
    server.max_http_buffer_size = max_size
    ws = WebSocket(None, server)
    ws.sock, ws.connected = server_end, True
    return ws, peer


def read(ws: WebSocket) -> list:
    """Every message until the connection is over (None), from the reader's side."""
    out = []
    with gevent.Timeout(5):
        while (msg := ws.wait()) is not None:
            out.append(msg)
    return out


# -- the handshake --------------------------------------------------------------------------------------------------
UPGRADE = {
    "REQUEST_METHOD": "GET",
    "HTTP_UPGRADE": "websocket",
    "HTTP_CONNECTION": "keep-alive, Upgrade",
    "HTTP_SEC_WEBSOCKET_VERSION": "13",
    "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
    "HTTP_SEC_WEBSOCKET_EXTENSIONS": "permessage-deflate; client_max_window_bits",
}


def test_the_answer_is_rfc_6455s_and_declines_every_extension():
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3's example
    assert handshake_refusal(UPGRADE) is None
    answer = accept_answer(UPGRADE).decode()
    assert answer.startswith("HTTP/1.1 101 Switching Protocols\r\n") and answer.endswith("\r\n\r\n")
    assert "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in answer
    assert "Extensions" not in answer and "Protocol:" not in answer


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"HTTP_UPGRADE": "h2c"}, "400 Bad Request"),
        ({"HTTP_CONNECTION": "keep-alive"}, "400 Bad Request"),
        ({"HTTP_SEC_WEBSOCKET_VERSION": "8"}, "426 Upgrade Required"),
        ({"HTTP_SEC_WEBSOCKET_KEY": "not base64!"}, "400 Bad Request"),
        ({"HTTP_SEC_WEBSOCKET_KEY": "c2hvcnQ="}, "400 Bad Request"),  # 5 bytes, not 16
        ({"HTTP_SEC_WEBSOCKET_KEY": ""}, "400 Bad Request"),
    ],
)
def test_a_handshake_that_is_not_one_is_refused_with_the_status_that_says_why(change, status):
    refusal = handshake_refusal({**UPGRADE, **change})
    assert refusal is not None and refusal[0] == status
    if status.startswith("426"):
        assert ("Sec-WebSocket-Version", "13") in refusal[1]


class _Session:
    """The Engine.IO socket whose ``_websocket_handler`` the driver serves."""

    def __init__(self, connected: bool):
        self.connected, self.upgraded, self.closed = connected, False, False

    def close(self, wait=True, abort=False):
        self.closed = True

    def _websocket_handler(self, ws):
        raise AssertionError("a refused handshake never reaches the handler")


@pytest.mark.parametrize("polling_first", [False, True])
def test_a_refused_handshake_closes_a_new_session_and_leaves_a_polling_one(polling_first):
    session = _Session(connected=polling_first)
    answered = []
    body = WebSocket(session._websocket_handler, _Server())(
        {**UPGRADE, "HTTP_SEC_WEBSOCKET_VERSION": "8"}, lambda status, headers: answered.append(status)
    )
    assert answered == ["426 Upgrade Required"] and body == [b"Websocket version 13 only"]
    assert session.closed is not polling_first


# -- reading --------------------------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(min_size=4, max_size=4))
def test_unmasking_is_the_xor_of_rfc_6455_section_5_3(data, mask):
    assert unmask(data, mask) == bytes(b ^ mask[i % 4] for i, b in enumerate(data))


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(st.one_of(st.text(max_size=200), st.binary(max_size=200)), min_size=1, max_size=5),
    pieces=st.integers(min_value=1, max_value=4),
    cuts=st.lists(st.integers(min_value=1, max_value=50), max_size=20),
    pings=st.booleans(),
)
def test_messages_read_back_whatever_the_fragments_and_the_tcp_segments(messages, pieces, cuts, pings):
    """Each message split into ``pieces`` frames (a ping between them when ``pings``), the bytes delivered in
    arbitrary segments: the reader gives back exactly the messages, in order, and answers each ping."""
    ws, peer = served(max_size=10_000)
    pongs = []
    ws.deliver = pongs.append
    wire, sent_pings = b"", 0
    for message in messages:
        payload = message.encode() if isinstance(message, str) else message
        opcode = 0x1 if isinstance(message, str) else 0x2
        step = max(1, -(-len(payload) // pieces))
        chunks = [payload[i : i + step] for i in range(0, len(payload), step)] or [b""]
        for i, chunk in enumerate(chunks):
            wire += masked(opcode if i == 0 else 0x0, chunk, fin=i == len(chunks) - 1)
            if pings and i < len(chunks) - 1:
                wire += masked(0x9, b"p")
                sent_pings += 1
    wire += masked(0x8, (1000).to_bytes(2, "big"))

    def send():
        rest, i = wire, 0
        while rest:
            n = cuts[i % len(cuts)] if cuts else len(rest)
            peer.sendall(rest[:n])
            rest, i = rest[n:], i + 1
            gevent.sleep(0)

    writer = gevent.spawn(send)
    assert read(ws) == messages
    writer.join()
    assert ws.close_code == 1000
    assert pongs == [bytes((0x8A, 1)) + b"p"] * sent_pings


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        (bytes((0x81, 5)) + b"hello", 1002),  # not masked
        (masked(0x1, b"x", rsv=0x40), 1002),  # compressed: permessage-deflate was declined
        (masked(0x3, b"x"), 1002),  # an opcode RFC 6455 reserves
        (masked(0x0, b"x"), 1002),  # a continuation of nothing
        (masked(0x1, b"a", fin=False) + masked(0x1, b"b"), 1002),  # a new message inside a fragmented one
        (masked(0x9, b"x", fin=False), 1002),  # a fragmented ping
        (masked(0x1, b"\xff\xfe"), 1007),  # text that is not UTF-8
        (masked(0x1, b"x" * 1001), 1009),  # over the size allowed
        (masked(0x1, b"x" * 600, fin=False) + masked(0x0, b"x" * 600), 1009),  # over it in pieces
    ],
    ids=[
        "unmasked",
        "compressed",
        "reserved",
        "lone-continuation",
        "interleaved",
        "fragmented-ping",
        "not-utf8",
        "too-big",
        "too-big-in-pieces",
    ],
)
def test_bad_input_ends_the_connection_with_the_status_rfc_6455_names(frames, code):
    ws, peer = served()
    peer.sendall(masked(0x1, b"before") + frames)
    assert read(ws) == ["before"]
    assert ws.close_code == code
    ws.close()  # what the writer greenlet does next
    got = peer.recv(200)
    assert got[:4] == bytes((0x88, got[1])) + code.to_bytes(2, "big")
    assert peer.recv(10) == b""  # and the connection is closed


def test_a_frame_claiming_too_much_is_refused_before_it_is_read():
    """A header announcing 2**40 bytes: refused on the header, without waiting for (or buffering) them."""
    ws, peer = served()
    peer.sendall(bytes((0x82, 0x80 | 127)) + (2**40).to_bytes(8, "big") + os.urandom(4) + b"only a little")
    assert read(ws) == [] and ws.close_code == 1009


def test_the_peers_close_is_echoed_and_a_dropped_connection_just_ends():
    ws, peer = served()
    peer.sendall(masked(0x1, "xin chào".encode()) + masked(0x8, (1001).to_bytes(2, "big") + b"going away"))
    assert read(ws) == ["xin chào"] and ws.close_code == 1001
    ws.close()
    assert peer.recv(100) == close_frame(1001)
    ws, peer = served()
    peer.sendall(masked(0x1, b"half")[:5])
    peer.close()  # TCP dropped in the middle of a frame
    assert read(ws) == [] and not ws.connected


def test_closing_wakes_the_reader():
    """Engine.IO's writer closes the websocket (the server ends the session) while its reader waits for
    the next frame: the reader's ``wait`` returns None at once, not at the socket's timeout."""
    ws, peer = served()
    reader = gevent.spawn(ws.wait)
    gevent.sleep(0.01)
    ws.close()
    assert reader.get(timeout=2) is None
    assert peer.recv(100) == close_frame(1000)


def test_a_text_frame_is_what_the_browser_expects():
    assert text_frame("ồ") == bytes((0x81, 3)) + "ồ".encode()


def test_a_pong_never_cuts_into_a_frame_being_written_under_threads():
    """Without ``market.live.wire`` (threading), the reader's pong goes through ``send``'s lock: it waits for
    the writer's frame, half-written on a full socket, instead of landing in the middle of it."""
    import socket
    import threading
    import time

    server_end, peer = socket.socketpair()
    server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ws = WebSocket(None, _Server())
    ws.sock, ws.connected = server_end, True
    big = "b" * 300_000
    writer = threading.Thread(target=ws.send, args=(big,))
    writer.start()
    time.sleep(0.05)  # the writer is inside its frame, blocked on the full socket
    ponger = threading.Thread(target=ws.deliver, args=(bytes((0x8A, 1)) + b"p",))
    ponger.start()
    time.sleep(0.05)
    got = b""
    expect = len(text_frame(big)) + 3
    peer.settimeout(5)
    while len(got) < expect:
        got += peer.recv(65536)
    writer.join(5)
    ponger.join(5)
    assert got == text_frame(big) + bytes((0x8A, 1)) + b"p"
