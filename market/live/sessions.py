"""Live sessions: scheduling, editing, going on air and off it (the host, or her commune's staff for breaking the
rules), and the lists of sessions the pages show.

Functions flush but never commit: the view, socket handler or CLI commits once. What the room must hear is sent
after the commit (``on_commit``), never from inside a transaction; so are ``live_started`` and ``live_ended``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts.models import Commune, SellerProfile, User
from market.catalog.models import Product
from market.database import on_commit, utcnow
from market.domain import DomainError, FieldErrors
from market.extensions import db
from market.live.access import may_host, require_host
from market.live.hub import hub
from market.live.messages import live_error
from market.live.models import LiveOffer, LiveSession, OfferStatus, SessionStatus
from market.live.offers import close_if_open
from market.live.rooms import emit_room
from market.live.signals import live_ended, live_started
from market.live.streams import clean_stream_url, own_video
from market.text import clean_line, clean_text

TITLE_MAX = 120
DESCRIPTION_MAX = 2000


@dataclass
class SessionFields:
    title: str
    description: str
    stream_url: str | None  # None or "": streamed only here (allowed when ``own_video()``)
    scheduled_at: datetime | None
    cover_product_id: int | None = None
    replay_url: str | None = None
    chot_enabled: bool = True  # buyers may order by writing "chốt 2" in the chat (live/chot.py)


def _clean_fields(seller: SellerProfile, f: SessionFields) -> dict:
    errors: list[DomainError] = []
    out: dict = {}

    def check(name: str, fn: Callable[[], object]) -> None:
        try:
            out[name] = fn()
        except DomainError as err:
            errors.append(err)

    def title() -> str:
        text = clean_line(f.title)
        if not text:
            raise DomainError("invalid", _("Give the session a title."), field="title")
        if len(text) > TITLE_MAX:
            raise DomainError(
                "invalid", _("A session title can have at most %(n)d characters.", n=TITLE_MAX), field="title"
            )
        return text

    def description() -> str:
        text = clean_text(f.description)
        if len(text) > DESCRIPTION_MAX:
            raise DomainError(
                "invalid",
                _("The description can have at most %(n)d characters.", n=DESCRIPTION_MAX),
                field="description",
            )
        return text

    def scheduled_at() -> datetime:
        if not isinstance(f.scheduled_at, datetime) or f.scheduled_at.tzinfo is None:
            raise DomainError("invalid", _("Choose the date and time of the live."), field="scheduled_at")
        return f.scheduled_at

    def cover() -> int | None:
        if not f.cover_product_id:
            return None
        product = db.session.get(Product, f.cover_product_id)
        if product is None or product.seller_id != seller.id:
            raise DomainError("invalid", _("Choose one of your products."), field="cover_product_id")
        return product.id

    check("title", title)
    check("description", description)
    check("stream_url", lambda: clean_stream_url(f.stream_url, required=not own_video()))
    check("scheduled_at", scheduled_at)
    check("cover_product_id", cover)
    check("replay_url", lambda: clean_stream_url(f.replay_url, field="replay_url", required=False))
    if errors:
        raise FieldErrors(errors)
    return {**out, "chot_enabled": bool(f.chot_enabled)}


def schedule_session(host: User, fields: SessionFields) -> LiveSession:
    if not may_host(host):
        raise DomainError(
            "forbidden", _("Only sellers verified as their commune's KOL can host live sessions."), status=403
        )
    values = _clean_fields(host.seller_profile, fields)
    now = utcnow()
    if values["scheduled_at"] < now - timedelta(hours=1):
        raise DomainError("invalid", _("Choose a time that has not passed yet."), field="scheduled_at")
    if values["scheduled_at"] > now + timedelta(days=366):
        raise DomainError("invalid", _("Choose a time within the next year."), field="scheduled_at")
    session = LiveSession(
        seller_id=host.seller_profile.id,
        commune_id=host.seller_profile.commune_id,
        status=SessionStatus.SCHEDULED,
        **values,
    )
    db.session.add(session)
    db.session.flush()
    return session


def check_session_fields(session: LiveSession, host: User, fields: SessionFields) -> dict:
    """The cleaned values of an edit of ``session``, or ``FieldErrors`` naming every refused field."""
    require_host(session, host)
    if session.status != SessionStatus.SCHEDULED:  # the past is the past: the form has no date any more
        fields = replace(fields, scheduled_at=session.scheduled_at)
    return _clean_fields(host.seller_profile, fields)


def update_session(session: LiveSession, host: User, fields: SessionFields) -> LiveSession:
    values = check_session_fields(session, host, fields)
    if session.status != SessionStatus.SCHEDULED:
        values.pop("scheduled_at")
    for name, value in values.items():
        setattr(session, name, value)
    db.session.flush()
    sid, status = session.id, str(session.status)
    on_commit(lambda: (hub.invalidate(sid), emit_room(sid, "session", {"status": status})))
    return session


def start_session(session: LiveSession, host: User) -> LiveSession:
    require_host(session, host)
    if session.status != SessionStatus.SCHEDULED:
        raise live_error("session_not_live", message=_("This session has already started or ended."))
    other = db.session.scalar(
        sa.select(LiveSession.id).where(
            LiveSession.seller_id == session.seller_id,
            LiveSession.status == SessionStatus.LIVE,
            LiveSession.id != session.id,
        )
    )
    if other:
        raise DomainError("invalid", _("End your other live session first."))
    now = utcnow()
    done = db.session.execute(
        sa.update(LiveSession)
        .where(LiveSession.id == session.id, LiveSession.status == SessionStatus.SCHEDULED)
        .values(status=SessionStatus.LIVE, started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise live_error("session_not_live", message=_("This session has already started or ended."))
    db.session.expire(session)
    sid, seller_id, commune_id = session.id, session.seller_id, session.commune_id
    on_commit(lambda: (hub.invalidate(sid), emit_room(sid, "session", {"status": SessionStatus.LIVE.value})))
    on_commit(lambda: live_started.send(sid, seller_id=seller_id, commune_id=commune_id))
    return session


def end_session(session: LiveSession, host: User) -> LiveSession:
    """Close every open offer (unsold units go back to the shelf) and take the session off air."""
    require_host(session, host)
    return _end(session)


def end_session_for_rules(session: LiveSession, staff: User, reason: str) -> LiveSession:
    """Commune staff take a session that breaks the rules off air (the moderation area checks the reason and
    audits it); the room hears ``session {status: "ended", reason}``."""
    if not (staff and staff.is_authenticated and staff.can_staff(session.commune_id)):
        raise live_error("forbidden", reason="moderator_only")
    return _end(session, reason=reason)


def _end(session: LiveSession, reason: str | None = None) -> LiveSession:
    if session.status == SessionStatus.ENDED:
        raise live_error("session_not_live", message=_("This session has already ended."))
    now = utcnow()
    done = db.session.execute(
        sa.update(LiveSession)
        .where(LiveSession.id == session.id, LiveSession.status != SessionStatus.ENDED)
        .values(status=SessionStatus.ENDED, ended_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise live_error("session_not_live", message=_("This session has already ended."))
    for offer_id in db.session.scalars(
        sa.select(LiveOffer.id).where(LiveOffer.session_id == session.id, LiveOffer.status == OfferStatus.OPEN)
    ).all():
        close_if_open(session.id, offer_id)
    viewers, hearts = hub.totals(session.id)
    db.session.execute(
        sa.update(LiveSession)
        .where(LiveSession.id == session.id, LiveSession.hearts < hearts)
        .values(hearts=hearts)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(session)
    sid = session.id
    payload = {"status": SessionStatus.ENDED.value, **({"reason": reason} if reason else {})}
    on_commit(
        lambda: (hub.mark_dirty(sid), hub.mark_ended(sid), emit_room(sid, "session", payload), live_ended.send(sid))
    )
    return session


def listing(commune: Commune | None = None, upcoming_limit: int = 6, ended_limit: int = 0) -> dict:
    """Sessions live now, upcoming (soonest first) and, if asked, recently ended."""
    base = sa.select(LiveSession)
    if commune is not None:
        base = base.where(LiveSession.commune_id == commune.id)
    live = db.session.scalars(
        base.where(LiveSession.status == SessionStatus.LIVE).order_by(LiveSession.started_at.desc()).limit(20)
    ).all()
    upcoming = db.session.scalars(
        base.where(
            LiveSession.status == SessionStatus.SCHEDULED, LiveSession.scheduled_at >= utcnow() - timedelta(hours=6)
        )
        .order_by(LiveSession.scheduled_at)
        .limit(upcoming_limit)
    ).all()
    ended = (
        db.session.scalars(
            base.where(LiveSession.status == SessionStatus.ENDED)
            .order_by(LiveSession.ended_at.desc())
            .limit(ended_limit)
        ).all()
        if ended_limit
        else []
    )
    return {"live": live, "upcoming": upcoming, "ended": ended}


def next_session(session: LiveSession) -> LiveSession | None:
    """The host's next session (on air now, or the soonest scheduled), for the page of one that ended."""
    return db.session.scalar(
        sa.select(LiveSession)
        .where(
            LiveSession.seller_id == session.seller_id,
            LiveSession.id != session.id,
            sa.or_(
                LiveSession.status == SessionStatus.LIVE,
                sa.and_(LiveSession.status == SessionStatus.SCHEDULED, LiveSession.scheduled_at >= utcnow()),
            ),
        )
        .order_by(sa.case((LiveSession.status == SessionStatus.LIVE, 0), else_=1), LiveSession.scheduled_at)
        .limit(1)
    )
