"""The chat of a live session and its moderation: a message is checked (length, mutes, the checks other areas
register, such as moderation's word filter) before it is stored and sent to the room; the host and her commune's
staff remove messages and mute people (``signals.moderated`` lets moderation audit staff actions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts.models import User
from market.accounts.service import mask_name
from market.database import on_commit, utcnow
from market.extensions import db
from market.live.access import is_host, require_moderator
from market.live.hub import hub
from market.live.messages import id_field, int_field, live_error
from market.live.models import ChatMessage, LiveMute, LiveSession, SessionStatus
from market.live.rooms import emit_room, emit_user
from market.live.signals import moderated
from market.text import clean_line

CHAT_MAX = 300
MUTE_MAX_MINUTES = 7 * 24 * 60


def chat_json(message: ChatMessage, user: User | None = None, host_user_id: int | None = None) -> dict:
    user = user or message.user
    return {
        "id": message.id,
        "user": mask_name(user.display_name),
        "user_id": user.id,
        "text": message.text,
        "at": message.created_at.isoformat(),
        "host": user.id == host_user_id,
    }


def mute_until(session: LiveSession, user_id: int) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.max(LiveMute.until)).where(
            LiveMute.user_id == user_id,
            LiveMute.until > utcnow(),
            sa.or_(LiveMute.session_id == session.id, LiveMute.commune_id == session.commune_id),
        )
    )


def clean_chat(text: object) -> str:
    if not isinstance(text, str):
        raise live_error("invalid", message=_("Write a message."), field="text")
    if len(text) > CHAT_MAX * 4:  # do not even clean a megabyte
        raise live_error("invalid", message=_("A message can have at most %(n)d characters.", n=CHAT_MAX), field="text")
    text = clean_line(text)
    if not text:
        raise live_error("invalid", message=_("Write a message."), field="text")
    if len(text) > CHAT_MAX:
        raise live_error("invalid", message=_("A message can have at most %(n)d characters.", n=CHAT_MAX), field="text")
    return text


# Other areas' rules for chat text (the moderation area's per-commune word filter): each is called with
# (session, user, text) before a message is stored and raises a DomainError to refuse it.
_chat_checks: list[Callable[[LiveSession, User, str], None]] = []


def register_chat_check(check: Callable[[LiveSession, User, str], None]) -> None:
    if check not in _chat_checks:
        _chat_checks.append(check)


def post_chat(session: LiveSession, user: User, text: object) -> dict:
    text = clean_chat(text)
    if session.status == SessionStatus.ENDED:
        raise live_error("session_not_live")
    if not is_host(session, user) and mute_until(session, user.id):
        raise live_error("muted")
    for check in _chat_checks:
        check(session, user, text)
    message = ChatMessage(session_id=session.id, user_id=user.id, text=text, created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    data = chat_json(message, user=user, host_user_id=session.seller.user_id)
    sid = session.id
    on_commit(lambda: (hub.invalidate(sid), emit_room(sid, "chat", data)))
    return data


def remove_chat(session: LiveSession, actor: User, message_id: object) -> None:
    """Hide a chat message from everyone (the host or the commune's staff); idempotent."""
    require_moderator(session, actor)
    message_id = id_field(message_id, "message_id", _("This message is not in this live session."))
    message = db.session.get(ChatMessage, message_id)
    if message is None or message.session_id != session.id:
        raise live_error("invalid", message=_("This message is not in this live session."), field="message_id")
    if message.removed_at is None:
        message.removed_at = utcnow()
        message.removed_by_id = actor.id
        db.session.flush()
        moderated.send(session, action="remove_chat", actor=actor, message=message)
        sid = session.id
        on_commit(lambda: (hub.invalidate(sid), emit_room(sid, "chat_removed", {"id": message_id})))


def mute(
    session: LiveSession,
    actor: User,
    user_id: object,
    minutes: object,
    commune_wide: bool = False,
    reason: str | None = None,
) -> LiveMute:
    """Stop a user chatting for ``minutes`` in this session (or every session of its commune)."""
    require_moderator(session, actor)
    user_id = id_field(user_id, "user_id", _("This person is not in the chat."))
    minutes = int_field(
        minutes, "minutes", 1, MUTE_MAX_MINUTES, _("Mute for 1 minute to 7 days (%(n)d minutes).", n=MUTE_MAX_MINUTES)
    )
    target = db.session.get(User, user_id)
    if target is None:
        raise live_error("invalid", message=_("This person is not in the chat."), field="user_id")
    if target.id == actor.id or is_host(session, target) or target.can_staff(session.commune_id):
        raise live_error("forbidden", message=_("The host and the commune's staff cannot be muted."))
    until = utcnow() + timedelta(minutes=minutes)
    entry = LiveMute(
        session_id=None if commune_wide else session.id,
        commune_id=session.commune_id if commune_wide else None,
        user_id=target.id,
        until=until,
        by_id=actor.id,
        reason=clean_line(reason)[:200] or None,
    )
    db.session.add(entry)
    db.session.flush()
    moderated.send(session, action="mute", actor=actor, target=target, mute=entry, minutes=minutes)
    uid, data = target.id, {"session_id": session.id, "until": until.isoformat()}
    on_commit(lambda: emit_user(uid, "muted", data))
    return entry
