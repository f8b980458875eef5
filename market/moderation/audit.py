"""The audit log: every staff and admin action, append-only. Every tab writes it; the Audit log tab
(``audit_log/``) reads it with filters and exports it.

``record(action, obj, reason=…, details=…)`` is the one way to write it; every staff and admin service calls
it in the same transaction as the change it describes, so an action and its entry commit (or roll back)
together. Actions are registered with a label (``register_action``), so the filter lists them by name and a
typo in an action name fails loudly instead of writing an entry nobody can find. Also here, what several tabs
read: an object's history (``entries_for_object``), the labels, the local day bounds and CSV text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from market.database import utcnow
from market.extensions import db
from market.moderation.models import AuditEntry
from market.moderation.scope import commune_of, kind_of, label_of
from market.text import clean_line, csv_cell

REASON_MAX = 500

_actions: dict[str, Callable[[], str]] = {}


def register_action(name: str, label) -> None:
    """Make ``name`` (``"area.verb"``) a known audit action with a label shown to people."""
    _actions[name] = label if callable(label) else (lambda: str(label))


def action_label(name: str) -> str:
    label = _actions.get(name)
    return str(label()) if label else name


# What an entry is about, for people (the log and its CSV keep the code itself, "seller", "chat" …).
_KIND_LABELS = {
    "seller": _l("shop"),
    "user": _l("account"),
    "commune": _l("commune"),
    "staff_assignment": _l("staff assignment"),
    "product": _l("listing"),
    "order": _l("order"),
    "report": _l("report"),
    "audit": _l("audit entry"),
    "assisted_seller": _l("assisted villager"),
    "live_session": _l("live session"),
    "chat": _l("chat message"),
    "chat_filter_word": _l("filtered word"),
}


def kind_label(name: str | None) -> str:
    label = _KIND_LABELS.get(name or "")
    return str(label) if label is not None else (name or "")


def actions() -> list[tuple[str, str]]:
    return sorted(((name, action_label(name)) for name in _actions), key=lambda a: a[1].casefold())


# Every action with its label (``register`` makes them known; the moderation area's ``init_app`` calls it).
ACTIONS = [
    ("staff.assign", _l("Staff assigned to a commune")),
    ("staff.unassign", _l("Staff removed from a commune")),
    ("seller.approve", _l("Seller approved")),
    ("seller.suspend", _l("Seller suspended")),
    ("seller.restore", _l("Seller restored")),
    ("seller.kol_grant", _l("KOL badge granted")),
    ("seller.kol_revoke", _l("KOL badge revoked")),
    ("seller.assisted_register", _l("Villager registered as a seller by a helper")),
    ("user.ban", _l("User banned")),
    ("user.unban", _l("User unbanned")),
    ("report.take", _l("Report taken for review")),
    ("report.resolve", _l("Report resolved")),
    ("report.dismiss", _l("Report dismissed")),
    ("audit.export", _l("Audit log exported")),
    ("dashboard.export", _l("Dashboard exported")),
    ("listing.approve", _l("Listing approved")),
    ("listing.reject", _l("Listing rejected")),
    ("listing.assisted_create", _l("Listing entered for a villager by a helper")),
    ("ocop.verify", _l("OCOP claim verified")),
    ("ocop.reject", _l("OCOP claim refused")),
    ("live.chat_remove", _l("Chat message removed")),
    ("live.mute", _l("Person muted in a live chat")),
    ("live.end", _l("Live session ended by staff")),
    ("live.filter_add", _l("Word added to the chat filter")),
    ("live.filter_remove", _l("Word removed from the chat filter")),
    ("order.phone_placed", _l("Phone order entered for someone")),
    ("account.claim", _l("Account taken over by its owner with an SMS code")),
]


def register() -> None:
    """The actions of ``ACTIONS``, and the guard that keeps the log append-only in every ORM session."""
    for name, label in ACTIONS:
        register_action(name, label)
    if not event.contains(Session, "before_flush", guard_audit_log):  # a listener added twice would run twice
        event.listen(Session, "before_flush", guard_audit_log)


_CURRENT = object()


def _current_actor():
    if not has_request_context():
        return None
    from flask_login import current_user

    return current_user._get_current_object() if current_user and current_user.is_authenticated else None


def record(
    action: str,
    obj=None,
    *,
    reason: str | None = None,
    details: dict | None = None,
    commune_id: int | None | object = _CURRENT,
    actor=_CURRENT,
    object_type: str | None = None,
    object_id: int | None = None,
    label: str | None = None,
) -> AuditEntry:
    """Write one audit entry for ``action`` on ``obj`` by ``actor`` (the logged-in user unless given).

    The commune is the object's unless given (``None``: platform-wide, seen by admins only).
    """
    if action not in _actions:
        raise ValueError(f"unknown audit action {action!r}: register_action() it first")
    if actor is _CURRENT:
        actor = _current_actor()
    if obj is not None:
        kind = kind_of(obj)
        object_type = object_type or (kind.name if kind else type(obj).__name__.lower())
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        label = label if label is not None else label_of(obj)
        if commune_id is _CURRENT:
            commune_id = commune_of(obj)
    if commune_id is _CURRENT:
        commune_id = None
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_label=(f"{actor.display_name} ({actor.phone})" if actor is not None else "CLI")[:120],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=clean_line(label or "")[:200],
        commune_id=commune_id,
        reason=clean_line(reason)[:REASON_MAX] or None,
        details=details or {},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def guard_audit_log(session, _flush_context, _instances):
    """No code path may change or delete an audit entry: the log is a record, not a document."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("the audit log is append-only")


# ---- reading it -----------------------------------------------------------------------------------------


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh")


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the commune's time zone, as aware datetimes."""
    zone = local_zone()
    return (datetime.combine(start, time.min, zone), datetime.combine(end + timedelta(days=1), time.min, zone))


def entries_for_object(
    object_type: str, object_id: int, actions_: Iterable[str] | None = None, limit: int = 20
) -> list[AuditEntry]:
    """An object's history (of ``actions_`` only, when given), newest first, for its staff page."""
    stmt = sa.select(AuditEntry).where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
    if actions_ is not None:
        stmt = stmt.where(AuditEntry.action.in_(list(actions_)))
    return list(db.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))


# ---- CSV ------------------------------------------------------------------------------------------------


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    """CSV with a UTF-8 byte-order mark so spreadsheet programs show Vietnamese letters right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()
