"""Public pages: home, communes, categories, shops, products and search. Anyone may read them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from market.accounts.models import SellerProfile, SellerStatus
from market.accounts.service import commune_by_slug, communes_in_order
from market.catalog import bp
from market.catalog.helpers import PRODUCT_ID, paginate
from market.catalog.models import Category, Product, ProductStatus
from market.catalog.search import newest_first, public_products, search_terms, visible_product
from market.catalog.search import search as search_listings
from market.extensions import db

FEATURED = 8


@bp.get("/")
def home():
    featured = db.session.scalars(newest_first(public_products()).limit(FEATURED)).all()
    return render_template("catalog/home.html", communes=communes_in_order(), featured=featured)


@bp.get("/c/<slug>")
def commune(slug: str):
    commune = commune_by_slug(slug) or abort(404)
    shops = db.session.scalars(
        sa.select(SellerProfile)
        .where(SellerProfile.commune_id == commune.id, SellerProfile.status == SellerStatus.APPROVED)
        .order_by(SellerProfile.shop_name)
    ).all()
    products = paginate(newest_first(public_products().where(SellerProfile.commune_id == commune.id)))
    return render_template("catalog/commune.html", commune=commune, shops=shops, products=products)


@bp.get("/category/<name>")
def category(name: str):
    if name not in {c.value for c in Category}:
        abort(404)
    products = paginate(newest_first(public_products().where(Product.category == name)))
    return render_template("catalog/category.html", category=name, products=products)


@bp.get("/s/<slug>")
def shop(slug: str):
    profile = db.session.scalar(sa.select(SellerProfile).where(SellerProfile.slug == slug))
    if profile is None or profile.status != SellerStatus.APPROVED:
        abort(404)
    products = paginate(newest_first(public_products().where(Product.seller_id == profile.id)))
    return render_template("catalog/shop.html", profile=profile, products=products)


def _may_preview(product: Product) -> bool:
    """The seller and the commune's staff see a listing before it is approved (with a banner)."""
    if not current_user.is_authenticated:
        return False
    profile = current_user.seller_profile
    return (profile is not None and profile.id == product.seller_id) or current_user.can_staff(
        product.seller.commune_id
    )


@bp.get(f"/p/{PRODUCT_ID}")
@bp.get(f"/p/{PRODUCT_ID}-<slug>")
def product(product_id: int, slug: str | None = None):
    product = visible_product(product_id)
    preview = False
    if product is None:
        product = db.session.get(Product, product_id)
        if product is None or not _may_preview(product):
            abort(404)
        preview = True
    if slug != product.slug:  # an old or mistyped slug: one canonical address for sharing and search engines
        return redirect(url_for("catalog.product", product_id=product.id, slug=product.slug), 301)
    more = db.session.scalars(
        newest_first(public_products().where(Product.seller_id == product.seller_id, Product.id != product.id)).limit(4)
    ).all()
    return render_template(
        "catalog/product.html", product=product, preview=preview, more=more, ProductStatus=ProductStatus
    )


@bp.get("/search")
def search():
    query = (request.args.get("q") or "")[:200]
    category = request.args.get("category") or None
    if category not in {c.value for c in Category}:
        category = None
    commune = None
    if request.args.get("commune"):
        commune = commune_by_slug(request.args["commune"][:140])
    results = paginate(search_listings(query, commune_id=commune.id if commune else None, category=category))
    return render_template(
        "catalog/search.html",
        query=query,
        results=results,
        category=category,
        commune=commune,
        communes=communes_in_order(),
        searched=bool(search_terms(query)),
    )
