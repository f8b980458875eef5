"""JSON API: ``GET /api/v1/products`` and ``GET /api/v1/products/<id>``. Public: only approved listings of open
shops, with absolute links (from SITE_URL) to their pages and photos. Documented in docs/api.md."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from market.accounts.service import commune_by_slug
from market.api import bp
from market.catalog.helpers import PRODUCT_ID, absolute_url, media_url, product_url
from market.catalog.images import EXTENSIONS, SIZES, fit
from market.catalog.models import Category, Product, ProductPhoto
from market.catalog.ocop import ocop_state
from market.catalog.search import search, visible_product
from market.domain import parse_id
from market.errors import api_error
from market.extensions import db

PER_PAGE = 20
MAX_PER_PAGE = 100


def photo_json(photo: ProductPhoto) -> dict[str, Any]:
    variants = {}
    for size in SIZES:
        width, height = fit((photo.width, photo.height), size)
        variants[str(size)] = {
            "width": width,
            "height": height,
            **{("jpeg" if ext == "jpg" else ext): media_url(photo, size, ext, absolute=True) for ext in EXTENSIONS},
        }
    return {"width": photo.width, "height": photo.height, "variants": variants}


def product_json(product: Product, full: bool = False) -> dict[str, Any]:
    seller = product.seller
    commune = seller.commune
    data = {
        "id": product.id,
        "title": product.title,
        "slug": product.slug,
        "url": product_url(product, absolute=True),
        "category": product.category,
        "unit": product.unit,
        "price_vnd": product.price_vnd,
        "stock": product.stock,
        "min_order_qty": product.min_order_qty,
        # Sold by the piece, priced by weight: price_vnd is the estimate for one unit; the amount is weighed.
        "by_weight": {
            "piece_weight_g": product.piece_weight_g,
            "price_per_kg_vnd": product.price_per_kg_vnd,
            "tolerance_pct": product.weight_tolerance_pct,
        }
        if product.by_weight
        else None,
        "shop": {"name": seller.shop_name, "slug": seller.slug, "url": absolute_url(f"/s/{seller.slug}")},
        "commune": {"slug": commune.slug, "name": commune.name, "province": commune.province},
        "photo": photo_json(product.cover) if product.cover else None,
        "approved_at": product.approved_at.isoformat() if product.approved_at else None,
    }
    if full:
        data.update(
            {
                "description": product.description,
                "origin": product.origin,
                "harvest_date": product.harvest_date.isoformat() if product.harvest_date else None,
                # Claimed by the seller; "verified" only while commune staff's check matches the claim and the
                # certificate has not expired (catalog.ocop.ocop_state).
                "ocop": _ocop_json(product) if product.ocop_stars else None,
                "photos": [photo_json(p) for p in product.photos],
            }
        )
    return data


def _ocop_json(product: Product) -> dict[str, Any]:
    state = ocop_state(product)
    return {
        "stars": product.ocop_stars,
        "certificate_no": product.ocop_certificate_no,
        "state": state,
        "verified": state == "verified",
        "expires_on": (
            product.ocop_expires_on.isoformat() if state == "verified" and product.ocop_expires_on else None
        ),
    }


def _int_arg(name: str, default: int, maximum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = parse_id(raw)
    return value if value is not None and value <= maximum else None


@bp.get("/products")
def list_products() -> ResponseReturnValue:
    page = _int_arg("page", 1, 10_000)
    per_page = _int_arg("per_page", PER_PAGE, MAX_PER_PAGE)
    if page is None or per_page is None:
        return api_error(
            400, "invalid", _("page and per_page must be whole numbers (per_page at most %(n)d).", n=MAX_PER_PAGE)
        )
    category = request.args.get("category") or None
    if category is not None and category not in {c.value for c in Category}:
        return api_error(
            400, "invalid", _("Unknown category. Use one of: %(list)s.", list=", ".join(c.value for c in Category))
        )
    commune = None
    if request.args.get("commune"):
        commune = commune_by_slug(request.args["commune"][:140])
        if commune is None:
            return api_error(400, "invalid", _("Unknown commune."))
    stmt = search(request.args.get("q"), commune_id=commune.id if commune else None, category=category)
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False, max_per_page=MAX_PER_PAGE)
    return jsonify(
        {
            "ok": True,
            "products": [product_json(p) for p in result.items],
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "pages": result.pages,
        }
    )


@bp.get(f"/products/{PRODUCT_ID}")
def get_product(product_id: int) -> ResponseReturnValue:
    product = visible_product(product_id)
    if product is None:
        return api_error(404, "not_found", _("This product does not exist or is not on sale."))
    return jsonify({"ok": True, "product": product_json(product, full=True)})
