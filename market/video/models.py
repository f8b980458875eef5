"""One row per live session that has used our own video: where its room is and who publishes now."""

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
