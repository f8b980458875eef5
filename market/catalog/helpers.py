"""Template helpers of the catalog: photo addresses, labels, absolute links for share cards, pagination."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request, url_for

from market.catalog import bp, labels, ocop
from market.catalog.images import SIZES, fit, variant_name
from market.catalog.models import Category, Product, ProductStatus, Unit
from market.domain import parse_id
from market.extensions import db

PER_PAGE = 20
# A product id in a URL: bounded, so an absurd number is a 404 rather than a database overflow error.
PRODUCT_ID = "<int(max=2147483647):product_id>"


@bp.app_template_global()
def media_url(photo, size: int = 800, ext: str = "jpg", absolute: bool = False) -> str:
    path = url_for("catalog.media", filename=variant_name(photo.image_hash, size, ext))
    return absolute_url(path) if absolute else path


@bp.app_template_global()
def photo_srcset(photo, ext: str, cover: bool = False) -> str:
    """``srcset`` of one photo: each variant with its real width (a portrait photo's 320 is 240 wide).

    ``cover``: for a square slot the photo covers (product cards), each variant by its long side instead. There
    the short side fills the slot whatever the orientation, so a portrait photo needs what a landscape one needs;
    by width alone the browser would take a portrait photo's 800 px file where a landscape one gets the 320.
    """
    parts = []
    for size in SIZES:
        width, height = fit((photo.width, photo.height), size)
        parts.append(f"{media_url(photo, size, ext)} {max(width, height) if cover else width}w")
    return ", ".join(parts)


@bp.app_template_global()
def absolute_url(path: str) -> str:
    """An address for outside readers (Facebook, Zalo, API clients) from SITE_URL, never from the request."""
    return current_app.config["SITE_URL"].rstrip("/") + path


@bp.app_template_global()
def product_url(product: Product, absolute: bool = False) -> str:
    path = url_for("catalog.product", product_id=product.id, slug=product.slug)
    return absolute_url(path) if absolute else path


@bp.app_template_global()
def category_label(value) -> str:
    return labels.category_label(value)


@bp.app_template_global()
@bp.app_template_filter("unit")
def unit_label(value) -> str:
    """The one label of a unit ("trái", "túi", "kg"), for every page, message and script."""
    return labels.unit_label(value)


@bp.app_template_global()
def all_units() -> list[str]:
    return [u.value for u in Unit]


@bp.app_template_global()
def status_label(value) -> str:
    return labels.status_label(value)


@bp.app_template_global()
def action_label(value) -> str:
    return labels.action_label(value)


@bp.app_template_global()
def ocop_state(product) -> str:
    return ocop.ocop_state(product)


@bp.app_template_global()
def ocop_level_label(stars) -> str:
    return ocop.ocop_level_label(stars)


@bp.app_template_global()
def all_categories() -> list[str]:
    return [c.value for c in Category]


@bp.app_template_global()
def page_url(page: int) -> str:
    """The current address with another ?page=, keeping the other query arguments."""
    args = {k: v for k, v in request.args.items() if k != "page"}
    if page > 1:
        args["page"] = page
    return url_for(request.endpoint, **{**args, **(request.view_args or {})})


def page_number() -> int:
    page = parse_id(request.args.get("page"))
    return page if page is not None and page <= 10_000 else 1


def paginate(stmt: sa.Select, per_page: int = PER_PAGE):
    return db.paginate(stmt, page=page_number(), per_page=per_page, error_out=False, max_per_page=100)


def seller_summary(profile) -> dict | None:
    """What the shop status page shows an approved seller: counts by state and the way to list more."""
    if profile is None or not profile.is_approved:
        return None
    rows = db.session.execute(
        sa.select(Product.status, sa.func.count()).where(Product.seller_id == profile.id).group_by(Product.status)
    ).all()
    counts = {str(status): n for status, n in rows}
    return {
        "profile": profile,
        "counts": counts,
        "total": sum(counts.values()),
        "on_sale": counts.get(ProductStatus.APPROVED, 0),
        "pending": counts.get(ProductStatus.PENDING_REVIEW, 0),
        "rejected": counts.get(ProductStatus.REJECTED, 0),
    }


@bp.app_template_filter("kg")
def kg_filter(grams) -> str:
    """Grams as kilograms for people: 3200 → "3,2 kg"."""
    from market.catalog.weight import format_kg

    return format_kg(grams)
