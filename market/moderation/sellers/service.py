"""Staff and admin actions on sellers, people and staff assignments. Each one writes its audit entry.

Functions flush but never commit; the view (or CLI command) commits once, so an action and its audit entry
are one transaction. Objects reach these functions already scoped (``scope.get_in_scope``): a function here
never widens what its caller may touch.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts import service as accounts
from market.accounts.models import Commune, SellerProfile, SellerStatus, StaffAssignment, User
from market.database import on_commit, utcnow
from market.domain import DomainError, Forbidden, NotFound, parse_id
from market.extensions import db
from market.moderation import audit
from market.moderation.models import AssistedSeller
from market.moderation.scope import can_see_commune, communes_for, user_footprint
from market.moderation.signals import tell
from market.securitylog import security_event
from market.text import clean_line

REASON_MAX = audit.REASON_MAX


def check_reason(raw: str | None, *, required: bool = True, message: str | None = None) -> str | None:
    """A reason people will read: one line, at most 500 characters; refused (never cut) when too long."""
    reason = clean_line(raw)
    if len(reason) > REASON_MAX:
        raise DomainError("invalid", _("A reason can have at most %(n)d characters.", n=REASON_MAX), field="reason")
    if required and not reason:
        raise DomainError("invalid", message or _("Give a reason; the seller will see it."), field="reason")
    return reason or None


def _conflict(message: str) -> DomainError:
    return DomainError("invalid", message, status=409)


# ---- sellers --------------------------------------------------------------------------------------------

def approve_seller(profile: SellerProfile, by: User) -> SellerProfile:
    """A pending application becomes an open shop."""
    if profile.status != SellerStatus.PENDING:
        raise _conflict(_("This shop is not waiting for review."))
    accounts.set_seller_status(profile, SellerStatus.APPROVED, by)
    audit.record("seller.approve", profile, actor=by, details={"from": SellerStatus.PENDING})
    tell(profile.user_id, "seller.approve", _("Your shop is open"), profile.id)
    return profile


def suspend_seller(profile: SellerProfile, by: User, reason: str | None) -> SellerProfile:
    """Close a shop (pending or open) with a reason the seller reads on their shop page."""
    reason = check_reason(reason)
    if profile.status == SellerStatus.SUSPENDED:
        raise _conflict(_("This shop is already suspended."))
    previous = profile.status
    accounts.set_seller_status(profile, SellerStatus.SUSPENDED, by, reason)
    audit.record("seller.suspend", profile, actor=by, reason=reason, details={"from": previous})
    tell(profile.user_id, "seller.suspend", reason, profile.id)
    return profile


def restore_seller(profile: SellerProfile, by: User, reason: str | None = None) -> SellerProfile:
    """Reopen a suspended shop."""
    reason = check_reason(reason, required=False)
    if profile.status != SellerStatus.SUSPENDED:
        raise _conflict(_("This shop is not suspended."))
    accounts.set_seller_status(profile, SellerStatus.APPROVED, by)
    audit.record("seller.restore", profile, actor=by, reason=reason, details={"from": SellerStatus.SUSPENDED})
    tell(profile.user_id, "seller.restore", _("Your shop is open"), profile.id)
    return profile


def grant_kol(profile: SellerProfile, by: User) -> SellerProfile:
    """The "One Commune, One KOL" badge: this seller hosts the commune's live sessions."""
    if profile.status != SellerStatus.APPROVED:
        raise _conflict(_("Only an open shop can get the KOL badge."))
    if profile.is_kol:
        raise _conflict(_("This seller already has the KOL badge."))
    profile.is_kol = True
    db.session.flush()
    audit.record("seller.kol_grant", profile, actor=by,
                 details={"other_kols": [p.id for p in kols_of(profile.commune_id) if p.id != profile.id]})
    tell(profile.user_id, "seller.kol_grant", _("Commune KOL"), profile.id)
    return profile


def revoke_kol(profile: SellerProfile, by: User, reason: str | None = None) -> SellerProfile:
    reason = check_reason(reason, required=False)
    if not profile.is_kol:
        raise _conflict(_("This seller does not have the KOL badge."))
    profile.is_kol = False
    db.session.flush()
    audit.record("seller.kol_revoke", profile, actor=by, reason=reason)
    tell(profile.user_id, "seller.kol_revoke", reason or "", profile.id)
    return profile


def kols_of(commune_id: int) -> list[SellerProfile]:
    return list(db.session.scalars(sa.select(SellerProfile).where(
        SellerProfile.commune_id == commune_id, SellerProfile.is_kol.is_(True),
        SellerProfile.status == SellerStatus.APPROVED).order_by(SellerProfile.shop_name)))


# ---- bans -----------------------------------------------------------------------------------------------

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
        raise _conflict(_("This person is already banned."))
    target.banned_at = utcnow()
    target.banned_reason = reason
    accounts.end_all_sessions(target)
    db.session.flush()
    audit.record("user.ban", target, actor=by, reason=reason, commune_id=_ban_commune(by, target),
                 details={"communes": sorted(user_footprint(target.id))})
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
        raise _conflict(_("This person is not banned."))
    check_can_ban(by, target)
    previous = target.banned_reason
    target.banned_at = None
    target.banned_reason = None
    db.session.flush()
    audit.record("user.unban", target, actor=by, reason=reason, commune_id=_ban_commune(by, target),
                 details={"ban_reason": previous})
    tell(target.id, "user.unban", reason or "", target.id)
    return target


# ---- staff assignments (admin) --------------------------------------------------------------------------

def assign_staff(user: User, commune: Commune, by: User | None, via: str = "web") -> StaffAssignment:
    """Make ``user`` staff of ``commune``; recorded once (assigning again changes nothing)."""
    if user.is_banned:
        raise DomainError("invalid", _("This person is banned; unban them first."), field="phone")
    existing = db.session.scalar(sa.select(StaffAssignment).where(
        StaffAssignment.user_id == user.id, StaffAssignment.commune_id == commune.id))
    if existing is not None:
        raise _conflict(_("%(name)s is already staff of %(commune)s.", name=user.display_name,
                          commune=commune.name))
    assignment = accounts.assign_staff(user, commune)
    db.session.refresh(user, ["staff_assignments"])
    audit.record("staff.assign", assignment, actor=by, details={"via": via, "user_id": user.id})
    return assignment


def assign_staff_by_phone(phone: str, commune_id: object, by: User) -> StaffAssignment:
    e164 = accounts.normalize_phone(phone)
    user = db.session.scalar(sa.select(User).where(User.phone == e164))
    if user is None:
        raise DomainError("invalid", _("No account has this phone number. Ask the person to register first."),
                          field="phone")
    commune = db.session.get(Commune, parse_id(commune_id)) if parse_id(commune_id) else None
    if commune is None:
        raise DomainError("invalid", _("Choose a commune from the list."), field="commune_id")
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


# ---- assisted mode: a villager without a smartphone -------------------------------------------------------

UNUSABLE_PASSWORD_PREFIX = "!assisted:"  # noqa: S105 - not an Argon2 hash: no password ever matches it


def register_assisted_seller(helper: User, *, phone: str, name: str, shop_name: str, commune_id: object,
                             story: str, consent: bool) -> SellerProfile:
    """Create a seller account for a villager, with their recorded consent; the shop opens at once.

    The helper is commune staff who met the villager: the review an application would get has happened, so
    the shop is approved, not pending. The account has no usable password; the helper (or a later phone
    sign-in) acts for it.
    """
    if consent is not True:
        raise DomainError("invalid", _("The villager must agree before you create a shop for them."),
                          field="consent")
    commune = db.session.get(Commune, parse_id(commune_id)) if parse_id(commune_id) else None
    if commune is None or not can_see_commune(helper, commune.id):
        raise NotFound(_("Choose a commune from the list."))
    user = accounts.register_user(phone, name, "", password_hash=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16))
    profile = accounts.apply_to_sell(user, shop_name, commune.id, story)
    accounts.set_seller_status(profile, SellerStatus.APPROVED, helper)
    now = utcnow()
    db.session.add(AssistedSeller(user_id=user.id, seller_profile_id=profile.id, helper_id=helper.id,
                                  helper_name=helper.display_name, consent_at=now, created_at=now))
    db.session.flush()
    audit.record("seller.assisted_register", profile, actor=helper,
                 details={"user_id": user.id, "phone": user.phone, "consent_at": now.isoformat(),
                          "helper": helper.display_name})
    return profile


def assisted_record(profile_id: int) -> AssistedSeller | None:
    return db.session.scalar(sa.select(AssistedSeller).where(AssistedSeller.seller_profile_id == profile_id))
