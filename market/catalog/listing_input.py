"""Listings: checking what a seller typed, the review states and their transitions, and search.

Functions flush but never commit: the caller (a view, the seed, a CLI command) commits once. Refusals are
``DomainError``s with the field they are about; ``clean_listing`` collects every field's refusal at once
(``domain.FieldErrors``) so the seller sees all of them on one page.

States (``ProductStatus``): draft → pending_review → approved | rejected; any → archived. A rejected or
archived listing goes back to pending_review when the seller submits it again. Editing the text or the photos
of an approved listing sends it back to pending_review (buyers must not see unchecked words or pictures);
changing its price, stock or minimum order does not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager

from market.accounts.models import SellerProfile, SellerStatus, User
from market.catalog.images import MAX_PHOTOS, PhotoFile
from market.catalog.models import Category, Product, ProductEvent, ProductPhoto, ProductStatus, Unit
from market.database import utcnow
from market.domain import DomainError, FieldErrors, NotFound, parse_id
from market.extensions import db
from market.i18n import vnd
from market.text import clean_line, clean_text, fold, slugify

TITLE_MAX = 120
DESCRIPTION_MAX = 5000
ORIGIN_MAX = 200
CERTIFICATE_MAX = 60
REASON_MAX = 500
MAX_PRICE_VND = 1_000_000_000  # a sane ceiling per unit: above it is a typing slip, not a price
MAX_STOCK = 1_000_000
MAX_MIN_ORDER = 100_000
OCOP_STARS = (3, 4, 5)
# Sold by weight: one unit weighs 10 g to 100 kg; the tolerance is 1 to 50 percent (10 unless the seller says).
PIECE_WEIGHT_MIN_G, PIECE_WEIGHT_MAX_G = 10, 100_000
DEFAULT_TOLERANCE_PCT, MAX_TOLERANCE_PCT = 10, 50
WEIGHED_UNITS = (Unit.FRUIT, Unit.PIECE, Unit.BOX, Unit.BAG)  # a product sold by weight is counted in these

signals = Namespace()
# Sent after a listing changes state: sender is the Product; kwargs action, from_status, by.
listing_changed = signals.signal("catalog.listing-changed")

CATEGORY_LABELS = {
    Category.DURIAN: _l("Durian"),
    Category.COFFEE: _l("Coffee"),
    Category.PEPPER: _l("Pepper"),
    Category.HONEY: _l("Honey"),
    Category.AVOCADO: _l("Avocado"),
    Category.MACADAMIA: _l("Macadamia"),
    Category.BROCADE: _l("Brocade and textiles"),
    Category.HANDICRAFT: _l("Handicraft"),
    Category.OTHER: _l("Other produce"),
}
UNIT_LABELS = {
    Unit.KG: _l("kg"),
    Unit.BOX: _l("box"),
    Unit.BAG: _l("bag"),
    Unit.PIECE: _l("piece"),
    Unit.FRUIT: _l("fruit"),
    Unit.METRE: _l("metre"),
}
STATUS_LABELS = {
    ProductStatus.DRAFT: _l("Draft"),
    ProductStatus.PENDING_REVIEW: _l("Awaiting review"),
    ProductStatus.APPROVED: _l("On sale"),
    ProductStatus.REJECTED: _l("Rejected"),
    ProductStatus.ARCHIVED: _l("Archived"),
}
ACTION_LABELS = {
    "created": _l("Created"),
    "submitted": _l("Sent for review"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "edited": _l("Edited"),
    "archived": _l("Taken off sale"),
}
# Folded Vietnamese and English words of each category go into the search text: "sau rieng" finds durian.
_CATEGORY_WORDS = {
    Category.DURIAN: "sau rieng durian",
    Category.COFFEE: "ca phe coffee",
    Category.PEPPER: "ho tieu tieu pepper",
    Category.HONEY: "mat ong honey",
    Category.AVOCADO: "bo avocado",
    Category.MACADAMIA: "mac ca macadamia",
    Category.BROCADE: "tho cam det vai brocade textile",
    Category.HANDICRAFT: "thu cong my nghe handicraft",
    Category.OTHER: "",
}


def category_label(value) -> str:
    try:
        return str(CATEGORY_LABELS[Category(value)])
    except ValueError:
        return str(value)


def unit_label(value) -> str:
    try:
        return str(UNIT_LABELS[Unit(value)])
    except ValueError:
        return str(value)


def action_label(value) -> str:
    return str(ACTION_LABELS.get(value, value))


def status_label(value) -> str:
    try:
        return str(STATUS_LABELS[ProductStatus(value)])
    except ValueError:
        return str(value)


# ---- what the seller typed --------------------------------------------------------------------------------

_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<!")  # a tag as browsers read it: "<" right before a letter
_PRICE = re.compile(r"(\d[\d.,]*)(k|nghin|ngan|tr|trieu|cu)?")
_MULTIPLIERS = {None: 1, "k": 1000, "nghin": 1000, "ngan": 1000, "tr": 1_000_000, "trieu": 1_000_000,
                "cu": 1_000_000}
_GROUPED = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")


def _no_html(text: str, field: str) -> None:
    if _HTML_TAG.search(text):
        raise DomainError("invalid", _("Write plain text: HTML tags such as <b> or <script> are not allowed."),
                          field=field)


def parse_price(raw: str | int | None) -> int:
    """A price in đồng as people type it: "85.000", "85000", "85k", "85 000 đ", "1,2tr", "1.2 triệu"."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    else:
        text = fold(clean_line(raw if isinstance(raw, str) else ""))
    text = re.sub(r"\s+", "", text).replace("₫", "")
    text = re.sub(r"(vnd|dong|d)$", "", text)
    example = _l("Type the price in đồng, for example 85.000, 85000 or 85k.")  # lazy: only used to refuse
    if not text:
        raise DomainError("invalid", _("Enter a price."), field="price")
    if text[0] in "-−–":
        raise DomainError("invalid", _("A price must be more than 0 đồng."), field="price")
    match = _PRICE.fullmatch(text)
    if not match:
        raise DomainError("invalid", example, field="price")
    number, unit = match.groups()
    if number.isdigit():
        value = Decimal(number)
    elif _GROUPED.fullmatch(number):  # 85.000 or 85,000: thousands separators
        value = Decimal(re.sub(r"[.,]", "", number))
    elif unit and re.fullmatch(r"\d+[.,]\d{1,3}", number):  # 1,2tr or 1.5k: a decimal with a multiplier
        value = Decimal(number.replace(",", "."))
    else:
        raise DomainError("invalid", example, field="price")
    try:
        value *= _MULTIPLIERS[unit]
    except InvalidOperation:
        raise DomainError("invalid", example, field="price") from None
    if value != value.to_integral_value():
        raise DomainError("invalid", _("A price is a whole number of đồng."), field="price")
    if value <= 0:
        raise DomainError("invalid", _("A price must be more than 0 đồng."), field="price")
    if value > MAX_PRICE_VND:
        raise DomainError("invalid", _("This price is too high: at most %(max)s per unit. Check the zeros.",
                                       max=vnd(MAX_PRICE_VND)), field="price")
    return int(value)


def parse_count(raw, field: str, minimum: int, maximum: int, default: int | None = None) -> int:
    """A whole number of units ("12", "1.000"); refuses negatives, fractions, words and absurd sizes."""
    text = re.sub(r"\s+", "", clean_line(str(raw)) if raw is not None else "")
    if not text:
        if default is not None:
            return default
        raise DomainError("invalid", _("Enter a number."), field=field)
    if text[0] in "-−–":
        raise DomainError("invalid", _("This cannot be negative."), field=field)
    if text.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
        digits = text
    elif _GROUPED.fullmatch(text):
        digits = re.sub(r"[.,]", "", text)
    else:
        raise DomainError("invalid", _("Enter a whole number, such as 50."), field=field)
    # Past 18 digits it is over any maximum; int() of thousands of digits would raise instead of answering.
    value = int(digits) if len(digits) <= 18 else maximum + 1
    if value < minimum:
        raise DomainError("invalid", _("This must be at least %(n)d.", n=minimum), field=field)
    if value > maximum:
        raise DomainError("invalid", _("This must be at most %(n)s.", n=f"{maximum:,}".replace(",", ".")),
                          field=field)
    return value


def parse_harvest_date(raw) -> date | None:
    if isinstance(raw, date):
        value = raw
    else:
        text = clean_line(raw if isinstance(raw, str) else "")
        if not text:
            return None
        value = None
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
            try:
                value = datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
                break
            except ValueError:
                continue
        if value is None:
            raise DomainError("invalid", _("Enter a date such as 25/06/2026."), field="harvest_date")
    today = date.today()
    if value < date(2000, 1, 1) or value > today + timedelta(days=366):
        raise DomainError("invalid", _("Enter a harvest date within the coming year."), field="harvest_date")
    return value


@dataclass
class ListingInput:
    """A listing's fields, checked and cleaned."""

    title: str
    description: str
    category: str
    unit: str
    price_vnd: int
    stock: int
    min_order_qty: int
    origin: str
    harvest_date: date | None
    ocop_stars: int | None
    ocop_certificate_no: str | None
    # Sold by weight (all three set) or not (all None); see Product.piece_weight_g.
    piece_weight_g: int | None = None
    price_per_kg_vnd: int | None = None
    weight_tolerance_pct: int | None = None


CONTENT_FIELDS = ("title", "description", "category", "unit", "origin", "harvest_date", "ocop_stars",
                  "ocop_certificate_no")  # what staff check: changing any of these sends it back to review
COMMERCE_FIELDS = ("price_vnd", "stock", "min_order_qty", "piece_weight_g", "price_per_kg_vnd",
                   "weight_tolerance_pct")  # changed freely while on sale


def clean_listing(raw: Mapping) -> ListingInput:
    """Check every field of a listing form (or API payload); raise FieldErrors with all the refusals."""
    errors: list[DomainError] = []
    out: dict = {}

    def check(name, fn):
        try:
            out[name] = fn()
        except DomainError as err:
            errors.append(err)
            out[name] = None

    def title():
        text = clean_line(raw.get("title"))
        if not text:
            raise DomainError("invalid", _("Enter a title, such as “Sầu riêng Ri6”."), field="title")
        if len(text) > TITLE_MAX:
            raise DomainError("invalid", _("A title can have at most %(n)d characters.", n=TITLE_MAX),
                              field="title")
        _no_html(text, "title")
        return text

    def description():
        text = clean_text(raw.get("description"))
        if len(text) > DESCRIPTION_MAX:
            raise DomainError("invalid", _("The description can have at most %(n)d characters.",
                                           n=DESCRIPTION_MAX), field="description")
        _no_html(text, "description")
        return text

    def choice(name, enum, message):
        def fn():
            value = raw.get(name)
            try:
                return enum(value).value
            except ValueError:
                raise DomainError("invalid", message, field=name) from None
        return fn

    def origin():
        text = clean_line(raw.get("origin"))
        if len(text) > ORIGIN_MAX:
            raise DomainError("invalid", _("The origin can have at most %(n)d characters.", n=ORIGIN_MAX),
                              field="origin")
        _no_html(text, "origin")
        return text

    def stars():
        value = raw.get("ocop_stars")
        if value in (None, "", "0", 0):
            return None
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = None
        if value not in OCOP_STARS:
            raise DomainError("invalid", _("Choose 3, 4 or 5 OCOP stars, or none."), field="ocop_stars")
        return value

    by_weight = is_checked(raw.get("sold_by_weight"))
    check("title", title)
    check("description", description)
    check("category", choice("category", Category, _l("Choose a category from the list.")))
    check("unit", choice("unit", Unit, _l("Choose a unit from the list.")))
    if by_weight:
        weighed = _clean_weighing(raw, out.get("unit"), errors)
        out.update(weighed)
        out["price_vnd"] = weighed["price_vnd"]
    else:
        check("price_vnd", lambda: parse_price(raw.get("price", raw.get("price_vnd"))))
    check("stock", lambda: parse_count(raw.get("stock"), "stock", 0, MAX_STOCK))
    check("min_order_qty", lambda: parse_count(raw.get("min_order_qty"), "min_order_qty", 1, MAX_MIN_ORDER,
                                               default=1))
    check("origin", origin)
    check("harvest_date", lambda: parse_harvest_date(raw.get("harvest_date")))
    check("ocop_stars", stars)
    certificate = clean_line(raw.get("ocop_certificate_no"))
    if out.get("ocop_stars"):
        if not certificate:
            errors.append(DomainError("invalid", _("Enter the number of the OCOP certificate."),
                                      field="ocop_certificate_no"))
        elif len(certificate) > CERTIFICATE_MAX:
            errors.append(DomainError("invalid", _("A certificate number can have at most %(n)d characters.",
                                                   n=CERTIFICATE_MAX), field="ocop_certificate_no"))
    out["ocop_certificate_no"] = certificate[:CERTIFICATE_MAX] if out.get("ocop_stars") else None
    if errors:
        raise FieldErrors(errors)
    return ListingInput(**out)


def is_checked(value) -> bool:
    return value in (True, 1, "1", "on", "true", "yes", "y")


def _clean_weighing(raw: Mapping, unit: str | None, errors: list[DomainError]) -> dict:
    """The by-weight fields: estimated weight of one unit, price per kg, tolerance; and the unit's price."""
    from market.catalog.weight import parse_kg, round_div

    out = {"piece_weight_g": None, "price_per_kg_vnd": None, "weight_tolerance_pct": None, "price_vnd": None}
    if unit is not None and unit not in WEIGHED_UNITS:
        errors.append(DomainError("invalid", _("A product sold by weight is counted by the fruit, piece, box or "
                                               "bag: choose one of those units."), field="unit"))
    try:
        out["piece_weight_g"] = parse_kg(raw.get("piece_weight"), "piece_weight", minimum_g=PIECE_WEIGHT_MIN_G,
                                         maximum_g=PIECE_WEIGHT_MAX_G)
    except DomainError as err:
        errors.append(err)
    try:
        out["price_per_kg_vnd"] = parse_price(raw.get("price_per_kg"))
    except DomainError as err:
        errors.append(DomainError("invalid", err.message, field="price_per_kg"))
    try:
        out["weight_tolerance_pct"] = parse_count(raw.get("weight_tolerance"), "weight_tolerance", 1,
                                                  MAX_TOLERANCE_PCT, default=DEFAULT_TOLERANCE_PCT)
    except DomainError as err:
        errors.append(err)
    if out["piece_weight_g"] and out["price_per_kg_vnd"]:
        price = round_div(out["piece_weight_g"] * out["price_per_kg_vnd"], 1000)
        if price > MAX_PRICE_VND:
            errors.append(DomainError("invalid", _("One unit would cost more than %(max)s. Check the weight and "
                                                   "the price per kg.", max=vnd(MAX_PRICE_VND)), field="price_per_kg"))
        out["price_vnd"] = max(price, 1)
    return out


# ---- who else manages a product's stock -----------------------------------------------------------------

_stock_managers: list = []


def register_stock_manager(explain) -> None:
    """``explain(product) -> str | None``: a higher area (co-op lots) that keeps this product's stock itself says
    so with a sentence for the seller; the listing form then shows the stock, the unit and the estimated weight
    without letting them be edited (they would no longer add up)."""
    _stock_managers.append(explain)


def stock_managed(product: Product | None) -> str | None:
    if product is None or product.id is None:
        return None
    for explain in _stock_managers:
        note = explain(product)
        if note:
            return str(note)
    return None


def _keep_managed_fields(product: Product, data: ListingInput) -> ListingInput:
    """Stock, unit and estimated weight stay as they are; a by-weight unit price follows the new price per kg."""
    from dataclasses import replace

    from market.catalog.weight import round_div

    typed_by_weight = data.piece_weight_g is not None
    data = replace(data, stock=product.stock, unit=product.unit, piece_weight_g=product.piece_weight_g)
    if product.piece_weight_g is None:
        return replace(data, price_per_kg_vnd=None, weight_tolerance_pct=None,
                       price_vnd=product.price_vnd if typed_by_weight else data.price_vnd)
    per_kg = data.price_per_kg_vnd or product.price_per_kg_vnd
    return replace(data, price_per_kg_vnd=per_kg,
                   weight_tolerance_pct=data.weight_tolerance_pct or product.weight_tolerance_pct,
                   price_vnd=max(1, round_div(product.piece_weight_g * per_kg, 1000)))


# ---- OCOP: what the seller claims, what commune staff verified -----------------------------------------

OCOP_LEVELS = {3: _l("3 stars: district level"), 4: _l("4 stars: province level"), 5: _l("5 stars: national level")}


def ocop_level_label(stars) -> str:
    return str(OCOP_LEVELS.get(stars, stars))


def local_today() -> date:
    """Today in the market's time zone (an OCOP certificate is valid through its expiry day, local time)."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    return datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh")).date()


def _ocop_matches(product: Product) -> bool:
    return bool(product.ocop_stars and product.ocop_verified_stars == product.ocop_stars
                and product.ocop_verified_certificate_no == product.ocop_certificate_no
                and product.ocop_expires_on is not None)


def ocop_state(product: Product, today: date | None = None) -> str:
    """"none" (no claim), "claimed" (not checked, or changed since), "verified" (checked and valid today) or
    "expired" (checked, but the certificate's validity has passed). Only "verified" may be shown as such."""
    if not product.ocop_stars:
        return "none"
    if not _ocop_matches(product):
        return "claimed"
    return "verified" if product.ocop_expires_on >= (today or local_today()) else "expired"


def ocop_unverified_clause(today: date) -> sa.ColumnElement:
    """SQL: listings whose OCOP claim is not verified today (for the staff queue of claims to check)."""
    return sa.and_(Product.ocop_stars.is_not(None), sa.or_(
        Product.ocop_verified_stars.is_(None), Product.ocop_verified_stars != Product.ocop_stars,
        Product.ocop_verified_certificate_no.is_(None),
        Product.ocop_verified_certificate_no != Product.ocop_certificate_no,
        Product.ocop_expires_on.is_(None), Product.ocop_expires_on < today))


def record_ocop_verification(product: Product, issued_on: date, expires_on: date) -> None:
    """Staff checked the claim as it stands against the certificate (moderation decides and audits)."""
    product.ocop_verified_stars = product.ocop_stars
    product.ocop_verified_certificate_no = product.ocop_certificate_no
    product.ocop_issued_on = issued_on
    product.ocop_expires_on = expires_on
    product.ocop_verified_at = utcnow()
    db.session.flush()


def remove_ocop_claim(product: Product) -> None:
    """Staff refused the claim: the stars come off the listing with any earlier verification (the seller may
    claim again; that edit sends the listing back to review like any other)."""
    product.ocop_stars = product.ocop_certificate_no = None
    product.ocop_verified_stars = product.ocop_verified_certificate_no = None
    product.ocop_issued_on = product.ocop_expires_on = product.ocop_verified_at = None
    db.session.flush()


# ---- search text ----------------------------------------------------------------------------------------

def refresh_search_text(product: Product) -> None:
    """Fold what a buyer may type to find this listing (call after any change to it, its shop or commune)."""
    seller = product.seller
    commune = seller.commune if seller is not None else None
    parts = [product.title, product.description, product.origin,
             seller.shop_name if seller is not None else "",
             commune.name if commune is not None else "", commune.province if commune is not None else ""]
    text = " ".join(fold(p) for p in parts if p)
    words = _CATEGORY_WORDS.get(product.category, "")
    product.search_text = " ".join(re.sub(r"\s+", " ", f"{text} {words}").split())
    product.search_title = fold(product.title)[:160]


# ---- listings and their states -------------------------------------------------------------------------

def _record(product: Product, action: str, from_status: str | None, by: User | None,
            reason: str | None = None) -> None:
    db.session.add(ProductEvent(product=product, action=action, from_status=from_status,
                                to_status=product.status, by_id=by.id if by else None, reason=reason))


def _changed(product: Product, action: str, from_status: str | None, by: User | None,
             reason: str | None = None) -> None:
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


def create_listing(profile: SellerProfile, data: ListingInput, photos: PhotoPlan, by: User,
                   submit_now: bool = True) -> Product:
    """A new listing of ``profile``'s shop; submitted for review at once unless kept as a draft."""
    if profile.status != SellerStatus.APPROVED:
        raise DomainError("forbidden", _("Only sellers approved by their commune can list products."),
                          status=403)
    product = Product(seller=profile, status=ProductStatus.DRAFT, search_text="",
                      created_by_id=by.id if by is not None and by.id != profile.user_id else None)
    _apply(product, data)
    db.session.add(product)
    _set_photos(product, photos)
    refresh_search_text(product)
    db.session.flush()
    _changed(product, "created", None, by)
    if submit_now:
        submit(product, by)
    return product


def update_listing(product: Product, data: ListingInput, photos: PhotoPlan | None, by: User,
                   submit_now: bool = False) -> bool:
    """Save an edit. Returns True when an approved listing was sent back to review by it."""
    if stock_managed(product):
        data = _keep_managed_fields(product, data)
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
        raise DomainError("invalid", _("Add at least one photo before sending the listing for review."),
                          field="photos")
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
        raise DomainError("invalid", _("Only a listing awaiting review can be approved; this one is %(status)s.",
                                       status=status_label(product.status)))
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
        raise DomainError("invalid", _("A reason can have at most %(n)d characters.", n=REASON_MAX),
                          field="reason")
    if product.status != ProductStatus.PENDING_REVIEW:
        raise DomainError("invalid", _("Only a listing awaiting review can be rejected; this one is %(status)s.",
                                       status=status_label(product.status)))
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


# ---- finding listings ------------------------------------------------------------------------------------

def own_product(user: User, product_id: int) -> Product:
    """A product of the user's own shop; anyone else's (or none) is a 404."""
    profile = user.seller_profile if user is not None else None
    pid = parse_id(product_id)
    product = db.session.get(Product, pid) if pid else None
    if product is None or profile is None or product.seller_id != profile.id:
        raise NotFound(_("This listing does not exist or is not yours."))
    return product


def public_products() -> sa.Select:
    """Listings buyers may see: approved, of a shop that is open."""
    return (sa.select(Product)
            .join(SellerProfile, Product.seller_id == SellerProfile.id)
            .options(contains_eager(Product.seller))
            .where(Product.status == ProductStatus.APPROVED, SellerProfile.status == SellerStatus.APPROVED))


def newest_first(stmt: sa.Select) -> sa.Select:
    return stmt.order_by(Product.approved_at.desc().nulls_last(), Product.id.desc())


def visible_product(product_id: int) -> Product | None:
    return db.session.scalar(public_products().where(Product.id == product_id))


MAX_TERMS = 8
MAX_TERM_LENGTH = 40


def search_terms(query: str | None) -> list[str]:
    """Folded words of a query: "SẦU RIÊNG  Ri6" → ["sau", "rieng", "ri6"] (at most 8, each ≤ 40 chars)."""
    folded = fold(clean_line(query or "")[:200])
    terms: list[str] = []
    for word in re.findall(r"\w+", folded):
        word = word[:MAX_TERM_LENGTH]
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(query: str | None, commune_id: int | None = None, category: str | None = None) -> sa.Select:
    """Public listings matching every word of ``query`` in title, description, shop or commune, without
    diacritics or case. Ranked: the whole phrase in the title, then more words in the title, then the newest.
    Works with LIKE on both databases (PostgreSQL has a trigram index on search_text to speed it up)."""
    stmt = public_products()
    if commune_id is not None:
        stmt = stmt.where(SellerProfile.commune_id == commune_id)
    if category is not None:
        stmt = stmt.where(Product.category == category)
    terms = search_terms(query)
    if not terms:
        return newest_first(stmt)
    for term in terms:
        stmt = stmt.where(Product.search_text.like(_like(term), escape="\\"))
    phrase = " ".join(terms)
    score = sa.case((Product.search_title.like(_like(phrase), escape="\\"), 10), else_=0)
    score += sa.case((Product.search_title.like(_like(phrase)[1:], escape="\\"), 5), else_=0)  # title starts so
    for term in terms:
        score += sa.case((Product.search_title.like(_like(term), escape="\\"), 2), else_=0)
    return stmt.order_by(score.desc(), Product.approved_at.desc().nulls_last(), Product.id.desc())
