"""Notify a person: a row in their notifications now, a push to their socket room and an SMS after commit.

A *kind* is a stable name ("order.shipped") with a function that turns its params into one sentence in the
current language; the text is rendered once in the recipient's language (stored, and sent by SMS) and again
in the reader's language whenever the page shows it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from market.accounts.models import User
from market.database import on_commit, rowcount, utcnow
from market.extensions import db
from market.notifications.models import Notification
from market.security import is_safe_next
from market.text import clean_line

log = logging.getLogger(__name__)

NAMESPACE = "/notify"
TEXT_MAX = 500

MessageFn = Callable[[dict[str, Any]], str]
_kinds: dict[str, MessageFn] = {}


def message_kind(kind: str) -> Callable[[MessageFn], MessageFn]:
    """Register how notifications of ``kind`` read: ``fn(params) -> str`` in the current language."""

    def decorator(fn: MessageFn) -> MessageFn:
        _kinds[kind] = fn
        return fn

    return decorator


def room_for(user_id: int) -> str:
    return f"user:{user_id}"


def render(notification: Notification) -> str:
    """The notification's sentence in the current language (its stored text if the kind is unknown here)."""
    fn = _kinds.get(notification.kind)
    if fn is None:
        return notification.text
    try:
        return clean_line(fn(dict(notification.params or {})))[:TEXT_MAX]
    except Exception:  # an old notification whose params no longer fit: show what was sent
        log.warning("cannot render notification %s of kind %s", notification.id, notification.kind)
        return notification.text


def notify(
    user: User,
    kind: str,
    params: dict[str, Any] | None = None,
    link: str | None = None,
    *,
    sms: bool = False,
    message: MessageFn | None = None,
) -> Notification:
    """Tell ``user`` something. The row is part of the caller's transaction; the socket push and the SMS go
    out only after it commits. ``message`` overrides the kind's registered text function."""
    params = dict(params or {})
    fn = message or _kinds.get(kind)
    if fn is None:
        raise KeyError(f"unknown notification kind {kind!r}: register it with @message_kind")
    if link is not None and not is_safe_next(link):
        raise ValueError(f"notification links are site paths, got {link!r}")
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = clean_line(fn(params))[:TEXT_MAX]
        sms_text = sms_body(text, link) if sms else None
    notification = Notification(user_id=user.id, kind=kind, params=params, text=text, link=link, created_at=utcnow())
    db.session.add(notification)
    db.session.flush()
    payload = {
        "id": notification.id,
        "kind": kind,
        "text": text,
        "link": link,
        "created_at": notification.created_at.isoformat(),
        "unread": unread_count(user.id),
    }
    user_id, phone = user.id, user.phone
    on_commit(lambda: push(user_id, "notification", payload))
    if sms_text:
        from market.notifications.zns import deliver  # Zalo ZNS when configured for this kind, else the SMS
        from market.tasks import defer

        on_commit(lambda: defer(deliver, phone, sms_text, kind, params))
    return notification


def sms_body(text: str, link: str | None, suffix: str = "") -> str:
    """The SMS of a notification: "Cho Phien: <text> <site><link> <suffix>", without diacritics unless configured,
    in at most two parts (the text shortened, the link and suffix kept)."""
    from market.notifications.sms import fit

    site = current_app.config["SITE_URL"].rstrip("/")
    tail = " ".join(part for part in (f"{site}{link}" if link else "", suffix) if part)
    return fit(f"Chợ Phiên: {text}", tail)


def push(user_id: int, event: str, payload: dict[str, Any]) -> None:
    """Emit to every socket of ``user_id`` on /notify (every process, through the message queue)."""
    from market.extensions import socketio

    try:
        socketio.emit(event, payload, to=room_for(user_id), namespace=NAMESPACE)
    except Exception:  # the notification is stored; a lost push is seen on the next page load
        log.exception("could not push %s to user %s", event, user_id)


def unread_count(user_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def latest(user_id: int, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc()).limit(limit)
        )
    )


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or every) notification of ``user_id`` read; returns how many changed."""
    query = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    result = db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    count = unread_count(user_id)
    on_commit(lambda: push(user_id, "unread", {"count": count}))
    return rowcount(result)
