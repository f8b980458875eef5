"""Which communes a staff member acts in, and the one way staff code loads and lists objects.

Every staff query goes through here: ``scoped(stmt, Model, user)`` filters a list to the user's communes,
``get_in_scope(Model, id, user)`` loads one object or raises a 404 when it does not exist *or* belongs to
another commune (so nobody learns that it exists). An admin sees everything.

Each model staff touch is registered once as a *kind*: its short name (used in the audit log and reports),
how to find its commune in Python and in SQL, and a label for people (live sessions and chat messages:
``_register_live_kinds``).

People have no commune of their own; a user's *footprint* is the set of communes they are tied to (their
shop's commune, the communes of the shops they ordered from, the communes of the sessions where they
chatted). Staff may look up and ban users whose footprint meets their communes (``user_footprint``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.models import Commune, SellerProfile, StaffAssignment, User
from market.domain import NotFound, parse_id
from market.extensions import db

# ---- communes of a staff member -----------------------------------------------------------------------


def communes_for(user) -> set[int] | None:
    """The commune ids ``user`` acts in as staff; None means every commune (an admin)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.is_admin:
        return None
    return set(user.staff_commune_ids)


def communes_in_scope(user) -> list[Commune]:
    """The communes ``user`` may pick from, in the order people expect (province, then name)."""
    from market.accounts.service import communes_in_order

    ids = communes_for(user)
    return [c for c in communes_in_order() if ids is None or c.id in ids]


def is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and (user.is_admin or user.staff_commune_ids))


def can_see_commune(user, commune_id: int | None) -> bool:
    ids = communes_for(user)
    return ids is None or (commune_id is not None and commune_id in ids)


def check_commune(user, commune_id: int | None) -> None:
    """404 unless ``user`` acts in ``commune_id`` (an admin acts everywhere)."""
    if not can_see_commune(user, commune_id):
        raise NotFound(_("This page does not exist or has been removed."))


def commune_filter(column, user):
    """A WHERE clause keeping rows whose commune ``column`` is in the user's communes (True for an admin)."""
    ids = communes_for(user)
    if ids is None:
        return sa.true()
    if not ids:
        return sa.false()
    return column.in_(sorted(ids))


# ---- kinds of objects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str  # "seller", "report" … (stored in audit entries and reports)
    model: type
    commune_of: Callable[[object], int | None]
    label: Callable[[object], str]
    # SQL: the commune id column, and a function adding the joins it needs to a select of ``model``.
    commune_column: Callable[[], object] | None = None
    join: Callable[[sa.Select], sa.Select] | None = None


_kinds_by_model: dict[type, Kind] = {}


def register_kind(
    name: str,
    model: type,
    commune_of: Callable[[object], int | None],
    label: Callable[[object], str],
    commune_column: Callable[[], object] | None = None,
    join: Callable[[sa.Select], sa.Select] | None = None,
) -> Kind:
    kind = Kind(name, model, commune_of, label, commune_column, join)
    _kinds_by_model[model] = kind
    return kind


def kind_of(obj_or_model) -> Kind | None:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    return _kinds_by_model.get(model)


def scoped(stmt: sa.Select, model: type, user) -> sa.Select:
    """``stmt`` (a select of ``model``) limited to the communes ``user`` acts in."""
    kind = kind_of(model)
    if kind is None or kind.commune_column is None:
        raise LookupError(f"{model.__name__} has no commune scope registered")
    if communes_for(user) is None:
        return stmt
    if kind.join is not None:
        stmt = kind.join(stmt)
    return stmt.where(commune_filter(kind.commune_column(), user))


def get_in_scope(model: type, object_id: object, user, *, for_update: bool = False):
    """The ``model`` row ``object_id`` if ``user`` may act on it as staff; otherwise a 404."""
    oid = parse_id(object_id)
    obj = None
    if oid is not None:
        if for_update:
            # Lock only this row (joined relationships may add outer joins, which FOR UPDATE refuses).
            obj = db.session.scalar(sa.select(model).where(model.id == oid).with_for_update(of=model))
        else:
            obj = db.session.get(model, oid)
    kind = kind_of(model)
    if obj is None or kind is None or not can_see_commune(user, kind.commune_of(obj)):
        raise NotFound(_("This page does not exist or has been removed."))
    return obj


def commune_of(obj) -> int | None:
    kind = kind_of(obj)
    return kind.commune_of(obj) if kind else None


def label_of(obj) -> str:
    kind = kind_of(obj)
    return kind.label(obj) if kind else str(obj)


# ---- people and their communes ------------------------------------------------------------------------

# Each provider returns a select of (user_id, commune_id) pairs: a user is tied to that commune.
_footprints: dict[str, Callable[[], sa.Select]] = {}


def register_footprint(name: str, pairs: Callable[[], sa.Select]) -> None:
    """Add a way a user is tied to a commune (e.g. the communes of the live sessions they chatted in)."""
    _footprints[name] = pairs


def _footprint_union():
    return sa.union(*[pairs() for pairs in _footprints.values()]).subquery("footprint")


def user_footprint(user_id: int) -> set[int]:
    """The communes ``user_id`` is tied to (their shop, shops they ordered from …)."""
    fp = _footprint_union()
    return set(db.session.scalars(sa.select(fp.c.commune_id).where(fp.c.user_id == user_id)))


def users_in_scope(user) -> sa.ColumnElement:
    """A WHERE clause on ``User`` keeping the people ``user`` (staff) may look up: those tied to their communes."""
    ids = communes_for(user)
    if ids is None:
        return sa.true()
    if not ids:
        return sa.false()
    fp = _footprint_union()
    return User.id.in_(sa.select(fp.c.user_id).where(fp.c.commune_id.in_(sorted(ids))))


def get_user_in_scope(user_id: object, user) -> User:
    uid = parse_id(user_id)
    target = db.session.get(User, uid) if uid is not None else None
    if target is None:
        raise NotFound(_("This page does not exist or has been removed."))
    ids = communes_for(user)
    if ids is not None and not (user_footprint(target.id) & ids):
        raise NotFound(_("This page does not exist or has been removed."))
    return target


# ---- guards for views ---------------------------------------------------------------------------------


def refuse_unless_staff():
    """For ``before_request``: log in first (anonymous), then 403 unless staff of some commune or admin."""
    from market.extensions import login

    if not current_user.is_authenticated:
        return login.unauthorized()
    if not is_staff(current_user):
        abort(403)
    return None


def admin_required(view):
    """403 unless the user is an admin (staff of a commune included)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        from market.extensions import login

        if not current_user.is_authenticated:
            return login.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


# ---- the kinds of the areas on this branch ------------------------------------------------------------


def _register_builtin_kinds() -> None:
    from market.catalog.models import Product
    from market.orders.models import Order

    register_kind(
        "seller",
        SellerProfile,
        lambda p: p.commune_id,
        lambda p: p.shop_name,
        commune_column=lambda: SellerProfile.commune_id,
    )
    register_kind("user", User, lambda u: None, lambda u: f"{u.display_name} ({u.phone})")
    register_kind("commune", Commune, lambda c: c.id, lambda c: c.name, commune_column=lambda: Commune.id)
    register_kind(
        "staff_assignment",
        StaffAssignment,
        lambda a: a.commune_id,
        lambda a: f"{a.user.display_name} → {a.commune.name}",
        commune_column=lambda: StaffAssignment.commune_id,
    )
    register_kind(
        "product",
        Product,
        lambda p: p.seller.commune_id,
        lambda p: p.title,
        commune_column=lambda: SellerProfile.commune_id,
        join=lambda stmt: stmt.join(SellerProfile, SellerProfile.id == Product.seller_id),
    )
    register_kind(
        "order",
        Order,
        lambda o: o.seller.commune_id,
        lambda o: o.code,
        commune_column=lambda: SellerProfile.commune_id,
        join=lambda stmt: stmt.join(SellerProfile, SellerProfile.id == Order.seller_id),
    )

    register_footprint(
        "shop", lambda: sa.select(SellerProfile.user_id.label("user_id"), SellerProfile.commune_id.label("commune_id"))
    )
    register_footprint(
        "orders",
        lambda: sa.select(Order.buyer_id.label("user_id"), SellerProfile.commune_id.label("commune_id")).join(
            SellerProfile, SellerProfile.id == Order.seller_id
        ),
    )


def _register_moderation_kinds() -> None:
    from market.moderation.models import AssistedSeller, AuditEntry, Report

    register_kind(
        "report",
        Report,
        lambda r: r.commune_id,
        lambda r: f"#{r.id} {r.target_label}",
        commune_column=lambda: Report.commune_id,
    )
    register_kind(
        "audit",
        AuditEntry,
        lambda e: e.commune_id,
        lambda e: f"#{e.id} {e.action}",
        commune_column=lambda: AuditEntry.commune_id,
    )
    register_kind(
        "assisted_seller",
        AssistedSeller,
        lambda a: a.seller_profile.commune_id,
        lambda a: a.user.display_name,
        commune_column=lambda: SellerProfile.commune_id,
        join=lambda stmt: stmt.join(SellerProfile, SellerProfile.id == AssistedSeller.seller_profile_id),
    )


def _register_live_kinds() -> None:
    """Live sessions, their chat messages, the communes' chat word filters, and the chat footprint (staff may
    look up and ban people who chatted in their communes' sessions)."""
    from market.accounts.service import mask_name
    from market.live.models import ChatMessage, LiveSession
    from market.moderation.models import ChatFilterWord

    def chat_commune(message):
        session = db.session.get(LiveSession, message.session_id)
        return session.commune_id if session is not None else None

    register_kind(
        "live_session",
        LiveSession,
        lambda s: s.commune_id,
        lambda s: s.title,
        commune_column=lambda: LiveSession.commune_id,
    )
    register_kind(
        "chat",
        ChatMessage,
        chat_commune,
        lambda m: f"{mask_name(m.user.display_name)}: {m.text[:120]}",
        commune_column=lambda: LiveSession.commune_id,
        join=lambda stmt: stmt.join(LiveSession, LiveSession.id == ChatMessage.session_id),
    )
    register_kind(
        "chat_filter_word",
        ChatFilterWord,
        lambda w: w.commune_id,
        lambda w: w.word,
        commune_column=lambda: ChatFilterWord.commune_id,
    )
    register_footprint(
        "chat",
        lambda: sa.select(ChatMessage.user_id.label("user_id"), LiveSession.commune_id.label("commune_id")).join(
            LiveSession, LiveSession.id == ChatMessage.session_id
        ),
    )


def register() -> None:
    """Every kind and footprint above (the moderation area's ``init_app`` calls it)."""
    _register_builtin_kinds()
    _register_moderation_kinds()
    _register_live_kinds()
