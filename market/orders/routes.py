"""The buyer's pages: cart, checkout, orders and one order (which the seller and commune staff see too)."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.accounts.models import SellerProfile, SellerStatus
from market.catalog.models import Product, ProductStatus
from market.domain import DomainError, ErrorCode, FieldErrors, parse_id
from market.errors import user_abort
from market.extensions import db
from market.forms import attach_error
from market.i18n import vnd
from market.orders import actions, bp, cart, checkout, delivery, reviews
from market.orders.forms import (
    AddToCartForm,
    CartQtyForm,
    ChangeMethodForm,
    CheckoutForm,
    CompleteOrderForm,
    ReasonForm,
    ReviewForm,
    ShipForm,
)
from market.orders.models import Order
from market.orders.payment import gateway
from market.orders.service import get_order_for, order_events, orders_of, roles_for, status_label
from market.orders.states import Actor, OrderStatus, WeightStatus
from market.text import clean_line

# ---- cart ---------------------------------------------------------------------------------------------------


def product_actions_context(product) -> dict | None:
    """For the product page's "product.actions" slot: the add-to-cart form."""
    if product.status != ProductStatus.APPROVED:
        return None
    form = AddToCartForm(formdata=None, product_id=product.id, qty=max(1, product.min_order_qty))
    return {"product": product, "form": form}


@bp.route("/cart/add", methods=["GET", "POST"])
@login_required
def add_to_cart():
    """Add a product to the cart. GET shows a small form (for shared links; the product page has its own)."""
    form = AddToCartForm()
    product_id = parse_id(request.values.get("product_id") or request.values.get("product"))
    product = db.session.get(Product, product_id) if product_id else None
    if product is None or product.status != ProductStatus.APPROVED:
        user_abort(404, _("This product is not for sale."))
    if request.method == "GET":
        form = AddToCartForm(formdata=None, product_id=product.id, qty=max(1, product.min_order_qty))
        return render_template("orders/add.html", form=form, product=product)
    status = 400
    if form.validate_on_submit():
        try:
            cart.add(current_user, product.id, form.qty.data)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
            status = err.status if err.status in (403, 409) else 400
        else:
            db.session.commit()
            flash(_("%(title)s is in your cart.", title=product.title), "success")
            return redirect(url_for("orders.cart_page"))
    return render_template("orders/add.html", form=form, product=product), status


def ask_carriers(asks: list[delivery.Ask], *, fresh: bool = False) -> None:
    """Fetch the carrier quotes these parcels need (shops that chose their carrier's fee) with no transaction
    open: the read transaction ends here (nothing is written before), then the calls (``CARRIER_QUOTE_TIMEOUT``
    each at most); ``delivery.quote`` then answers with what they said. Views only."""
    calls = delivery.carrier_calls(asks, fresh=fresh)
    if not calls:
        return
    db.session.commit()
    for call in calls:  # HTTP only: nothing here touches the database
        call()


@bp.get("/cart")
@login_required
def cart_page(qty_errors: dict[int, str] | None = None, status: int = 200):
    groups = cart.groups(current_user)
    destination = checkout.destination_of(checkout.saved_address(current_user))
    ask_carriers(delivery.cart_asks(groups, destination))
    groups = cart.groups(current_user)
    fees = checkout.group_fees(groups, destination)
    return render_template(
        "orders/cart.html",
        groups=groups,
        qty_form=CartQtyForm(formdata=None),
        qty_errors=qty_errors or {},
        fees=fees,
        grand_total=checkout.grand_total(groups, fees),
    ), status


@bp.post("/cart/<int:product_id>")
@login_required
def cart_update(product_id: int):
    form = CartQtyForm()
    if not form.validate_on_submit():
        message = " ".join(str(e) for e in form.qty.errors) or _("Enter a quantity.")
        return cart_page({product_id: message}, 400)  # the cart again, the message beside that line
    cart.set_qty(current_user, product_id, form.qty.data)
    db.session.commit()
    return redirect(url_for("orders.cart_page"))


@bp.post("/cart/<int:product_id>/remove")
@login_required
def cart_remove(product_id: int):
    cart.remove(current_user, product_id)
    db.session.commit()
    return redirect(url_for("orders.cart_page"))


# ---- checkout -----------------------------------------------------------------------------------------------


def _prefill(form, user) -> None:
    saved = checkout.saved_address(user)
    if saved is not None:
        form.ship_name.data, form.ship_phone.data = saved.name, _national(saved.phone)
        form.ship_street.data, form.ship_commune.data, form.ship_province.data = (
            saved.street,
            saved.commune,
            saved.province,
        )
    else:
        form.ship_name.data, form.ship_phone.data = user.display_name, _national(user.phone)


def _national(e164: str) -> str:
    from market.accounts.service import format_phone

    return format_phone(e164)


def payment_choices(seller_id: int) -> list:
    """The shop's ways to pay for the current buyer: no cash on delivery where the shop asks buyers who refused
    parcels for a transfer (``delivery.rates().cod_refusal``)."""
    choices = gateway().choices(seller_id)
    if current_user.is_authenticated and delivery.rates().cod_refusal(seller_id, current_user.id):
        choices = [c for c in choices if c.name != "cod"]
    return choices


def _typed_destination(form) -> delivery.Destination | None:
    """The place typed on the page (unchecked: only to show a fee; placing checks the whole address)."""
    province = clean_line(form.ship_province.data)[:120]
    return delivery.Destination(clean_line(form.ship_commune.data)[:120], province) if province else None


def _fee_shown(raw: str) -> int | None:
    """A fee the page showed (a hidden field) in đồng; None for anything else, as if no fee was shown
    (ASCII digits only: "²" is a digit int() refuses)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


def _shown_fees(groups) -> dict[int, int | None]:
    """The fees the page showed (hidden fields), to refuse placing at a fee the buyer has not seen."""
    shown = {}
    for g in groups:
        raw = request.form.get(f"fee-{g.seller.id}")
        if raw is not None:  # a client posting without the page (tests, scripts) has no fee to compare
            shown[g.seller.id] = _fee_shown(raw)
    return shown


@bp.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout_page():
    groups = cart.groups(current_user)
    choices = {g.seller.id: payment_choices(g.seller.id) for g in groups}
    deliveries = {g.seller.id: delivery.rates().choices(g.seller.id) for g in groups}
    form = CheckoutForm()
    chosen = {g.seller.id: request.form.get(f"method-{g.seller.id}", "") for g in groups}
    options = {g.seller.id: request.form.get(f"delivery-{g.seller.id}", "") for g in groups}
    method_errors: dict[int, str] = {}
    status = 200
    if request.method == "GET":
        if not groups:
            flash(_("Your cart is empty."), "info")
            return redirect(url_for("orders.cart_page"))
        _prefill(form, current_user)
        form.attempt.data = secrets.token_hex(16)
        chosen = {sid: (c[0].name if len(c) == 1 else "") for sid, c in choices.items()}
    elif "recalc" in request.form:
        pass  # "Update shipping": show the fees for the address typed; nothing is written
    elif form.validate_on_submit():
        try:
            address = checkout.clean_address(
                form.ship_name.data,
                form.ship_phone.data,
                form.ship_street.data,
                form.ship_commune.data,
                form.ship_province.data,
            )
            # the carrier's fee now, asked before anything is written; one unlike the page's is shown first
            ask_carriers(delivery.cart_asks(groups, checkout.destination_of(address), options), fresh=True)
            placed = checkout.place_cart(current_user, form.attempt.data, chosen, address, options, _shown_fees(groups))
        except DomainError as err:
            db.session.rollback()
            if err.field and err.field.startswith(("method-", "delivery-")):
                method_errors[int(err.field.split("-", 1)[1])] = err.message
            else:
                attach_error(form, err)
            status = 409 if err.code == ErrorCode.SOLD_OUT or err.status == 409 else 400
            groups = cart.groups(current_user)
        else:
            db.session.commit()
            return redirect(url_for("orders.checkout_done", attempt=form.attempt.data, n=len(placed)))
    else:
        status = 400
    ask_carriers(delivery.cart_asks(groups, _typed_destination(form), options))
    groups = cart.groups(current_user)
    fees = checkout.group_fees(groups, _typed_destination(form), options)
    return render_template(
        "orders/checkout.html",
        form=form,
        groups=groups,
        choices=choices,
        chosen=chosen,
        method_errors=method_errors,
        deliveries=deliveries,
        options=options,
        fees=fees,
        grand_total=checkout.grand_total(groups, fees),
    ), status


@bp.get("/checkout/done/<attempt>")
@login_required
def checkout_done(attempt: str):
    try:
        orders = checkout.orders_of_attempt(current_user, checkout.check_attempt(attempt))
    except DomainError:
        orders = []
    if not orders:
        abort(404)
    return render_template("orders/checkout_done.html", orders=orders)


# ---- the buyer's orders -------------------------------------------------------------------------------------


@bp.get("/orders")
@login_required
def index():
    from market.notifications.service import latest, render, unread_count

    orders = orders_of(current_user)
    unread = [n for n in latest(current_user.id, 5) if not n.is_read]
    return render_template(
        "orders/index.html",
        orders=orders,
        cart_lines=cart.count_lines(current_user),
        unread=unread,
        unread_total=unread_count(current_user.id),
        render=render,
        is_seller=current_user.is_seller,
    )


def _order_or_404(order_id: int) -> Order:
    return get_order_for(order_id, current_user)


@bp.get("/orders/<int:order_id>")
@login_required
def detail(order_id: int):
    return render_template("orders/detail.html", **_detail_context(_order_or_404(order_id)))


def _detail_context(
    order: Order, weigh_values: dict | None = None, weigh_errors: dict | None = None, ship_form: ShipForm | None = None
) -> dict:
    roles = roles_for(order, current_user)
    events = order_events(order)
    is_buyer = Actor.BUYER in roles
    seller_role = Actor.SELLER if Actor.SELLER in roles else (Actor.STAFF if Actor.STAFF in roles else None)
    complete_form = None
    if is_buyer and "complete" in actions.buyer_actions(order):
        complete_form = CompleteOrderForm(formdata=None)
        complete_form.method.choices = [(c.name, c.label) for c in payment_choices(order.seller_id)]
        complete_form.method.data = order.payment_method
        if order.has_address:
            complete_form.ship_name.data, complete_form.ship_phone.data = order.ship_name, _national(order.ship_phone)
            complete_form.ship_street.data = order.ship_street
            complete_form.ship_commune.data, complete_form.ship_province.data = order.ship_commune, order.ship_province
        else:
            _prefill(complete_form, current_user)
    return dict(
        **_complete_fee_context(order, complete_form, order.delivery_option),
        order=order,
        roles={str(r) for r in roles},
        events=events,
        buyer_actions=actions.buyer_actions(order) if is_buyer else [],
        seller_actions=actions.seller_actions(order, seller_role) if seller_role else [],
        seller_role=seller_role,
        complete_form=complete_form,
        reason_form=ReasonForm(formdata=None),
        ship_form=ship_form or ShipForm(formdata=None),
        review=reviews.review_of(order),
        review_form=ReviewForm(formdata=None) if reviews.can_review(order, current_user) else None,
        show_buyer_phone=seller_role is not None,
        weigh_values=weigh_values or {},
        weigh_errors=weigh_errors or {},
    )


@bp.post("/orders/<int:order_id>/weights")
@login_required
def weigh(order_id: int):
    """The seller (or commune staff) enters the weighed kilograms of the lines sold by weight."""
    from market.orders import weights

    order = _order_or_404(order_id)
    role = actions.acting_role(order, current_user, request.form.get("as"))
    if role == Actor.BUYER:
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        user_abort(400, _("This form has expired. Please try again."))
    typed = {k: v for k, v in request.form.items() if k.startswith("weight-")}
    try:
        weights.weigh(order, current_user, role, typed)
    except FieldErrors as err:
        db.session.rollback()
        order = _order_or_404(order_id)
        errors = {e.field: e.message for e in err.errors}
        return render_template("orders/detail.html", **_detail_context(order, typed, errors)), 400
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        order = _order_or_404(order_id)
        return render_template(
            "orders/detail.html", **_detail_context(order, typed, {"weights": err.message})
        ), err.status
    db.session.commit()
    if order.weight_status == WeightStatus.FINAL:
        flash(_("Weighed: the total is now %(total)s. The buyer has been told.", total=vnd(order.total_vnd)), "success")
    else:
        flash(
            _(
                "Weighed outside the tolerance: the buyer must accept %(total)s before you pack.",
                total=vnd(weights.proposed_total(order)),
            ),
            "info",
        )
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/orders/<int:order_id>/weights/<answer>")
@login_required
def answer_weights(order_id: int, answer: str):
    """The buyer accepts or declines a weighed amount outside the tolerance."""
    from market.orders import weights

    order = _order_or_404(order_id)
    if order.buyer_id != current_user.id or answer not in ("accept", "decline"):
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        user_abort(400, " ".join(str(e) for e in form.reason.errors) or _("This form has expired. Please try again."))
    if answer == "accept":
        weights.accept(order, current_user)
        db.session.commit()
        flash(_("Thank you. Your order's total is now %(total)s.", total=vnd(order.total_vnd)), "success")
    else:
        weights.decline(order, current_user, form.reason.data or None)
        db.session.commit()
        flash(_("Order %(code)s is cancelled.", code=order.code), "info")
    return redirect(url_for("orders.detail", order_id=order.id))


def _complete_fee_context(order: Order, form, option: str | None) -> dict:
    """The shipping of the order being completed, for the address in the form (shown before saving)."""
    if form is None:
        return {"complete_fee": None, "complete_deliveries": []}
    ask_carriers([delivery.order_ask(order, _typed_destination(form), option or delivery.SHIP)])
    return {
        "complete_fee": delivery.quote_order(order, _typed_destination(form), option or delivery.SHIP),
        "complete_deliveries": delivery.rates().choices(order.seller_id),
    }


@bp.post("/orders/<int:order_id>/complete")
@login_required
def complete(order_id: int):
    """The buyer gives (or changes) the delivery address and the way to pay of a pending order."""
    order = _order_or_404(order_id)
    if order.buyer_id != current_user.id:
        abort(404)
    choices = payment_choices(order.seller_id)
    form = CompleteOrderForm()
    form.method.choices = [(c.name, c.label) for c in choices]
    option = request.form.get("delivery") or delivery.SHIP
    raw_fee = request.form.get("shown_fee")
    shown_fee = "unchecked" if raw_fee is None else _fee_shown(raw_fee)
    if "recalc" in request.form:  # "Update shipping": show the fee for the address typed; nothing is written
        return render_template(
            "orders/complete.html", order=order, form=form, **_complete_fee_context(order, form, option)
        )
    if form.validate_on_submit():
        try:
            address = checkout.clean_address(
                form.ship_name.data,
                form.ship_phone.data,
                form.ship_street.data,
                form.ship_commune.data,
                form.ship_province.data,
            )
            ask_carriers([delivery.order_ask(order, checkout.destination_of(address), option)], fresh=True)
            checkout.complete_order(order, current_user, address, form.method.data, option, shown_fee)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            db.session.commit()
            flash(
                _("Saved. Your order is ready for payment.")
                if order.status == OrderStatus.PENDING
                else _("Saved. Your order is confirmed."),
                "success",
            )
            return redirect(url_for("orders.detail", order_id=order.id))
    order = _order_or_404(order_id)
    return render_template(
        "orders/complete.html", order=order, form=form, **_complete_fee_context(order, form, option)
    ), 400


@bp.post("/orders/<int:order_id>/method")
@login_required
def change_method(order_id: int):
    order = _order_or_404(order_id)
    if order.buyer_id != current_user.id:
        abort(404)
    form = ChangeMethodForm()
    form.method.choices = [(c.name, c.label) for c in payment_choices(order.seller_id)]
    if not form.validate_on_submit():
        user_abort(400, " ".join(str(e) for e in form.method.errors) or _("Choose how you will pay."))
    gateway().choose(order, form.method.data, current_user)
    db.session.commit()
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def cancel(order_id: int):
    order = _order_or_404(order_id)
    role = actions.acting_role(order, current_user, request.form.get("as"))
    form = ReasonForm()
    if not form.validate_on_submit():
        user_abort(400, " ".join(str(e) for e in form.reason.errors) or _("Something in the request was not right"))
    actions.cancel(order, current_user, role=role, reason=form.reason.data)
    db.session.commit()
    flash(_("Order %(code)s is cancelled.", code=order.code), "info")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/orders/<int:order_id>/status")
@login_required
def move(order_id: int):
    """Move an order on (confirm, packed, shipped, delivered, refunded) in the role the form says."""
    order = _order_or_404(order_id)
    role = actions.acting_role(order, current_user, request.form.get("as"))
    form = ShipForm() if request.form.get("to") == OrderStatus.SHIPPED else ReasonForm()
    if not form.validate_on_submit():
        if (
            isinstance(form, ShipForm)
            and role in (Actor.SELLER, Actor.STAFF)
            and "ship" in actions.seller_actions(order, role)
        ):
            # the carrier or tracking code: the order again, the message beside the field
            return render_template("orders/detail.html", **_detail_context(order, ship_form=form)), 400
        errors = [e for f in form for e in (f.errors or [])]
        user_abort(400, " ".join(str(e) for e in errors) or _("Something in the request was not right"))
    actions.move(
        order,
        current_user,
        request.form.get("to"),
        role=role,
        reason=request.form.get("reason") or None,
        carrier=request.form.get("carrier"),
        tracking_code=request.form.get("tracking_code"),
    )
    db.session.commit()
    flash(_("Order %(code)s is now %(status)s.", code=order.code, status=status_label(order.status)), "success")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/orders/<int:order_id>/paid")
@login_required
def mark_paid(order_id: int):
    order = _order_or_404(order_id)
    role = actions.acting_role(order, current_user, request.form.get("as"))
    actions.mark_paid(order, current_user, role=role)
    db.session.commit()
    flash(_("Payment recorded for order %(code)s.", code=order.code), "success")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/orders/<int:order_id>/review")
@login_required
def review(order_id: int):
    order = _order_or_404(order_id)
    if order.buyer_id != current_user.id:
        abort(404)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            reviews.submit(order, current_user, form.rating.data, form.comment.data)
        except DomainError as err:
            db.session.rollback()
            if err.status == 409:
                raise
            attach_error(form, err)
        else:
            db.session.commit()
            flash(_("Thank you for your rating!"), "success")
            return redirect(url_for("orders.detail", order_id=order.id))
    order = _order_or_404(order_id)
    return render_template("orders/review.html", order=order, form=form), 400


# ---- shop reviews -------------------------------------------------------------------------------------------


def shop_reviews_context(profile) -> dict | None:
    rating = reviews.shop_rating(profile.id)
    return {"profile": profile, "rating": rating, "reviews": reviews.shop_reviews(profile.id, 3)}


@bp.get("/reviews/<slug>")
def shop_reviews(slug: str):
    if not re.fullmatch(r"[a-z0-9-]{1,140}", slug):  # shop slugs only (PostgreSQL refuses NUL bytes)
        abort(404)
    profile = db.session.scalar(
        sa.select(SellerProfile).where(SellerProfile.slug == slug, SellerProfile.status == SellerStatus.APPROVED)
    )
    if profile is None:
        abort(404)
    return render_template(
        "orders/shop_reviews.html",
        profile=profile,
        rating=reviews.shop_rating(profile.id),
        reviews=reviews.shop_reviews(profile.id, 100),
    )
