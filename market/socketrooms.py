"""Which rooms a socket is in, kept per socket, so that a socket leaving costs its own rooms, not the server's.

python-socketio's ``BaseManager`` keeps ``rooms[namespace][room] → {sid: eio_sid}`` only. To find the rooms of
a socket that disconnects (``basic_disconnect``) or is asked about (``get_rooms``) it copies the namespace's
room table and tests every room: with a live crowd every socket has its own sid room and its user's room, so
each disconnect tested ~2 rooms per connected socket. Measured with ``bench/live_churn.py`` (2 000 viewers in
the room, waves of 200 joining and leaving every 2 s, 2 000 sockets connected without joining): that loop was a
third of the server's CPU (py-spy: 36 % under ``Manager.disconnect``), and the probes' answers waited seconds.

``IndexedRooms`` keeps the same tables, plus the index ``(namespace, sid) → rooms`` updated by the same two
primitives every other method goes through (``basic_enter_room``, ``basic_leave_room``); disconnecting and
``get_rooms`` read it instead of scanning. The manager classes mix it in: ``LocalManager`` (one process) and
the Redis ``QueueManager`` (socketqueue.py).
"""

from __future__ import annotations

from typing import Any

import socketio


class IndexedRooms:
    """Mixed in before a python-socketio manager class: the per-socket index of rooms."""

    rooms: dict[str, dict[Any, Any]]
    callbacks: dict[str, Any]
    pending_connect: dict[str, list[str]]
    pending_disconnect: dict[str, list[str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rooms_of: dict[tuple[str, str], dict[Any, None]] = {}  # a dict as an ordered set

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)  # type: ignore[misc]
        self.rooms_of.setdefault((namespace, sid), {})[room] = None

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)  # type: ignore[misc]
        rooms = self.rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.pop(room, None)
            if not rooms:
                del self.rooms_of[(namespace, sid)]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """``BaseManager.basic_disconnect`` with the socket's own rooms instead of a scan of every room."""
        if namespace not in self.rooms:
            return
        for room in list(self.rooms_of.get((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            sids = pending.get(namespace)
            if sids is not None and sid in sids:
                sids.remove(sid)
                if not sids:
                    del pending[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        return [room for room in self.rooms_of.get((namespace, sid), ()) if room is not None]


class LocalManager(IndexedRooms, socketio.Manager):  # type: ignore[misc]  # python-socketio has no types
    """One process's rooms (no Redis)."""
