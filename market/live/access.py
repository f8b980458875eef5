"""Who may do what in a live session: approved KOLs host, the host and her commune's staff moderate. Every
service of the area checks through here; a join checks against ``SessionRef``, the few facts cached with a room's
snapshot, so a crowd joining touches no database."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from market.domain import NotFound, parse_id
from market.extensions import db
from market.live.messages import live_error
from market.live.models import LiveSession


def may_host(user) -> bool:
    """Approved sellers whom commune staff verified as the commune's KOL host live sessions."""
    return bool(user and user.is_authenticated and user.is_kol)


@dataclass(frozen=True)
class SessionRef:
    """What a join needs to know of a session besides its snapshot (cached with it): where it is, who hosts it."""

    id: int
    commune_id: int
    host_user_id: int


def _host_user_id(session: LiveSession | SessionRef) -> int:
    return session.host_user_id if isinstance(session, SessionRef) else session.seller.user_id


def is_host(session: LiveSession | SessionRef, user) -> bool:
    return bool(user and user.is_authenticated and _host_user_id(session) == user.id)


def can_moderate(session: LiveSession | SessionRef, user) -> bool:
    """The host, and staff of the session's commune, moderate its chat and take phone orders."""
    return bool(user and user.is_authenticated and (is_host(session, user) or user.can_staff(session.commune_id)))


def require_host(session: LiveSession, user) -> None:
    if not is_host(session, user):
        raise live_error("forbidden", reason="host_only")


def require_moderator(session: LiveSession, user) -> None:
    if not can_moderate(session, user):
        raise live_error("forbidden", reason="moderator_only")


def get_session(session_id: object) -> LiveSession:
    sid = parse_id(session_id, text=False)
    session = db.session.get(LiveSession, sid) if sid is not None else None
    if session is None:
        raise NotFound(_("This live session does not exist."))
    return session
