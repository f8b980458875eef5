"""Socket.IO "/notify": each logged-in socket joins its person's room and hears their notifications.

Server → client: ``notification`` ``{id, kind, text, link, created_at, unread}`` and ``unread`` ``{count}``.
A browser authenticates with its session cookie; other clients pass ``auth={"token": …}`` from
``POST /api/v1/auth/token``. Anonymous sockets are refused: there is nothing for them to hear.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import emit, join_room

from market.accounts.signals import logged_out
from market.accounts.tokens import user_from_token
from market.extensions import socketio
from market.metrics import socket_connected
from market.notifications.service import NAMESPACE, room_for, unread_count


def _refuse() -> NoReturn:
    raise ConnectionRefusedError(
        {"ok": False, "error": "not_logged_in", "message": _("Log in to receive notifications.")}
    )


def register() -> None:
    """The namespace's handlers, on the Socket.IO server ``socketio.init_app`` made for this app (each app gets a
    new one), and the logout that closes its sockets."""
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", on_disconnect, namespace=NAMESPACE)
    logged_out.connect(_close_sockets_of)


def on_connect(auth: object = None) -> bool:
    """Any browser tab or app of a logged-in person."""
    if isinstance(auth, dict) and auth.get("token") is not None:
        user = user_from_token(auth.get("token"))
    elif current_user and current_user.is_authenticated:
        user = current_user._get_current_object()
    else:
        user = None
    if user is None or user.is_banned:
        _refuse()
    join_room(room_for(user.id))
    emit("unread", {"count": unread_count(user.id)})
    socket_connected(NAMESPACE)
    return True


def on_disconnect(*_args: object) -> None:
    """Sent by Socket.IO when a connected socket closes."""
    socket_connected(NAMESPACE, -1)


def _close_sockets_of(user_id: int, **_kw: Any) -> None:
    """Someone logged out: their /notify sockets close, in every server process."""
    from market.socketqueue import close_room

    close_room(room_for(user_id), NAMESPACE)
