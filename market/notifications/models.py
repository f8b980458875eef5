"""In-app notifications: one row per message to one person."""

from __future__ import annotations

import sqlalchemy as sa

from market.database import UTCDateTime, utcnow
from market.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_read", "user_id", "read_at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = sa.Column(sa.String(40), nullable=False)  # e.g. "order.shipped"; renders the text in any language
    params = sa.Column(sa.JSON, nullable=False, default=dict)
    text = sa.Column(sa.String(500), nullable=False)  # as rendered for the recipient when it was sent
    link = sa.Column(sa.String(300), nullable=True)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    read_at = sa.Column(UTCDateTime(), nullable=True)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
