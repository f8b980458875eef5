"""Our own live video (issue 18, docs/video.md): the KOL publishes from her phone's browser over WebRTC to Janus,
viewers watch inside the live page. Off unless JANUS_URL is set: sessions keep their TikTok/Facebook/YouTube link
(required then; with video on it is optional, and a session without one is streamed only here).

``janus.py`` is the media server's client; ``tokens.py`` the publish token and signed resources; ``service.py``
the rules; ``routes.py`` the WHIP/WHEP-style endpoints (recording, HLS and chapters are ``recording.py``,
``hls.py``, ``chapters.py``). The video area depends on live (never the reverse): it hears ``live_ended``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("video", __name__)
media_bp = Blueprint("video_media", __name__)  # the HLS and replay files (replay.py)


def init_app(app: Flask) -> None:
    """The WHIP/WHEP endpoints and the media files, what it hears from live (a session ended) and from itself (a
    publish accepted), the recording and HLS hooks, ``live.streams.register_own_video``, the player, the host's
    panel and the replay in slots, and ``flask video-replays``."""
    from market.live.signals import live_ended
    from market.live.streams import register_own_video
    from market.ui import slot
    from market.video import hls, replay, routes, service  # noqa: F401 - routes: its views, on ``bp``
    from market.video.signals import publishing_started

    live_ended.connect(_session_ended, weak=False)
    publishing_started.connect(_start_hls, weak=False)
    service.register_room_options(_room_options)  # the room is recorded
    service.register_hls_url(hls.hls_url)
    register_own_video(service.enabled)  # a session streamed only here needs no outside link
    slot("live.video", "video", "video/_player.html", _player_slot, order=10)
    slot("live.host.video", "video", "video/_host_panel.html", _host_slot, order=10)
    replay.register()
    app.register_blueprint(bp)  # WHIP/WHEP routes: exempt from CSRF, bearer token or signed address
    app.register_blueprint(media_bp)
    replay.register_commands(app)


def _room_options(session) -> dict:
    from market.video import recording

    return recording.room_options(session.id)


def _player_slot(session=None, **_kw):
    """The watch page's player: for a session not over, on a site with video (it shows itself once the host
    streams, even if she starts after the page was opened)."""
    from flask import url_for

    from market.live.models import SessionStatus
    from market.video import service

    if session is None or not service.enabled() or session.status == SessionStatus.ENDED:
        return None
    video = service.video_of(session.id)
    return {
        "session": session,
        "on_air": bool(video and video.publishing),
        "whep_url": url_for("video.whep", session_id=session.id),
        "hls_url": service.hls_url(session),
    }


def _host_slot(session=None, is_host=False, **_kw):
    """The host console's "stream from this phone" panel (the host only, a session not over)."""
    from flask import url_for

    from market.live.models import SessionStatus
    from market.video import service

    if session is None or not is_host or not service.enabled() or session.status == SessionStatus.ENDED:
        return None
    video = service.video_of(session.id)
    return {
        "session": session,
        "on_air": bool(video and video.publishing),
        "token_url": url_for("video.publish_token", session_id=session.id),
        "probe_url": url_for("video.uplink_probe", session_id=session.id),
    }


def _session_ended(session_id, **_kw) -> None:
    from market.tasks import defer
    from market.video import service

    if service.enabled():
        defer(service.on_session_ended, session_id)


def _start_hls(session_id, server=None, room=None, feed_id=None, secret=None, offer_sdp=None, **_kw) -> None:
    """A publish was accepted (after its commit): the HLS output follows the new feed, in the background."""
    from market.tasks import defer
    from market.video import hls, janus

    defer(
        lambda: hls.start(
            session_id, janus.client(server), room=room, publisher_id=feed_id, secret=secret, offer_sdp=offer_sdp
        )
    )
