"""The transport's shortcuts (market/live/wire.py): one websocket frame per broadcast, hearts handled inline.
A browser-like client reading them from a real server: tests/live/test_servers.py."""

import socketio

from market.live.websocket import frame_of, text_frame
from market.live.wire import install
from tests.live.conftest import masked


def test_one_frame_per_broadcast_is_a_valid_text_frame():
    for n in (0, 125, 126, 65535, 65536, 70000):
        text = "ồ" * (n // 3) + "x" * (n % 3)
        frame = text_frame(text)
        payload = text.encode()
        assert frame[0] == 0x81 and frame.endswith(payload)
        size = len(payload)
        if size < 126:
            assert frame[1] == size and len(frame) == 2 + size
        elif size < 65536:
            assert frame[1] == 126 and int.from_bytes(frame[2:4], "big") == size
        else:
            assert frame[1] == 127 and int.from_bytes(frame[2:10], "big") == size
    text = '42/live,["stock",{"offer_id":1,"remaining":4}]'
    assert frame_of(text) is frame_of(text)  # one frame for every socket of a broadcast
    other = "".join(['42/live,["stock",{"offer_id":1,"remaining":4}', "]"])  # equal, another object
    assert frame_of(other) == frame_of(text)


def test_hearts_run_where_they_are_read_an_order_is_answered_later_and_other_events_get_their_own_greenlet():
    server = socketio.Server(async_mode="threading")
    spawned, ran, later = [], [], []
    server.start_background_task = lambda target, *args, **kwargs: spawned.append(args[3][0])
    server.on("heart", lambda sid, *a: ran.append(sid), namespace="/live")
    install(server, later={("/live", "order"): lambda *args: later.append(args)})
    install(server, later={("/live", "order"): lambda *args: later.append(args)})  # idempotent
    server.manager.is_connected = lambda sid, ns: True
    server.start_background_task(server._handle_event_internal, server, "s1", "e1", ["heart", {}], "/live", None)
    server.start_background_task(server._handle_event_internal, server, "s1", "e1", ["chat", {}], "/live", 3)
    server.start_background_task(server._handle_event_internal, server, "s1", "e1", ["order", {"q": 1}], "/live", 4)
    server.start_background_task(server._handle_event_internal, server, "s1", "e1", ["order", {"q": 2}], "/live", None)
    server.start_background_task(server._handle_event_internal, server, "s1", "e1", ["order", {"q": 3}], "/other", 5)
    assert ran == ["s1"]
    assert later == [(server, "s1", "e1", "/live", 4, {"q": 1})]  # in the reading greenlet, to answer ack 4
    assert spawned == ["chat", "order", "order"]  # no ack id to answer, or another namespace: as before


# -- 3. a message written where it is sent (gevent) -------------------------------------------------------------
def _served_socket():
    """A real python-engineio gevent socket served by its real websocket handler over our driver, on one end
    of a socketpair (without the HTTP handshake); the test is the browser at the other end."""
    import socket as stdlib_socket

    import engineio
    import gevent
    import gevent.socket

    from market.live.websocket import WebSocket

    install(socketio.Server(async_mode="threading"))  # the patches are per class: any server installs them
    server_end, peer = gevent.socket.socketpair()
    server_end.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_SNDBUF, 4096)
    peer.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_RCVBUF, 4096)
    eio = engineio.Server(async_mode="gevent")
    sock = engineio.socket.Socket(eio, "s1")
    ws = WebSocket(sock._websocket_handler, eio)
    ws.sock, ws.connected = server_end, True
    handler = gevent.spawn(sock._websocket_handler, ws)
    gevent.sleep(0.01)  # the handler starts its writer greenlet, which waits on the empty queue
    return sock, ws, peer, handler


def _frames(data: bytes) -> list[str]:
    """Server frames (unmasked, final text) read back; fails on bytes that are not whole frames."""
    out, i = [], 0
    while i < len(data):
        assert data[i] == 0x81, f"not a text frame at byte {i}"
        n, i = data[i + 1], i + 2
        if n == 126:
            n, i = int.from_bytes(data[i : i + 2], "big"), i + 2
        elif n == 127:
            n, i = int.from_bytes(data[i : i + 8], "big"), i + 8
        out.append(data[i : i + n].decode())
        i += n
    return out


def _read_all(peer, expect: int) -> bytes:
    import gevent

    got = b""
    with gevent.Timeout(5):
        while len(got) < expect:
            got += peer.recv(65536)
    return got


def _message(text: str):
    from engineio import packet

    return packet.Packet(packet.MESSAGE, data=text)


def test_a_message_to_an_idle_socket_is_written_at_once_and_a_full_socket_never_makes_the_sender_wait():
    import gevent
    from engineio import packet

    sock, ws, peer, handler = _served_socket()
    sock.send(_message("a"))
    assert sock.queue.qsize() == 0 and peer._sock.recv(100) == text_frame("4a")  # in the kernel, no switch
    sock.send(packet.Packet(packet.PING))  # pings keep the writer's queue (its wait is bounded by them)
    assert sock.queue.qsize() == 1
    assert _frames(_read_all(peer, 3)) == ["2"]
    big = "b" * 1_000_000
    with gevent.Timeout(2):  # nobody reads: a sender that waited for the socket would never come back
        sock.send(_message(big))  # the socket takes part of it, the rest is queued for the writer
        got = peer.recv(65536)  # room in the socket again, the writer not yet run
        sock.send(_message("c"))  # behind the rest, never before it
        sock.send(_message("d"))
    assert sock.queue.qsize() == 3
    expect = len(text_frame("4" + big)) + 2 * len(text_frame("4c"))
    assert _frames(got + _read_all(peer, expect - len(got))) == ["4" + big, "4c", "4d"]
    assert sock.queue.qsize() == 0
    sock.send(_message("e"))  # idle again: straight to the kernel
    assert peer._sock.recv(100) == text_frame("4e")
    sock.wire_fed -= sock.server.ping_interval + 1  # a ping interval of direct writes: the writer's wait runs out
    sock.send(_message("f"))  # so this one feeds it (it would close the socket after interval + timeout)
    assert sock.queue.qsize() == 1
    assert _frames(_read_all(peer, 4)) == ["4f"]
    peer.close()  # no switch before the sends: the reader has not met the end yet
    for _ in range(3):  # a socket gone: the writes fail, the messages fall back to the queue, nothing raises
        sock.send(_message("f" * 100_000))
    handler.join(timeout=5)  # the reader met the end of the connection
    assert handler.dead and sock.wire_ws is None


def test_a_message_never_cuts_into_a_frame_the_writer_is_still_writing():
    import gevent

    sock, ws, peer, handler = _served_socket()
    big = "b" * 1_000_000
    sock.send(_message(big))  # partly written, its rest queued
    gevent.sleep(0.01)  # the writer takes the rest and blocks on the full socket
    assert ws.writing and sock.queue.qsize() == 0
    got = peer.recv(65536)  # room in the socket again, the writer not yet run
    sock.send(_message("c"))  # must wait for the writer, not go into the middle of its frame
    expect = len(text_frame("4" + big)) + len(text_frame("4c"))
    assert _frames(got + _read_all(peer, expect - len(got))) == ["4" + big, "4c"]
    peer.sendall(masked(0x8, (1000).to_bytes(2, "big")))  # the browser says goodbye
    handler.join(timeout=5)
    assert handler.dead and peer.recv(100) == bytes((0x88, 2)) + (1000).to_bytes(2, "big")  # answered
