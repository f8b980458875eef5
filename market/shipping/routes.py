"""The shop's shipping pages (``/sell/shipping``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from market.domain import DomainError
from market.extensions import db
from market.forms import attach_error
from market.security import approved_seller_required
from market.shipping import sell_bp, service
from market.shipping.forms import ShippingSettingsForm

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
    return render_template("shipping/settings.html", form=form, profile=profile, saved=saved), status
