"""A minimal review page for commune staff (/staff/listings): approve or reject listings awaiting review.

Staff see only their communes' listings (an admin sees all); another commune's listing is a 404. The full
moderation queue (reports, OCOP verification, audit log) belongs to the moderation area; this page only makes
the listing flow work end to end.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.catalog import bp, service
from market.catalog.forms import ActionForm, ReasonForm
from market.catalog.helpers import PRODUCT_ID, paginate
from market.domain import DomainError
from market.extensions import db
from market.forms import attach_error
from market.security import role_required


@bp.get("/staff/listings")
@role_required("staff", "admin")
def review_queue():
    listings = paginate(service.pending_for(current_user))
    return render_template("catalog/review/queue.html", listings=listings)


@bp.get(f"/staff/listings/{PRODUCT_ID}")
@role_required("staff", "admin")
def review_listing(product_id: int):
    product = service.staff_product(current_user, product_id)
    return render_template("catalog/review/listing.html", product=product, action_form=ActionForm(),
                           reason_form=ReasonForm())


@bp.post(f"/staff/listings/{PRODUCT_ID}/approve")
@role_required("staff", "admin")
def review_approve(product_id: int):
    product = service.staff_product(current_user, product_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("catalog.review_listing", product_id=product.id))
    service.approve(product, current_user)
    db.session.commit()
    flash(_("“%(title)s” is approved and on sale.", title=product.title), "success")
    return redirect(url_for("catalog.review_queue"))


@bp.post(f"/staff/listings/{PRODUCT_ID}/reject")
@role_required("staff", "admin")
def review_reject(product_id: int):
    product = service.staff_product(current_user, product_id)
    form = ReasonForm()
    form.validate_on_submit()
    try:
        service.reject(product, current_user, form.reason.data)
    except DomainError as err:
        db.session.rollback()
        if err.field != "reason":
            raise
        attach_error(form, err)
        product = service.staff_product(current_user, product_id)
        return render_template("catalog/review/listing.html", product=product, action_form=ActionForm(),
                               reason_form=form), 400
    db.session.commit()
    flash(_("“%(title)s” is rejected; the seller will see your reason.", title=product.title), "info")
    return redirect(url_for("catalog.review_queue"))
