"""Assisted mode: staff helpers open a shop for a villager without a smartphone, list products for her and enter
orders for people who phone in, each with the consent of the person acted for and marked "on behalf of".

- Sign-up: the account gets an unusable password and the shop opens at once; an ``AssistedSeller`` row keeps the
  helper, her name and the consent time.
- A listing goes through the catalog's own listing service (``catalog.sell.save_new_listing`` →
  ``service.create_listing``, the same checks, photos and review as a seller's): ``Product.created_by_id`` is the
  helper, so the product page reads "listed by <helper> for <villager>". It waits in the review queue like
  any listing (the helper may be the reviewer too: the audit log shows both).
- A phone order goes through orders' one phone-order service (``orders.phone``), exactly like the live
  console's: the caller's mobile, name, address, quantity and way to pay, the stock taken by ``place_order``
  (``origin="phone"``, ``placed_by`` = the helper, whose name the order's first event carries: "Entered on the
  buyer's behalf by …"), a duplicate guard, and one SMS to the caller.
- Consent: a ticked checkbox, stored as a ``Consent`` row (who agreed, the helper's name, the time, the object).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts import service as accounts
from market.accounts.models import Commune, SellerProfile, SellerStatus, User
from market.catalog.models import Product, ProductStatus
from market.database import utcnow
from market.domain import DomainError, NotFound, parse_id
from market.extensions import db
from market.moderation import audit
from market.moderation.models import AssistedSeller, Consent
from market.moderation.scope import can_see_commune, scoped
from market.orders.states import OrderOrigin

ACTING_FOR = ("buyer", "seller")  # who asked the helper: the buyer who called, or the villager-seller


# ---- sign-up ------------------------------------------------------------------------------------------------

UNUSABLE_PASSWORD_PREFIX = "!assisted:"  # noqa: S105 - not an Argon2 hash: no password ever matches it


def register_assisted_seller(
    helper: User, *, phone: str, name: str, shop_name: str, commune_id: object, story: str, consent: bool
) -> SellerProfile:
    """Create a seller account for a villager, with their recorded consent; the shop opens at once.

    The helper is commune staff who met the villager: the review an application would get has happened, so
    the shop is approved, not pending. The account has no usable password; the helper (or a later phone
    sign-in) acts for it.
    """
    if consent is not True:
        raise DomainError("invalid", _("The villager must agree before you create a shop for them."), field="consent")
    commune = db.session.get(Commune, parse_id(commune_id)) if parse_id(commune_id) else None
    if commune is None or not can_see_commune(helper, commune.id):
        raise NotFound(_("Choose a commune from the list."))
    user = accounts.register_user(phone, name, "", password_hash=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16))
    profile = accounts.apply_to_sell(user, shop_name, commune.id, story)
    accounts.set_seller_status(profile, SellerStatus.APPROVED, helper)
    now = utcnow()
    db.session.add(
        AssistedSeller(
            user_id=user.id,
            seller_profile_id=profile.id,
            helper_id=helper.id,
            helper_name=helper.display_name,
            consent_at=now,
            created_at=now,
        )
    )
    db.session.flush()
    audit.record(
        "seller.assisted_register",
        profile,
        actor=helper,
        details={"user_id": user.id, "phone": user.phone, "consent_at": now.isoformat(), "helper": helper.display_name},
    )
    return profile


def assisted_record(profile_id: int) -> AssistedSeller | None:
    """The sign-up record of a shop a helper opened, or None (the shop's page and staff say who helped)."""
    return db.session.scalar(sa.select(AssistedSeller).where(AssistedSeller.seller_profile_id == profile_id))


# ---- acting for a villager -------------------------------------------------------------------------------------


def assisted_of(profile: SellerProfile) -> AssistedSeller:
    """The sign-up record of a villager registered by a helper; other shops do not get listings entered for them."""
    record = assisted_record(profile.id)
    if record is None:
        raise NotFound(_("Only villagers registered with a helper can have listings entered for them."))
    return record


def assisted_sellers(user) -> list[AssistedSeller]:
    """Villagers registered with a helper in ``user``'s communes, by name."""
    stmt = scoped(sa.select(AssistedSeller), AssistedSeller, user)
    rows = db.session.scalars(stmt.join(User, User.id == AssistedSeller.user_id).order_by(User.display_name).limit(500))
    return list(rows)


def record_consent(person: User, helper: User, purpose: str, object_type: str, object_id: int) -> Consent:
    consent = Consent(
        user_id=person.id,
        helper_id=helper.id,
        helper_name=helper.display_name,
        purpose=purpose,
        object_type=object_type,
        object_id=object_id,
        consent_at=utcnow(),
    )
    db.session.add(consent)
    db.session.flush()
    return consent


def consent_for(object_type: str, object_id: int) -> Consent | None:
    return db.session.scalar(
        sa.select(Consent)
        .where(Consent.object_type == object_type, Consent.object_id == object_id)
        .order_by(Consent.id.desc())
    )


def listed_for_villager(product: Product, helper: User) -> Consent:
    """After the catalog created ``product`` for a villager: their consent and the audit entry."""
    villager = product.seller.user
    consent = record_consent(villager, helper, "listing", "product", product.id)
    audit.record(
        "listing.assisted_create",
        product,
        actor=helper,
        details={
            "villager_id": villager.id,
            "helper": helper.display_name,
            "consent_at": consent.consent_at.isoformat(),
            "status": str(product.status),
        },
    )
    return consent


# ---- phone orders -------------------------------------------------------------------------------------------


def orderable_products(user, commune_id: int | None = None, limit: int = 300) -> list[Product]:
    """Listings on sale in open shops of ``user``'s communes, for the phone-order form (by shop, then title)."""
    stmt = scoped(sa.select(Product), Product, user).where(
        Product.status == ProductStatus.APPROVED,
        Product.stock > 0,
        Product.seller.has(SellerProfile.status == SellerStatus.APPROVED),
    )
    if commune_id is not None:
        stmt = stmt.where(Product.seller.has(SellerProfile.commune_id == commune_id))
    products = list(db.session.scalars(stmt.order_by(Product.seller_id, Product.title).limit(limit)))
    return sorted(products, key=lambda p: (p.seller.shop_name.casefold(), p.title.casefold()))


def place_phone_order(helper: User, product: Product, req, acting_for: str):
    """Enter an order for someone who phoned (the buyer, or a villager-seller who took the call): orders' one
    phone-order service (``orders.phone.place_phone_order``: checks, stock, address, payment, the caller's SMS),
    from the shelf, plus the consent of the person acted for and the audit entry.

    ``req`` is an ``orders.phone.PhoneOrderRequest``. Returns orders' ``Placed`` (``created`` False when the
    same form was sent twice: the first order)."""
    from market.orders.phone import place_phone_order as place

    if acting_for not in ACTING_FOR:
        raise DomainError("invalid", _("Choose who asked you to place this order."), field="acting_for")
    if product.status != ProductStatus.APPROVED or product.seller.status != SellerStatus.APPROVED:
        raise DomainError("invalid", _("This product is not on sale."), field="product_id")
    placed = place(helper, "product", product.id, product.seller_id, req)
    if not placed.created:
        return placed
    order = placed.order
    person = order.buyer if acting_for == "buyer" else product.seller.user
    consent = record_consent(person, helper, "order", "order", order.id)
    audit.record(
        "order.phone_placed",
        order,
        actor=helper,
        details={
            "buyer_id": order.buyer_id,
            "acting_for": acting_for,
            "person_id": person.id,
            "qty": order.qty,
            "product_id": product.id,
            "total_vnd": order.total_vnd,
            "method": order.payment_method,
            "consent_at": consent.consent_at.isoformat(),
        },
    )
    return placed


def _audit_live_phone_orders(origin, placed=(), **_kw):
    """A phone order staff enter from a live session's console (``live.offers.phone_order``) is a staff action
    too: audited in the order's transaction. Orders entered on the helpers' page are audited there, with more."""
    if origin != OrderOrigin.PHONE:
        return
    for p in placed:
        if p.live_session_id is None or p.placed_by_id is None:
            continue
        helper = db.session.get(User, p.placed_by_id)
        order = p.load()
        if helper is None or not helper.can_staff(order.seller.commune_id):
            continue  # the host taking a call for her own session
        audit.record(
            "order.phone_placed",
            order,
            actor=helper,
            details={"buyer_id": p.buyer_id, "live_session_id": p.live_session_id, "total_vnd": p.total_vnd},
        )


def _audit_claim(user, **_kw):
    """A villager (or a buyer whose order was phoned in) signed in with a code to the number staff or a host
    entered: the account is hers now. Audited in that transaction, filed under her shop's commune, else one she
    is tied to (platform-wide when none)."""
    from market.moderation.scope import user_footprint

    record = db.session.scalar(sa.select(AssistedSeller).where(AssistedSeller.user_id == user.id))
    profile = user.seller_profile
    commune_id = profile.commune_id if profile is not None else min(user_footprint(user.id), default=None)
    audit.record(
        "account.claim",
        user,
        actor=user,
        commune_id=commune_id,
        details={
            "assisted_by": record.helper_name if record is not None else None,
            "seller_profile_id": profile.id if profile is not None else None,
        },
    )


def register() -> None:
    """Audit phone orders entered from a live session and accounts claimed by their owners (the moderation
    area's ``init_app`` calls it)."""
    from market.accounts.signals import account_claimed
    from market.orders.signals import orders_placed

    orders_placed.connect(_audit_live_phone_orders)
    account_claimed.connect(_audit_claim)
