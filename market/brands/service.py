"""Brands: a KOL makes and edits one, adds shops of the brand's commune and picks their approved products.

Functions flush but never commit (the view commits once). Every check happens before anything is written:
a refused request leaves the brand as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from market.accounts.models import SellerProfile, SellerStatus, User
from market.brands.models import Brand, BrandPhoto, BrandProduct, BrandShop
from market.catalog import images
from market.catalog.models import Product, ProductStatus
from market.catalog.search import public_products
from market.database import utcnow
from market.domain import DomainError, FieldErrors, Forbidden, NotFound, parse_id
from market.extensions import db
from market.notifications.service import message_kind, notify
from market.text import clean_line, clean_text, slugify

NAME_MIN, NAME_MAX = 2, 80
STORY_MAX = 5000
SLUG_MIN, SLUG_MAX = 3, 60
MAX_PHOTOS = 6
MAX_SHOPS = 200
MAX_PRODUCTS = 500
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class BrandInput:
    name: str
    slug: str | None  # None: made from the name
    story: str


# ---- who may do what -------------------------------------------------------------------------------------


def require_kol(user: User) -> SellerProfile:
    """Only approved sellers verified as their commune's KOL make brands."""
    if not (user and user.is_authenticated and user.is_kol):
        raise Forbidden(_("Only sellers verified as their commune's KOL can make a brand page."))
    return user.seller_profile


def own_brand(user: User, brand_id: object) -> Brand:
    """A brand this KOL made; another KOL's brand (or none) is a 404, whoever asks."""
    bid = parse_id(brand_id)
    brand = db.session.get(Brand, bid) if bid else None
    profile = user.seller_profile if user is not None and user.is_authenticated else None
    if brand is None or profile is None or brand.kol_id != profile.id:
        raise NotFound(_("This brand does not exist or is not yours."))
    require_kol(user)  # the badge was revoked since: the page stays, the KOL can no longer edit it
    return brand


def visible_brand(slug: object) -> Brand | None:
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > SLUG_MAX:
        return None
    brand = db.session.scalar(sa.select(Brand).where(Brand.slug == slug))
    return brand if brand is not None and brand.is_visible else None


def visible_brands() -> sa.Select:
    """Brands whose KOL's shop is open and whose KOL is not banned."""
    return (
        sa.select(Brand)
        .join(SellerProfile, Brand.kol_id == SellerProfile.id)
        .join(User, SellerProfile.user_id == User.id)
        .where(SellerProfile.status == SellerStatus.APPROVED, User.banned_at.is_(None))
    )


# ---- the brand itself ------------------------------------------------------------------------------------


def clean_brand(form, brand: Brand | None = None) -> BrandInput:
    """Check what the KOL typed; raises FieldErrors with every problem, each beside its field."""
    errors: list[DomainError] = []
    raw_name = form.get("name") or ""
    name = clean_line(raw_name[: NAME_MAX * 4])
    if len(raw_name) > NAME_MAX * 4 or len(name) > NAME_MAX:
        errors.append(
            DomainError("invalid", _("A brand name can have at most %(n)d characters.", n=NAME_MAX), field="name")
        )
    elif len(name) < NAME_MIN:
        errors.append(DomainError("invalid", _("Give the brand a name."), field="name"))
    raw_slug = (form.get("slug") or "").strip().lower()
    slug = None
    if raw_slug:
        if len(raw_slug) > SLUG_MAX or len(raw_slug) < SLUG_MIN or not SLUG_RE.match(raw_slug):
            errors.append(
                DomainError(
                    "invalid",
                    _(
                        "Use %(min)d to %(max)d small letters, digits and dashes, e.g. ami-kao-durian.",
                        min=SLUG_MIN,
                        max=SLUG_MAX,
                    ),
                    field="slug",
                )
            )
        elif _slug_taken(raw_slug, brand):
            errors.append(DomainError("taken", _("This address is already taken. Choose another."), field="slug"))
        else:
            slug = raw_slug
    raw_story = form.get("story") or ""
    story = clean_text(raw_story[: STORY_MAX * 4])
    if len(raw_story) > STORY_MAX * 4 or len(story) > STORY_MAX:
        errors.append(
            DomainError("invalid", _("The story can have at most %(n)d characters.", n=STORY_MAX), field="story")
        )
    if errors:
        raise FieldErrors(errors, _("Please correct the marked fields."))
    return BrandInput(name=name, slug=slug, story=story)


def _slug_taken(slug: str, brand: Brand | None) -> bool:
    stmt = sa.select(Brand.id).where(Brand.slug == slug)
    if brand is not None and brand.id is not None:
        stmt = stmt.where(Brand.id != brand.id)
    return db.session.scalar(stmt) is not None


def _free_slug(name: str) -> str:
    base = slugify(name, SLUG_MAX)
    if len(base) < SLUG_MIN:
        base = f"brand-{base}".strip("-")
    slug, n = base, 2
    while _slug_taken(slug, None):
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        n += 1
    return slug


PhotoPlan = list  # of BrandPhoto (kept) and images.PhotoFile (new), in the order they are shown


def _flush_slug(brand: Brand) -> None:
    """Flush in a savepoint: two KOLs racing for one address — the loser gets the field error, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise FieldErrors(
            [DomainError("taken", _("This address is already taken. Choose another."), field="slug")],
            _("Please correct the marked fields."),
        ) from None


def create_brand(user: User, data: BrandInput, photos: PhotoPlan) -> Brand:
    profile = require_kol(user)
    brand = Brand(
        commune_id=profile.commune_id,
        kol_id=profile.id,
        name=data.name,
        slug=data.slug or _free_slug(data.name),
        story=data.story,
    )
    db.session.add(brand)
    _flush_slug(brand)
    _set_photos(brand, photos)
    db.session.add(BrandShop(brand_id=brand.id, seller_id=profile.id))  # the KOL's own shop is always under it
    db.session.flush()
    return brand


def update_brand(brand: Brand, user: User, data: BrandInput, photos: PhotoPlan) -> Brand:
    own_brand(user, brand.id)
    brand.name, brand.story = data.name, data.story
    if data.slug:
        brand.slug = data.slug
    _flush_slug(brand)
    _set_photos(brand, photos)
    db.session.flush()
    return brand


def _set_photos(brand: Brand, plan: PhotoPlan) -> None:
    if len(plan) > MAX_PHOTOS:
        raise FieldErrors(
            [DomainError("invalid", _("A brand can have at most %(n)d photos.", n=MAX_PHOTOS), field="photos")],
            _("Please correct the marked fields."),
        )
    ordered = []
    for position, item in enumerate(plan):
        if isinstance(item, BrandPhoto):
            item.position = position
            ordered.append(item)
        else:
            ordered.append(BrandPhoto(image_hash=item.digest, width=item.width, height=item.height, position=position))
    brand.photos = ordered  # photos left out are deleted (delete-orphan); their files stay, shared by hash


def save_photo_files(plan: PhotoPlan, media_dir: str) -> None:
    for item in plan:
        if isinstance(item, images.PhotoFile):
            images.save(item, media_dir)


# ---- shops under the brand -------------------------------------------------------------------------------


def member_ids(brand: Brand) -> list[int]:
    return list(db.session.scalars(sa.select(BrandShop.seller_id).where(BrandShop.brand_id == brand.id)))


def member_shops(brand: Brand, open_only: bool = True) -> list[SellerProfile]:
    stmt = (
        sa.select(SellerProfile)
        .join(BrandShop, BrandShop.seller_id == SellerProfile.id)
        .where(BrandShop.brand_id == brand.id)
    )
    if open_only:
        stmt = stmt.where(SellerProfile.status == SellerStatus.APPROVED)
    # The KOL's shop first, then by name.
    return list(db.session.scalars(stmt.order_by((SellerProfile.id != brand.kol_id), SellerProfile.shop_name)))


def shops_to_add(brand: Brand) -> list[SellerProfile]:
    """Open shops of the brand's commune that are not under it yet."""
    return list(
        db.session.scalars(
            sa.select(SellerProfile)
            .where(
                SellerProfile.commune_id == brand.commune_id,
                SellerProfile.status == SellerStatus.APPROVED,
                SellerProfile.id.not_in(sa.select(BrandShop.seller_id).where(BrandShop.brand_id == brand.id)),
            )
            .order_by(SellerProfile.shop_name)
        )
    )


def add_shop(brand: Brand, user: User, seller_id: object) -> SellerProfile:
    own_brand(user, brand.id)
    sid = parse_id(seller_id)
    shop = db.session.get(SellerProfile, sid) if sid else None
    if shop is None or shop.status != SellerStatus.APPROVED or shop.commune_id != brand.commune_id:
        raise DomainError(
            "invalid", _("Choose an open shop of %(commune)s.", commune=brand.commune.name), field="seller_id"
        )
    if shop.id in member_ids(brand):
        raise DomainError(
            "conflict", _("%(shop)s is already under this brand.", shop=shop.shop_name), field="seller_id", status=409
        )
    if len(member_ids(brand)) >= MAX_SHOPS:
        raise DomainError("invalid", _("A brand can have at most %(n)d shops.", n=MAX_SHOPS), field="seller_id")
    try:
        with db.session.begin_nested():
            db.session.add(BrandShop(brand_id=brand.id, seller_id=shop.id, added_at=utcnow()))
    except IntegrityError:  # added by a second tap at the same moment
        raise DomainError(
            "conflict", _("%(shop)s is already under this brand.", shop=shop.shop_name), field="seller_id", status=409
        ) from None
    _tell_shop_added(brand, shop)
    return shop


def _shop_added_text(p: dict) -> str:
    return _(
        "%(kol)s put your shop under the brand %(brand)s. You can leave it from your shop's brands page.",
        kol=p["kol"],
        brand=p["brand"],
    )


def register() -> None:
    """How the notice to a shop put under a brand reads (the brands area's ``init_app`` calls it)."""
    message_kind("brand.shop_added")(_shop_added_text)


def _tell_shop_added(brand: Brand, shop: SellerProfile) -> None:
    if shop.user_id != brand.kol.user_id:
        notify(shop.user, "brand.shop_added", {"brand": brand.name, "kol": brand.kol.shop_name}, link="/sell/brands")


def _drop_shop(brand: Brand, shop_id: int) -> None:
    """Take a shop and its products out of the brand."""
    db.session.execute(
        sa.delete(BrandProduct)
        .where(
            BrandProduct.brand_id == brand.id,
            BrandProduct.product_id.in_(sa.select(Product.id).where(Product.seller_id == shop_id)),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(BrandShop)
        .where(BrandShop.brand_id == brand.id, BrandShop.seller_id == shop_id)
        .execution_options(synchronize_session=False)
    )


def remove_shop(brand: Brand, user: User, seller_id: object) -> SellerProfile:
    own_brand(user, brand.id)
    sid = parse_id(seller_id)
    if sid is None or sid not in member_ids(brand):
        raise NotFound(_("This shop is not under the brand."))
    if sid == brand.kol_id:
        raise DomainError("invalid", _("Your own shop stays under the brands you make."))
    shop = db.session.get(SellerProfile, sid)
    _drop_shop(brand, sid)
    return shop


def leave_brand(user: User, brand_id: object) -> Brand:
    """A shop's owner takes their shop (and its products) out of a brand.

    A brand the shop is not under is a 404 with the same words as a missing one: any shop owner may post any id,
    and a 409 naming the brand would tell them which ids exist — and the names of brands hidden from the public.
    """
    profile = user.seller_profile if user is not None and user.is_authenticated else None
    bid = parse_id(brand_id)
    brand = db.session.get(Brand, bid) if bid else None
    if brand is None or profile is None or profile.id not in member_ids(brand):
        raise NotFound(_("This brand does not exist or your shop is not under it."))
    if profile.id == brand.kol_id:
        raise DomainError("invalid", _("Your own shop stays under the brands you make."))
    _drop_shop(brand, profile.id)
    return brand


def brands_of_member(profile: SellerProfile) -> list[Brand]:
    """Brands the shop is under (other KOLs' brands too), for its owner's page."""
    return list(
        db.session.scalars(
            sa.select(Brand)
            .join(BrandShop, BrandShop.brand_id == Brand.id)
            .where(BrandShop.seller_id == profile.id)
            .order_by(Brand.name)
        )
    )


def brands_made_by(profile: SellerProfile) -> list[Brand]:
    return list(db.session.scalars(sa.select(Brand).where(Brand.kol_id == profile.id).order_by(Brand.name)))


# ---- products under the brand ----------------------------------------------------------------------------


def brand_products(brand: Brand) -> sa.Select:
    """Products buyers see under the brand: approved, of a shop that is open and still under the brand."""
    return (
        public_products()
        .join(BrandProduct, BrandProduct.product_id == Product.id)
        .where(
            BrandProduct.brand_id == brand.id,
            Product.seller_id.in_(sa.select(BrandShop.seller_id).where(BrandShop.brand_id == brand.id)),
        )
        .order_by(BrandProduct.id)
    )


def product_ids(brand: Brand) -> set[int]:
    return set(db.session.scalars(sa.select(BrandProduct.product_id).where(BrandProduct.brand_id == brand.id)))


def products_to_add(brand: Brand) -> list[Product]:
    members = member_ids(brand)
    chosen = product_ids(brand)
    rows = db.session.scalars(
        sa.select(Product)
        .where(Product.seller_id.in_(members), Product.status == ProductStatus.APPROVED)
        .order_by(Product.seller_id, Product.title)
    )
    return [p for p in rows if p.id not in chosen]


def add_products(brand: Brand, user: User, raw_ids: list) -> list[Product]:
    """Add approved products of the brand's shops; any other product refuses the whole request."""
    own_brand(user, brand.id)
    ids = []
    for raw in raw_ids[: MAX_PRODUCTS + 1]:
        pid = parse_id(raw)
        if pid is None:
            raise DomainError("invalid", _("Choose products of the brand's shops."), field="product_ids")
        if pid not in ids:
            ids.append(pid)
    if not ids:
        raise DomainError("invalid", _("Choose at least one product."), field="product_ids")
    members = set(member_ids(brand))
    products = {p.id: p for p in db.session.scalars(sa.select(Product).where(Product.id.in_(ids)))}
    for pid in ids:
        product = products.get(pid)
        if product is None or product.seller_id not in members or product.status != ProductStatus.APPROVED:
            raise DomainError("invalid", _("Choose approved products of the brand's shops."), field="product_ids")
    chosen = product_ids(brand)
    new = [pid for pid in ids if pid not in chosen]
    if len(chosen) + len(new) > MAX_PRODUCTS:
        raise DomainError("invalid", _("A brand can show at most %(n)d products.", n=MAX_PRODUCTS), field="product_ids")
    try:
        with db.session.begin_nested():
            for pid in new:
                db.session.add(BrandProduct(brand_id=brand.id, product_id=pid, added_at=utcnow()))
    except IntegrityError:
        raise DomainError("conflict", _("These products were just added. Reload the page."), status=409) from None
    return [products[pid] for pid in new]


def remove_product(brand: Brand, user: User, product_id: object) -> None:
    own_brand(user, brand.id)
    pid = parse_id(product_id)
    done = (
        db.session.execute(
            sa.delete(BrandProduct)
            .where(BrandProduct.brand_id == brand.id, BrandProduct.product_id == pid)
            .execution_options(synchronize_session=False)
        ).rowcount
        if pid
        else 0
    )
    if not done:
        raise NotFound(_("This product is not under the brand."))


# ---- what other pages show -------------------------------------------------------------------------------


def brands_of_shop(profile: SellerProfile) -> list[Brand]:
    """Visible brands a shop is under (its public page links them)."""
    return list(
        db.session.scalars(
            visible_brands()
            .join(BrandShop, BrandShop.brand_id == Brand.id)
            .where(BrandShop.seller_id == profile.id)
            .order_by(Brand.name)
        )
    )


def brands_of_product(product: Product) -> list[Brand]:
    """Visible brands showing a product, while its shop is still under them."""
    return list(
        db.session.scalars(
            visible_brands()
            .join(BrandProduct, BrandProduct.brand_id == Brand.id)
            .join(BrandShop, sa.and_(BrandShop.brand_id == Brand.id, BrandShop.seller_id == product.seller_id))
            .where(BrandProduct.product_id == product.id)
            .order_by(Brand.name)
        )
    )


def latest_brands(commune_id: int | None = None, limit: int = 6) -> list[Brand]:
    stmt = visible_brands()
    if commune_id is not None:
        stmt = stmt.where(Brand.commune_id == commune_id)
    return list(db.session.scalars(stmt.order_by(Brand.created_at.desc(), Brand.id.desc()).limit(limit)))
