"""Moderation records: the append-only audit log, buyers' reports, and villagers registered by a helper."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from market.database import TimestampMixin, UTCDateTime, utcnow
from market.extensions import db


class AuditEntry(db.Model):
    """One staff or admin action: who, when, what, on which object, in which commune, and why.

    Append-only. No code path updates or deletes a row (``guard_audit_log`` refuses it in the ORM), and
    database triggers refuse UPDATE and DELETE on PostgreSQL and UPDATE on SQLite (see the migration).
    Labels are copied at the time of the action, so the log still reads right after names change.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_commune_created", "commune_id", "created_at"),
        sa.Index("ix_audit_entries_object", "object_type", "object_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True, index=True)  # None: a CLI command
    actor_label = sa.Column(sa.String(120), nullable=False)
    action = sa.Column(sa.String(40), nullable=False, index=True)  # "seller.approve", "user.ban" …
    object_type = sa.Column(sa.String(30), nullable=True)  # "seller", "user", "report" …
    object_id = sa.Column(sa.Integer, nullable=True)
    object_label = sa.Column(sa.String(200), nullable=False, default="")
    commune_id = sa.Column(sa.Integer, sa.ForeignKey("communes.id"), nullable=True)  # None: platform-wide
    reason = sa.Column(sa.String(500), nullable=True)
    details = sa.Column(sa.JSON, nullable=False, default=dict)

    actor = relationship("User", lazy="joined")
    commune = relationship("Commune", lazy="joined")

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"


class ReportStatus(enum.StrEnum):
    OPEN = "open"  # new; nobody has looked at it yet
    IN_REVIEW = "in_review"  # a staff member took it
    RESOLVED = "resolved"  # acted upon; the note says what was done
    DISMISSED = "dismissed"  # nothing wrong found; the note says why


OPEN_REPORT_STATUSES = (ReportStatus.OPEN, ReportStatus.IN_REVIEW)


class Report(TimestampMixin, db.Model):
    """A buyer's report about a listing, a shop, a chat message or an order.

    The target is generic (``target_type`` + ``target_id``, see ``targets.py``); its commune is resolved once,
    when the report is made, so the report lands in the right staff queue even if the target goes away.
    """

    __tablename__ = "reports"
    __table_args__ = (sa.Index("ix_reports_commune_status", "commune_id", "status"),
                      sa.Index("ix_reports_target", "target_type", "target_id"))

    id = sa.Column(sa.Integer, primary_key=True)
    reporter_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    target_type = sa.Column(sa.String(20), nullable=False)
    target_id = sa.Column(sa.Integer, nullable=False)
    target_label = sa.Column(sa.String(200), nullable=False)
    commune_id = sa.Column(sa.Integer, sa.ForeignKey("communes.id"), nullable=False)
    category = sa.Column(sa.String(20), nullable=False)
    text = sa.Column(sa.Text, nullable=False, default="")
    status = sa.Column(sa.String(12), nullable=False, default=ReportStatus.OPEN)
    resolution_note = sa.Column(sa.String(500), nullable=True)
    handled_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)
    handled_at = sa.Column(UTCDateTime(), nullable=True)

    reporter = relationship("User", foreign_keys=[reporter_id], lazy="joined")
    handled_by = relationship("User", foreign_keys=[handled_by_id])
    commune = relationship("Commune", lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REPORT_STATUSES

    def __repr__(self) -> str:
        return f"<Report {self.id} {self.target_type}:{self.target_id} {self.status}>"


class AssistedSeller(db.Model):
    """A villager without a smartphone whose seller account a staff helper created, with their consent.

    Listings and phone orders entered for them carry the helper too (``Product.created_by_id``,
    ``Order.placed_by_id``); this row says who set the account up and when the villager agreed.
    """

    __tablename__ = "assisted_sellers"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    seller_profile_id = sa.Column(sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"),
                                  nullable=False, unique=True)
    helper_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    helper_name = sa.Column(sa.String(80), nullable=False)  # as it was when the villager agreed
    consent_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    helper = relationship("User", foreign_keys=[helper_id])
    seller_profile = relationship("SellerProfile")


class ChatFilterWord(db.Model):
    """A word or phrase a commune does not allow in the chat of its live sessions.

    ``folded`` is the word without diacritics or case (``market.text.fold``, as catalog search folds), so one
    entry refuses "Lừa Đảo", "lua dao" and "LỪA ĐẢO" alike; it is unique per commune.
    """

    __tablename__ = "chat_filter_words"
    __table_args__ = (sa.UniqueConstraint("commune_id", "folded", name="uq_chat_filter_words_commune_folded"),)

    id = sa.Column(sa.Integer, primary_key=True)
    commune_id = sa.Column(sa.Integer, sa.ForeignKey("communes.id", ondelete="CASCADE"), nullable=False)
    word = sa.Column(sa.String(60), nullable=False)  # as staff typed it (shown to staff and to the sender)
    folded = sa.Column(sa.String(60), nullable=False)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=True)
    created_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    commune = relationship("Commune")
    created_by = relationship("User")

    def __repr__(self) -> str:
        return f"<ChatFilterWord {self.commune_id} {self.folded!r}>"


class Consent(db.Model):
    """The person a staff helper acted for agreed to this one thing (a listing put up for a villager, an order
    entered for someone who phoned): who agreed, who helped (name as it was), when, and what it is about.

    Signing a villager up is recorded in ``AssistedSeller``; this row is for each later act on their behalf.
    """

    __tablename__ = "consents"
    __table_args__ = (sa.Index("ix_consents_object", "object_type", "object_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    helper_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    helper_name = sa.Column(sa.String(80), nullable=False)
    purpose = sa.Column(sa.String(20), nullable=False)  # "listing" | "order"
    object_type = sa.Column(sa.String(30), nullable=False)  # "product" | "order"
    object_id = sa.Column(sa.Integer, nullable=False)
    consent_at = sa.Column(UTCDateTime(), nullable=False, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])
    helper = relationship("User", foreign_keys=[helper_id])
