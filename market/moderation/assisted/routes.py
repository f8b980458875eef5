"""The Help a villager tab: the helpers' page (``/staff/assisted``), opening a shop for a villager, listing a
product for her and entering a phone order (``/staff/orders/phone``). Each records the consent of the person acted
for (``service.py``)."""

from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.models import SellerProfile
from market.catalog import images
from market.catalog.models import Product, ProductStatus
from market.catalog.sell import done, save_new_listing
from market.domain import DomainError, ErrorCode, parse_id
from market.extensions import db
from market.forms import attach_error
from market.moderation import bp
from market.moderation.assisted import service as assisted
from market.moderation.assisted.forms import AssistedListingForm, AssistedSellerForm, PhoneOrderForm
from market.moderation.scope import communes_in_scope, get_in_scope
from market.orders.states import OrderOrigin

LISTING_TEMPLATE = "moderation/assisted_listing.html"


@bp.get("/assisted", endpoint="assisted")
def assisted_home():
    return render_template("moderation/assisted_home.html", villagers=assisted.assisted_sellers(current_user))


@bp.route("/assisted/new", methods=["GET", "POST"])
def assisted_new():
    communes = communes_in_scope(current_user)
    form = AssistedSellerForm(communes=communes)
    if request.method == "GET" and len(communes) == 1:
        form.commune_id.data = communes[0].id
    if form.validate_on_submit():
        if not form.consent.data:
            form.consent.errors = [_("The villager must agree before you create a shop for them.")]
        else:
            try:
                profile = assisted.register_assisted_seller(
                    current_user,
                    phone=form.phone.data,
                    name=form.display_name.data,
                    shop_name=form.shop_name.data,
                    commune_id=form.commune_id.data,
                    story=form.story.data,
                    consent=True,
                )
            except DomainError as err:
                db.session.rollback()
                attach_error(form, err)
            else:
                db.session.commit()
                flash(
                    _("The shop of %(name)s is open. You can now act for them.", name=profile.user.display_name),
                    "success",
                )
                return redirect(url_for("staff.seller", profile_id=profile.id))
    status = 400 if (form.errors or form.form_errors) else 200
    return render_template("moderation/assisted.html", form=form), status


@bp.route("/assisted/<int:profile_id>/listings/new", methods=["GET", "POST"], endpoint="assisted_listing_new")
def assisted_listing_new(profile_id: int):
    profile = get_in_scope(SellerProfile, profile_id, current_user)
    record = assisted.assisted_of(profile)
    form = AssistedListingForm()
    args = {
        "product": None,
        "profile": profile,
        "max_photos": images.MAX_PHOTOS,
        "record": record,
        "form_action": url_for("staff.assisted_listing_new", profile_id=profile.id),
    }
    if not form.is_submitted():
        return render_template(LISTING_TEMPLATE, form=form, **args)
    extra = []
    if not form.consent.data:
        extra.append(
            DomainError(
                ErrorCode.INVALID,
                _("Tick the box once %(name)s has agreed to this listing.", name=profile.user.display_name),
                field="consent",
            )
        )
    product = save_new_listing(profile, current_user, form, args, template=LISTING_TEMPLATE, extra_errors=extra)
    if not isinstance(product, Product):
        return product
    assisted.listed_for_villager(product, current_user)
    db.session.commit()
    if product.status == ProductStatus.PENDING_REVIEW:
        flash(
            _(
                "“%(title)s” is listed for %(name)s and waits in the review queue.",
                title=product.title,
                name=profile.user.display_name,
            ),
            "success",
        )
    else:
        flash(
            _("“%(title)s” is saved as a draft for %(name)s.", title=product.title, name=profile.user.display_name),
            "success",
        )
    return done(url_for("staff.listing", product_id=product.id))


# ---- phone orders ---------------------------------------------------------------------------------------------


def _chosen_product() -> Product | None:
    raw = request.form.get("product_id") if request.method == "POST" else request.args.get("product")
    if raw in (None, ""):
        return None
    return get_in_scope(Product, raw, current_user)  # another commune's listing (or none): 404


@bp.route("/orders/phone", methods=["GET", "POST"], endpoint="phone_order")
def phone_order():
    from market.orders.phone import PhoneOrderRequest, methods_for

    shop = get_in_scope(SellerProfile, request.args.get("shop"), current_user) if request.args.get("shop") else None
    products = [p for p in assisted.orderable_products(current_user) if shop is None or p.seller_id == shop.id]
    product = _chosen_product()
    if product is not None and product not in products:
        products = [product, *products]
    methods = methods_for(product.seller_id) if product is not None else []
    form = PhoneOrderForm(products=products, methods=methods)
    placed_order = _placed_order(request.args.get("placed")) if request.method == "GET" else None
    if request.method == "GET":
        form.key.data = "phone-" + secrets.token_hex(12)
        if product is not None:
            form.product_id.data = product.id
        if methods:
            form.method.data = methods[0].name  # cash on delivery where the shop takes it
    status = 200
    if request.method == "POST" and product is None:
        form.validate()
        form.product_id.errors = [_("Choose a product.")]
        status = 400
    elif request.method == "POST" and form.validate_on_submit():
        try:
            if not form.consent.data:
                raise DomainError(
                    ErrorCode.INVALID, _("Tick the box once the person has agreed to this order."), field="consent"
                )
            placed = assisted.place_phone_order(
                current_user,
                product,
                PhoneOrderRequest(
                    phone=form.buyer_phone.data,
                    name=form.buyer_name.data,
                    street=form.ship_street.data,
                    commune=form.ship_commune.data,
                    province=form.ship_province.data,
                    qty=_qty(form.qty.data),
                    method=form.method.data,
                    key=form.key.data,
                    confirm_duplicate=bool(form.confirm_duplicate.data),
                ),
                form.acting_for.data,
            )
        except DomainError as err:
            db.session.rollback()
            attach_error(form, _phone_field(err))
            status = err.status if err.status != 404 else 400
        else:
            db.session.commit()
            # The result is shown beside the form (a fresh one, for the next caller), not on another page.
            return redirect(
                url_for(
                    "staff.phone_order",
                    product=product.id,
                    shop=shop.id if shop else None,
                    placed=placed.order.id,
                    _anchor="phone-result",
                )
            )
    elif request.method == "POST":
        status = 400
        if not form.consent.data:
            form.consent.errors = [*form.consent.errors, _("Tick the box once the person has agreed to this order.")]
    return render_template(
        "moderation/phone_order.html",
        form=form,
        product=product,
        shop=shop,
        products=products,
        placed=placed_order,
        duplicate="confirm_duplicate" in form.errors or bool(form.confirm_duplicate.data),
    ), status


def _placed_order(raw: str | None):
    """The order this helper just entered, shown beside the form; anyone else's is not shown."""
    from market.orders.models import Order
    from market.orders.phone import phone_order_json
    from market.orders.service import Placed

    order_id = parse_id(raw)
    order = db.session.get(Order, order_id) if order_id else None
    if order is None or order.placed_by_id != current_user.id or order.origin != OrderOrigin.PHONE:
        return None
    return phone_order_json(Placed(order, created=True))


def _phone_field(err: DomainError) -> DomainError:
    """Point a refusal at this form's field: the buyer's phone is ``buyer_phone`` here, ``phone`` elsewhere."""
    mapping = {
        "phone": "buyer_phone",
        "name": "buyer_name",
        "display_name": "buyer_name",
        "key": None,
        "ship_name": "buyer_name",
        "ship_phone": "buyer_phone",
    }
    if err.field in mapping:  # the key is a hidden field: its refusal goes at the top of the form
        return DomainError(err.code, err.message, field=mapping[err.field], status=err.status)
    return err


def _qty(raw: object) -> int:
    from market.orders.service import MAX_QTY, check_qty

    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not (text.isascii() and text.isdigit()):  # "²" is a digit int() refuses
        raise DomainError(ErrorCode.INVALID, _("Enter a whole number, such as 5."), field="qty")
    return check_qty(int(text) if len(text) <= 9 else MAX_QTY + 1)
