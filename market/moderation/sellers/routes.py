"""The Sellers tab, ``/staff/sellers…``: the shops of her communes by state, a shop's page with its history, and
the decisions (approve, suspend, restore, the KOL badge)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.models import SellerProfile
from market.domain import DomainError
from market.extensions import db
from market.forms import attach_error
from market.moderation import audit, bp
from market.moderation.assisted.service import assisted_record
from market.moderation.forms import ActionForm, OptionalReasonForm
from market.moderation.scope import communes_in_scope, get_in_scope
from market.moderation.sellers import service
from market.moderation.sellers.forms import SuspendForm
from market.moderation.views import commune_arg, paginate


@bp.get("/sellers")
def sellers():
    status = service.list_status(request.args.get("status"))
    commune_id = commune_arg()
    rows, page, more = paginate(service.shops(current_user, status, commune_id))
    return render_template(
        "moderation/sellers.html",
        profiles=rows,
        status=status,
        page=page,
        more=more,
        communes=communes_in_scope(current_user),
        commune_id=commune_id,
    )


def _seller_page(profile: SellerProfile, status: int = 200, **forms):
    forms.setdefault("suspend_form", SuspendForm(prefix="suspend"))
    forms.setdefault("restore_form", OptionalReasonForm(prefix="restore"))
    forms.setdefault("revoke_form", OptionalReasonForm(prefix="revoke"))
    return render_template(
        "moderation/seller.html",
        profile=profile,
        action_form=ActionForm(),
        kols=[k for k in service.kols_of(profile.commune_id) if k.id != profile.id],
        history=audit.entries_for_object("seller", profile.id, limit=30),
        assisted=assisted_record(profile.id),
        **forms,
    ), status


@bp.get("/sellers/<int:profile_id>")
def seller(profile_id: int):
    return _seller_page(get_in_scope(SellerProfile, profile_id, current_user))


def _seller_action(profile_id: int, action, form=None, form_name: str | None = None, message: str = ""):
    profile = get_in_scope(SellerProfile, profile_id, current_user, for_update=True)
    form = form or ActionForm()
    if not form.validate_on_submit():
        return _seller_page(profile, 400, **({form_name: form} if form_name else {}))
    try:
        if hasattr(form, "reason"):
            action(profile, current_user, form.reason.data)
        else:
            action(profile, current_user)
    except DomainError as err:
        db.session.rollback()
        if form_name and err.field:  # about what was typed: beside the field
            attach_error(form, err)
            return _seller_page(profile, err.status, **{form_name: form})
        flash(err.message, "error")  # about the shop's state (409): at the top of the page
        return _seller_page(profile, err.status)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("staff.seller", profile_id=profile.id))


@bp.post("/sellers/<int:profile_id>/approve")
def seller_approve(profile_id: int):
    return _seller_action(profile_id, service.approve_seller, message=_("The shop is open."))


@bp.post("/sellers/<int:profile_id>/suspend")
def seller_suspend(profile_id: int):
    return _seller_action(
        profile_id,
        service.suspend_seller,
        SuspendForm(prefix="suspend"),
        "suspend_form",
        _("The shop is suspended; the seller sees your reason."),
    )


@bp.post("/sellers/<int:profile_id>/restore")
def seller_restore(profile_id: int):
    return _seller_action(
        profile_id,
        service.restore_seller,
        OptionalReasonForm(prefix="restore"),
        "restore_form",
        _("The shop is open again."),
    )


@bp.post("/sellers/<int:profile_id>/kol")
def seller_kol_grant(profile_id: int):
    return _seller_action(profile_id, service.grant_kol, message=_("The KOL badge is granted."))


@bp.post("/sellers/<int:profile_id>/kol/revoke")
def seller_kol_revoke(profile_id: int):
    return _seller_action(
        profile_id,
        service.revoke_kol,
        OptionalReasonForm(prefix="revoke"),
        "revoke_form",
        _("The KOL badge is revoked."),
    )
