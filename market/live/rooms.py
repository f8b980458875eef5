"""Who hears what in the ``/live`` namespace: the room names, and the three ways of sending to them.

1. ``room(session)``: every viewer of a session; ``host_room(session)``: its host and moderators;
   ``user_room(user)``: every /live socket of one person (all tabs, every process) — the ONE personal room,
   used for mutes, bans and logouts alike. The tick's figures (stock, sales, hearts, viewers) go to one of two
   rooms each viewer is also in: ``ticks_room`` (each figure its own message, as clients always heard them)
   or ``frames_room`` (sockets that joined with ``frames: true``: ONE ``tick`` message per tick carrying them
   all — half the messages of a storm, see ``tick.Frames``).
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


def ticks_room(session_id: int) -> str:
    """Viewers who hear ``stock``, ``sold``, ``hearts`` and ``viewers`` as separate messages."""
    return f"live-{session_id}-ticks"


def frames_room(session_id: int) -> str:
    """Viewers who joined with ``frames: true``: one ``tick`` message per tick instead."""
    return f"live-{session_id}-frames"


def has_local(target: str) -> bool:
    """Whether any socket of this process is in the room ``target`` (an empty room costs no encoding)."""
    return bool(socketio.server.manager.rooms.get(NAMESPACE, {}).get(target))


def user_room(user_id: int) -> str:
    """The room every /live socket of ``user_id`` is in, whichever server process holds it."""
    return f"user:{user_id}"


def emit_room(session_id: int, event: str, data: object, host: bool = False) -> None:
    """To every socket of the room (or its host room) in every process."""
    socketio.emit(event, data, namespace=NAMESPACE, to=host_room(session_id) if host else room(session_id))


def emit_user(user_id: int, event: str, data: object) -> None:
    """To every /live socket of one person, in every process."""
    socketio.emit(event, data, namespace=NAMESPACE, to=user_room(user_id))


def emit_local(target: str, event: str, data: object) -> None:
    """To this process's sockets of a room only."""
    socketio.emit(event, data, namespace=NAMESPACE, to=target, ignore_queue=True)
