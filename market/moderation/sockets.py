"""Closing a banned user's live sockets, in this process and in every other one.

- In this process: ``market.live.connection.connections()`` knows each socket's user; those sockets are
  disconnected server-side at once.
- In other processes (several gunicorn workers sharing rooms through Redis): every authenticated /live socket
  joins the room ``user:<id>`` when it connects (``market.live.rooms.user_room``). A ``banned`` event
  sent to that room goes through the Socket.IO message queue to every process (the page's script shows the
  message), then ``socketqueue.close_room`` closes that room's sockets in every process, /notify's too.
  Even a socket that could linger gains nothing: every event re-checks the user (``socket_user()`` refuses a
  banned user or a bumped auth version), so it could only watch what an anonymous viewer may watch.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def disconnect_user(user_id: int, message: str) -> int:
    """Tell every socket of ``user_id`` it is closed, and close those of this process; returns how many."""
    from market.extensions import socketio
    from market.live.connection import NAMESPACE, connections
    from market.live.rooms import user_room
    from market.notifications.service import NAMESPACE as NOTIFY
    from market.notifications.service import room_for
    from market.socketqueue import close_room

    if socketio.server is None:
        return 0
    socketio.emit("banned", {"message": message}, to=user_room(user_id), namespace=NAMESPACE)
    # Closed server-side in every process (through the queue), whatever the page's script does.
    closed = close_room(user_room(user_id), NAMESPACE)
    close_room(room_for(user_id), NOTIFY)
    for sid, data in list(connections().items()):
        if data.get("user_id") == user_id:
            try:
                socketio.server.disconnect(sid, namespace=NAMESPACE)
                closed += 1
            except Exception:  # a socket closing meanwhile must not stop the others
                log.exception("could not disconnect socket %s", sid)
    return closed
