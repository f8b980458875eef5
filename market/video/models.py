"""The state every app process shares about a live session's video (docs/video.md): ``LiveVideo`` — where its
room is and who publishes now (the live path) —, its ``Recording`` (the replay) and its ``HlsStream`` (crowds)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.database import StrEnumType, TimestampMixin, UTCDateTime
from market.extensions import Model

if TYPE_CHECKING:
    from market.live.models import LiveSession


class VideoStatus(enum.StrEnum):
    IDLE = "idle"  # a room exists (or existed) on the media server; nobody publishes
    PUBLISHING = "publishing"  # the host's phone is the room's one publisher (``feed_id``)


class LiveVideo(TimestampMixin, Model):
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

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), unique=True
    )
    server: Mapped[str] = mapped_column(sa.String(300))
    room: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[VideoStatus] = mapped_column(StrEnumType(VideoStatus, 12), default=VideoStatus.IDLE)
    generation: Mapped[int] = mapped_column(sa.Integer, default=0)
    publisher_user_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    janus_session: Mapped[int | None] = mapped_column(sa.BigInteger)
    janus_handle: Mapped[int | None] = mapped_column(sa.BigInteger)
    feed_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the current (or last) publish began
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the last publish ended

    session: Mapped[LiveSession] = relationship()

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


class Recording(TimestampMixin, Model):
    """The replay of one session, made from the media server's recording after the session ended."""

    __tablename__ = "video_recordings"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'processing', 'ready', 'failed', 'empty')", name="status_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[RecordingStatus] = mapped_column(StrEnumType(RecordingStatus, 12), default=RecordingStatus.PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The replay's path under VIDEO_DIR (e.g. "replay/12/replay-3f9c.webm": a new name for each make, so a cache
    # may keep a file for ever).
    file: Mapped[str | None] = mapped_column(sa.String(200))
    bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(sa.Integer)
    # Wall-clock start and length of each publish (a host who reconnected makes several), in the order they
    # were joined into the file: a moment of the session maps to a position in the file (chapters.py).
    parts: Mapped[list[list[int]]] = mapped_column(sa.JSON, default=list)
    error: Mapped[str | None] = mapped_column(sa.String(300))

    def __repr__(self) -> str:
        return f"<Recording {self.session_id} {self.status}>"


class HlsStatus(enum.StrEnum):
    RUNNING = "running"  # Janus forwards the publisher's RTP to ffmpeg, which writes the playlist
    STOPPED = "stopped"  # forwarders removed; ffmpeg ends by itself once no packet arrives


class HlsStream(TimestampMixin, Model):
    """The HLS output of one live session: which machine runs its ffmpeg and which Janus forwarders feed it, so
    any app process can stop it."""

    __tablename__ = "video_hls"
    __table_args__ = (sa.CheckConstraint("status IN ('running', 'stopped')", name="status_known"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("live_sessions.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[HlsStatus] = mapped_column(StrEnumType(HlsStatus, 10), default=HlsStatus.RUNNING)
    node: Mapped[str] = mapped_column(sa.String(100))  # host name of the machine running ffmpeg
    pid: Mapped[int | None] = mapped_column(sa.Integer)
    base_port: Mapped[int] = mapped_column(sa.Integer)  # audio RTP/RTCP, then video RTP/RTCP
    # Segment names start with it: a restarted stream never reuses a name a cache holds as immutable.
    token: Mapped[str] = mapped_column(sa.String(16))
    janus_url: Mapped[str] = mapped_column(sa.String(300))
    room: Mapped[int] = mapped_column(sa.BigInteger)
    publisher_id: Mapped[int] = mapped_column(sa.BigInteger)
    forwarders: Mapped[list[int]] = mapped_column(sa.JSON, default=list)  # Janus stream ids
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<HlsStream {self.session_id} {self.status} {self.node}:{self.base_port}>"
