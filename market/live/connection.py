"""Who is on the other end of a /live socket.

A browser authenticates with its session cookie (read when the socket connects); other clients pass
``auth={"token": …}`` from ``POST /api/v1/auth/token``. The user id and auth version are kept per socket in
this process (a socket lives in one process), and re-checked on every event so that logout or a ban takes
effect at once.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room

from market.accounts.models import User
from market.accounts.tokens import read_token
from market.domain import ErrorCode
from market.extensions import db
from market.live.gather import Gather
from market.live.rooms import NAMESPACE, user_room  # noqa: F401 - other areas import NAMESPACE from here

IDENTITY_FRESH_S = 5.0  # a join this soon after the connect trusts the connect's check (bans close sockets)


def _read_users(ids: list[int]) -> dict[int, tuple]:
    rows = db.session.execute(
        sa.select(User.id, User.auth_version, User.banned_at, User.locale, User.is_staff, User.is_admin).where(
            User.id.in_(ids)
        )
    ).all()
    return {row.id: row for row in rows}


_users = Gather(_read_users, "live user check")


def check_user(user_id: int, auth_version: object) -> Identity | None:
    """Who a token or cookie names, if the login still stands (same auth version, not banned): read with the
    other sockets connecting at the same moment (``gather``), in one query of a few columns, no ORM object —
    a thousand viewers connecting at once is the live area's join storm."""
    row = _users.get(user_id)
    if row is None or row.auth_version != auth_version or row.banned_at is not None:
        return None
    return Identity(user_id, bool(row.is_staff), bool(row.is_admin), row.auth_version, row.locale)


def _cookie_claim() -> tuple[int, int] | None:
    """(user id, auth version) the browser's session cookie names ("id:version", see ``accounts.auth``)."""
    raw = session.get("_user_id")
    if not isinstance(raw, str):
        return None
    try:
        uid, version = (int(part) for part in raw.split(":", 1))
    except ValueError:
        return None
    return uid, version


def authenticate_connection(auth: object) -> Identity | None:
    """Resolve the connecting user from ``auth.token`` or the cookie; None for an anonymous viewer."""
    user = None
    if isinstance(auth, dict) and auth.get("token") is not None:
        claim = read_token(auth.get("token"))
        user = check_user(*claim) if claim else None
        if user is None:
            raise ConnectionRefusedError(
                {
                    "ok": False,
                    "error": ErrorCode.NOT_LOGGED_IN,
                    "message": _("Your login has expired. Please log in again."),
                }
            )
    elif (claim := _cookie_claim()) is not None:
        user = check_user(*claim)
    elif current_user and current_user.is_authenticated:  # logged in by the "remember me" cookie
        found = current_user._get_current_object()
        user = Identity(found.id, bool(found.is_staff), bool(found.is_admin), found.auth_version, found.locale)
    _save(
        request.sid,
        {
            "user_id": user.id if user else None,
            "auth_version": user.auth_version if user else None,
            "identity": user,
            "checked": time.monotonic(),
        },
    )
    if user is not None:
        join_room(user_room(user.id))  # reaches all of a user's sockets, in every process (bans, notices)
    return user


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


class Identity:
    """Who a socket's user is, read in one light query (no ORM object, no relationships): enough to answer
    "logged in?", "host?" and "staff of this commune?" on every join without loading the whole account."""

    __slots__ = ("id", "is_staff", "is_admin", "auth_version", "locale", "_staff_communes")

    def __init__(
        self, user_id: int, is_staff: bool, is_admin: bool, auth_version: int | None = None, locale: str | None = None
    ):
        self.id, self.is_staff, self.is_admin, self._staff_communes = user_id, is_staff, is_admin, None
        self.auth_version, self.locale = auth_version, locale

    is_authenticated = True

    def can_staff(self, commune_id: int | None) -> bool:
        if self.is_admin:
            return True
        if not self.is_staff or commune_id is None:
            return False
        if self._staff_communes is None:
            from market.accounts.models import StaffAssignment

            self._staff_communes = set(
                db.session.scalars(
                    sa.select(StaffAssignment.commune_id).where(StaffAssignment.user_id == self.id)
                ).all()
            )
        return commune_id in self._staff_communes


def socket_identity(sid: str | None = None) -> Identity | None:
    """Like ``socket_user`` (logout and bans count at once) for handlers that need no User object. Right after
    the connect (``IDENTITY_FRESH_S``), the connect's own check: a ban or a logout closes the user's sockets
    in every process meanwhile (``rooms.user_room``), so a crowd's joins need no second query."""
    data = connection_data(sid)
    uid = data.get("user_id")
    if uid is None:
        return None
    if data.get("identity") is not None and time.monotonic() - data.get("checked", 0) < IDENTITY_FRESH_S:
        return data["identity"]
    row = db.session.execute(
        sa.select(User.auth_version, User.banned_at, User.is_staff, User.is_admin).where(User.id == uid)
    ).one_or_none()
    if row is None or row.auth_version != data.get("auth_version") or row.banned_at is not None:
        return None
    return Identity(uid, bool(row.is_staff), bool(row.is_admin))
