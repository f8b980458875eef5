"""The seller's brand pages (/sell/brands…): a KOL makes and edits brands, adds shops and products; any
shop owner sees the brands their shop is under and may leave them.

The brand form speaks the listing form's protocol (``photo_order`` tokens "e<id>"/"n<index>",
``remove_photo``, JSON when asked), so static/js/catalog-upload.js downsizes its photos on the phone too;
without JavaScript it is a plain multipart POST.
"""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from market.brands import sell_bp, service
from market.brands.forms import BrandForm
from market.brands.models import Brand
from market.catalog import photo_form
from market.domain import DomainError, ErrorCode, FieldErrors
from market.errors import wants_json
from market.extensions import db
from market.forms import attach_error
from market.security import approved_seller_required
from market.web import takes_uploads

BRAND_ID = "<int(max=2147483647):brand_id>"
ITEM_ID = "<int(max=2147483647):item_id>"


# Log in first; then only owners of a shop approved by its commune use these pages.
shop_owner_required = approved_seller_required(_l("Brands are made by sellers approved by their commune."))


@sell_bp.get("")
@shop_owner_required
def index():
    profile = current_user.seller_profile
    made = service.brands_made_by(profile)
    member = [b for b in service.brands_of_member(profile) if b.kol_id != profile.id]
    return render_template("brands/sell/index.html", profile=profile, made=made, member=member)


# ---- the brand form --------------------------------------------------------------------------------------


def _photo_plan(brand: Brand | None, errors: list[DomainError]) -> list:
    """Kept photos and new uploads in the order the KOL arranged them (``photo_form.photo_plan``)."""
    return photo_form.photo_plan(
        brand.photos if brand is not None else [],
        service.MAX_PHOTOS,
        lambda count: _(
            "A brand can have at most %(n)d photos; you chose %(count)d.", n=service.MAX_PHOTOS, count=count
        ),
        errors,
    )


def _form_error(form: BrandForm, errors: list[DomainError], brand: Brand | None):
    db.session.rollback()
    for err in errors:
        attach_error(form, err)
    status = 409 if any(e.code == ErrorCode.TAKEN for e in errors) and len(errors) == 1 else 400
    if wants_json():
        fields = {f.name: list(f.errors) for f in form if f.errors}
        return jsonify(
            {
                "ok": False,
                "error": ErrorCode.INVALID,
                "message": _("Please correct the marked fields."),
                "errors": fields,
                "form_errors": list(form.form_errors),
            }
        ), status
    return render_template("brands/sell/form.html", form=form, brand=brand, max_photos=service.MAX_PHOTOS), status


def _save(brand: Brand | None):
    form = BrandForm()
    errors: list[DomainError] = []
    data = None
    try:
        data = service.clean_brand(request.form, brand)
    except FieldErrors as err:
        errors += err.errors
    plan = _photo_plan(brand, errors)
    if errors:
        return _form_error(form, errors, brand)
    try:
        if brand is None:
            brand = service.create_brand(current_user, data, plan)
        else:
            service.update_brand(brand, current_user, data, plan)
        service.save_photo_files(plan, current_app.config["MEDIA_DIR"])
    except FieldErrors as err:
        return _form_error(form, err.errors, brand if brand is not None and brand.id else None)
    except DomainError as err:
        return _form_error(form, [err], brand)
    db.session.commit()
    flash(_("Saved. Buyers see “%(name)s” at its address now.", name=brand.name), "success")
    url = url_for("sell_brands.manage", brand_id=brand.id)
    return jsonify({"ok": True, "redirect": url}) if wants_json() else redirect(url)


@sell_bp.route("/new", methods=["GET", "POST"])
@takes_uploads
@shop_owner_required
def new():
    service.require_kol(current_user)
    if request.method == "GET":
        return render_template("brands/sell/form.html", form=BrandForm(), brand=None, max_photos=service.MAX_PHOTOS)
    return _save(None)


@sell_bp.route(f"/{BRAND_ID}/edit", methods=["GET", "POST"])
@takes_uploads
@shop_owner_required
def edit(brand_id: int):
    brand = service.own_brand(current_user, brand_id)
    if request.method == "GET":
        form = BrandForm(data={"name": brand.name, "slug": brand.slug, "story": brand.story})
        return render_template("brands/sell/form.html", form=form, brand=brand, max_photos=service.MAX_PHOTOS)
    return _save(brand)


# ---- shops and products under the brand ------------------------------------------------------------------


def _manage_page(brand: Brand, errors: dict | None = None, status: int = 200):
    return render_template(
        "brands/sell/manage.html",
        brand=brand,
        shops=service.member_shops(brand, open_only=False),
        candidates=service.shops_to_add(brand),
        chosen=_chosen_products(brand),
        to_add=service.products_to_add(brand),
        errors=errors or {},
    ), status


def _chosen_products(brand: Brand):
    from market.brands.models import BrandProduct
    from market.catalog.models import Product

    return db.session.scalars(
        db.select(Product)
        .join(BrandProduct, BrandProduct.product_id == Product.id)
        .where(BrandProduct.brand_id == brand.id)
        .order_by(BrandProduct.id)
    ).all()


@sell_bp.get(f"/{BRAND_ID}")
@shop_owner_required
def manage(brand_id: int):
    return _manage_page(service.own_brand(current_user, brand_id))


def _change(brand_id: int, change, success):
    brand = service.own_brand(current_user, brand_id)
    try:
        result = change(brand)
    except DomainError as err:
        if err.status == 404:
            raise
        db.session.rollback()
        brand = service.own_brand(current_user, brand_id)
        return _manage_page(brand, {err.field or "form": err.message}, err.status)
    db.session.commit()
    flash(success(result), "success")
    return redirect(url_for("sell_brands.manage", brand_id=brand_id))


@sell_bp.post(f"/{BRAND_ID}/shops")
@shop_owner_required
def add_shop(brand_id: int):
    return _change(
        brand_id,
        lambda b: service.add_shop(b, current_user, request.form.get("seller_id")),
        lambda shop: _("%(shop)s is now under the brand.", shop=shop.shop_name),
    )


@sell_bp.post(f"/{BRAND_ID}/shops/{ITEM_ID}/remove")
@shop_owner_required
def remove_shop(brand_id: int, item_id: int):
    return _change(
        brand_id,
        lambda b: service.remove_shop(b, current_user, item_id),
        lambda shop: _("%(shop)s and its products are no longer under the brand.", shop=shop.shop_name),
    )


@sell_bp.post(f"/{BRAND_ID}/products")
@shop_owner_required
def add_products(brand_id: int):
    return _change(
        brand_id,
        lambda b: service.add_products(b, current_user, request.form.getlist("product_ids")),
        lambda added: (
            ngettext("%(num)d product added.", "%(num)d products added.", len(added))
            if added
            else _("These products were already under the brand.")
        ),
    )


@sell_bp.post(f"/{BRAND_ID}/products/{ITEM_ID}/remove")
@shop_owner_required
def remove_product(brand_id: int, item_id: int):
    return _change(
        brand_id,
        lambda b: service.remove_product(b, current_user, item_id),
        lambda _r: _("The product is no longer under the brand."),
    )


@sell_bp.post(f"/{BRAND_ID}/leave")
@shop_owner_required
def leave(brand_id: int):
    brand = service.leave_brand(current_user, brand_id)
    db.session.commit()
    flash(_("Your shop has left %(brand)s.", brand=brand.name), "success")
    return redirect(url_for("sell_brands.index"))
