"""The shop's shipping pages (``/sell/shipping``): fees, carrier accounts, shipments of an order, cash on delivery."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from market.domain import DomainError
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
    if request.method == "GET":
        form = ShippingSettingsForm(formdata=None, data=service.form_values(profile.id))
    else:
        form = ShippingSettingsForm()
        if form.validate_on_submit():
            try:
                service.save_settings(profile.id, service.clean_settings(request.form))
            except DomainError as err:
                db.session.rollback()
                attach_error(form, err)
            else:
                db.session.commit()
                flash(_("Shipping settings saved. Checkout now shows your fees."), "success")
                return redirect(url_for("sell_shipping.settings"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("shipping/settings.html", form=form, profile=profile, saved=saved,
                           carriers=_carrier_rows(profile.id)), status


def _carrier_rows(seller_id: int) -> list[dict]:
    from flask import current_app

    from market.shipping import shipments
    from market.shipping.carriers import get_carrier

    site = current_app.config["SITE_URL"].rstrip("/")
    rows = []
    for name in shipments.enabled_carriers():
        account = shipments.account_for(seller_id, name)
        url = f"{site}/webhooks/carrier/ghn" if name == "ghn" else (
            f"{site}/webhooks/carrier/{name}/{account.webhook_secret}" if account else "")
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
    return render_template("shipping/connect.html", form=form, adapter=adapter, existing=existing,
                           profile=profile), status


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
        if err.code == "not_found":
            raise
        flash(err.message, "error")
        return None, _order_back(order_id)
    return result, None


@sell_bp.post("/orders/<int:order_id>/shipment")
@login_required
def create_shipment(order_id: int):
    """"Tạo vận đơn": the carrier makes the shipment with the cash to collect; the order is marked shipped."""
    from market.orders.service import get_order_for
    from market.shipping import shipments
    from market.shipping.carriers import get_carrier
    from market.shipping.carriers.base import CarrierError
    from market.shipping.forms import CarrierChoiceForm

    order = get_order_for(order_id, current_user)
    if not CarrierChoiceForm().validate_on_submit():
        flash(_("This form has expired. Please try again."), "error")
        return _order_back(order_id)
    prepared, back = _prepare(order_id, lambda: shipments.prepare_create(order, current_user,
                                                                         request.form.get("carrier", "")))
    if back:
        return back
    db.session.rollback()  # no transaction (nor SQLite write lock) held while the carrier answers
    adapter = get_carrier(prepared.carrier)
    try:
        created = adapter.create(prepared.creds, prepared.request)
    except CarrierError as err:
        log.warning("shipping: %s refused order %s: %s (%s)", prepared.carrier, order_id, err.message, err.code)
        flash(_("%(carrier)s did not create the shipment: %(why)s", carrier=adapter.label_text,
                why=_("no answer in time, try again") if err.timeout else err.message), "error")
        return _order_back(order_id)
    try:
        shipments.record_created(prepared, created, current_user)
        db.session.commit()
    except DomainError as err:  # the order changed while the carrier answered: undo it there
        db.session.rollback()
        log.warning("shipping: order %s changed meanwhile; cancelling %s at %s", order_id, created.tracking_code,
                    prepared.carrier)
        try:
            adapter.cancel(prepared.creds, created.tracking_code)
        except CarrierError as exc:
            log.error("shipping: could not cancel %s at %s: %s", created.tracking_code, prepared.carrier, exc.message)
        flash(err.message, "error")
        return _order_back(order_id)
    flash(_("Shipment created with %(carrier)s, tracking code %(code)s. Print the label and stick it on the "
            "parcel.", carrier=adapter.label_text, code=created.tracking_code), "success")
    return _order_back(order_id)


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
    return Response(printed.body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="label-{code}.pdf"'})


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
        flash(_("%(carrier)s did not cancel the shipment: %(why)s", carrier=adapter.label_text, why=err.message),
              "error")
        return _order_back(order_id)
    shipments.record_cancelled(order_id, shipment_id, current_user, _("Shipment cancelled by the shop"))
    db.session.commit()
    flash(_("The shipment is cancelled at %(carrier)s. The order is packed again.", carrier=adapter.label_text),
          "success")
    return _order_back(order_id)


# ---- cash on delivery ------------------------------------------------------------------------------------------

@sell_bp.get("/cod")
@seller_required
def cod():
    """Per order: the cash carriers collected from buyers and whether they have paid it to the shop."""
    from market.shipping import cod as cod_report
    from market.shipping.forms import CarrierChoiceForm

    return render_template("shipping/cod.html", report=cod_report.report(current_user.seller_profile.id),
                           form=CarrierChoiceForm(formdata=None))


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


@sell_bp.app_template_global("shipment_stage_label")
def shipment_stage_label(stage: str) -> str:
    return {"created": _("waiting for pickup"), "picked_up": _("with the carrier"), "delivered": _("delivered"),
            "returning": _("refused, coming back"), "returned": _("back at the shop"),
            "cancelled": _("cancelled"), "problem": _("a problem: call the carrier")}.get(stage, stage)
