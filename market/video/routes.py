"""WHIP/WHEP-style signalling through the app (docs/video.md): the browser never talks to Janus's API.

Publishing (the host): ``POST /live/<id>/video/token`` (her cookie, CSRF) → a publish token;
``POST /live/<id>/video/whip`` with ``Authorization: Bearer <token>`` and the SDP offer (``application/sdp``)
→ 201, the SDP answer and ``Location`` (the publish's signed resource); ``POST <Location>/keepalive`` every
20 s; ``DELETE <Location>`` ends it.
Watching (anyone, no account): ``POST /live/<id>/video/whep`` → 201, Janus's SDP offer and ``Location``;
``PATCH <Location>`` with the browser's SDP answer; ``POST <Location>/keepalive`` (says which feed is current,
so a viewer follows a resumed stream), ``POST <Location>/layer`` (``high|medium|low|audio``), ``DELETE``.

CSRF: the token route is a cookie-authenticated form post and is checked. The WHIP/WHEP routes are exempt, like
the webhooks: they are authenticated by a bearer token or by the signed resource in the address, never by a
cookie, and they take ``application/sdp`` (or nothing), which a cross-site form cannot send.
Every refusal is JSON ``{ok: false, error, message}`` with its status; Janus down is 503, never a 500.
"""

from __future__ import annotations

from flask import Response, abort, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market import ratelimit
from market.extensions import csrf, db
from market.live.models import LiveSession
from market.securitylog import security_event
from market.video import bp, service, tokens
from market.video.janus import MediaUnavailable
from market.video.service import VideoRefused

ISSUE_RATE = "20/minute"  # per host
PUBLISH_RATE = "12/minute"  # per host: a retry every 5 s at most
# Per IP. Vietnamese mobile networks put many phones behind one address (carrier-grade NAT): a viewer costs
# about 4 subscribe calls a minute while waiting for the host (one every 15–20 s) and 5 resource calls while
# watching, so these let a few dozen viewers share an address and still stop a flood.
WATCH_RATE = "240/minute"
RESOURCE_RATE = "600/minute"  # keepalives, layer changes, answers
SDP = "application/sdp"


def _refuse(status: int, code: str, message: str):
    response = jsonify({"ok": False, "error": code, "message": message})
    response.status_code = status
    return response


@bp.errorhandler(VideoRefused)
def _refused(err: VideoRefused):
    return _refuse(err.status, err.code, err.message)


@bp.errorhandler(MediaUnavailable)
def _unavailable(err: MediaUnavailable):
    db.session.rollback()
    current_app.logger.warning("media server unavailable: %s", err)
    # The host publishing and a viewer both read this; the viewer's page shows its own fallback (link or none).
    response = _refuse(
        503,
        "media_unavailable",
        _("Live video is not available right now. Try again in a moment; ordering works as usual."),
    )
    response.headers["Retry-After"] = "10"
    return response


def _enabled_session(session_id: int, limit: str | None = None, *keys: str) -> LiveSession:
    """The session (404 without video or without the session). ``limit`` is counted first, before any read: with
    a Redis store the count is a network round trip, never to be made with a transaction open."""
    if not service.enabled():
        abort(404)
    if limit:
        _limited(limit, *keys)
    return db.session.get(LiveSession, session_id) or abort(404)


def _limited(limit: str, *keys: str) -> None:
    if not ratelimit.hit(limit, *keys):
        raise VideoRefused("rate_limited", _("You are going a little fast. Wait a moment and try again."), status=429)


def _sdp_body(kind: str = "offer") -> str:
    if (request.mimetype or "") != SDP:
        raise VideoRefused("invalid", _("Send the session description as application/sdp."), status=415)
    if request.content_length is not None and request.content_length > service.MAX_SDP:
        raise VideoRefused("too_large", _("This session description is too large."), status=413)
    return service.check_sdp(request.get_data(cache=False)[: service.MAX_SDP + 1], kind)


def _end_transaction() -> None:
    """Close the request's transaction before calling the media server (service.py, point 4)."""
    db.session.commit()


def _sdp_response(sdp: str, location: str, status: int = 201) -> Response:
    response = Response(sdp, status=status, mimetype=SDP)
    response.headers["Location"] = location
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- publishing -------------------------------------------------------------------------------------------


@bp.post("/live/<int:session_id>/video/token")
@login_required
def publish_token(session_id: int):
    session = _enabled_session(session_id)
    _limited(ISSUE_RATE, "video-token", str(current_user.id))
    token = service.issue_publish_token(session, current_user)
    return jsonify(
        {
            "ok": True,
            "token": token,
            "expires_in": tokens.publish_token_max_age(),
            "whip_url": url_for("video.whip", session_id=session.id),
            "ice_servers": [{"urls": u} for u in current_app.config.get("VIDEO_ICE_SERVERS") or ()],
        }
    )


PROBE_MAX = 512 * 1024  # bytes of the uplink check


@bp.post("/live/<int:session_id>/video/probe")
@login_required
def uplink_probe(session_id: int):
    """The host console's uplink check: it uploads a few hundred kB and times it (the body is dropped)."""
    session = _enabled_session(session_id)
    if session.host_user_id != current_user.id:
        abort(404)
    _limited(ISSUE_RATE, "video-probe", str(current_user.id))
    if request.content_length is None or request.content_length > PROBE_MAX:
        raise VideoRefused("too_large", _("The uplink check sends at most 512 kB."), status=413)
    received = len(request.get_data(cache=False))
    return jsonify({"ok": True, "bytes": received})


@bp.post("/live/<int:session_id>/video/whip")
@csrf.exempt
def whip(session_id: int):
    _enabled_session(session_id)
    session, user = service.check_publish_token(session_id, tokens.bearer(request.headers.get("Authorization")))
    user_id = user.id
    _end_transaction()  # the limiter's store (Redis) is a round trip: not with a transaction open
    _limited(PUBLISH_RATE, "video-publish", str(user_id))
    offer = _sdp_body()
    plan = service.prepare_publish(session, user)
    _end_transaction()
    joined = service.join_publisher(plan, offer, replace=request.args.get("replace") == "1")
    try:
        generation = service.record_publish(plan, joined, offer)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        service.abandon(plan, joined)
        raise
    location = url_for(
        "video.whip_resource", session_id=session_id, resource=service.publish_resource(session_id, generation)
    )
    return _sdp_response(joined.answer_sdp, location)


@bp.post("/live/<int:session_id>/video/whip/<resource>/keepalive")
@csrf.exempt
def whip_keepalive(session_id: int, resource: str):
    _enabled_session(session_id, RESOURCE_RATE, "video-resource", request.remote_addr or "-")
    video = service.current_publish(session_id, resource)
    generation, server, js = video.generation, video.server, video.janus_session
    _end_transaction()
    try:
        service.keep_publishing(server, js)
    except service.SessionGone:
        service.mark_stopped(session_id, generation)
        db.session.commit()
        service.stop_on_server(server, js)
        raise VideoRefused(
            "replaced",
            _("This stream has stopped: it was replaced from another phone or tab, or it ended."),
            status=410,
        ) from None
    return Response(status=204)


@bp.route("/live/<int:session_id>/video/whip/<resource>", methods=["DELETE"])
@csrf.exempt
def whip_resource(session_id: int, resource: str):
    _enabled_session(session_id, RESOURCE_RATE, "video-resource", request.remote_addr or "-")
    video = service.current_publish(session_id, resource)
    server, js = video.server, video.janus_session
    service.mark_stopped(session_id, video.generation)
    security_event("video_publish_stopped", user_id=video.publisher_user_id, session_id=session_id)
    db.session.commit()
    service.stop_on_server(server, js)
    return Response(status=204)


# ---- watching ---------------------------------------------------------------------------------------------


@bp.post("/live/<int:session_id>/video/whep")
@csrf.exempt
def whep(session_id: int):
    session = _enabled_session(session_id, WATCH_RATE, "video-watch", request.remote_addr or "-")
    video = service.watchable(session)
    if video is None:
        raise VideoRefused("not_on_air", _("The host is not streaming right now."), status=404)
    server, room, feed = video.server, video.room, video.feed_id
    _end_transaction()
    sub = service.subscribe(session_id, server, room, feed)
    response = _sdp_response(
        sub.offer_sdp, url_for("video.whep_resource", session_id=session_id, resource=sub.resource)
    )
    response.headers["X-Video-Feed"] = str(sub.feed_id)
    return response


def _subscription(session_id: int, resource: str) -> tuple[str, dict]:
    session = _enabled_session(session_id, RESOURCE_RATE, "video-resource", request.remote_addr or "-")
    sub = service.subscription(session_id, resource)
    video = service.video_of(session.id)
    if video is None:
        abort(404)
    server = video.server
    _end_transaction()
    return server, sub


@bp.route("/live/<int:session_id>/video/whep/<resource>", methods=["PATCH", "DELETE"])
@csrf.exempt
def whep_resource(session_id: int, resource: str):
    if request.method == "DELETE":
        server, sub = _subscription(session_id, resource)
        service.stop_watching(server, sub)
        return Response(status=204)
    server, sub = _subscription(session_id, resource)
    service.start_watching(server, sub, _sdp_body("answer"))
    return Response(status=204)


@bp.post("/live/<int:session_id>/video/whep/<resource>/keepalive")
@csrf.exempt
def whep_keepalive(session_id: int, resource: str):
    """Keep the subscription alive; say which feed is current, so a page watching an old one resubscribes."""
    server, sub = _subscription(session_id, resource)
    session = db.session.get(LiveSession, session_id)
    video = service.watchable(session) if session is not None else None
    current = video.feed_id if video is not None else None
    _end_transaction()
    service.keep_watching(server, sub)
    return jsonify({"ok": True, "feed": current, "current": current == sub.get("f")})


@bp.post("/live/<int:session_id>/video/whep/<resource>/layer")
@csrf.exempt
def whep_layer(session_id: int, resource: str):
    server, sub = _subscription(session_id, resource)
    data = request.get_json(silent=True) if request.is_json else None
    layer = data.get("layer") if isinstance(data, dict) else None
    if layer not in ("high", "medium", "low", "audio"):
        raise VideoRefused("invalid", _("Choose high, medium, low or audio."), status=400)
    service.choose_layer(server, sub, "low" if layer == "audio" else layer, audio_only=layer == "audio")
    return Response(status=204)
