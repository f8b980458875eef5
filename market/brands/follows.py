"""Following a brand, a shop or a commune; the signed links that stop a follow without logging in.

A target is resolved by kind and id to what the public sees: a brand whose KOL's shop is open, an open shop,
a commune. Anything else (missing, suspended, hidden) is a 404 to follow, so nobody learns it exists.
Unfollowing needs no visible target: a follow of a shop suspended since can still be dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from market.accounts.models import Commune, SellerProfile, SellerStatus, User
from market.brands.models import Brand, Follow, FollowKind
from market.domain import DomainError, ErrorCode, NotFound, parse_id
from market.extensions import db

KINDS = tuple(k.value for k in FollowKind)
STOP_SALT = "brands.stop-follow"
STOP_MAX_AGE = 90 * 24 * 3600  # an SMS from three months ago no longer stops anything (log in instead)
STOP_TOKEN_MAX = 200
FOLLOW_CHANGES_PER_HOUR = "120/hour"
_CODES = {"brand": "b", "shop": "s", "commune": "c"}
_KINDS_BY_CODE = {v: k for k, v in _CODES.items()}


@dataclass(frozen=True)
class Target:
    kind: str
    id: int
    name: str
    url: str
    obj: object = None


def _target(kind: str, obj) -> Target:
    if kind == FollowKind.BRAND:
        return Target(kind, obj.id, obj.name, url_for("brands.page", slug=obj.slug), obj)
    if kind == FollowKind.SHOP:
        return Target(kind, obj.id, obj.shop_name, url_for("catalog.shop", slug=obj.slug), obj)
    return Target(kind, obj.id, obj.name, url_for("catalog.commune", slug=obj.slug), obj)


def _load(kind: str, target_id: int):
    model = {"brand": Brand, "shop": SellerProfile, "commune": Commune}[kind]
    return db.session.get(model, target_id)


def _is_visible(kind: str, obj) -> bool:
    if obj is None:
        return False
    if kind == FollowKind.BRAND:
        return obj.is_visible
    if kind == FollowKind.SHOP:
        return obj.status == SellerStatus.APPROVED
    return True


def check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        raise NotFound(_("You can follow brands, shops and communes."))
    return kind


def resolve(kind: object, target_id: object) -> Target:
    """What the public may follow, or a 404."""
    kind = check_kind(kind)
    tid = parse_id(target_id)
    obj = _load(kind, tid) if tid is not None and 0 < tid < 2**31 else None
    if not _is_visible(kind, obj):
        raise NotFound(_("There is nothing to follow here: it does not exist or is hidden."))
    return _target(kind, obj)


def describe(kind: str, target_id: int) -> Target | None:
    """The target of a follow for its follower's own lists, hidden or not (None once it is gone)."""
    obj = _load(kind, target_id) if kind in KINDS else None
    return _target(kind, obj) if obj is not None else None


# ---- following -------------------------------------------------------------------------------------------


def find(user: User, kind: str, target_id: int) -> Follow | None:
    return db.session.scalar(
        sa.select(Follow).where(Follow.user_id == user.id, Follow.target_type == kind, Follow.target_id == target_id)
    )


def follow(user: User, kind: object, target_id: object) -> tuple[Follow, Target]:
    target = resolve(kind, target_id)
    if find(user, target.kind, target.id) is not None:
        raise DomainError(ErrorCode.CONFLICT, _("You already follow %(name)s.", name=target.name), status=409)
    row = Follow(user_id=user.id, target_type=target.kind, target_id=target.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # a second tap won the race: the unique key keeps one
        raise DomainError(ErrorCode.CONFLICT, _("You already follow %(name)s.", name=target.name), status=409) from None
    return row, target


def unfollow(user: User, kind: object, target_id: object) -> Target | None:
    kind = check_kind(kind)
    tid = parse_id(target_id)
    target = describe(kind, tid) if tid else None
    done = (
        db.session.execute(
            sa.delete(Follow)
            .where(Follow.user_id == user.id, Follow.target_type == kind, Follow.target_id == tid)
            .execution_options(synchronize_session=False)
        ).rowcount
        if tid
        else 0
    )
    if not done:
        name = target.name if target else _("this")
        raise DomainError(ErrorCode.CONFLICT, _("You do not follow %(name)s.", name=name), status=409)
    return target


def count(kind: str, target_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Follow.id)).where(Follow.target_type == kind, Follow.target_id == target_id)
        )
        or 0
    )


def is_following(user, kind: str, target_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return find(user, kind, target_id) is not None


def button(user, kind: str, target_id: int, name: str) -> dict:
    """What a follow button needs: the target, its follower count and whether this person follows it."""
    return {
        "kind": kind,
        "id": target_id,
        "name": name,
        "count": count(kind, target_id),
        "following": is_following(user, kind, target_id),
    }


def following(user: User, limit: int = 500) -> list[tuple[Follow, Target | None]]:
    """What a person follows, newest first, with what it is now (None: it was deleted)."""
    rows = db.session.scalars(
        sa.select(Follow)
        .where(Follow.user_id == user.id)
        .order_by(Follow.created_at.desc(), Follow.id.desc())
        .limit(limit)
    ).all()
    return [(f, describe(f.target_type, f.target_id)) for f in rows]


def following_count(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count(Follow.id)).where(Follow.user_id == user.id)) or 0


# ---- the unsubscribe link in SMS -------------------------------------------------------------------------


@dataclass(frozen=True)
class StopRequest:
    follow_id: int
    user_id: int
    kind: str
    target_id: int


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=STOP_SALT)


def stop_token(row: Follow) -> str:
    """A link that stops this one follow: signed with SECRET_KEY, short enough for an SMS."""
    return _serializer().dumps([row.id, row.user_id, _CODES[row.target_type], row.target_id])


def read_stop_token(token: object) -> StopRequest:
    """The follow a link stops, or a clear 400: not one of ours, changed on the way, or too old."""
    if not isinstance(token, str) or not 0 < len(token) <= STOP_TOKEN_MAX:
        raise DomainError(ErrorCode.INVALID, _("This link is not valid. Check that you copied all of it."))
    try:
        data = _serializer().loads(token, max_age=STOP_MAX_AGE)
    except SignatureExpired:
        raise DomainError(
            ErrorCode.EXPIRED, _("This link has expired. Log in and stop following from your account page.")
        ) from None
    except BadSignature:
        raise DomainError(ErrorCode.INVALID, _("This link is not valid. Check that you copied all of it.")) from None
    ok = (
        isinstance(data, list)
        and len(data) == 4
        and all(isinstance(v, int) and not isinstance(v, bool) for v in (data[0], data[1], data[3]))
        and data[2] in _KINDS_BY_CODE
    )
    if not ok:  # signed by us but not this shape: another version of the link
        raise DomainError(ErrorCode.INVALID, _("This link is not valid. Check that you copied all of it."))
    return StopRequest(data[0], data[1], _KINDS_BY_CODE[data[2]], data[3])


def stop_target(req: StopRequest) -> tuple[Follow | None, Target | None]:
    row = db.session.scalar(
        sa.select(Follow).where(
            Follow.id == req.follow_id,
            Follow.user_id == req.user_id,
            Follow.target_type == req.kind,
            Follow.target_id == req.target_id,
        )
    )
    return row, describe(req.kind, req.target_id)


def stop(req: StopRequest) -> Target | None:
    """Delete the follow the link names; a second time is refused (409): it is already gone."""
    target = describe(req.kind, req.target_id)
    done = db.session.execute(
        sa.delete(Follow)
        .where(
            Follow.id == req.follow_id,
            Follow.user_id == req.user_id,
            Follow.target_type == req.kind,
            Follow.target_id == req.target_id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        name = target.name if target else _("this")
        raise DomainError(ErrorCode.CONFLICT, _("You do not follow %(name)s.", name=name), status=409)
    return target
