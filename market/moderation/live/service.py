"""Live chat moderation by commune staff: the word filter, ending a session that breaks the rules, and the
audit entries of what staff do over the /live protocol.

- ``remove_chat`` and ``mute`` are live protocol events (market.live.events) open to the host and the
  session's commune staff. The live area sends ``market.live.signals.moderated`` inside the event's
  transaction; when the actor is staff of the session's commune (or an admin), ``_audit_moderation`` writes
  the audit entry in that same transaction. A host moderating her own chat is not a staff action.
- The word filter is per commune. A word is stored folded (``market.text.fold``, the folding catalog search
  uses) and matched against the folded message as whole words: "Lừa đảo" refuses "LUA DAO!" and "lừa,
  đảo", but not "lừa đảonhé". The live area calls ``check_chat`` (``register_chat_check``) before storing a
  message; a match refuses it with ``invalid`` and a message naming the word.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from market.database import utcnow
from market.domain import DomainError
from market.extensions import db
from market.live import chat as live_chat
from market.live import sessions as live_sessions
from market.live.messages import live_error
from market.live.models import ChatMessage, LiveSession, SessionStatus
from market.live.signals import moderated
from market.moderation import audit
from market.moderation.decisions import check_reason
from market.moderation.models import ChatFilterWord
from market.moderation.scope import scoped
from market.text import clean_line, fold

WORD_MAX = 60
WORDS_PER_COMMUNE = 500
_WORDS = re.compile(r"\w+")


def _tokens(text: str) -> str:
    """The folded words of ``text`` joined by single spaces, padded so " word " matches whole words only."""
    return " " + " ".join(_WORDS.findall(fold(text))) + " "


def clean_word(raw: object) -> tuple[str, str]:
    """(the word as typed, cleaned; its folded form) or a clear refusal."""
    if not isinstance(raw, str) or len(raw) > WORD_MAX * 4:  # a 10 kB paste is refused before any work
        raise DomainError(
            "invalid", _("A filtered word or phrase can have at most %(n)d characters.", n=WORD_MAX), field="word"
        )
    word = clean_line(raw)
    if len(word) > WORD_MAX:
        raise DomainError(
            "invalid", _("A filtered word or phrase can have at most %(n)d characters.", n=WORD_MAX), field="word"
        )
    folded = _tokens(word).strip()
    if not folded:
        raise DomainError("invalid", _("Type a word or phrase with letters or numbers."), field="word")
    if len(folded) > WORD_MAX:
        raise DomainError(
            "invalid", _("A filtered word or phrase can have at most %(n)d characters.", n=WORD_MAX), field="word"
        )
    return word, folded


def words_of(commune_id: int) -> list[ChatFilterWord]:
    return list(
        db.session.scalars(
            sa.select(ChatFilterWord).where(ChatFilterWord.commune_id == commune_id).order_by(ChatFilterWord.folded)
        )
    )


def add_word(commune_id: int, raw: object, by) -> ChatFilterWord:
    """Add a word to the commune's filter (the caller checked the commune is the staff member's); audited."""
    word, folded = clean_word(raw)
    existing = db.session.scalar(
        sa.select(ChatFilterWord).where(ChatFilterWord.commune_id == commune_id, ChatFilterWord.folded == folded)
    )
    if existing is not None:
        raise DomainError(
            "invalid",
            _("“%(word)s” is already in the filter (as “%(existing)s”).", word=word, existing=existing.word),
            field="word",
            status=409,
        )
    count = db.session.scalar(
        sa.select(sa.func.count(ChatFilterWord.id)).where(ChatFilterWord.commune_id == commune_id)
    )
    if count >= WORDS_PER_COMMUNE:
        raise DomainError(
            "invalid", _("The filter holds at most %(n)d words; remove some first.", n=WORDS_PER_COMMUNE), field="word"
        )
    entry = ChatFilterWord(commune_id=commune_id, word=word, folded=folded, created_by_id=by.id, created_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    audit.record("live.filter_add", entry, actor=by, details={"word": word})
    return entry


def remove_word(entry: ChatFilterWord, by) -> None:
    audit.record("live.filter_remove", entry, actor=by, details={"word": entry.word})
    db.session.delete(entry)
    db.session.flush()


def matching_word(commune_id: int, text: str) -> ChatFilterWord | None:
    words = words_of(commune_id)
    if not words:
        return None
    tokens = _tokens(text)
    return next((w for w in words if f" {w.folded} " in tokens), None)


def check_chat(session: LiveSession, user, text: str) -> None:
    """Refuse a chat message that contains one of the commune's filtered words, saying which."""
    word = matching_word(session.commune_id, text)
    if word is not None:
        raise live_error(
            "invalid",
            field="text",
            message=_(
                "Your message was not sent: “%(word)s” is not allowed in this commune's chat. Please write it "
                "another way.",
                word=word.word,
            ),
        )


# ---- audit of what staff do over the protocol -----------------------------------------------------------


def _is_staff_action(session: LiveSession, actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.can_staff(session.commune_id))


def _audit_moderation(session, action=None, actor=None, message=None, target=None, mute=None, minutes=None, **_kw):
    if not _is_staff_action(session, actor):
        return
    if action == "remove_chat" and message is not None:
        audit.record(
            "live.chat_remove",
            message,
            actor=actor,
            details={"session_id": session.id, "author_id": message.user_id, "text": message.text},
        )
    elif action == "mute" and target is not None:
        audit.record(
            "live.mute",
            target,
            actor=actor,
            commune_id=session.commune_id,
            details={"session_id": session.id, "minutes": minutes, "until": mute.until.isoformat() if mute else None},
        )


# ---- ending a session that breaks the rules ---------------------------------------------------------------


def end_for_rules(session: LiveSession, by, reason: object) -> LiveSession:
    """Take a session off air with a reason (audited); its room hears ``session {status: ended, reason}``."""
    reason = check_reason(
        reason if isinstance(reason, str) else None, message=_("Give a reason; the host and the viewers will see it.")
    )
    if session.status == SessionStatus.ENDED:
        raise DomainError("invalid", _("This session has already ended."), status=409)
    previous = str(session.status)
    live_sessions.end_session_for_rules(session, by, reason)
    audit.record("live.end", session, actor=by, reason=reason, details={"from": previous})
    return session


# ---- lists for the staff pages -----------------------------------------------------------------------------


def sessions_for(user, commune_id: int | None = None) -> dict:
    """Sessions of the staff member's communes (or one of them): live now, scheduled, the latest ended."""
    base = scoped(sa.select(LiveSession), LiveSession, user)
    if commune_id is not None:
        base = base.where(LiveSession.commune_id == commune_id)
    live_now = list(
        db.session.scalars(
            base.where(LiveSession.status == SessionStatus.LIVE).order_by(LiveSession.started_at.desc()).limit(50)
        )
    )
    upcoming = list(
        db.session.scalars(
            base.where(LiveSession.status == SessionStatus.SCHEDULED).order_by(LiveSession.scheduled_at).limit(50)
        )
    )
    ended = list(
        db.session.scalars(
            base.where(LiveSession.status == SessionStatus.ENDED)
            .order_by(LiveSession.ended_at.desc().nulls_last())
            .limit(20)
        )
    )
    return {"live": live_now, "upcoming": upcoming, "ended": ended}


def recent_removed(session: LiveSession, limit: int = 20) -> list[ChatMessage]:
    return list(
        db.session.scalars(
            sa.select(ChatMessage)
            .where(ChatMessage.session_id == session.id, ChatMessage.removed_at.is_not(None))
            .order_by(ChatMessage.removed_at.desc())
            .limit(limit)
        )
    )


def register() -> None:
    """The word filter checks every chat message; staff's removals and mutes are audited (the moderation area's
    ``init_app`` calls it)."""
    live_chat.register_chat_check(check_chat)
    moderated.connect(_audit_moderation)
