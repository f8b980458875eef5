"""Staff assignments (admins): who is staff of which commune. Assigning is audited, also from the CLI
(``flask create-staff``); a person left with no commune stops being staff."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts import service as accounts
from market.accounts.models import Commune, StaffAssignment, User
from market.domain import DomainError, ErrorCode, parse_id
from market.extensions import db
from market.moderation import audit
from market.moderation.decisions import conflict


def assignments() -> list[StaffAssignment]:
    """Every assignment, by commune, then the person's name."""
    return list(
        db.session.scalars(
            sa.select(StaffAssignment)
            .join(User, User.id == StaffAssignment.user_id)
            .order_by(StaffAssignment.commune_id, User.display_name)
        )
    )


def assign_staff(user: User, commune: Commune, by: User | None, via: str = "web") -> StaffAssignment:
    """Make ``user`` staff of ``commune``; recorded once (assigning again changes nothing)."""
    if user.is_banned:
        raise DomainError(ErrorCode.INVALID, _("This person is banned; unban them first."), field="phone")
    existing = db.session.scalar(
        sa.select(StaffAssignment).where(StaffAssignment.user_id == user.id, StaffAssignment.commune_id == commune.id)
    )
    if existing is not None:
        raise conflict(_("%(name)s is already staff of %(commune)s.", name=user.display_name, commune=commune.name))
    assignment = accounts.assign_staff(user, commune)
    db.session.refresh(user, ["staff_assignments"])
    audit.record("staff.assign", assignment, actor=by, details={"via": via, "user_id": user.id})
    return assignment


def assign_staff_by_phone(phone: str, commune_id: object, by: User) -> StaffAssignment:
    e164 = accounts.normalize_phone(phone)
    user = db.session.scalar(sa.select(User).where(User.phone == e164))
    if user is None:
        raise DomainError(
            ErrorCode.INVALID, _("No account has this phone number. Ask the person to register first."), field="phone"
        )
    commune = db.session.get(Commune, parse_id(commune_id)) if parse_id(commune_id) else None
    if commune is None:
        raise DomainError(ErrorCode.INVALID, _("Choose a commune from the list."), field="commune_id")
    return assign_staff(user, commune, by)


def unassign_staff(assignment: StaffAssignment, by: User) -> None:
    """Remove ``assignment``; a person left with no commune stops being staff (admins stay admins)."""
    user = assignment.user
    audit.record("staff.unassign", assignment, actor=by, details={"user_id": user.id})
    db.session.delete(assignment)
    db.session.flush()
    db.session.refresh(user, ["staff_assignments"])
    if not user.staff_assignments and not user.is_admin:
        user.is_staff = False
    db.session.flush()
