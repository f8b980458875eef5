"""The listing review queue: staff approve or reject the pending listings of their communes.

State changes go through the catalog's ``service.approve`` / ``service.reject`` (their event log and signal);
this module adds what staff work needs on top: the queue scoped to the staff member's communes, the common
reasons for a rejection, bulk approval, the audit entry of every decision and the seller being told.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.accounts.models import SellerProfile
from market.catalog import labels, lifecycle
from market.catalog.models import Product, ProductStatus
from market.domain import DomainError, ErrorCode, Forbidden
from market.extensions import db
from market.moderation import audit
from market.moderation.scope import get_in_scope, parse_id, scoped
from market.moderation.signals import tell
from market.text import clean_line

# The reasons staff give most often, in a short list; each reads as a sentence the seller can act on.
REJECT_REASONS: dict[str, object] = {
    "photos": _l("The photos are blurry or do not show the product itself. Please take new ones."),
    "price": _l("The price or unit looks wrong. Please check the zeros and the unit."),
    "description": _l("The description is missing or does not match the product."),
    "prohibited": _l("This product may not be sold on Chợ Phiên."),
    "ocop": _l("The OCOP claim does not match a certificate. Remove it or show the certificate to staff."),
    "duplicate": _l("This product is already listed in your shop."),
}
OTHER = "other"
BULK_MAX = 100
REASON_MAX = lifecycle.REASON_MAX


def reason_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in REJECT_REASONS.items()] + [(OTHER, _("Another reason (type it)"))]


def in_commune(commune_id: int) -> sa.ColumnElement:
    return Product.seller_id.in_(sa.select(SellerProfile.id).where(SellerProfile.commune_id == commune_id))


def pending(user, commune_id: int | None = None) -> sa.Select:
    """Listings awaiting review in ``user``'s communes (or one of them), oldest first: first come, first served."""
    stmt = scoped(sa.select(Product), Product, user).where(Product.status == ProductStatus.PENDING_REVIEW)
    if commune_id is not None:
        stmt = stmt.where(in_commune(commune_id))
    return stmt.order_by(Product.submitted_at.asc().nulls_last(), Product.id.asc())


def count_pending(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(pending(user).order_by(None).subquery()))


def compose_reason(code: object, text: object, seller_locale: str | None) -> str:
    """The reason the seller reads: a common one (written in the seller's language) and/or what staff typed.

    At least one is required; the whole is at most 500 characters, refused (never cut) when longer.
    """
    typed = clean_line(text if isinstance(text, str) else None)
    if code not in (None, "", OTHER) and code not in REJECT_REASONS:
        raise DomainError(ErrorCode.INVALID, _("Choose a reason from the list, or type one."), field="reason_code")
    if len(typed) > REASON_MAX:
        raise DomainError(
            ErrorCode.INVALID, _("A reason can have at most %(n)d characters.", n=REASON_MAX), field="reason"
        )
    common = ""
    if code in REJECT_REASONS:
        with force_locale(seller_locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            common = str(REJECT_REASONS[code])
    if not common and not typed:
        raise DomainError(ErrorCode.INVALID, _("Give a reason; the seller will see it."), field="reason")
    reason = f"{common} {typed}".strip() if common else typed
    if len(reason) > REASON_MAX:
        raise DomainError(
            ErrorCode.INVALID, _("A reason can have at most %(n)d characters.", n=REASON_MAX), field="reason"
        )
    return reason


def _refuse_unless_pending(product: Product) -> None:
    if product.status != ProductStatus.PENDING_REVIEW:
        raise DomainError(
            ErrorCode.INVALID,
            _(
                "This listing is not waiting for review any more (it is %(status)s).",
                status=labels.status_label(product.status),
            ),
            status=409,
        )


def entered_by(product: Product, user) -> bool:
    """True when ``user`` entered this listing for a villager: someone else must approve it (four eyes)."""
    return product.created_by_id is not None and product.created_by_id == user.id


def approve(product: Product, by, *, bulk: bool = False) -> Product:
    """Put a pending listing on sale (the catalog's transition), audited; the seller is told. A listing a helper
    entered for a villager is approved by another staff member or an administrator, never by that helper."""
    _refuse_unless_pending(product)
    if entered_by(product, by):
        raise Forbidden(
            _("You entered this listing for the villager: another staff member or an administrator approves it.")
        )
    lifecycle.approve(product, by)
    audit.record("listing.approve", product, actor=by, details={"bulk": bulk} if bulk else None)
    tell(product.seller.user_id, "listing.approve", product.title, product.id)
    return product


def reject(product: Product, by, code: object, text: object) -> Product:
    """Refuse a pending listing with a reason the seller reads beside it, then edits and sends again."""
    reason = compose_reason(code, text, product.seller.user.locale)
    _refuse_unless_pending(product)
    lifecycle.reject(product, by, reason)
    audit.record(
        "listing.reject",
        product,
        actor=by,
        reason=reason,
        details={"reason_code": code if code in REJECT_REASONS else OTHER},
    )
    tell(product.seller.user_id, "listing.reject", reason, product.id)
    return product


@dataclass
class BulkResult:
    approved: list[Product] = field(default_factory=list)
    skipped: list[Product] = field(default_factory=list)  # reviewed meanwhile by someone else
    own: list[Product] = field(default_factory=list)  # entered by the approver for a villager: left for another


def parse_ids(raw: list[str]) -> list[int]:
    """Listing ids ticked in the queue: at least one, at most 100; anything but ids is refused."""
    if not raw:
        raise DomainError(ErrorCode.INVALID, _("Tick at least one listing."), field="ids")
    if len(raw) > BULK_MAX:
        raise DomainError(ErrorCode.INVALID, _("Approve at most %(n)d listings at once.", n=BULK_MAX), field="ids")
    ids = []
    for value in raw:
        oid = parse_id(value)
        if oid is None:
            raise DomainError(ErrorCode.INVALID, _("Tick listings from the list."), field="ids")
        if oid not in ids:
            ids.append(oid)
    return ids


def bulk_approve(ids: list[int], by) -> BulkResult:
    """Approve every ticked listing still pending. One of another commune (or gone) is a 404 for the whole
    request — nothing is approved — so nobody learns which ids exist; one reviewed meanwhile is skipped."""
    products = [get_in_scope(Product, oid, by, for_update=True) for oid in ids]
    result = BulkResult()
    for product in products:
        if product.status != ProductStatus.PENDING_REVIEW:
            result.skipped.append(product)
            continue
        if entered_by(product, by):
            result.own.append(product)
            continue
        approve(product, by, bulk=True)
        result.approved.append(product)
    return result
