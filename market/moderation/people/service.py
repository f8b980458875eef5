"""People and bans: finding a person tied to the staff member's communes, banning and unbanning. A ban ends every
login of the person at once and closes their live sockets in every process (``sockets.disconnect_user``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts import service as accounts
from market.accounts.models import User
from market.database import on_commit, utcnow
from market.domain import DomainError, Forbidden
from market.extensions import db
from market.moderation import audit
from market.moderation.decisions import check_reason, conflict
from market.moderation.scope import communes_for, user_footprint, users_in_scope
from market.moderation.signals import tell
from market.securitylog import security_event

SEARCH_MAX = 80  # characters of a search kept
LIST_MAX = 50


def find(user: User, q: str) -> list[User]:
    """People tied to ``user``'s communes whose number is ``q`` (however it is written) or whose name contains it."""
    stmt = sa.select(User).where(users_in_scope(user))
    try:
        stmt = stmt.where(User.phone == accounts.normalize_phone(q))
    except DomainError:
        stmt = stmt.where(User.display_name.ilike(f"%{q.replace('%', '').replace('_', '')}%"))
    return list(db.session.scalars(stmt.order_by(User.display_name).limit(LIST_MAX)))


def banned(user: User) -> list[User]:
    """The banned people tied to ``user``'s communes, latest ban first."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(users_in_scope(user), User.banned_at.is_not(None))
            .order_by(User.banned_at.desc())
            .limit(LIST_MAX)
        )
    )


def check_can_ban(actor: User, target: User) -> None:
    """Who may ban whom (the scope check — target tied to the actor's communes — is done when loading it).

    Admins ban anyone but admins; staff ban people tied to their communes, never other staff; nobody bans
    themselves.
    """
    if target.id == actor.id:
        raise Forbidden(_("You cannot ban yourself."))
    if target.is_admin:
        raise Forbidden(_("An administrator cannot be banned."))
    if target.is_staff and not actor.is_admin:
        raise Forbidden(_("Only an administrator can ban staff."))


def _ban_commune(actor: User, target: User) -> int | None:
    """The commune the ban is filed under: one the target is tied to and the actor acts in."""
    footprint = user_footprint(target.id)
    ids = communes_for(actor)
    shared = footprint if ids is None else footprint & ids
    return min(shared) if shared else None


def ban_user(target: User, by: User, reason: str | None) -> User:
    """Refuse ``target`` everywhere: every cookie and token dies, open live sockets close."""
    check_can_ban(by, target)
    reason = check_reason(reason, message=_("Give a reason; the person will see it."))
    if target.is_banned:
        raise conflict(_("This person is already banned."))
    target.banned_at = utcnow()
    target.banned_reason = reason
    accounts.end_all_sessions(target)
    db.session.flush()
    audit.record(
        "user.ban",
        target,
        actor=by,
        reason=reason,
        commune_id=_ban_commune(by, target),
        details={"communes": sorted(user_footprint(target.id))},
    )
    user_id, message = target.id, _("This account has been blocked: %(reason)s", reason=reason)
    by_id = by.id
    on_commit(lambda: security_event("user_banned", user_id=by_id, target=user_id))

    def close_sockets():
        from market.moderation.sockets import disconnect_user

        disconnect_user(user_id, message)

    on_commit(close_sockets)
    tell(target.id, "user.ban", reason, target.id)
    return target


def unban_user(target: User, by: User, reason: str | None = None) -> User:
    reason = check_reason(reason, required=False)
    if not target.is_banned:
        raise conflict(_("This person is not banned."))
    check_can_ban(by, target)
    previous = target.banned_reason
    target.banned_at = None
    target.banned_reason = None
    db.session.flush()
    audit.record(
        "user.unban",
        target,
        actor=by,
        reason=reason,
        commune_id=_ban_commune(by, target),
        details={"ban_reason": previous},
    )
    tell(target.id, "user.unban", reason or "", target.id)
    return target
