"""The transport's shortcuts (market/live/wire.py): one websocket frame per broadcast, hearts handled inline.
A browser-like client reading them from a real server: tests/live/test_servers.py."""

import socketio

from market.live.wire import frame_of, install, text_frame


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


def test_hearts_run_where_they_are_read_and_other_events_get_their_own_greenlet():
    server = socketio.Server(async_mode="threading")
    spawned, ran = [], []
    server.start_background_task = lambda target, *args, **kwargs: spawned.append(args[3][0])
    server.on("heart", lambda sid, *a: ran.append(sid), namespace="/live")
    install(server)
    install(server)  # idempotent
    server.manager.is_connected = lambda sid, ns: True
    server.start_background_task(server._handle_event_internal, server, "s1", "e1", ["heart", {}], "/live", None)
    server.start_background_task(server._handle_event_internal, server, "s1", "e1", ["chat", {}], "/live", 3)
    assert ran == ["s1"] and spawned == ["chat"]
