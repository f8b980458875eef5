"""A listing's life: made, edited, sent for review, approved or rejected by commune staff, archived.

States (``ProductStatus``): draft → pending_review → approved | rejected; any → archived. A rejected or archived
listing goes back to pending_review when the seller submits it again. Editing the text or the photos of an
approved listing sends it back to pending_review (buyers must not see unchecked words or pictures); changing its
price, stock or minimum order does not. Each change writes a ``ProductEvent`` and sends ``listing_changed``.

Functions flush but never commit: the caller (a view, the seed, a CLI command) commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from flask_babel import gettext as _

from market.accounts.models import SellerProfile, SellerStatus, User
from market.catalog.images import MAX_PHOTOS, PhotoFile
from market.catalog.labels import status_label
from market.catalog.listing_input import CONTENT_FIELDS, ListingInput
from market.catalog.models import Product, ProductEvent, ProductPhoto, ProductStatus
from market.catalog.search import refresh_search_text
from market.catalog.signals import listing_changed
from market.catalog.stock_managers import keep_managed_fields, stock_managed
from market.database import utcnow
from market.domain import DomainError, NotFound, parse_id
from market.extensions import db
from market.text import clean_line, slugify

REASON_MAX = 500


def _record(product: Product, action: str, from_status: str | None, by: User | None, reason: str | None = None) -> None:
    db.session.add(
        ProductEvent(
            product=product,
            action=action,
            from_status=from_status,
            to_status=product.status,
            by_id=by.id if by else None,
            reason=reason,
        )
    )


def _changed(
    product: Product, action: str, from_status: str | None, by: User | None, reason: str | None = None
) -> None:
    _record(product, action, from_status, by, reason)
    db.session.flush()
    listing_changed.send(product, action=action, from_status=from_status, by=by)


def _apply(product: Product, data: ListingInput) -> set[str]:
    """Copy ``data`` onto ``product``; return the names of the fields whose value changed."""
    changed = set()
    for f in fields(ListingInput):
        new = getattr(data, f.name)
        if getattr(product, f.name) != new:
            changed.add(f.name)
            setattr(product, f.name, new)
    if "title" in changed or not product.slug:
        product.slug = slugify(product.title, 80)
    return changed


PhotoPlan = Sequence["ProductPhoto | PhotoFile"]  # the photos in their final order: kept ones and new ones


def _set_photos(product: Product, plan: PhotoPlan) -> bool:
    """Make the product's photos exactly ``plan``, in that order; return whether they changed."""
    if len(plan) > MAX_PHOTOS:
        raise DomainError("invalid", _("A listing can have at most %(n)d photos.", n=MAX_PHOTOS), field="photos")
    before = [p.image_hash for p in product.photos]
    ordered = []
    for position, item in enumerate(plan):
        if isinstance(item, ProductPhoto):
            if item not in product.photos:
                raise NotFound(_("This photo does not belong to this listing."))
            photo = item
        else:
            photo = ProductPhoto(image_hash=item.digest, width=item.width, height=item.height)
        photo.position = position
        ordered.append(photo)
    product.photos[:] = ordered  # the ones left out are deleted (delete-orphan); their files may be shared
    return [p.image_hash for p in ordered] != before


def create_listing(
    profile: SellerProfile, data: ListingInput, photos: PhotoPlan, by: User, submit_now: bool = True
) -> Product:
    """A new listing of ``profile``'s shop; submitted for review at once unless kept as a draft."""
    if profile.status != SellerStatus.APPROVED:
        raise DomainError("forbidden", _("Only sellers approved by their commune can list products."), status=403)
    product = Product(
        seller=profile,
        status=ProductStatus.DRAFT,
        search_text="",
        created_by_id=by.id if by is not None and by.id != profile.user_id else None,
    )
    _apply(product, data)
    db.session.add(product)
    _set_photos(product, photos)
    refresh_search_text(product)
    db.session.flush()
    _changed(product, "created", None, by)
    if submit_now:
        submit(product, by)
    return product


def update_listing(
    product: Product, data: ListingInput, photos: PhotoPlan | None, by: User, submit_now: bool = False
) -> bool:
    """Save an edit. Returns True when an approved listing was sent back to review by it."""
    if stock_managed(product):
        data = keep_managed_fields(product, data)
    changed = _apply(product, data)
    photos_changed = _set_photos(product, photos) if photos is not None else False
    refresh_search_text(product)
    db.session.flush()
    content_changed = photos_changed or bool(changed & set(CONTENT_FIELDS))
    sent_back = False
    if product.status == ProductStatus.APPROVED and content_changed:
        product.status = ProductStatus.PENDING_REVIEW
        product.submitted_at = utcnow()
        _changed(product, "edited", ProductStatus.APPROVED, by)
        sent_back = True
    elif changed or photos_changed:
        _record(product, "edited", product.status, by)
        db.session.flush()
    if submit_now and product.status in SUBMITTABLE:
        submit(product, by)
    return sent_back


SUBMITTABLE = (ProductStatus.DRAFT, ProductStatus.REJECTED, ProductStatus.ARCHIVED)


def submit(product: Product, by: User | None) -> Product:
    """Send a draft (or a rejected or archived listing, corrected) to commune staff for review."""
    if product.status not in SUBMITTABLE:
        raise DomainError("invalid", _("This listing is already %(status)s.", status=status_label(product.status)))
    if not product.photos:
        raise DomainError("invalid", _("Add at least one photo before sending the listing for review."), field="photos")
    previous = product.status
    product.status = ProductStatus.PENDING_REVIEW
    product.submitted_at = utcnow()
    product.rejection_reason = None
    _changed(product, "submitted", previous, by)
    return product


def _check_staff(product: Product, by: User) -> None:
    if by is None or not by.can_staff(product.seller.commune_id):
        raise NotFound(_("This listing does not exist or is not in your commune."))


def approve(product: Product, by: User) -> Product:
    """Staff of the product's commune (or an admin) make it visible to buyers."""
    _check_staff(product, by)
    if product.status != ProductStatus.PENDING_REVIEW:
        raise DomainError(
            "invalid",
            _(
                "Only a listing awaiting review can be approved; this one is %(status)s.",
                status=status_label(product.status),
            ),
        )
    product.status = ProductStatus.APPROVED
    product.approved_at = utcnow()
    product.reviewed_by_id = by.id
    product.rejection_reason = None
    _changed(product, "approved", ProductStatus.PENDING_REVIEW, by)
    return product


def reject(product: Product, by: User, reason: str | None) -> Product:
    """Staff refuse a listing with a reason the seller reads, then edits and submits again."""
    _check_staff(product, by)
    reason = clean_line(reason)
    if not reason:
        raise DomainError("invalid", _("Give a reason; the seller will see it."), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError("invalid", _("A reason can have at most %(n)d characters.", n=REASON_MAX), field="reason")
    if product.status != ProductStatus.PENDING_REVIEW:
        raise DomainError(
            "invalid",
            _(
                "Only a listing awaiting review can be rejected; this one is %(status)s.",
                status=status_label(product.status),
            ),
        )
    product.status = ProductStatus.REJECTED
    product.reviewed_by_id = by.id
    product.rejection_reason = reason
    _changed(product, "rejected", ProductStatus.PENDING_REVIEW, by, reason)
    return product


def archive(product: Product, by: User) -> Product:
    """Withdraw a listing (the seller, or staff of its commune). It stays for past orders."""
    owner = by is not None and by.seller_profile is not None and by.seller_profile.id == product.seller_id
    if not owner:
        _check_staff(product, by)
    if product.status == ProductStatus.ARCHIVED:
        raise DomainError("invalid", _("This listing is already archived."))
    previous = product.status
    product.status = ProductStatus.ARCHIVED
    _changed(product, "archived", previous, by)
    return product


def own_product(user: User, product_id: int) -> Product:
    """A product of the user's own shop; anyone else's (or none) is a 404."""
    profile = user.seller_profile if user is not None else None
    pid = parse_id(product_id)
    product = db.session.get(Product, pid) if pid else None
    if product is None or profile is None or product.seller_id != profile.id:
        raise NotFound(_("This listing does not exist or is not yours."))
    return product
