"""Who hears what in the ``/live`` namespace: the room names, and the three ways of sending to them.

1. ``room(session)``: every viewer of a session; ``host_room(session)``: its host and moderators;
   ``user_room(user)``: every /live socket of one person (all tabs, every process) — the ONE personal room,
   used for mutes, bans and logouts alike.
2. ``emit_room`` / ``emit_user`` go through the message queue when there is one: every process's sockets hear
   them (chat, offers, session changes, a mute).
3. ``emit_local`` reaches this process's sockets only: for values every process reads from shared state and
   tells its own sockets (stock, hearts, viewers, sales), so N processes never send N copies.
"""

from __future__ import annotations

from market.extensions import socketio

NAMESPACE = "/live"


def room(session_id: int) -> str:
    return f"live-{session_id}"


def host_room(session_id: int) -> str:
    return f"live-{session_id}-host"


def user_room(user_id: int) -> str:
    """The room every /live socket of ``user_id`` is in, whichever server process holds it."""
    return f"user:{user_id}"


def emit_room(session_id: int, event: str, data, host: bool = False) -> None:
    """To every socket of the room (or its host room) in every process."""
    socketio.emit(event, data, namespace=NAMESPACE, to=host_room(session_id) if host else room(session_id))


def emit_user(user_id: int, event: str, data) -> None:
    """To every /live socket of one person, in every process."""
    socketio.emit(event, data, namespace=NAMESPACE, to=user_room(user_id))


def emit_local(target: str, event: str, data) -> None:
    """To this process's sockets of a room only."""
    socketio.emit(event, data, namespace=NAMESPACE, to=target, ignore_queue=True)
