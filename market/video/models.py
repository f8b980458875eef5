"""The state every app process shares about a live session's video (docs/video.md): ``LiveVideo`` — where its
room is and who publishes now (the live path) —, its ``Recording`` (the replay) and its ``HlsStream`` (crowds)."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from market.database import TimestampMixin, UTCDateTime
from market.extensions import db


class VideoStatus(enum.StrEnum):
    IDLE = "idle"  # a room exists (or existed) on the media server; nobody publishes
    PUBLISHING = "publishing"  # the host's phone is the room's one publisher (``feed_id``)


class LiveVideo(TimestampMixin, db.Model):
    """The session's VideoRoom on its media server, and its current publisher.

    1. ``server`` is chosen once (``janus.pick_server``) and kept: every app process finds the room there.
    2. ``room`` is random (one Janus serves several sites and test runs); its secret is derived from SECRET_KEY
       (``service.room_secret``), never stored.
    3. ``generation`` grows with every accepted publish: the WHIP resource of an older publish (a closed tab, the
       other phone) carries its generation and can no longer end or keep alive the current one.
    4. ``janus_session``/``janus_handle`` are the app's Janus session of the publisher (kept alive by the host's
       page through the app), ``feed_id`` the publisher's id in the room that viewers subscribe to.
    """

    __tablename__ = "live_videos"
    __table_args__ = (sa.CheckConstraint("status IN ('idle', 'publishing')", name="status_known"),)

    id = sa.Column(sa.Integer, primary_key=True)
    session_id = sa.Column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), nullable=False,
                           unique=True)
    server = sa.Column(sa.String(300), nullable=False)
    room = sa.Column(sa.BigInteger, nullable=False)
    status = sa.Column(sa.String(12), nullable=False, default=VideoStatus.IDLE)
    generation = sa.Column(sa.Integer, nullable=False, default=0)
    publisher_user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    janus_session = sa.Column(sa.BigInteger, nullable=True)
    janus_handle = sa.Column(sa.BigInteger, nullable=True)
    feed_id = sa.Column(sa.BigInteger, nullable=True)
    published_at = sa.Column(UTCDateTime(), nullable=True)  # when the current (or last) publish began
    stopped_at = sa.Column(UTCDateTime(), nullable=True)  # when the last publish ended

    session = relationship("LiveSession")

    @property
    def publishing(self) -> bool:
        return self.status == VideoStatus.PUBLISHING and self.feed_id is not None

    def __repr__(self) -> str:
        return f"<LiveVideo session={self.session_id} {self.status} gen={self.generation}>"


class RecordingStatus(enum.StrEnum):
    PENDING = "pending"  # the session ended; the job has not turned the .mjr files into a replay yet
    PROCESSING = "processing"  # one process claimed the job (``claimed_at`` says when: a stale claim is retried)
    READY = "ready"  # ``file`` plays
    FAILED = "failed"  # the tools failed ``attempts`` times; ``error`` says why (the page keeps the replay link)
    EMPTY = "empty"  # nothing was recorded (no publisher, or recording off)


class Recording(TimestampMixin, db.Model):
    """The replay of one session, made from the media server's recording after the session ended."""

    __tablename__ = "video_recordings"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'processing', 'ready', 'failed', 'empty')", name="status_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    session_id = sa.Column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), nullable=False,
                           unique=True)
    status = sa.Column(sa.String(12), nullable=False, default=RecordingStatus.PENDING)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    claimed_at = sa.Column(UTCDateTime(), nullable=True)
    # The replay's path under VIDEO_DIR (e.g. "replay/12/replay-3f9c.webm": a new name for each make, so a cache
    # may keep a file for ever).
    file = sa.Column(sa.String(200), nullable=True)
    bytes = sa.Column(sa.BigInteger, nullable=True)
    duration_ms = sa.Column(sa.Integer, nullable=True)
    # Wall-clock start and length of each publish (a host who reconnected makes several), in the order they
    # were joined into the file: a moment of the session maps to a position in the file (chapters.py).
    parts = sa.Column(sa.JSON, nullable=False, default=list)
    error = sa.Column(sa.String(300), nullable=True)

    def __repr__(self) -> str:
        return f"<Recording {self.session_id} {self.status}>"


class HlsStatus(enum.StrEnum):
    RUNNING = "running"  # Janus forwards the publisher's RTP to ffmpeg, which writes the playlist
    STOPPED = "stopped"  # forwarders removed; ffmpeg ends by itself once no packet arrives


class HlsStream(TimestampMixin, db.Model):
    """The HLS output of one live session: which machine runs its ffmpeg and which Janus forwarders feed it, so
    any app process can stop it."""

    __tablename__ = "video_hls"
    __table_args__ = (
        sa.CheckConstraint("status IN ('running', 'stopped')", name="status_known"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    session_id = sa.Column(sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), nullable=False,
                           unique=True)
    status = sa.Column(sa.String(10), nullable=False, default=HlsStatus.RUNNING)
    node = sa.Column(sa.String(100), nullable=False)  # host name of the machine running ffmpeg
    pid = sa.Column(sa.Integer, nullable=True)
    base_port = sa.Column(sa.Integer, nullable=False)  # audio RTP/RTCP, then video RTP/RTCP
    # Segment names start with it: a restarted stream never reuses a name a cache holds as immutable.
    token = sa.Column(sa.String(16), nullable=False)
    janus_url = sa.Column(sa.String(300), nullable=False)
    room = sa.Column(sa.BigInteger, nullable=False)
    publisher_id = sa.Column(sa.BigInteger, nullable=False)
    forwarders = sa.Column(sa.JSON, nullable=False, default=list)  # Janus stream ids
    stopped_at = sa.Column(UTCDateTime(), nullable=True)

    def __repr__(self) -> str:
        return f"<HlsStream {self.session_id} {self.status} {self.node}:{self.base_port}>"
