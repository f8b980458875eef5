"""The seller's listing pages (/sell/...): my listings, list a product, edit, submit, archive.

The listing form works without JavaScript (a plain multipart POST). With static/js/catalog-upload.js the
photos are downscaled in the browser and sent by XHR with a progress bar; the request then asks for JSON
(``Accept: application/json``) and gets ``{ok, redirect}`` or ``{ok: false, errors: {field: [...]}}``.
Either way the server checks everything again: the browser is never trusted.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from market.catalog import images, lifecycle, photo_form, sell_bp
from market.catalog.forms import ActionForm, ListingForm
from market.catalog.helpers import PRODUCT_ID, paginate
from market.catalog.listing_input import DEFAULT_TOLERANCE_PCT, clean_listing
from market.catalog.models import Product, ProductPhoto, ProductStatus
from market.catalog.stock_managers import stock_managed
from market.catalog.weight import kg_input
from market.domain import DomainError, FieldErrors
from market.errors import wants_json
from market.extensions import db
from market.forms import attach_error
from market.security import approved_seller_required
from market.web import takes_uploads

# Log in first; then only owners of a shop approved by its commune use these pages.
seller_required = approved_seller_required(_l("Only sellers approved by their commune can list products."))


@sell_bp.get("/")
@sell_bp.get("/products")
@seller_required
def products():
    profile = current_user.seller_profile
    status = request.args.get("status")
    stmt = sa.select(Product).where(Product.seller_id == profile.id)
    if status in {s.value for s in ProductStatus}:
        stmt = stmt.where(Product.status == status)
    page = paginate(stmt.order_by(Product.updated_at.desc(), Product.id.desc()))
    return render_template(
        "catalog/sell/products.html", profile=profile, products=page, status=status, action_form=ActionForm()
    )


# ---- the listing form -----------------------------------------------------------------------------------


def _photo_plan(product: Product | None, errors: list[DomainError]) -> list[ProductPhoto | images.PhotoFile]:
    """The listing's photos in the order the seller arranged them (``photo_form.photo_plan``)."""
    return photo_form.photo_plan(
        product.photos if product is not None else [],
        images.MAX_PHOTOS,
        lambda count: _(
            "A listing can have at most %(n)d photos; you chose %(count)d.", n=images.MAX_PHOTOS, count=count
        ),
        errors,
    )


FORM_TEMPLATE = "catalog/sell/form.html"


def _error_response(form: ListingForm, errors: list[DomainError], template_args: dict, template: str = FORM_TEMPLATE):
    db.session.rollback()
    for err in errors:
        attach_error(form, err)
    if wants_json():
        fields = {f.name: list(f.errors) for f in form if f.errors}
        return jsonify(
            {
                "ok": False,
                "error": "invalid",
                "message": _("Please correct the marked fields."),
                "errors": fields,
                "form_errors": list(form.form_errors),
            }
        ), 400
    return render_template(template, form=form, **template_args), 400


def done(url: str):
    """The answer to a listing form that was saved: JSON for the upload script, else a redirect."""
    if wants_json():
        return jsonify({"ok": True, "redirect": url})
    return redirect(url)


def _save_photo_files(plan) -> None:
    media_dir = current_app.config["MEDIA_DIR"]
    for item in plan:
        if isinstance(item, images.PhotoFile):
            images.save(item, media_dir)


def _submitting() -> bool:
    return request.form.get("action", "submit") != "draft"


def save_new_listing(
    profile,
    by,
    form: ListingForm,
    template_args: dict,
    template: str = FORM_TEMPLATE,
    extra_errors: list[DomainError] | None = None,
):
    """The POST half of "list a product" for ``profile``'s shop, entered by ``by`` (the seller, or a staff
    helper acting for a villager): check every field and photo, create the listing through the service and
    store its photos. Returns the Product (the caller commits), or the response showing every refusal."""
    errors: list[DomainError] = list(extra_errors or [])
    data = None
    try:
        data = clean_listing(request.form)
    except FieldErrors as err:
        errors += err.errors
    plan = _photo_plan(None, errors)
    if _submitting() and not errors and not plan:
        errors.append(
            DomainError("invalid", _("Add at least one photo before sending the listing for review."), field="photos")
        )
    if errors:
        return _error_response(form, errors, template_args, template)
    try:
        product = lifecycle.create_listing(profile, data, plan, by=by, submit_now=_submitting())
        _save_photo_files(plan)
    except DomainError as err:
        return _error_response(form, [err], template_args, template)
    return product


@sell_bp.route("/products/new", methods=["GET", "POST"])
@takes_uploads
@seller_required
def new_product():
    profile = current_user.seller_profile
    form = ListingForm()
    args = {"product": None, "profile": profile, "max_photos": images.MAX_PHOTOS}
    if not form.is_submitted():
        return render_template(FORM_TEMPLATE, form=form, **args)
    product = save_new_listing(profile, current_user, form, args)
    if not isinstance(product, Product):
        return product
    db.session.commit()
    if product.status == ProductStatus.PENDING_REVIEW:
        flash(_("Sent! Commune staff will review “%(title)s” soon.", title=product.title), "success")
    else:
        flash(_("Saved as a draft."), "success")
    return done(url_for("sell.products"))


def _edit_args(product: Product) -> dict:
    return {
        "product": product,
        "profile": current_user.seller_profile,
        "max_photos": images.MAX_PHOTOS,
        "stock_note": stock_managed(product),
    }


def _saved_form(product: Product) -> ListingForm:
    """The listing form filled with what is saved."""
    return ListingForm(
        formdata=None,
        data={
            "title": product.title,
            "description": product.description,
            "category": product.category,
            "unit": product.unit,
            "price": f"{product.price_vnd:,}".replace(",", "."),
            "stock": str(product.stock),
            "min_order_qty": str(product.min_order_qty),
            "origin": product.origin,
            "harvest_date": product.harvest_date.isoformat() if product.harvest_date else "",
            "ocop_stars": str(product.ocop_stars or ""),
            "ocop_certificate_no": product.ocop_certificate_no or "",
            "sold_by_weight": product.by_weight,
            "piece_weight": kg_input(product.piece_weight_g),
            "price_per_kg": f"{product.price_per_kg_vnd:,}".replace(",", ".") if product.price_per_kg_vnd else "",
            "weight_tolerance": str(product.weight_tolerance_pct or DEFAULT_TOLERANCE_PCT),
        },
    )


@sell_bp.route(f"/products/{PRODUCT_ID}/edit", methods=["GET", "POST"])
@takes_uploads
@seller_required
def edit_product(product_id: int):
    product = lifecycle.own_product(current_user, product_id)
    args = _edit_args(product)
    if request.method == "GET":
        return render_template(FORM_TEMPLATE, form=_saved_form(product), **args)
    form = ListingForm()
    errors: list[DomainError] = []
    data = None
    try:
        data = clean_listing(request.form)
    except FieldErrors as err:
        errors += err.errors
    plan = _photo_plan(product, errors)
    if errors:
        return _error_response(form, errors, args)
    submit_now = request.form.get("action") == "submit"
    try:
        sent_back = lifecycle.update_listing(product, data, plan, by=current_user, submit_now=submit_now)
        _save_photo_files(plan)
    except DomainError as err:
        return _error_response(form, [err], args)
    db.session.commit()
    if sent_back:
        flash(
            _(
                "Saved. Because the text or photos changed, “%(title)s” waits for review again before buyers see it.",
                title=product.title,
            ),
            "info",
        )
    elif product.status == ProductStatus.PENDING_REVIEW and submit_now:
        flash(_("Sent! Commune staff will review “%(title)s” soon.", title=product.title), "success")
    else:
        flash(_("Saved."), "success")
    return done(url_for("sell.products"))


@sell_bp.post(f"/products/{PRODUCT_ID}/submit")
@seller_required
def submit_product(product_id: int):
    product = lifecycle.own_product(current_user, product_id)
    try:
        lifecycle.submit(product, current_user)
    except DomainError as err:
        if err.field is None:
            raise
        # Something the seller must add first (a photo): the listing's form, the message beside that field.
        db.session.rollback()
        form = _saved_form(product)
        attach_error(form, err)
        return render_template(FORM_TEMPLATE, form=form, **_edit_args(product)), err.status
    db.session.commit()
    flash(_("Sent! Commune staff will review “%(title)s” soon.", title=product.title), "success")
    return redirect(url_for("sell.products"))


@sell_bp.post(f"/products/{PRODUCT_ID}/archive")
@seller_required
def archive_product(product_id: int):
    product = lifecycle.own_product(current_user, product_id)
    lifecycle.archive(product, current_user)
    db.session.commit()
    flash(_("“%(title)s” is no longer on sale.", title=product.title), "info")
    return redirect(url_for("sell.products"))
