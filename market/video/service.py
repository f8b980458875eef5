"""The rules of our own live video: who may publish, one publisher per session, who may watch, and the calls to
the media server around them (docs/video.md).

1. Only the session's host publishes, with a publish token (``tokens.py``) asked for from her console; the
   token is checked in full when used: signature and age, the session in the address, the host (and her
   auth_version), the session not ended.
2. One publisher per session. A new publish while the current publisher still sends media is refused (409)
   unless the host asks to move the stream to this phone (``replace``); a publisher whose Janus session or
   PeerConnection is gone (a closed tab, a dropped network) is replaced silently: coming back resumes into
   the same session, the same room, the viewers resubscribe to the new feed.
3. Each accepted publish bumps ``LiveVideo.generation`` with a conditional UPDATE on the generation read, so
   two phones racing get one winner; the loser's Janus session is destroyed and it hears 409.
4. Janus is called only outside database transactions: the views commit (or roll back) between the steps
   ``prepare_publish`` → ``join_publisher`` → ``record_publish`` (the only exception to "one commit per
   request" in the app, because a transaction must never wait on the media server).
5. Viewers need no account: ``subscribe`` answers Janus's offer for the current feed; the browser's answer,
   its keepalives, its layer choice and its end go to the subscription's signed resource.
6. ``MediaUnavailable`` (Janus down or slow) reaches the views, which answer 503 with a message and leave the
   page's link/embed in place.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market.accounts.models import User
from market.database import on_commit, utcnow
from market.domain import DomainError
from market.extensions import db
from market.live.models import LiveSession, SessionStatus
from market.securitylog import security_event
from market.video import janus, tokens
from market.video.janus import JanusError, MediaUnavailable, SessionGone
from market.video.models import LiveVideo, VideoStatus
from market.video.signals import publishing_started, publishing_stopped

log = logging.getLogger(__name__)
MAX_SDP = 32 * 1024  # bytes; Chromium's simulcast offer is about 6 kB
ROOM_BITRATE = 1_500_000  # bits/s cap Janus asks the publisher to keep (REMB), all simulcast layers together
_room_options: list[Callable[[LiveSession], dict]] = []


class VideoRefused(DomainError):
    """A refusal with its HTTP status: 401 token, 403 not yours, 404 nothing there, 409 conflict, 410 gone."""


def enabled() -> bool:
    return janus.configured()


def register_room_options(fn: Callable[[LiveSession], dict]) -> None:
    """Let another module add VideoRoom ``create`` options for a session's room (the recording: ``record``,
    ``rec_dir``). ``fn(session)`` returns a dict; called when the room is created. Registering a function again
    changes nothing (every ``create_app`` registers it)."""
    if fn not in _room_options:
        _room_options.append(fn)


def hls_url(session: LiveSession) -> str | None:
    """The scalable path's playlist address for a live session, for players without WebRTC; None until the HLS
    module provides one (``register_hls_url``)."""
    for fn in _hls_providers:
        url = fn(session)
        if url:
            return url
    return None


_hls_providers: list[Callable[[LiveSession], str | None]] = []


def register_hls_url(fn: Callable[[LiveSession], str | None]) -> None:
    if fn not in _hls_providers:  # every create_app registers it
        _hls_providers.append(fn)


def room_secret(video: LiveVideo | int) -> str:
    """The room's secret (edit, destroy, kick, forwarders): derived from SECRET_KEY and the room id, never stored."""
    room = video.room if isinstance(video, LiveVideo) else int(video)
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"janus-room:{room}".encode(), hashlib.sha256).hexdigest()[:32]


def video_of(session_id: int) -> LiveVideo | None:
    return db.session.scalar(sa.select(LiveVideo).where(LiveVideo.session_id == session_id))


# ---- the publish token ------------------------------------------------------------------------------------


def issue_publish_token(session: LiveSession, user) -> str:
    """A publish token for the host of a session that is not over."""
    if not enabled():
        raise VideoRefused("video_off", _("Live video is not available on this site."), status=404)
    if not (user and user.is_authenticated and session.host_user_id == user.id):
        raise VideoRefused("not_found", _("Not found."), status=404)
    if session.status == SessionStatus.ENDED:
        raise VideoRefused("session_ended", _("This session has ended: it cannot be streamed any more."), status=409)
    return tokens.issue_publish_token(session.id, user)


def check_publish_token(session_id: int, token: str | None) -> tuple[LiveSession, User]:
    """The session and its host for a publish token good for ``session_id``; ``VideoRefused`` with a clear
    message otherwise (and a security log line)."""
    if not token:
        security_event("video_publish_refused", session_id=session_id, reason="no_token")
        raise VideoRefused(
            "not_logged_in", _("Publishing needs a publish token: open the host console again."), status=401
        )
    try:
        claim = tokens.read_publish_token(token)
    except tokens.BadToken as bad:
        security_event("video_publish_refused", session_id=session_id, reason=f"token_{bad.reason}")
        if bad.reason == "expired":
            raise VideoRefused(
                "token_expired", _("Your publish token has expired. Press Start again."), status=401
            ) from None
        raise VideoRefused("token_invalid", _("This publish token is not valid."), status=401) from None
    session = db.session.get(LiveSession, session_id)
    user = db.session.get(User, claim.user_id)
    if claim.session_id != session_id or session is None:
        security_event("video_publish_refused", session_id=session_id, user_id=claim.user_id, reason="other_session")
        raise VideoRefused("forbidden", _("This publish token is for another session."), status=403)
    if user is None or user.auth_version != claim.auth_version or user.is_banned or session.host_user_id != user.id:
        security_event("video_publish_refused", session_id=session_id, user_id=claim.user_id, reason="not_host")
        raise VideoRefused("forbidden", _("Only the session's host can stream to it. Log in again."), status=403)
    if session.status == SessionStatus.ENDED:
        security_event("video_publish_refused", session_id=session_id, user_id=user.id, reason="session_ended")
        raise VideoRefused("session_ended", _("This session has ended: it cannot be streamed any more."), status=409)
    return session, user


# ---- publishing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishPlan:
    session_id: int
    user_id: int
    display: str
    server: str
    room: int
    generation: int
    old_janus_session: int | None
    old_feed: int | None
    was_publishing: bool
    room_options: dict


@dataclass(frozen=True)
class Joined:
    janus_session: int
    janus_handle: int
    feed_id: int
    answer_sdp: str


def check_sdp(body: bytes, kind: str = "offer") -> str:
    if len(body) > MAX_SDP:
        raise VideoRefused("too_large", _("This session description is too large."), status=413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise VideoRefused("invalid", _("This is not a session description."), status=400) from None
    if not text.startswith("v=0") or "\x00" in text or "m=" not in text:
        raise VideoRefused("invalid", _("This is not a session description."), status=400)
    return text


def ensure_video(session: LiveSession) -> LiveVideo:
    """The session's row, made on first use: its media server chosen for good and a random room id. Flushes."""
    video = video_of(session.id)
    if video is not None:
        return video
    try:
        with db.session.begin_nested():
            video = LiveVideo(
                session_id=session.id,
                server=janus.pick_server(session.id),
                room=secrets.randbelow(2**52) + 1,
                status=VideoStatus.IDLE,
                generation=0,
            )
            db.session.add(video)
    except IntegrityError:  # another request made it a moment ago
        video = video_of(session.id)
        if video is None:
            raise
    return video


def prepare_publish(session: LiveSession, user: User) -> PublishPlan:
    """What ``join_publisher`` needs, read (and the row made) in the caller's transaction."""
    video = ensure_video(session)
    options: dict = {}
    for fn in _room_options:
        options.update(fn(session) or {})
    return PublishPlan(
        session_id=session.id,
        user_id=user.id,
        display=session.seller.shop_name[:60],
        server=video.server,
        room=video.room,
        generation=video.generation,
        old_janus_session=video.janus_session,
        old_feed=video.feed_id,
        was_publishing=video.status == VideoStatus.PUBLISHING,
        room_options=options,
    )


def _publisher_alive(jan: janus.Janus, plan: PublishPlan) -> bool:
    """True while the current publisher still has its Janus session and sends media in the room."""
    if not (plan.was_publishing and plan.old_janus_session and plan.old_feed):
        return False
    try:
        jan.keepalive(plan.old_janus_session)
    except SessionGone:
        return False
    try:
        participants = jan.participants(plan.room)
    except JanusError:
        return False
    return any(p.get("id") == plan.old_feed and p.get("publisher") for p in participants)


def _create_room(jan: janus.Janus, plan: PublishPlan) -> None:
    try:
        jan.create_room(
            plan.room,
            room_secret(plan.room),
            description=f"live {plan.session_id}",
            publishers=2,
            bitrate=ROOM_BITRATE,
            **plan.room_options,
        )
    except JanusError as err:
        if err.code != janus.ROOM_EXISTS:
            raise


def join_publisher(plan: PublishPlan, offer_sdp: str, replace: bool = False) -> Joined:
    """On the media server (no transaction open): refuse a second publisher unless ``replace``, take the old one
    out, join the room with the offer and return Janus's answer. The room allows two publishers for the moment
    of a hand-over; the app lets only one be current."""
    jan = janus.client(plan.server)
    if _publisher_alive(jan, plan):
        if not replace:
            raise VideoRefused(
                "publisher_exists",
                _(
                    "This session is already being streamed from another phone or tab. To stream from this one "
                    "instead, press \u201cStream from this phone\u201d."
                ),
                status=409,
            )
    if plan.old_janus_session:
        jan.destroy(plan.old_janus_session)  # the old publisher leaves the room (if it was still there)
    # The room first (already there is fine): a first publish, or Janus restarted since. Joining a missing room
    # would have spent the handle's ICE agent on the offer, so it is never tried and retried.
    _create_room(jan, plan)
    session_id = jan.create_session()
    try:
        handle = jan.attach(session_id)
        request = {"request": "joinandconfigure", "ptype": "publisher", "room": plan.room, "display": plan.display}
        answer = jan.message(session_id, handle, request, {"type": "offer", "sdp": offer_sdp})
        feed = answer.data.get("id")
        if not isinstance(feed, int) or not answer.jsep or answer.jsep.get("type") != "answer":
            raise MediaUnavailable("the media server did not answer the offer")
        return Joined(janus_session=session_id, janus_handle=handle, feed_id=feed, answer_sdp=answer.jsep["sdp"])
    except JanusError as err:
        jan.destroy(session_id)
        log.warning("publish to session %s refused by Janus: %s", plan.session_id, err)
        raise VideoRefused(
            "invalid", _("The media server refused this stream. Reload the page and try again."), status=400
        ) from None
    except BaseException:
        _quietly_destroy(jan, session_id)
        raise


def _quietly_destroy(jan: janus.Janus, session_id: int) -> None:
    try:
        jan.destroy(session_id)
    except (MediaUnavailable, JanusError) as err:  # Janus drops an idle session after its own timeout (60 s)
        log.info("Janus session %s left to time out: %s", session_id, err)


def record_publish(plan: PublishPlan, joined: Joined, offer_sdp: str | None = None) -> int:
    """Make ``joined`` the current publisher if nobody else won meanwhile; the new generation. Flushes."""
    now = utcnow()
    generation = plan.generation + 1
    done = db.session.execute(
        sa.update(LiveVideo)
        .where(LiveVideo.session_id == plan.session_id, LiveVideo.generation == plan.generation)
        .values(
            status=VideoStatus.PUBLISHING,
            generation=generation,
            publisher_user_id=plan.user_id,
            janus_session=joined.janus_session,
            janus_handle=joined.janus_handle,
            feed_id=joined.feed_id,
            published_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise VideoRefused(
            "publisher_exists",
            _(
                "This session is already being streamed from another phone or tab. To stream from this one "
                "instead, press \u201cStream from this phone\u201d."
            ),
            status=409,
        )
    security_event(
        "video_publish",
        user_id=plan.user_id,
        session_id=plan.session_id,
        generation=generation,
        replaced=bool(plan.old_janus_session),
    )
    sid, server, room, feed = plan.session_id, plan.server, plan.room, joined.feed_id
    secret = room_secret(room)
    on_commit(
        lambda: publishing_started.send(sid, server=server, room=room, feed_id=feed, secret=secret, offer_sdp=offer_sdp)
    )
    return generation


def abandon(plan: PublishPlan, joined: Joined) -> None:
    """A join that lost the race (or failed to be recorded): its Janus session goes."""
    _quietly_destroy(janus.client(plan.server), joined.janus_session)


def publish_resource(session_id: int, generation: int) -> str:
    return tokens.make_resource("pub", s=session_id, g=generation)


def current_publish(session_id: int, resource: str) -> LiveVideo:
    """The row when ``resource`` is the current publish of the session; 404 for a forged one, 410 for a
    publish another phone (or a later tab) replaced, or that ended."""
    data = tokens.read_resource(resource, "pub", session_id)
    if data is None:
        raise VideoRefused("not_found", _("Not found."), status=404)
    video = video_of(session_id)
    if video is None:
        raise VideoRefused("not_found", _("Not found."), status=404)
    if video.generation != data.get("g") or video.status != VideoStatus.PUBLISHING:
        raise VideoRefused(
            "replaced",
            _("This stream has stopped: it was replaced from another phone or tab, or it ended."),
            status=410,
        )
    return video


def keep_publishing(server: str, janus_session: int) -> None:
    """The host's page says it is still there (every 20 s): keep the publisher's Janus session alive. Takes plain
    values, not the row: after the caller ended its transaction, touching the row would open another one (a
    read lock held across the Janus call stalls every SQLite writer of a gevent process)."""
    janus.client(server).keepalive(janus_session)


def mark_stopped(session_id: int, generation: int) -> bool:
    """The publish of ``generation`` is over (ended by the host, replaced, its Janus session gone). Flushes."""
    now = utcnow()
    done = db.session.execute(
        sa.update(LiveVideo)
        .where(
            LiveVideo.session_id == session_id,
            LiveVideo.generation == generation,
            LiveVideo.status == VideoStatus.PUBLISHING,
        )
        .values(
            status=VideoStatus.IDLE, janus_session=None, janus_handle=None, feed_id=None, stopped_at=now, updated_at=now
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        on_commit(lambda: publishing_stopped.send(session_id, generation=generation))
    return bool(done)


def stop_on_server(server: str, janus_session: int | None) -> None:
    if janus_session:
        _quietly_destroy(janus.client(server), janus_session)


def close_room(server: str, room: int) -> None:
    try:
        janus.client(server).destroy_room(room, room_secret(room))
    except (MediaUnavailable, JanusError) as err:
        log.warning("room %s on %s not destroyed: %s", room, server, err)


# ---- watching ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    resource: str
    offer_sdp: str
    feed_id: int


def watchable(session: LiveSession) -> LiveVideo | None:
    """The video row when the session is on (not ended) and its host is publishing."""
    if not enabled() or session.status == SessionStatus.ENDED:
        return None
    video = video_of(session.id)
    return video if video is not None and video.publishing else None


def subscribe(session_id: int, server: str, room: int, feed_id: int) -> Subscription:
    """A subscriber on the media server for ``feed_id`` (no transaction open): Janus's offer and the signed
    resource of the subscription."""
    jan = janus.client(server)
    js = jan.create_session()
    try:
        handle = jan.attach(js)
        answer = jan.message(
            js, handle, {"request": "join", "ptype": "subscriber", "room": room, "streams": [{"feed": feed_id}]}
        )
    except JanusError as err:
        _quietly_destroy(jan, js)
        if err.code in (janus.NO_SUCH_FEED, janus.ROOM_NOT_FOUND):
            raise VideoRefused("not_on_air", _("The host is not streaming right now."), status=404) from None
        raise MediaUnavailable(str(err)) from None
    except BaseException:
        _quietly_destroy(jan, js)
        raise
    if not answer.jsep or answer.jsep.get("type") != "offer":
        _quietly_destroy(jan, js)
        raise MediaUnavailable("the media server sent no offer")
    mids = [str(st.get("mid")) for st in answer.data.get("streams") or [] if st.get("type") == "video"]
    video_mid = {"v": int(mids[0])} if mids and mids[0].isdigit() else {}
    resource = tokens.make_resource("sub", s=session_id, j=js, h=handle, f=feed_id, **video_mid)
    return Subscription(resource=resource, offer_sdp=answer.jsep["sdp"], feed_id=feed_id)


def subscription(session_id: int, resource: str) -> dict:
    data = tokens.read_resource(resource, "sub", session_id)
    if data is None:
        raise VideoRefused("not_found", _("Not found."), status=404)
    return data


def start_watching(server: str, sub: dict, answer_sdp: str) -> None:
    try:
        janus.client(server).message(sub["j"], sub["h"], {"request": "start"}, {"type": "answer", "sdp": answer_sdp})
    except SessionGone:
        raise VideoRefused("gone", _("This video connection has expired. Reload the page."), status=410) from None
    except JanusError:
        raise VideoRefused("invalid", _("This is not a session description."), status=400) from None


LAYERS = {"high": (2, 2), "medium": (1, 2), "low": (0, 1)}


def choose_layer(server: str, sub: dict, layer: str, audio_only: bool = False) -> None:
    """A viewer on a weak downlink takes a lower simulcast layer (or stops the video: audio only)."""
    if "v" not in sub:
        raise VideoRefused("invalid", _("This stream has no video."), status=400)
    substream, temporal = LAYERS.get(layer, LAYERS["high"])
    streams = [{"mid": str(sub["v"]), "send": not audio_only}]
    if not audio_only:
        streams[0].update(substream=substream, temporal=temporal)
    try:
        janus.client(server).message(sub["j"], sub["h"], {"request": "configure", "streams": streams})
    except SessionGone:
        raise VideoRefused("gone", _("This video connection has expired. Reload the page."), status=410) from None
    except JanusError as err:
        raise VideoRefused("invalid", err.reason, status=400) from None


def keep_watching(server: str, sub: dict) -> None:
    try:
        janus.client(server).keepalive(sub["j"])
    except SessionGone:
        raise VideoRefused("gone", _("This video connection has expired. Reload the page."), status=410) from None


def stop_watching(server: str, sub: dict) -> None:
    _quietly_destroy(janus.client(server), sub["j"])


# ---- the session ends ---------------------------------------------------------------------------------------


def on_session_ended(session_id: int) -> None:
    """The session went off air: stop the publisher and close the room (after commit, outside the request's
    transaction: the host's and staff's "end" must not wait on the media server or fail with it)."""
    video = video_of(session_id)
    if video is None:
        return
    server, room, js, generation = video.server, video.room, video.janus_session, video.generation
    mark_stopped(session_id, generation)
    db.session.commit()
    stop_on_server(server, js)
    close_room(server, room)
