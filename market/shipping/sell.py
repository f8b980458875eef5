"""The shop's shipping pages (``/sell/shipping``): fees, carrier accounts, shipments of an order, cash on delivery."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from market.domain import DomainError, ErrorCode, parse_id
from market.extensions import db
from market.forms import attach_error
from market.security import approved_seller_required
from market.shipping import sell_bp, service
from market.shipping.forms import ShippingSettingsForm

log = logging.getLogger(__name__)
seller_required = approved_seller_required(_l("Only an approved shop can do this."))


@sell_bp.route("", methods=["GET", "POST"])
@seller_required
def settings():
    """The shop's fee table by zone and weight, free shipping above an amount, pick-up at the shop."""
    profile = current_user.seller_profile
    saved = service.settings_for(profile.id)
    carriers = _carrier_rows(profile.id)
    connected = tuple(c["adapter"].name for c in carriers if c["account"])
    if request.method == "GET":
        form = ShippingSettingsForm(formdata=None, data=service.form_values(profile.id))
    else:
        form = ShippingSettingsForm()
    form.quote_carrier.choices = [SelectChoice("", _("My fee table above"))] + [
        SelectChoice(
            c["adapter"].name,
            _(
                "%(carrier)s's quote for each address (my table if it does not answer)",
                carrier=service.carrier_name(c["adapter"].name),
            ),
        )
        for c in carriers
        if c["account"]
    ]
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.save_settings(profile.id, service.clean_settings(request.form, connected))
            except DomainError as err:
                db.session.rollback()
                attach_error(form, err)
            else:
                db.session.commit()
                flash(_("Shipping settings saved. Checkout now shows your fees."), "success")
                return redirect(url_for("sell_shipping.settings"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "shipping/settings.html", form=form, profile=profile, saved=saved, carriers=carriers, connected=connected
    ), status


def _carrier_rows(seller_id: int) -> list[dict]:
    from flask import current_app

    from market.shipping import shipments
    from market.shipping.carriers import get_carrier

    site = current_app.config["SITE_URL"].rstrip("/")
    rows = []
    for name in shipments.enabled_carriers():
        account = shipments.account_for(seller_id, name)
        url = (
            f"{site}/webhooks/carrier/ghn"
            if name == "ghn"
            else (f"{site}/webhooks/carrier/{name}/{account.webhook_secret}" if account else "")
        )
        rows.append({"adapter": get_carrier(name), "account": account, "webhook_url": url})
    return rows


# ---- carrier accounts ----------------------------------------------------------------------------------------


def _carrier_or_404(carrier: str):
    from market.errors import user_abort
    from market.shipping.carriers import get_carrier
    from market.shipping.shipments import enabled_carriers

    if carrier not in enabled_carriers():
        user_abort(404, _("This carrier is not available."))
    return get_carrier(carrier)


@sell_bp.route("/carriers/<carrier>", methods=["GET", "POST"])
@seller_required
def connect(carrier: str):
    """Connect the shop's GHN or GHTK account: its API token and shop id / partner code, sealed at rest."""
    from market.shipping import shipments
    from market.shipping.forms import CarrierAccountForm

    adapter = _carrier_or_404(carrier)
    profile = current_user.seller_profile
    existing = shipments.account_for(profile.id, carrier)
    form = CarrierAccountForm()
    form.account.label.text = adapter.account_label
    if request.method == "GET" and existing is not None:
        form.pickup_street.data = existing.pickup_street
    if form.validate_on_submit():
        try:
            shipments.connect(profile.id, carrier, form.token.data, form.account.data, form.pickup_street.data)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            db.session.commit()
            flash(_("%(carrier)s is connected.", carrier=adapter.label_text), "success")
            return redirect(url_for("sell_shipping.settings"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "shipping/connect.html", form=form, adapter=adapter, existing=existing, profile=profile
    ), status


@sell_bp.post("/carriers/<carrier>/disconnect")
@seller_required
def disconnect(carrier: str):
    from market.shipping import shipments
    from market.shipping.forms import CarrierChoiceForm

    adapter = _carrier_or_404(carrier)
    if CarrierChoiceForm().validate_on_submit():
        shipments.disconnect(current_user.seller_profile.id, carrier)
        db.session.commit()
        flash(_("%(carrier)s is disconnected.", carrier=adapter.label_text), "success")
    return redirect(url_for("sell_shipping.settings"))


# ---- shipments of one order (its seller, or commune staff) ---------------------------------------------------


def _order_back(order_id: int):
    return redirect(url_for("orders.detail", order_id=order_id))


def _prepare(order_id: int, prepare):
    """Run one ``shipments.prepare_*`` step: ``(its result, None)``, or ``(None, the way back)`` after a refusal
    flashed beside the order (a missing order stays a 404). No transaction is left open for the carrier's call."""
    try:
        result = prepare()
    except DomainError as err:
        db.session.rollback()
        if err.code == ErrorCode.NOT_FOUND:
            raise
        flash(err.message, "error")
        return None, _order_back(order_id)
    return result, None


@dataclass(frozen=True)
class ShipResult:
    """One order's outcome of "Tạo vận đơn": its tracking code, or why the carrier did not get it."""

    order_id: int
    code: str  # the order's code ("#12" for an id that is not one of the shop's orders)
    tracking_code: str | None = None
    cod_vnd: int = 0
    why: str | None = None
    timeout: bool = False


def _create_one(order, carrier: str) -> ShipResult:
    """Hand one order to ``carrier``: prepare (nothing written) → the carrier's call outside any transaction →
    record it in its own transaction. A refusal at any step leaves the order as it was; a shipment made for an
    order that changed meanwhile is cancelled at the carrier again. A missing order raises ``NotFound``."""
    from market.shipping import shipments
    from market.shipping.carriers import get_carrier
    from market.shipping.carriers.base import CarrierError

    order_id, code = order.id, order.code
    try:
        prepared = shipments.prepare_create(order, current_user, carrier)
    except DomainError as err:
        db.session.rollback()
        if err.code == ErrorCode.NOT_FOUND:
            raise
        return ShipResult(order_id, code, why=err.message)
    db.session.rollback()  # no transaction (nor SQLite write lock) held while the carrier answers
    adapter = get_carrier(prepared.carrier)
    try:
        created = adapter.create(prepared.creds, prepared.request)
    except CarrierError as err:
        log.warning("shipping: %s refused order %s: %s (%s)", prepared.carrier, order_id, err.message, err.code)
        return ShipResult(
            order_id,
            code,
            timeout=err.timeout,
            why=_(
                "%(carrier)s did not create the shipment: %(why)s",
                carrier=adapter.label_text,
                why=_("no answer in time, try again") if err.timeout else err.message,
            ),
        )
    try:
        shipments.record_created(prepared, created, current_user)
        db.session.commit()
    except DomainError as err:  # the order changed while the carrier answered: undo it there
        db.session.rollback()
        log.warning(
            "shipping: order %s changed meanwhile; cancelling %s at %s",
            order_id,
            created.tracking_code,
            prepared.carrier,
        )
        try:
            adapter.cancel(prepared.creds, created.tracking_code)
        except CarrierError as exc:
            log.error("shipping: could not cancel %s at %s: %s", created.tracking_code, prepared.carrier, exc.message)
        return ShipResult(order_id, code, why=err.message)
    return ShipResult(order_id, code, tracking_code=created.tracking_code, cod_vnd=prepared.request.cod_vnd)


@sell_bp.post("/orders/<int:order_id>/shipment")
@login_required
def create_shipment(order_id: int):
    """ "Tạo vận đơn": the carrier makes the shipment with the cash to collect; the order is marked shipped."""
    from market.orders.service import get_order_for
    from market.shipping.carriers import get_carrier
    from market.shipping.forms import CarrierChoiceForm

    order = get_order_for(order_id, current_user)
    if not CarrierChoiceForm().validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
        return _order_back(order_id)
    result = _create_one(order, request.form.get("carrier", ""))
    if result.why:
        flash(result.why, "error")
    else:
        flash(
            _(
                "Shipment created with %(carrier)s, tracking code %(code)s. Print the label and stick it on the "
                "parcel.",
                carrier=get_carrier(request.form["carrier"]).label_text,
                code=result.tracking_code,
            ),
            "success",
        )
    return _order_back(order_id)


# ---- "Tạo vận đơn" for many orders at once (from the shop's order list) --------------------------------------

BATCH_MAX = 20  # orders per press: each is one call to the carrier, made one after the other
BATCH_BUDGET_S = 45.0  # no new call starts after this long (the rest are listed "not sent", to send again)


def _order_ids(values: list[str]) -> list[int]:
    return [i for i in dict.fromkeys(map(parse_id, values)) if i is not None]


def _orders_back():
    back = {
        k: v
        for k, v in (("status", request.form.get("status")), ("live", request.form.get("live")))
        if v and v.isascii() and len(v) < 40
    }
    return redirect(url_for("sell_orders.index", **back))


@sell_bp.post("/batch")
@seller_required
def batch_create():
    """The selected orders of the shop's order list handed to one carrier, each order on its own (one carrier
    call and one transaction each: a refusal never touches the others). Another shop's order is "does not
    exist"; after the carrier failed to answer once, the rest are not sent (each would wait as long)."""
    import time

    from market.orders.models import Order
    from market.shipping.carriers import get_carrier
    from market.shipping.forms import CarrierChoiceForm
    from market.shipping.shipments import enabled_carriers

    if not CarrierChoiceForm().validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
        return _orders_back()
    carrier = request.form.get("ship_carrier", "")
    if carrier not in enabled_carriers():
        flash(_("Choose the carrier to send the selected orders with."), "error")
        return _orders_back()
    ids = _order_ids(request.form.getlist("order_id"))
    if not ids:
        flash(_("Select at least one order."), "error")
        return _orders_back()
    if len(ids) > BATCH_MAX:
        flash(_("At most %(n)d orders at a time: select fewer.", n=BATCH_MAX), "error")
        return _orders_back()
    adapter = get_carrier(carrier)
    seller_id = current_user.seller_profile.id
    deadline = time.monotonic() + BATCH_BUDGET_S
    results: list[ShipResult] = []
    stopped = False
    for order_id in ids:
        order = db.session.get(Order, order_id)
        if order is None or order.seller_id != seller_id:
            results.append(ShipResult(order_id, f"#{order_id}", why=_("This order does not exist.")))
            continue
        if stopped or time.monotonic() > deadline:
            results.append(
                ShipResult(
                    order_id,
                    order.code,
                    why=_(
                        "Not sent: %(carrier)s was not answering. Select it again in a moment.",
                        carrier=adapter.label_text,
                    ),
                )
            )
            continue
        try:
            result = _create_one(order, carrier)
        except DomainError as err:  # gone meanwhile
            db.session.rollback()
            result = ShipResult(order_id, f"#{order_id}", why=err.message)
        results.append(result)
        stopped = stopped or result.timeout
    db.session.rollback()
    created = [r for r in results if r.tracking_code]
    return render_template(
        "shipping/batch.html", results=results, created=created, adapter=adapter, refused=len(results) - len(created)
    )


@sell_bp.get("/labels/<carrier>")
@seller_required
def batch_labels(carrier: str):
    """One print of the labels of several of the shop's orders, where the carrier prints many at once (GHN's
    A5 page for a list of order codes); a carrier that prints one at a time gets one link per order instead."""
    from flask import Response

    from market.shipping import shipments
    from market.shipping.carriers.base import CarrierError

    adapter = _carrier_or_404(carrier)
    ids = _order_ids(request.args.getlist("order_id"))[:BATCH_MAX]
    found = shipments.printable(current_user.seller_profile.id, carrier, ids)
    if not found:
        flash(_("None of these orders has a label to print."), "error")
        return redirect(url_for("sell_orders.index"))
    if not adapter.prints_many:
        return render_template("shipping/labels.html", adapter=adapter, found=found)
    try:
        creds = shipments.credentials_of(current_user.seller_profile.id, carrier)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("sell_orders.index"))
    db.session.rollback()
    try:
        printed = adapter.labels(creds, [code for _order, code in found])
    except CarrierError as err:
        log.warning("shipping: no labels for %d orders from %s: %s", len(found), carrier, err.message)
        flash(_("The carrier did not give the labels now. Try again in a moment."), "error")
        return redirect(url_for("sell_orders.index"))
    if printed.url:
        return redirect(printed.url)
    return Response(
        printed.body, mimetype="application/pdf", headers={"Content-Disposition": 'inline; filename="labels.pdf"'}
    )


@sell_bp.get("/orders/<int:order_id>/label")
@login_required
def label(order_id: int):
    """The carrier's label for the order's shipment (a PDF, or the carrier's print page)."""
    from flask import Response

    from market.orders.service import get_order_for
    from market.shipping import shipments
    from market.shipping.carriers import get_carrier
    from market.shipping.carriers.base import CarrierError

    order = get_order_for(order_id, current_user)
    prepared, back = _prepare(order_id, lambda: shipments.prepare_label(order, current_user))
    if back:
        return back
    carrier, creds, code = prepared
    db.session.rollback()
    try:
        printed = get_carrier(carrier).label(creds, code)
    except CarrierError as err:
        log.warning("shipping: no label for %s from %s: %s", code, carrier, err.message)
        flash(_("The carrier did not give the label now. Try again in a moment."), "error")
        return _order_back(order_id)
    if printed.url:
        return redirect(printed.url)
    return Response(
        printed.body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="label-{code}.pdf"'},
    )


@sell_bp.post("/orders/<int:order_id>/shipment/cancel")
@login_required
def cancel_shipment(order_id: int):
    """Cancel the shipment at the carrier before pickup; the order is packed again."""
    from market.orders.service import get_order_for
    from market.shipping import shipments
    from market.shipping.carriers import get_carrier
    from market.shipping.carriers.base import CarrierError
    from market.shipping.forms import CarrierChoiceForm

    order = get_order_for(order_id, current_user)
    if not CarrierChoiceForm().validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
        return _order_back(order_id)
    prepared, back = _prepare(order_id, lambda: shipments.prepare_cancel(order, current_user))
    if back:
        return back
    _role, shipment, creds = prepared
    shipment_id, carrier, code = shipment.id, shipment.carrier, shipment.tracking_code
    db.session.rollback()
    adapter = get_carrier(carrier)
    try:
        adapter.cancel(creds, code)
    except CarrierError as err:
        log.warning("shipping: %s did not cancel %s: %s", carrier, code, err.message)
        flash(
            _("%(carrier)s did not cancel the shipment: %(why)s", carrier=adapter.label_text, why=err.message), "error"
        )
        return _order_back(order_id)
    shipments.record_cancelled(order_id, shipment_id, current_user, _("Shipment cancelled by the shop"))
    db.session.commit()
    flash(
        _("The shipment is cancelled at %(carrier)s. The order is packed again.", carrier=adapter.label_text), "success"
    )
    return _order_back(order_id)


# ---- cash on delivery ------------------------------------------------------------------------------------------


@sell_bp.get("/cod")
@seller_required
def cod():
    """Per order: the cash carriers collected from buyers and whether they have paid it to the shop."""
    from market.shipping import cod as cod_report
    from market.shipping.forms import CarrierChoiceForm

    return render_template(
        "shipping/cod.html",
        report=cod_report.report(current_user.seller_profile.id),
        form=CarrierChoiceForm(formdata=None),
    )


@sell_bp.post("/cod/<int:shipment_id>/remitted")
@seller_required
def cod_remitted(shipment_id: int):
    from market.shipping import cod as cod_report
    from market.shipping.forms import CarrierChoiceForm

    if CarrierChoiceForm().validate_on_submit():
        cod_report.mark_remitted(current_user.seller_profile.id, shipment_id)
        db.session.commit()
        flash(_("Marked as paid out to you."), "success")
    return redirect(url_for("sell_shipping.cod"))
