"""The Audit log tab's reading: entries by filter (action, actor, commune, days, object) within what the reader
may see (her communes; an admin everything, platform-wide entries too), the actors seen, and the CSV export —
itself audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from market.extensions import db
from market.moderation import audit
from market.moderation.models import AuditEntry
from market.moderation.scope import commune_filter, communes_for

EXPORT_MAX_ROWS = 50_000


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_id: int | None = None
    commune_id: int | None = None
    start: date | None = None
    end: date | None = None
    object_type: str | None = None
    object_id: int | None = None


def query(user, f: AuditFilter) -> sa.Select:
    """Entries ``user`` may read (their communes; an admin all, platform-wide ones too), newest first."""
    stmt = sa.select(AuditEntry).where(commune_filter(AuditEntry.commune_id, user))
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.actor_id:
        stmt = stmt.where(AuditEntry.actor_id == f.actor_id)
    if f.commune_id:
        stmt = stmt.where(AuditEntry.commune_id == f.commune_id)
    if f.object_type:
        stmt = stmt.where(AuditEntry.object_type == f.object_type)
    if f.object_id:
        stmt = stmt.where(AuditEntry.object_id == f.object_id)
    if f.start or f.end:
        lo, hi = audit.day_bounds(f.start or date(2000, 1, 1), f.end or date(2999, 12, 30))
        stmt = stmt.where(AuditEntry.created_at >= lo, AuditEntry.created_at < hi)
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def actors_seen(user) -> list[tuple[int, str]]:
    """The people who appear in the entries ``user`` may read, for the actor filter."""
    rows = db.session.execute(
        sa.select(AuditEntry.actor_id, sa.func.max(AuditEntry.actor_label))
        .where(commune_filter(AuditEntry.commune_id, user), AuditEntry.actor_id.is_not(None))
        .group_by(AuditEntry.actor_id)
        .limit(500)
    ).all()
    return sorted(((r[0], r[1]) for r in rows), key=lambda r: r[1].casefold())


def export_csv(user, f: AuditFilter) -> str:
    zone = audit.local_zone()
    entries = db.session.scalars(query(user, f).limit(EXPORT_MAX_ROWS))
    header = [
        _("Time"),
        _("Actor"),
        _("Action"),
        _("Action code"),
        _("Object"),
        _("Object type"),
        _("Object id"),
        _("Commune"),
        _("Reason"),
        _("Details"),
    ]
    rows = (
        [
            e.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_label,
            audit.action_label(e.action),
            e.action,
            e.object_label,
            e.object_type or "",
            e.object_id or "",
            e.commune.name if e.commune else "",
            e.reason or "",
            json.dumps(e.details or {}, ensure_ascii=False, sort_keys=True),
        ]
        for e in entries
    )
    return audit.csv_text(header, rows)


def export(user, f: AuditFilter) -> str:
    """The CSV of the entries ``user`` filtered, and its own audit entry: filed under the commune exported (or the
    reader's only commune), so her colleagues see it too."""
    body = export_csv(user, f)
    own = communes_for(user)
    audit.record(
        "audit.export",
        commune_id=f.commune_id or (next(iter(own)) if own and len(own) == 1 else None),
        details={k: str(v) for k, v in vars(f).items() if v is not None},
    )
    return body
