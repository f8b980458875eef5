"""Seller review: a shop's application approved, a shop suspended with a reason and restored, the KOL badge. Each
decision is audited and told to the seller (``signals.tell``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts import service as accounts
from market.accounts.models import SellerProfile, SellerStatus, User
from market.extensions import db
from market.moderation import audit
from market.moderation.assisted.service import assisted_record
from market.moderation.decisions import check_reason, conflict
from market.moderation.scope import scoped
from market.moderation.signals import tell

# The lists of the Sellers tab: each a filter on the shops of the staff member's communes ("all": no filter).
FILTERS = {
    "pending": SellerProfile.status == SellerStatus.PENDING,
    "approved": SellerProfile.status == SellerStatus.APPROVED,
    "suspended": SellerProfile.status == SellerStatus.SUSPENDED,
    "kol": SellerProfile.is_kol.is_(True),
}
# What the seller's shop status page lists of staff decisions about the shop.
DECISIONS = (
    "seller.approve",
    "seller.suspend",
    "seller.restore",
    "seller.kol_grant",
    "seller.kol_revoke",
    "seller.assisted_register",
)


def list_status(raw: str | None) -> str:
    """The list asked for: a key of ``FILTERS`` or "all"; anything else is the default, "pending"."""
    return raw if raw in FILTERS or raw == "all" else "pending"


def shops(user: User, status: str, commune_id: int | None = None) -> sa.Select:
    """The shops of ``user``'s communes (or one of them) in the list ``status``, oldest application first."""
    stmt = scoped(sa.select(SellerProfile), SellerProfile, user)
    if status != "all":
        stmt = stmt.where(FILTERS[status])
    if commune_id:
        stmt = stmt.where(SellerProfile.commune_id == commune_id)
    return stmt.order_by(SellerProfile.created_at, SellerProfile.id)


def approve_seller(profile: SellerProfile, by: User) -> SellerProfile:
    """A pending application becomes an open shop."""
    if profile.status != SellerStatus.PENDING:
        raise conflict(_("This shop is not waiting for review."))
    accounts.set_seller_status(profile, SellerStatus.APPROVED, by)
    audit.record("seller.approve", profile, actor=by, details={"from": SellerStatus.PENDING})
    tell(profile.user_id, "seller.approve", _("Your shop is open"), profile.id)
    return profile


def suspend_seller(profile: SellerProfile, by: User, reason: str | None) -> SellerProfile:
    """Close a shop (pending or open) with a reason the seller reads on their shop page."""
    reason = check_reason(reason)
    if profile.status == SellerStatus.SUSPENDED:
        raise conflict(_("This shop is already suspended."))
    previous = profile.status
    accounts.set_seller_status(profile, SellerStatus.SUSPENDED, by, reason)
    audit.record("seller.suspend", profile, actor=by, reason=reason, details={"from": previous})
    tell(profile.user_id, "seller.suspend", reason, profile.id)
    return profile


def restore_seller(profile: SellerProfile, by: User, reason: str | None = None) -> SellerProfile:
    """Reopen a suspended shop."""
    reason = check_reason(reason, required=False)
    if profile.status != SellerStatus.SUSPENDED:
        raise conflict(_("This shop is not suspended."))
    accounts.set_seller_status(profile, SellerStatus.APPROVED, by)
    audit.record("seller.restore", profile, actor=by, reason=reason, details={"from": SellerStatus.SUSPENDED})
    tell(profile.user_id, "seller.restore", _("Your shop is open"), profile.id)
    return profile


def grant_kol(profile: SellerProfile, by: User) -> SellerProfile:
    """The "One Commune, One KOL" badge: this seller hosts the commune's live sessions."""
    if profile.status != SellerStatus.APPROVED:
        raise conflict(_("Only an open shop can get the KOL badge."))
    if profile.is_kol:
        raise conflict(_("This seller already has the KOL badge."))
    profile.is_kol = True
    db.session.flush()
    audit.record(
        "seller.kol_grant",
        profile,
        actor=by,
        details={"other_kols": [p.id for p in kols_of(profile.commune_id) if p.id != profile.id]},
    )
    tell(profile.user_id, "seller.kol_grant", _("Commune KOL"), profile.id)
    return profile


def revoke_kol(profile: SellerProfile, by: User, reason: str | None = None) -> SellerProfile:
    reason = check_reason(reason, required=False)
    if not profile.is_kol:
        raise conflict(_("This seller does not have the KOL badge."))
    profile.is_kol = False
    db.session.flush()
    audit.record("seller.kol_revoke", profile, actor=by, reason=reason)
    tell(profile.user_id, "seller.kol_revoke", reason or "", profile.id)
    return profile


def kols_of(commune_id: int) -> list[SellerProfile]:
    """The commune's open shops with the KOL badge, by name (the seller's page shows the others)."""
    return list(
        db.session.scalars(
            sa.select(SellerProfile)
            .where(
                SellerProfile.commune_id == commune_id,
                SellerProfile.is_kol.is_(True),
                SellerProfile.status == SellerStatus.APPROVED,
            )
            .order_by(SellerProfile.shop_name)
        )
    )


def seller_decisions(profile: SellerProfile) -> dict:
    """For the seller's shop page (slot ``seller.links``): staff decisions about the shop, with their reasons, and
    who helped set it up."""
    entries = audit.entries_for_object("seller", profile.id, DECISIONS, limit=10)
    return {"entries": entries, "action_label": audit.action_label, "assisted": assisted_record(profile.id)}
