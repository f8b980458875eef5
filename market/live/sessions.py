"""Live sessions: scheduling, going on air, pinning and closing offers, chat and its moderation, phone orders.

Functions flush but never commit: the view, socket handler or CLI commits once. What the room must hear is
sent after the commit (``on_commit``), never from inside a transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from market.accounts.models import Commune, SellerProfile, User
from market.accounts.service import mask_name
from market.catalog.labels import unit_label
from market.catalog.media import photo_path
from market.catalog.models import Product, ProductStatus
from market.catalog.signals import listing_changed
from market.database import on_commit, utcnow
from market.domain import DomainError, FieldErrors, NotFound
from market.extensions import db
from market.live.hub import hub
from market.live.messages import live_error
from market.live.models import ChatMessage, LiveMute, LiveOffer, LiveSession, OfferStatus, SessionStatus
from market.live.rooms import emit_room, emit_user
from market.live.signals import live_ended, live_started, moderated
from market.live.stock import offer_info
from market.orders.phone import PhoneOrderRequest, place_phone_order
from market.orders.service import MAX_QTY, Placed
from market.orders.stock import give_to_product, take_from_product
from market.text import clean_line, clean_text

TITLE_MAX = 120
DESCRIPTION_MAX = 2000
CHAT_MAX = 300
CHAT_HISTORY = 50
PRICE_MIN = 1_000
PRICE_MAX = 1_000_000_000
MUTE_MAX_MINUTES = 7 * 24 * 60
OPEN_OFFERS_MAX = 20
FLASH_MINUTES_MAX = 30


# ---- stream links -------------------------------------------------------------------------------------

PLATFORMS = {
    "tiktok": {"tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"},
    "youtube": {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"},
    "facebook": {"facebook.com", "www.facebook.com", "m.facebook.com", "web.facebook.com", "fb.watch"},
}
PLATFORM_NAMES = {"tiktok": "TikTok", "youtube": "YouTube", "facebook": "Facebook"}
_YT_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def platform_of(url: str) -> str | None:
    host = (urlparse(url).hostname or "").lower()
    return next((name for name, hosts in PLATFORMS.items() if host in hosts), None)


# Without our own video the outside link is the only way to watch, and the host is told so beside the field.
LINK_REQUIRED = _l("Paste the link of your TikTok, YouTube or Facebook live: this site cannot stream video itself "
                   "yet, so buyers watch it there.")
_own_video: list[Callable[[], bool]] = []


def register_own_video(enabled: Callable[[], bool]) -> None:
    """The video area (above live) says whether this site streams sessions itself (JANUS_URL)."""
    if enabled not in _own_video:
        _own_video.append(enabled)


def own_video() -> bool:
    """True when a session may be streamed only here, from the host's phone: its outside link is optional."""
    return any(enabled() for enabled in _own_video)


def clean_stream_url(raw: str | None, field: str = "stream_url", required: bool = True) -> str | None:
    """An https link to a TikTok, YouTube or Facebook live (or its replay); anything else is refused."""
    url = (raw or "").strip()
    if not url:
        if required:
            raise DomainError("invalid", str(LINK_REQUIRED), field=field)
        return None
    message = _("Use an https link from TikTok, YouTube or Facebook, such as https://www.tiktok.com/@name/live.")
    if len(url) > 500 or any(c.isspace() for c in url):
        raise DomainError("invalid", message, field=field)
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.username or parsed.password or parsed.port not in (None, 443):
        raise DomainError("invalid", message, field=field)
    if platform_of(url) is None:
        raise DomainError("invalid", message, field=field)
    return url


def youtube_id(url: str) -> str | None:
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    parts = [p for p in parsed.path.split("/") if p]
    candidate = None
    if host == "youtu.be" and parts:
        candidate = parts[0]
    elif parts[:1] == ["watch"]:
        candidate = (parse_qs(parsed.query).get("v") or [None])[0]
    elif len(parts) >= 2 and parts[0] in ("live", "embed", "shorts"):
        candidate = parts[1]
    return candidate if candidate and _YT_ID.match(candidate) else None


def stream_info(url: str | None, autoplay: bool = True) -> dict | None:
    """How the page shows a stream: an embedded player where the platform allows it, else a link out. A live
    plays at once (muted); a replay waits for the viewer's tap."""
    if not url:
        return None
    platform = platform_of(url) or "other"
    video = youtube_id(url) if platform == "youtube" else None
    play = "autoplay=1&mute=1&" if autoplay else ""
    embed = f"https://www.youtube-nocookie.com/embed/{video}?{play}playsinline=1" if video else None
    return {"platform": platform, "name": PLATFORM_NAMES.get(platform, ""), "watch_url": url, "embed_url": embed}


# ---- who may do what -------------------------------------------------------------------------------

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
    session = db.session.get(LiveSession, session_id) if isinstance(session_id, int) and not isinstance(
        session_id, bool) and 0 < session_id < 2**31 else None
    if session is None:
        raise NotFound(_("This live session does not exist."))
    return session


# ---- sessions -----------------------------------------------------------------------------------------

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
            raise DomainError("invalid", _("A session title can have at most %(n)d characters.", n=TITLE_MAX),
                              field="title")
        return text

    def description() -> str:
        text = clean_text(f.description)
        if len(text) > DESCRIPTION_MAX:
            raise DomainError("invalid", _("The description can have at most %(n)d characters.",
                                           n=DESCRIPTION_MAX), field="description")
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
        raise DomainError("forbidden", _("Only sellers verified as their commune's KOL can host live sessions."),
                          status=403)
    values = _clean_fields(host.seller_profile, fields)
    now = utcnow()
    if values["scheduled_at"] < now - timedelta(hours=1):
        raise DomainError("invalid", _("Choose a time that has not passed yet."), field="scheduled_at")
    if values["scheduled_at"] > now + timedelta(days=366):
        raise DomainError("invalid", _("Choose a time within the next year."), field="scheduled_at")
    session = LiveSession(seller_id=host.seller_profile.id, commune_id=host.seller_profile.commune_id,
                          status=SessionStatus.SCHEDULED, **values)
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
    other = db.session.scalar(sa.select(LiveSession.id).where(
        LiveSession.seller_id == session.seller_id, LiveSession.status == SessionStatus.LIVE,
        LiveSession.id != session.id))
    if other:
        raise DomainError("invalid", _("End your other live session first."))
    now = utcnow()
    done = db.session.execute(
        sa.update(LiveSession).where(LiveSession.id == session.id, LiveSession.status == SessionStatus.SCHEDULED)
        .values(status=SessionStatus.LIVE, started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
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
        sa.update(LiveSession).where(LiveSession.id == session.id, LiveSession.status != SessionStatus.ENDED)
        .values(status=SessionStatus.ENDED, ended_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise live_error("session_not_live", message=_("This session has already ended."))
    for offer_id in db.session.scalars(sa.select(LiveOffer.id).where(
            LiveOffer.session_id == session.id, LiveOffer.status == OfferStatus.OPEN)).all():
        _close(session.id, offer_id)
    viewers, hearts = hub.totals(session.id)
    db.session.execute(sa.update(LiveSession).where(LiveSession.id == session.id, LiveSession.hearts < hearts)
                       .values(hearts=hearts).execution_options(synchronize_session=False))
    db.session.expire(session)
    sid = session.id
    payload = {"status": SessionStatus.ENDED.value, **({"reason": reason} if reason else {})}
    on_commit(lambda: (hub.mark_dirty(sid), hub.mark_ended(sid), emit_room(sid, "session", payload),
                       live_ended.send(sid)))
    return session


# ---- offers -------------------------------------------------------------------------------------------

def _int(value: object, field: str, lo: int, hi: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise live_error("invalid", message=message, field=field)
    return value


def clean_minutes(value: object) -> int | None:
    """A flash deal's countdown: a whole number of minutes from 1 to ``FLASH_MINUTES_MAX``, or none at all."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        value = int(value.strip())
    return _int(value, "minutes", 1, FLASH_MINUTES_MAX,
                _("A countdown runs from 1 to %(n)d minutes (leave it empty for none).", n=FLASH_MINUTES_MAX))


def pin_offer(session: LiveSession, host: User, product_id: object, price_vnd: object, quantity: object,
              per_buyer_limit: object = None, minutes: object = None) -> LiveOffer:
    """Allot ``quantity`` units of one of the host's approved products at a live price (taken from its stock
    atomically); buyers then order from the allotment. With ``minutes`` it is a flash deal: it closes itself
    when the countdown ends (``close_due_offers``)."""
    require_host(session, host)
    if session.status != SessionStatus.LIVE:
        raise live_error("session_not_live", message=_("Start the session before pinning products."))
    minutes = clean_minutes(minutes)
    product_id = _int(product_id, "product_id", 1, 2**31 - 1, _("Choose one of your products."))
    price_vnd = _int(price_vnd, "price_vnd", PRICE_MIN, PRICE_MAX,
                     _("The live price must be between 1.000 ₫ and 1.000.000.000 ₫."))
    quantity = _int(quantity, "quantity", 1, MAX_QTY, _("The quantity must be a whole number from 1 to 100.000."))
    if per_buyer_limit is None:
        per_buyer_limit = quantity
    per_buyer_limit = min(_int(per_buyer_limit, "per_buyer_limit", 1, MAX_QTY,
                               _("The limit per buyer must be a whole number of at least 1.")), quantity)
    product = db.session.get(Product, product_id)
    if product is None or product.seller_id != session.seller_id or product.status != ProductStatus.APPROVED:
        raise live_error("invalid", message=_("Choose one of your approved products."), field="product_id")
    open_offers = db.session.scalars(sa.select(LiveOffer.product_id).where(
        LiveOffer.session_id == session.id, LiveOffer.status == OfferStatus.OPEN)).all()
    if product.id in open_offers:
        raise live_error("invalid", message=_("This product is already pinned; close that offer first."),
                         field="product_id")
    if len(open_offers) >= OPEN_OFFERS_MAX:
        raise live_error("invalid", message=_("Close an offer before pinning another."))
    if not take_from_product(product.id, quantity):
        db.session.refresh(product, ["stock"])
        raise live_error("invalid", message=_("Only %(n)d %(unit)s of %(title)s are in stock.", n=product.stock,
                                              unit=unit_label(product.unit), title=product.title),
                         field="quantity")
    number = (db.session.scalar(sa.select(sa.func.max(LiveOffer.number)).where(LiveOffer.session_id == session.id))
              or 0) + 1  # the host pins one at a time; the unique (session, number) refuses a race
    offer = LiveOffer(session_id=session.id, product_id=product.id, price_vnd=price_vnd, quantity=quantity,
                      per_buyer_limit=per_buyer_limit, sold=0, status=OfferStatus.OPEN, number=number,
                      ends_at=utcnow() + timedelta(minutes=minutes) if minutes else None)
    db.session.add(offer)
    db.session.flush()
    data = offer_json(offer)
    sid = session.id
    on_commit(lambda: (hub.mark_dirty(sid), emit_room(sid, "offer", data)))
    return offer


def _close(session_id: int, offer_id: int) -> dict | None:
    row = db.session.execute(
        sa.update(LiveOffer)
        .where(LiveOffer.id == offer_id, LiveOffer.session_id == session_id, LiveOffer.status == OfferStatus.OPEN)
        .values(status=OfferStatus.CLOSED, closed_at=utcnow(), updated_at=utcnow())
        .returning(LiveOffer.quantity - LiveOffer.sold, LiveOffer.product_id)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        return None
    unsold, product_id = row
    if unsold > 0:
        give_to_product(product_id, unsold)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, LiveOffer) and obj.id == offer_id:
            db.session.expire(obj)
    offer = db.session.get(LiveOffer, offer_id)
    data = offer_json(offer)
    on_commit(lambda: (hub.mark_dirty(session_id), emit_room(session_id, "offer", data)))
    return data


def close_offers_of_product(product_id: int) -> int:
    """Close every open offer of a listing that may no longer be sold (archived, or rejected by staff): its
    rooms hear the offer close and its unsold units go back to the product. Returns how many closed."""
    rows = db.session.execute(sa.select(LiveOffer.session_id, LiveOffer.id).where(
        LiveOffer.product_id == product_id, LiveOffer.status == OfferStatus.OPEN)).all()
    return sum(1 for session_id, offer_id in rows if _close(session_id, offer_id) is not None)


@listing_changed.connect
def _listing_withdrawn(product, action=None, **_kw):
    """A listing archived or rejected may no longer be sold: its open offers close (live/signals.py says more)."""
    if action in ("archived", "rejected"):
        close_offers_of_product(product.id)


def close_due_offers(limit: int = 100) -> int:
    """Close the flash deals whose countdown has run out (their unsold units go back to the shelf and their
    rooms hear ``offer`` closed). Every server process calls it every second or so: ``_close`` is one
    conditional UPDATE on the offer's status, so each offer is closed, and its units given back, exactly once."""
    rows = db.session.execute(sa.select(LiveOffer.session_id, LiveOffer.id).where(
        LiveOffer.status == OfferStatus.OPEN, LiveOffer.ends_at <= utcnow())
        .order_by(LiveOffer.ends_at).limit(limit)).all()
    return sum(1 for session_id, offer_id in rows if _close(session_id, offer_id) is not None)


def close_offer(session: LiveSession, host: User, offer_id: object) -> dict:
    """Unpin an offer: nobody can order from it any more; its unsold units go back to the product."""
    require_host(session, host)
    offer_id = _int(offer_id, "offer_id", 1, 2**31 - 1, _("This offer is not in this live session."))
    offer = db.session.get(LiveOffer, offer_id)
    if offer is None or offer.session_id != session.id:
        raise live_error("invalid", reason="unknown_offer")
    data = _close(session.id, offer_id)
    if data is None:
        raise live_error("offer_closed")
    return data


# ---- what viewers see ------------------------------------------------------------------------------

def product_image(product: Product) -> str | None:
    """The product's cover photo as the 320 px JPEG (a few kB on 3G; every phone browser shows JPEG), or None."""
    cover = product.cover
    return photo_path(cover, 320, "jpg") if cover is not None else None


def cover_photo(session: LiveSession):
    """The session's picture for shared links: its chosen product's photo, else the pinned (or first) offer's
    product's, else None (the site's own picture)."""
    if session.cover_product is not None and session.cover_product.cover is not None:
        return session.cover_product.cover
    offers = db.session.scalars(sa.select(LiveOffer).where(LiveOffer.session_id == session.id).order_by(
        sa.case((LiveOffer.status == OfferStatus.OPEN, 0), else_=1), LiveOffer.id.desc())
        .options(joinedload(LiveOffer.product).selectinload(Product.photos)).limit(OPEN_OFFERS_MAX)).unique().all()
    return next((o.product.cover for o in offers if o.product.cover is not None), None)


def offer_json(offer: LiveOffer) -> dict:
    product = offer.product
    return {"id": offer.id, "product_id": product.id, "title": product.title, "unit": product.unit,
            "price_vnd": offer.price_vnd, "remaining": offer.remaining, "per_buyer_limit": offer.per_buyer_limit,
            "image": product_image(product), "quantity": offer.quantity, "sold": offer.sold,
            "status": str(offer.status), "number": offer.number,
            "ends_at": offer.ends_at.isoformat() if offer.ends_at else None, "seconds_left": offer.seconds_left}


def chat_json(message: ChatMessage, user: User | None = None, host_user_id: int | None = None) -> dict:
    user = user or message.user
    return {"id": message.id, "user": mask_name(user.display_name), "user_id": user.id, "text": message.text,
            "at": message.created_at.isoformat(), "host": user.id == host_user_id}


def session_json(session: LiveSession) -> dict:
    return {"id": session.id, "title": session.title, "status": str(session.status),
            "host": session.seller.shop_name, "commune": session.commune.name,
            "stream": stream_info(session.stream_url), "replay": stream_info(session.replay_url),
            "scheduled_at": session.scheduled_at.isoformat(),
            "started_at": session.started_at.isoformat() if session.started_at else None,
            "ended_at": session.ended_at.isoformat() if session.ended_at else None,
            "url": f"/live/{session.id}", "chot": bool(session.chot_enabled)}


def open_offers(session_id: int) -> list[LiveOffer]:
    return db.session.scalars(sa.select(LiveOffer).where(
        LiveOffer.session_id == session_id, LiveOffer.status == OfferStatus.OPEN).order_by(LiveOffer.id.desc())
        .options(joinedload(LiveOffer.product).selectinload(Product.photos))).all()


def recent_chat(session: LiveSession, limit: int = CHAT_HISTORY) -> list[dict]:
    messages = db.session.scalars(
        sa.select(ChatMessage).where(ChatMessage.session_id == session.id, ChatMessage.removed_at.is_(None))
        .order_by(ChatMessage.id.desc()).limit(limit)).all()
    return [chat_json(m, host_user_id=session.seller.user_id) for m in reversed(messages)]


def room_view(session_id: object) -> tuple[SessionRef, dict]:
    """What every joiner of a room gets alike (the hub caches it per room): who hosts it and where, and the
    snapshot. NotFound for a session that does not exist."""
    session = get_session(session_id)
    return SessionRef(session.id, session.commune_id, session.seller.user_id), snapshot(session)


def snapshot(session: LiveSession) -> dict:
    """Everything a viewer needs on joining (or re-joining after a drop)."""
    if session.status == SessionStatus.ENDED:
        hub.mark_ended(session.id)  # its hearts no longer count
    viewers, hearts = hub.totals(session.id)
    return {"session": session_json(session), "offers": [offer_json(o) for o in open_offers(session.id)],
            "chat": recent_chat(session), "viewers": viewers, "hearts": hearts}


# ---- chat and its moderation -------------------------------------------------------------------------

def mute_until(session: LiveSession, user_id: int) -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(LiveMute.until)).where(
        LiveMute.user_id == user_id, LiveMute.until > utcnow(),
        sa.or_(LiveMute.session_id == session.id, LiveMute.commune_id == session.commune_id)))


def clean_chat(text: object) -> str:
    if not isinstance(text, str):
        raise live_error("invalid", message=_("Write a message."), field="text")
    if len(text) > CHAT_MAX * 4:  # do not even clean a megabyte
        raise live_error("invalid", message=_("A message can have at most %(n)d characters.", n=CHAT_MAX),
                         field="text")
    text = clean_line(text)
    if not text:
        raise live_error("invalid", message=_("Write a message."), field="text")
    if len(text) > CHAT_MAX:
        raise live_error("invalid", message=_("A message can have at most %(n)d characters.", n=CHAT_MAX),
                         field="text")
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
    message_id = _int(message_id, "message_id", 1, 2**63 - 1, _("This message is not in this live session."))
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


def mute(session: LiveSession, actor: User, user_id: object, minutes: object, commune_wide: bool = False,
         reason: str | None = None) -> LiveMute:
    """Stop a user chatting for ``minutes`` in this session (or every session of its commune)."""
    require_moderator(session, actor)
    user_id = _int(user_id, "user_id", 1, 2**31 - 1, _("This person is not in the chat."))
    minutes = _int(minutes, "minutes", 1, MUTE_MAX_MINUTES,
                   _("Mute for 1 minute to 7 days (%(n)d minutes).", n=MUTE_MAX_MINUTES))
    target = db.session.get(User, user_id)
    if target is None:
        raise live_error("invalid", message=_("This person is not in the chat."), field="user_id")
    if target.id == actor.id or is_host(session, target) or target.can_staff(session.commune_id):
        raise live_error("forbidden", message=_("The host and the commune's staff cannot be muted."))
    until = utcnow() + timedelta(minutes=minutes)
    entry = LiveMute(session_id=None if commune_wide else session.id, commune_id=session.commune_id if commune_wide
                     else None, user_id=target.id, until=until, by_id=actor.id,
                     reason=clean_line(reason)[:200] or None)
    db.session.add(entry)
    db.session.flush()
    moderated.send(session, action="mute", actor=actor, target=target, mute=entry, minutes=minutes)
    uid, data = target.id, {"session_id": session.id, "until": until.isoformat()}
    on_commit(lambda: emit_user(uid, "muted", data))
    return entry


# ---- phone orders ("chốt đơn") ------------------------------------------------------------------------

def phone_order(session: LiveSession, actor: User, offer_id: object, req: PhoneOrderRequest) -> Placed:
    """An order the host or a staff helper enters for a caller (or a TikTok/Facebook comment) from the
    console: orders' one phone-order service (``orders.phone``), from this session's offer."""
    require_moderator(session, actor)
    if session.status != SessionStatus.LIVE:
        raise live_error("session_not_live")
    offer_id = _int(offer_id, "offer_id", 1, 2**31 - 1, _("Choose an offer."))
    info = offer_info(offer_id)
    if info is None or info.session_id != session.id:
        raise live_error("invalid", reason="unknown_offer", field="offer_id")
    return place_phone_order(actor, "offer", offer_id, session.seller_id, req, live_session_id=session.id)


# ---- lists --------------------------------------------------------------------------------------------

def listing(commune: Commune | None = None, upcoming_limit: int = 6, ended_limit: int = 0) -> dict:
    """Sessions live now, upcoming (soonest first) and, if asked, recently ended."""
    base = sa.select(LiveSession)
    if commune is not None:
        base = base.where(LiveSession.commune_id == commune.id)
    live = db.session.scalars(base.where(LiveSession.status == SessionStatus.LIVE)
                              .order_by(LiveSession.started_at.desc()).limit(20)).all()
    upcoming = db.session.scalars(base.where(LiveSession.status == SessionStatus.SCHEDULED,
                                             LiveSession.scheduled_at >= utcnow() - timedelta(hours=6))
                                  .order_by(LiveSession.scheduled_at).limit(upcoming_limit)).all()
    ended = db.session.scalars(base.where(LiveSession.status == SessionStatus.ENDED)
                               .order_by(LiveSession.ended_at.desc()).limit(ended_limit)).all() if ended_limit else []
    return {"live": live, "upcoming": upcoming, "ended": ended}


@dataclass(frozen=True)
class SoldItem:
    """A product sold in a session: units still held by its live orders, and the lowest live price."""

    product: Product
    units: int
    price_vnd: int
    public: bool  # still on sale (approved, shop open): the page links to it


def sold_in(session: LiveSession) -> list[SoldItem]:
    """What a session sold, best seller first (offers' ``sold``: cancelled and expired orders gave theirs back)."""
    from market.catalog.search import visible_product

    rows = db.session.execute(
        sa.select(LiveOffer.product_id, sa.func.sum(LiveOffer.sold), sa.func.min(LiveOffer.price_vnd))
        .where(LiveOffer.session_id == session.id, LiveOffer.sold > 0)
        .group_by(LiveOffer.product_id).order_by(sa.func.sum(LiveOffer.sold).desc(), LiveOffer.product_id)).all()
    out = []
    for product_id, units, price in rows:
        public = visible_product(product_id)
        product = public or db.session.get(Product, product_id)
        out.append(SoldItem(product, int(units), int(price), public is not None))
    return out


def next_session(session: LiveSession) -> LiveSession | None:
    """The host's next session (on air now, or the soonest scheduled), for the page of one that ended."""
    return db.session.scalar(sa.select(LiveSession).where(
        LiveSession.seller_id == session.seller_id, LiveSession.id != session.id,
        sa.or_(LiveSession.status == SessionStatus.LIVE,
               sa.and_(LiveSession.status == SessionStatus.SCHEDULED, LiveSession.scheduled_at >= utcnow())))
        .order_by(sa.case((LiveSession.status == SessionStatus.LIVE, 0), else_=1), LiveSession.scheduled_at)
        .limit(1))


def host_products(session: LiveSession) -> list[Product]:
    return db.session.scalars(sa.select(Product).where(
        Product.seller_id == session.seller_id, Product.status == ProductStatus.APPROVED).order_by(Product.title)).all()


def session_orders(session: LiveSession, limit: int = 50):
    from market.orders.models import Order

    return db.session.scalars(sa.select(Order).where(Order.live_session_id == session.id)
                              .order_by(Order.id.desc()).limit(limit)).all()
