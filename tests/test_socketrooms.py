"""The socket managers' index of rooms per socket (market/socketrooms.py): the same rooms as python-socketio's
own bookkeeping after any sequence of entering, leaving, closing and disconnecting, and a disconnect that
never scans the namespace's rooms."""

from __future__ import annotations

import socketio
from hypothesis import given, settings
from hypothesis import strategies as st

from market.socketqueue import QueueManager
from market.socketrooms import IndexedRooms, LocalManager

NS = "/live"
SIDS = [f"s{i}" for i in range(5)]
ROOMS = ["room-1", "room-2", "user:7", "frames-1"]

op = st.one_of(
    st.tuples(st.just("connect"), st.sampled_from(SIDS), st.none()),
    st.tuples(st.just("enter"), st.sampled_from(SIDS), st.sampled_from(ROOMS)),
    st.tuples(st.just("leave"), st.sampled_from(SIDS), st.sampled_from(ROOMS)),
    st.tuples(st.just("close"), st.none(), st.sampled_from(ROOMS)),
    st.tuples(st.just("pending"), st.sampled_from(SIDS), st.none()),
    st.tuples(st.just("callback"), st.sampled_from(SIDS), st.none()),
    st.tuples(st.just("disconnect"), st.sampled_from(SIDS), st.none()),
)


def apply(manager, connected: set, action: str, sid: str | None, room: str | None) -> None:
    if action == "connect" and sid not in connected:
        manager.basic_enter_room(sid, NS, None, eio_sid="e" + sid)
        manager.basic_enter_room(sid, NS, sid)
        connected.add(sid)
    elif action == "enter" and sid in connected:
        manager.basic_enter_room(sid, NS, room)
    elif action == "leave":
        manager.basic_leave_room(sid, NS, room)
    elif action == "close":
        manager.basic_close_room(room, NS)
    elif action == "pending" and sid in connected:
        manager.pending_disconnect.setdefault(NS, []).append(sid)
        manager.pending_connect.setdefault(NS, []).append(sid)
    elif action == "callback" and sid in connected:
        manager.callbacks.setdefault(sid, {})[1] = print
    elif action == "disconnect":
        manager.basic_disconnect(sid, NS)
        connected.discard(sid)


def plain(rooms: dict) -> dict:
    return {ns: {room: dict(members) for room, members in by_room.items()} for ns, by_room in rooms.items()}


@settings(max_examples=300, deadline=None)
@given(st.lists(op, max_size=60))
def test_the_index_agrees_with_python_socketio_after_any_sequence(ops):
    theirs, ours = socketio.Manager(), LocalManager()
    connected_a: set = set()
    connected_b: set = set()
    for action, sid, room in ops:
        apply(theirs, connected_a, action, sid, room)
        apply(ours, connected_b, action, sid, room)
        assert plain(ours.rooms) == plain(theirs.rooms)
        assert ours.pending_connect == theirs.pending_connect
        assert ours.pending_disconnect == theirs.pending_disconnect
        assert ours.callbacks.keys() == theirs.callbacks.keys()
        for s in SIDS:
            assert sorted(ours.get_rooms(s, NS)) == sorted(theirs.get_rooms(s, NS))
    # nothing is left in the index of a socket that is in no room
    for (ns, sid), rooms in ours.rooms_of.items():
        assert rooms and all(sid in ours.rooms[ns][room] for room in rooms)


class NoScan(dict):
    """A namespace's room table that refuses to be walked: a disconnect must go by the socket's own rooms."""

    def items(self):
        raise AssertionError("scanned every room")

    def copy(self):
        raise AssertionError("copied every room")


def test_a_disconnect_among_thousands_does_not_scan_their_rooms():
    manager = LocalManager()
    for i in range(3000):
        sid = f"s{i}"
        manager.basic_enter_room(sid, NS, None, eio_sid="e" + sid)
        manager.basic_enter_room(sid, NS, sid)
        manager.basic_enter_room(sid, NS, f"user:{i}")
        manager.basic_enter_room(sid, NS, "room-1")
    manager.rooms[NS] = NoScan(manager.rooms[NS])
    manager.basic_disconnect("s42", NS)
    assert "s42" not in manager.rooms[NS][None]
    assert "s42" not in manager.rooms[NS] and "user:42" not in manager.rooms[NS]
    assert "s42" not in manager.rooms[NS]["room-1"] and len(manager.rooms[NS]["room-1"]) == 2999
    assert manager.get_rooms("s42", NS) == []
    assert ("/live", "s42") not in manager.rooms_of


def test_both_managers_index_their_rooms(app):
    from market.extensions import socketio as flask_socketio

    assert isinstance(flask_socketio.server.manager, IndexedRooms)
    assert issubclass(QueueManager, IndexedRooms)
