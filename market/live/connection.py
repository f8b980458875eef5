"""Who is on the other end of a /live socket.

A browser authenticates with its session cookie (read when the socket connects); other clients pass
``auth={"token": …}`` from ``POST /api/v1/auth/token``. The user id and auth version are kept per socket in
this process (a socket lives in one process), and re-checked on every event so that logout or a ban takes
effect at once.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room

from market.accounts.models import User
from market.accounts.tokens import user_from_token
from market.extensions import db

NAMESPACE = "/live"


def authenticate_connection(auth: object) -> User | None:
    """Resolve the connecting user from ``auth.token`` or the cookie; None for an anonymous viewer."""
    user = None
    if isinstance(auth, dict) and auth.get("token") is not None:
        user = user_from_token(auth.get("token"))
        if user is None:
            raise ConnectionRefusedError({"ok": False, "error": "not_logged_in",
                                          "message": _("Your login has expired. Please log in again.")})
    elif current_user and current_user.is_authenticated:
        user = current_user._get_current_object()
    _save(request.sid, {"user_id": user.id if user else None, "auth_version": user.auth_version if user else None})
    if user is not None:
        join_room(user_room(user.id))  # reaches all of a user's sockets, in every process (bans, notices)
    return user


def user_room(user_id: int) -> str:
    """The room every /live socket of ``user_id`` is in, whichever server process holds it."""
    return f"user:{user_id}"


_connections: dict[str, dict] = {}


def _save(sid: str, data: dict) -> None:
    _connections[sid] = data


def forget_connection(sid: str | None = None) -> dict:
    """Drop what we kept about a socket (on disconnect); returns it."""
    return _connections.pop(sid or request.sid, {})


def connection_data(sid: str | None = None) -> dict:
    return _connections.get(sid or request.sid, {})


def connections() -> dict[str, dict]:
    """Every socket of this process on the namespace: sid → data (user_id, session_id …)."""
    return _connections


def socket_user() -> User | None:
    """The logged-in user of this socket, or None (anonymous, logged out since, or banned)."""
    data = connection_data()
    uid = data.get("user_id")
    if uid is None:
        return None
    user = db.session.get(User, uid)
    if user is None or user.auth_version != data.get("auth_version") or user.is_banned:
        return None
    return user


def update_connection(**values) -> None:
    data = connection_data()
    data.update(values)
    _save(request.sid, data)
