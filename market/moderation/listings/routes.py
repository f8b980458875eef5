"""The Review listings tab, ``/staff/listings…``: the queue (bulk approve), a listing's page (approve, reject with a
reason) and, from that page, the OCOP check of its claim (verify, refuse).

Thin views: load in scope (another commune's listing is a 404), call ``listings`` / ``ocop``, commit once.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from market.catalog import ocop as catalog_ocop
from market.catalog.models import Product
from market.domain import DomainError
from market.extensions import db
from market.forms import attach_error
from market.moderation import audit, bp
from market.moderation.assisted import service as assisted
from market.moderation.forms import ActionForm, RequiredReasonForm
from market.moderation.listings import service as listings
from market.moderation.listings.forms import RejectListingForm
from market.moderation.ocop import service as ocop
from market.moderation.ocop.forms import OcopVerifyForm
from market.moderation.scope import communes_in_scope, get_in_scope
from market.moderation.views import commune_arg, paginate

LISTING_ACTIONS = ("listing.approve", "listing.reject", "listing.assisted_create", "ocop.verify", "ocop.reject")


def _reject_form(formdata=None) -> RejectListingForm:
    kwargs = {} if formdata is None else {"formdata": formdata}
    return RejectListingForm(prefix="reject", choices=listings.reason_choices(), **kwargs)


def _queue_page(status: int = 200, error: str | None = None):
    commune_id = commune_arg()
    rows, page, more = paginate(listings.pending(current_user, commune_id))
    return render_template(
        "moderation/listings.html",
        products=rows,
        page=page,
        more=more,
        communes=communes_in_scope(current_user),
        commune_id=commune_id,
        action_form=ActionForm(),
        total=listings.count_pending(current_user),
        bulk_error=error,
    ), status


@bp.get("/listings", endpoint="listings")
def listings_queue():
    return _queue_page()


@bp.post("/listings/approve")
def listings_bulk_approve():
    if not ActionForm().validate_on_submit():
        return _queue_page(400, _("This form has expired. Please try again."))
    try:
        ids = listings.parse_ids(request.form.getlist("ids"))
    except DomainError as err:
        return _queue_page(err.status, err.message)
    result = listings.bulk_approve(ids, current_user)  # another commune's listing: 404, nothing approved
    db.session.commit()
    if result.approved:
        flash(
            ngettext(
                "%(num)d listing approved and on sale.", "%(num)d listings approved and on sale.", len(result.approved)
            ),
            "success",
        )
    if result.skipped:
        flash(
            ngettext(
                "%(num)d listing was already reviewed by someone else.",
                "%(num)d listings were already reviewed by someone else.",
                len(result.skipped),
            ),
            "info",
        )
    if result.own:
        flash(
            ngettext(
                "%(num)d listing you entered for a villager was left for another staff member to approve.",
                "%(num)d listings you entered for a villager were left for another staff member to approve.",
                len(result.own),
            ),
            "info",
        )
    return redirect(url_for("staff.listings"))


def _listing_page(product: Product, status: int = 200, **forms):
    forms.setdefault("reject_form", _reject_form(formdata=None))
    forms.setdefault(
        "ocop_form", OcopVerifyForm(prefix="ocop", levels=sorted(catalog_ocop.OCOP_LEVELS.items()), formdata=None)
    )
    forms.setdefault("ocop_reject_form", RequiredReasonForm(prefix="ocopno", formdata=None))
    if not forms["ocop_form"].is_submitted() and product.ocop_stars:
        forms["ocop_form"].stars.data = str(product.ocop_stars)
    return render_template(
        "moderation/listing.html",
        product=product,
        action_form=ActionForm(),
        ocop_now=catalog_ocop.ocop_state(product),
        events=list(product.events),
        history=audit.entries_for_object("product", product.id, LISTING_ACTIONS),
        consent=assisted.consent_for("product", product.id),
        **forms,
    ), status


@bp.get("/listings/<int:product_id>", endpoint="listing")
def listing_page(product_id: int):
    return _listing_page(get_in_scope(Product, product_id, current_user))


def _act(product_id: int, form, form_name: str | None, action, message: str, back_to_queue: bool = True):
    product = get_in_scope(Product, product_id, current_user, for_update=True)
    if not form.validate_on_submit():
        return _listing_page(product, 400, **({form_name: form} if form_name else {}))
    try:
        action(product, form)
    except DomainError as err:
        db.session.rollback()
        product = get_in_scope(Product, product_id, current_user)
        if form_name and err.field:
            attach_error(form, err)
            return _listing_page(product, err.status, **{form_name: form})
        flash(err.message, "error")
        return _listing_page(product, err.status)
    db.session.commit()
    flash(message, "success")
    if back_to_queue:
        return redirect(url_for("staff.listings"))
    return redirect(url_for("staff.listing", product_id=product.id))


@bp.post("/listings/<int:product_id>/approve")
def listing_approve(product_id: int):
    return _act(
        product_id,
        ActionForm(),
        None,
        lambda p, f: listings.approve(p, current_user),
        _("The listing is approved and on sale."),
    )


@bp.post("/listings/<int:product_id>/reject")
def listing_reject(product_id: int):
    form = _reject_form()
    return _act(
        product_id,
        form,
        "reject_form",
        lambda p, f: listings.reject(p, current_user, f.reason_code.data, f.reason.data),
        _("The listing is rejected; the seller sees your reason."),
    )


@bp.post("/listings/<int:product_id>/ocop/verify")
def listing_ocop_verify(product_id: int):
    form = OcopVerifyForm(prefix="ocop", levels=sorted(catalog_ocop.OCOP_LEVELS.items()))
    return _act(
        product_id,
        form,
        "ocop_form",
        lambda p, f: ocop.verify(
            p, current_user, certificate_no=f.certificate_no.data, stars=f.stars.data, issued_on=f.issued_on.data
        ),
        _("The OCOP claim is verified; buyers see it until the certificate expires."),
        back_to_queue=False,
    )


@bp.post("/listings/<int:product_id>/ocop/reject")
def listing_ocop_reject(product_id: int):
    form = RequiredReasonForm(prefix="ocopno")
    return _act(
        product_id,
        form,
        "ocop_reject_form",
        lambda p, f: ocop.reject_claim(p, current_user, f.reason.data),
        _("The OCOP claim is removed from the listing; the seller sees your reason."),
        back_to_queue=False,
    )
