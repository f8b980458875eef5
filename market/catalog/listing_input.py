"""What a seller typed for a listing, checked and cleaned: prices as people write them ("85.000", "85k",
"1,2tr"), counts, dates, plain text only, the OCOP claim's fields, and the by-weight fields.

``clean_listing`` collects every field's refusal at once (``domain.FieldErrors``) so the seller sees all of them
on one page; the seller pages, the JSON API, staff helpers and the seeds all go through it. Nothing here reads or
writes the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.catalog.models import Category, Unit
from market.catalog.ocop import CERTIFICATE_MAX, OCOP_STARS
from market.catalog.weight import parse_kg, round_div
from market.domain import DomainError, FieldErrors
from market.i18n import vnd
from market.text import clean_line, clean_text, fold

TITLE_MAX = 120
DESCRIPTION_MAX = 5000
ORIGIN_MAX = 200
MAX_PRICE_VND = 1_000_000_000  # a sane ceiling per unit: above it is a typing slip, not a price
MAX_STOCK = 1_000_000
MAX_MIN_ORDER = 100_000
# Sold by weight: one unit weighs 10 g to 100 kg; the tolerance is 1 to 50 percent (10 unless the seller says).
PIECE_WEIGHT_MIN_G, PIECE_WEIGHT_MAX_G = 10, 100_000
DEFAULT_TOLERANCE_PCT, MAX_TOLERANCE_PCT = 10, 50
WEIGHED_UNITS = (Unit.FRUIT, Unit.PIECE, Unit.BOX, Unit.BAG)  # a product sold by weight is counted in these

_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<!")  # a tag as browsers read it: "<" right before a letter
_PRICE = re.compile(r"(\d[\d.,]*)(k|nghin|ngan|tr|trieu|cu)?")
_MULTIPLIERS = {None: 1, "k": 1000, "nghin": 1000, "ngan": 1000, "tr": 1_000_000, "trieu": 1_000_000, "cu": 1_000_000}
_GROUPED = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")


def _no_html(text: str, field: str) -> None:
    if _HTML_TAG.search(text):
        raise DomainError(
            "invalid", _("Write plain text: HTML tags such as <b> or <script> are not allowed."), field=field
        )


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
        raise DomainError(
            "invalid",
            _("This price is too high: at most %(max)s per unit. Check the zeros.", max=vnd(MAX_PRICE_VND)),
            field="price",
        )
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
        raise DomainError("invalid", _("This must be at most %(n)s.", n=f"{maximum:,}".replace(",", ".")), field=field)
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


CONTENT_FIELDS = (
    "title",
    "description",
    "category",
    "unit",
    "origin",
    "harvest_date",
    "ocop_stars",
    "ocop_certificate_no",
)  # what staff check: changing any of these sends it back to review
COMMERCE_FIELDS = (
    "price_vnd",
    "stock",
    "min_order_qty",
    "piece_weight_g",
    "price_per_kg_vnd",
    "weight_tolerance_pct",
)  # changed freely while on sale


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
            raise DomainError("invalid", _("A title can have at most %(n)d characters.", n=TITLE_MAX), field="title")
        _no_html(text, "title")
        return text

    def description():
        text = clean_text(raw.get("description"))
        if len(text) > DESCRIPTION_MAX:
            raise DomainError(
                "invalid",
                _("The description can have at most %(n)d characters.", n=DESCRIPTION_MAX),
                field="description",
            )
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
            raise DomainError(
                "invalid", _("The origin can have at most %(n)d characters.", n=ORIGIN_MAX), field="origin"
            )
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
    check("min_order_qty", lambda: parse_count(raw.get("min_order_qty"), "min_order_qty", 1, MAX_MIN_ORDER, default=1))
    check("origin", origin)
    check("harvest_date", lambda: parse_harvest_date(raw.get("harvest_date")))
    check("ocop_stars", stars)
    certificate = clean_line(raw.get("ocop_certificate_no"))
    if out.get("ocop_stars"):
        if not certificate:
            errors.append(
                DomainError("invalid", _("Enter the number of the OCOP certificate."), field="ocop_certificate_no")
            )
        elif len(certificate) > CERTIFICATE_MAX:
            errors.append(
                DomainError(
                    "invalid",
                    _("A certificate number can have at most %(n)d characters.", n=CERTIFICATE_MAX),
                    field="ocop_certificate_no",
                )
            )
    out["ocop_certificate_no"] = certificate[:CERTIFICATE_MAX] if out.get("ocop_stars") else None
    if errors:
        raise FieldErrors(errors)
    return ListingInput(**out)


def is_checked(value) -> bool:
    return value in (True, 1, "1", "on", "true", "yes", "y")


def _clean_weighing(raw: Mapping, unit: str | None, errors: list[DomainError]) -> dict:
    """The by-weight fields: estimated weight of one unit, price per kg, tolerance; and the unit's price."""
    out = {"piece_weight_g": None, "price_per_kg_vnd": None, "weight_tolerance_pct": None, "price_vnd": None}
    if unit is not None and unit not in WEIGHED_UNITS:
        errors.append(
            DomainError(
                "invalid",
                _("A product sold by weight is counted by the fruit, piece, box or bag: choose one of those units."),
                field="unit",
            )
        )
    try:
        out["piece_weight_g"] = parse_kg(
            raw.get("piece_weight"), "piece_weight", minimum_g=PIECE_WEIGHT_MIN_G, maximum_g=PIECE_WEIGHT_MAX_G
        )
    except DomainError as err:
        errors.append(err)
    try:
        out["price_per_kg_vnd"] = parse_price(raw.get("price_per_kg"))
    except DomainError as err:
        errors.append(DomainError("invalid", err.message, field="price_per_kg"))
    try:
        out["weight_tolerance_pct"] = parse_count(
            raw.get("weight_tolerance"), "weight_tolerance", 1, MAX_TOLERANCE_PCT, default=DEFAULT_TOLERANCE_PCT
        )
    except DomainError as err:
        errors.append(err)
    if out["piece_weight_g"] and out["price_per_kg_vnd"]:
        price = round_div(out["piece_weight_g"] * out["price_per_kg_vnd"], 1000)
        if price > MAX_PRICE_VND:
            errors.append(
                DomainError(
                    "invalid",
                    _(
                        "One unit would cost more than %(max)s. Check the weight and the price per kg.",
                        max=vnd(MAX_PRICE_VND),
                    ),
                    field="price_per_kg",
                )
            )
        out["price_vnd"] = max(price, 1)
    return out
