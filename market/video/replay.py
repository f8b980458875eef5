"""The files of the live video the app serves itself, and the wiring of the recording and HLS jobs.

- ``/live/<id>/hls/index.m3u8`` and its segments: the playlist may be cached one second (it changes every
  segment), a segment for a year (its name is never reused: hls.py). A CDN in front caches both as told.
- ``/live/<id>/replay/<name>.webm``: the session's replay, with range requests (the player seeks), cached for a
  year (a new make gets a new name).
- ``live_ended`` stops the HLS output and makes the replay (both in the background, after the commit).
- ``flask video-replays`` makes the replays a dead process or a failed tool left undone (run it from cron, like
  ``flask expire-holds``).
In production a reverse proxy may serve VIDEO_DIR/hls and VIDEO_DIR/replay directly with the same headers
(docs/video.md).
"""

from __future__ import annotations

import re

import click
from flask import Flask, abort, send_from_directory, url_for

from market.extensions import db
from market.live.models import LiveSession
from market.live.signals import live_ended
from market.ui import slot
from market.video import hls, recording
from market.video import media_bp as bp

ONE_YEAR = 365 * 24 * 3600
REPLAY_NAME = re.compile(r"replay-[a-f0-9]{8}\.webm")


@bp.get("/live/<int:session_id>/hls/<name>", endpoint="hls")
def hls_file(session_id: int, name: str):
    if db.session.get(LiveSession, session_id) is None:
        abort(404)
    if name == hls.PLAYLIST:
        mimetype, cache = "application/vnd.apple.mpegurl", "public, max-age=1"
    elif hls.SEGMENT_NAME.fullmatch(name):
        mimetype, cache = "video/mp2t", f"public, max-age={ONE_YEAR}, immutable"
    else:
        abort(404)
    response = send_from_directory(
        hls.hls_dir(session_id), name, mimetype=mimetype, conditional=True, etag=name != hls.PLAYLIST
    )
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/live/<int:session_id>/replay/<name>")
def replay_file(session_id: int, name: str):
    if not REPLAY_NAME.fullmatch(name):
        abort(404)
    path = recording.replay_path(recording.recording_of(session_id))
    if path is None or path.name != name:
        abort(404)
    response = send_from_directory(
        path.parent, name, mimetype="video/webm", conditional=True, etag=True, max_age=ONE_YEAR
    )
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def replay_url(session_id: int) -> str | None:
    path = recording.replay_path(recording.recording_of(session_id))
    return url_for("video_media.replay_file", session_id=session_id, name=path.name) if path else None


def register() -> None:
    """``live_ended`` reaches the HLS and recording jobs, and the ended page shows the replay (the video area's
    ``init_app`` calls it)."""
    live_ended.connect(hls.on_live_ended)
    live_ended.connect(recording.on_live_ended)
    slot("live.replay", "video.replay", "video/_replay.html", _replay_slot)


def register_commands(app: Flask) -> None:
    @app.cli.command("video-replays")
    @click.option("--limit", default=50, show_default=True, help="Sessions to look at in this run.")
    def video_replays(limit: int) -> None:
        """Make the replays of ended sessions still waiting for one (a dead process, a tool that failed)."""
        for session_id in recording.pending_sessions(limit):
            made = recording.make_replay(session_id)
            status = made.status if made is not None else "skipped"
            click.echo(f"session {session_id}: {status}")


def _replay_slot(session=None, **_kw) -> dict | None:
    """What the ended page shows of the video area: our replay and the chapters (None: the page's link as is)."""
    from market.video import chapters
    from market.video.models import RecordingStatus

    made = recording.recording_of(session.id)
    url = replay_url(session.id)
    listed = chapters.for_session(session, made if url else None)
    processing = made is not None and made.status in (RecordingStatus.PENDING, RecordingStatus.PROCESSING)
    if not url and not listed and not processing:
        return None
    return {"replay_url": url, "chapters": listed, "processing": processing}
