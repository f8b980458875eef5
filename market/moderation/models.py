"""Moderation records: the append-only audit log, buyers' reports, and villagers registered by a helper."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.database import StrEnumType, TimestampMixin, UTCDateTime, utcnow
from market.extensions import Model

if TYPE_CHECKING:
    from market.accounts.models import Commune, SellerProfile, User


class AuditEntry(Model):
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

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # None: a CLI command.
    actor_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"), index=True)
    actor_label: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(40), index=True)  # "seller.approve", "user.ban" …
    object_type: Mapped[str | None] = mapped_column(sa.String(30))  # "seller", "user", "report" …
    object_id: Mapped[int | None] = mapped_column(sa.Integer)
    object_label: Mapped[str] = mapped_column(sa.String(200), default="")
    commune_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("communes.id"))  # None: platform-wide
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")
    commune: Mapped[Commune | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"


class ReportStatus(enum.StrEnum):
    OPEN = "open"  # new; nobody has looked at it yet
    IN_REVIEW = "in_review"  # a staff member took it
    RESOLVED = "resolved"  # acted upon; the note says what was done
    DISMISSED = "dismissed"  # nothing wrong found; the note says why


OPEN_REPORT_STATUSES = (ReportStatus.OPEN, ReportStatus.IN_REVIEW)


class Report(TimestampMixin, Model):
    """A buyer's report about a listing, a shop, a chat message or an order.

    The target is generic (``target_type`` + ``target_id``, see ``targets.py``); its commune is resolved once,
    when the report is made, so the report lands in the right staff queue even if the target goes away.
    """

    __tablename__ = "reports"
    __table_args__ = (
        sa.Index("ix_reports_commune_status", "commune_id", "status"),
        sa.Index("ix_reports_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id"), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(20))
    target_id: Mapped[int] = mapped_column(sa.Integer)
    target_label: Mapped[str] = mapped_column(sa.String(200))
    commune_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("communes.id"))
    category: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ReportStatus] = mapped_column(StrEnumType(ReportStatus, 12), default=ReportStatus.OPEN)
    resolution_note: Mapped[str | None] = mapped_column(sa.String(500))
    handled_by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="joined")
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
    commune: Mapped[Commune] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REPORT_STATUSES

    def __repr__(self) -> str:
        return f"<Report {self.id} {self.target_type}:{self.target_id} {self.status}>"


class AssistedSeller(Model):
    """A villager without a smartphone whose seller account a staff helper created, with their consent.

    Listings and phone orders entered for them carry the helper too (``Product.created_by_id``,
    ``Order.placed_by_id``); this row says who set the account up and when the villager agreed.
    """

    __tablename__ = "assisted_sellers"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    seller_profile_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("seller_profiles.id", ondelete="CASCADE"), unique=True
    )
    helper_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id"), index=True)
    helper_name: Mapped[str] = mapped_column(sa.String(80))  # as it was when the villager agreed
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    helper: Mapped[User] = relationship(foreign_keys=[helper_id])
    seller_profile: Mapped[SellerProfile] = relationship()


class ChatFilterWord(Model):
    """A word or phrase a commune does not allow in the chat of its live sessions.

    ``folded`` is the word without diacritics or case (``market.text.fold``, as catalog search folds), so one
    entry refuses "Lừa Đảo", "lua dao" and "LỪA ĐẢO" alike; it is unique per commune.
    """

    __tablename__ = "chat_filter_words"
    __table_args__ = (sa.UniqueConstraint("commune_id", "folded", name="uq_chat_filter_words_commune_folded"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("communes.id", ondelete="CASCADE"))
    word: Mapped[str] = mapped_column(sa.String(60))  # as staff typed it (shown to staff and to the sender)
    folded: Mapped[str] = mapped_column(sa.String(60))
    created_by_id: Mapped[int | None] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    commune: Mapped[Commune] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ChatFilterWord {self.commune_id} {self.folded!r}>"


class Consent(Model):
    """The person a staff helper acted for agreed to this one thing (a listing put up for a villager, an order
    entered for someone who phoned): who agreed, who helped (name as it was), when, and what it is about.

    Signing a villager up is recorded in ``AssistedSeller``; this row is for each later act on their behalf.
    """

    __tablename__ = "consents"
    __table_args__ = (sa.Index("ix_consents_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey("users.id"))
    helper_name: Mapped[str] = mapped_column(sa.String(80))
    purpose: Mapped[str] = mapped_column(sa.String(20))  # "listing" | "order"
    object_type: Mapped[str] = mapped_column(sa.String(30))  # "product" | "order"
    object_id: Mapped[int] = mapped_column(sa.Integer)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    helper: Mapped[User] = relationship(foreign_keys=[helper_id])
