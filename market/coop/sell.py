"""The KOL's co-op lot pages (/sell/lots/...): lots, a new lot, one lot with its households, the payout report.

Thin: parse, call the service, render. Another shop's lot (or household, or contribution) is a 404.
"""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.catalog import images, photo_form
from market.catalog.sell import seller_required
from market.coop import bp, payout, service
from market.coop.forms import ActionForm, ContributionForm, HouseholdForm, LotForm, ShippingForm
from market.domain import DomainError, ErrorCode
from market.errors import user_abort
from market.extensions import db
from market.forms import attach_error
from market.payments.banks import banks
from market.web import takes_uploads

LOT_ID = "<int(max=2147483647):lot_id>"
HH_ID = "<int(max=2147483647):household_id>"
C_ID = "<int(max=2147483647):contribution_id>"


def _lot(lot_id: int):
    return service.lot_for_seller(current_user, lot_id)


def _raw(form) -> dict:
    """A form's values by their own names (a prefixed form's ``hh12-kg`` is ``kg``)."""
    return {f.short_name: f.data for f in form if f.short_name != "csrf_token"}


def _attach(form, err: DomainError) -> None:
    for e in getattr(err, "errors", None) or [err]:
        attach_error(form, e)


@bp.get("")
@seller_required
def index():
    profile = current_user.seller_profile
    lots = service.lots_of(profile)
    states = {lot.id: service.lot_state(lot) for lot in lots}
    return render_template("coop/index.html", profile=profile, lots=lots, states=states)


@bp.route("/new", methods=["GET", "POST"])
@takes_uploads
@seller_required
def new():
    profile = current_user.seller_profile
    form = LotForm()
    if not form.is_submitted():
        return render_template("coop/new.html", form=form, profile=profile)
    errors: list[DomainError] = []
    plan = _photos(errors)
    if form.validate_on_submit() and not errors:
        try:
            lot = service.create_lot(profile, current_user, request.form, plan)
            media_dir = current_app.config["MEDIA_DIR"]
            for photo in plan:
                images.save(photo, media_dir)
        except DomainError as err:
            errors.append(err)
        else:
            db.session.commit()
            flash(
                _(
                    "The lot “%(title)s” is made. Add the households and the kilograms each brings.",
                    title=lot.product.title,
                ),
                "success",
            )
            return redirect(url_for("sell_lots.lot", lot_id=lot.id))
    db.session.rollback()
    for err in errors:
        _attach(form, err)
    return render_template("coop/new.html", form=form, profile=profile), 400


def _photos(errors: list) -> list:
    files = [f for f in request.files.getlist("photos") if f is not None and f.filename]
    photo_form.charge_daily_uploads(len(files))
    if len(files) > images.MAX_PHOTOS:
        errors.append(
            DomainError(
                ErrorCode.INVALID,
                _(
                    "A listing can have at most %(n)d photos; you chose %(count)d.",
                    n=images.MAX_PHOTOS,
                    count=len(files),
                ),
                field="photos",
            )
        )
        return []
    plan = []
    for upload in files:
        data = upload.stream.read(images.MAX_FILE_BYTES + 1)
        try:
            plan.append(images.prepare(data, upload.filename, current_app.config["MEDIA_DIR"]))
        except DomainError as err:
            photo_form.upload_refused(err)
            errors.append(err)
    return plan


# ---- one lot ---------------------------------------------------------------------------------------------


def _page(lot, status: int = 200, forms: dict | None = None, open_key: str | None = None):
    """The lot page; ``forms`` replaces a form (by key) with the one that was posted, errors and all."""
    forms = forms or {}
    state = service.lot_state(lot)
    add_form = forms.get("add") or HouseholdForm(formdata=None, banks=banks())
    edit_forms, more_forms, change_forms = {}, {}, {}
    for hh in lot.households:
        edit_forms[hh.id] = forms.get(("edit", hh.id)) or HouseholdForm(
            formdata=None,
            prefix=f"hh{hh.id}",
            banks=banks(),
            name=hh.name,
            village=hh.village,
            phone=_national(hh.phone),
            bank_bin=hh.bank_bin or "",
            account_number=hh.account_number,
            account_holder=hh.account_holder,
        )
        more_forms[hh.id] = forms.get(("more", hh.id)) or ContributionForm(formdata=None, prefix=f"more{hh.id}")
        for c in hh.contributions:
            change_forms[c.id] = forms.get(("change", c.id)) or ContributionForm(
                formdata=None, prefix=f"c{c.id}", kg=_kg(c.grams)
            )
    return render_template(
        "coop/lot.html",
        lot=lot,
        state=state,
        add_form=add_form,
        edit_forms=edit_forms,
        more_forms=more_forms,
        change_forms=change_forms,
        shipping_form=forms.get("shipping")
        or ShippingForm(formdata=None, shipping_vnd_per_kg=f"{lot.shipping_vnd_per_kg:,}".replace(",", ".")),
        action_form=ActionForm(formdata=None),
        open_key=open_key,
        hh_sold={hh.id: sum(state.sold_by_share.get(c.id, 0) for c in hh.contributions) for hh in lot.households},
        units=service.units_for(lot, lot.contributed_g),
    ), status


def _national(e164: str | None) -> str:
    from market.accounts.service import format_phone

    return format_phone(e164) if e164 else ""


def _kg(grams: int) -> str:
    from market.catalog.weight import kg_input

    return kg_input(grams)


@bp.get(f"/{LOT_ID}")
@seller_required
def lot(lot_id: int):
    return _page(_lot(lot_id))


@bp.post(f"/{LOT_ID}/households")
@seller_required
def add_household(lot_id: int):
    lot = _lot(lot_id)
    form = HouseholdForm(banks=banks())
    if not form.validate_on_submit():
        return _csrf_failed(lot, add=form)
    try:
        hh = service.add_household(lot, _raw(form))
    except DomainError as err:
        db.session.rollback()
        _attach(form, err)
        return _page(_lot(lot_id), _status(err), {"add": form}, "add")
    db.session.commit()
    flash(_("%(name)s is in the lot with %(kg)s.", name=hh.name, kg=_kg_text(hh.contributed_g)), "success")
    return redirect(url_for("sell_lots.lot", lot_id=lot.id) + f"#hh-{hh.id}")


@bp.post(f"/{LOT_ID}/households/{HH_ID}")
@seller_required
def edit_household(lot_id: int, household_id: int):
    lot = _lot(lot_id)
    hh = service.household_of(lot, household_id)
    form = HouseholdForm(prefix=f"hh{hh.id}", banks=banks())
    if not form.validate_on_submit():
        return _csrf_failed(lot)
    try:
        service.update_household(hh, _raw(form))
    except DomainError as err:
        db.session.rollback()
        _attach(form, err)
        return _page(_lot(lot_id), _status(err), {("edit", household_id): form}, f"edit-{household_id}")
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("sell_lots.lot", lot_id=lot.id) + f"#hh-{hh.id}")


@bp.post(f"/{LOT_ID}/households/{HH_ID}/remove")
@seller_required
def remove_household(lot_id: int, household_id: int):
    lot = _lot(lot_id)
    hh = service.household_of(lot, household_id)
    if not ActionForm().validate_on_submit():
        return _csrf_failed(lot)
    name = hh.name
    try:
        service.remove_household(hh)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return _page(_lot(lot_id), err.status)
    db.session.commit()
    flash(_("%(name)s was removed from the lot.", name=name), "info")
    return redirect(url_for("sell_lots.lot", lot_id=lot.id))


@bp.post(f"/{LOT_ID}/households/{HH_ID}/contributions")
@seller_required
def add_contribution(lot_id: int, household_id: int):
    lot = _lot(lot_id)
    hh = service.household_of(lot, household_id)
    form = ContributionForm(prefix=f"more{hh.id}")
    if not form.validate_on_submit():
        return _csrf_failed(lot)
    try:
        c = service.add_contribution(hh, _raw(form))
    except DomainError as err:
        db.session.rollback()
        _attach(form, err)
        return _page(_lot(lot_id), _status(err), {("more", household_id): form}, f"more-{household_id}")
    db.session.commit()
    flash(_("Added %(kg)s for %(name)s.", kg=_kg_text(c.grams), name=hh.name), "success")
    return redirect(url_for("sell_lots.lot", lot_id=lot.id) + f"#hh-{hh.id}")


@bp.post(f"/{LOT_ID}/contributions/{C_ID}")
@seller_required
def change_contribution(lot_id: int, contribution_id: int):
    lot = _lot(lot_id)
    c = service.contribution_of(lot, contribution_id)
    form = ContributionForm(prefix=f"c{c.id}")
    if not form.validate_on_submit():
        return _csrf_failed(lot)
    try:
        service.change_contribution(c, _raw(form))
    except DomainError as err:
        db.session.rollback()
        _attach(form, err)
        return _page(_lot(lot_id), _status(err), {("change", contribution_id): form}, f"change-{contribution_id}")
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("sell_lots.lot", lot_id=lot.id) + f"#hh-{c.household_id}")


@bp.post(f"/{LOT_ID}/contributions/{C_ID}/remove")
@seller_required
def remove_contribution(lot_id: int, contribution_id: int):
    lot = _lot(lot_id)
    c = service.contribution_of(lot, contribution_id)
    if not ActionForm().validate_on_submit():
        return _csrf_failed(lot)
    household_id = c.household_id
    try:
        service.remove_contribution(c)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return _page(_lot(lot_id), err.status)
    db.session.commit()
    flash(_("The contribution was removed."), "info")
    return redirect(url_for("sell_lots.lot", lot_id=lot.id) + f"#hh-{household_id}")


@bp.post(f"/{LOT_ID}/shipping")
@seller_required
def shipping(lot_id: int):
    lot = _lot(lot_id)
    form = ShippingForm()
    if not form.validate_on_submit():
        return _csrf_failed(lot)
    try:
        service.set_shipping(lot, form.shipping_vnd_per_kg.data)
    except DomainError as err:
        db.session.rollback()
        _attach(form, err)
        return _page(_lot(lot_id), _status(err), {"shipping": form}, "shipping")
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("sell_lots.lot", lot_id=lot.id))


def _status(err: DomainError) -> int:
    return 409 if err.status == 409 else 400


def _csrf_failed(lot, **_forms):
    db.session.rollback()
    user_abort(400, _("This form has expired or was not sent from our site. Reload the page and try again."))


def _kg_text(grams: int) -> str:
    from market.catalog.weight import format_kg

    return format_kg(grams)


# ---- the payout report -------------------------------------------------------------------------------------


def _report(lot_id: int):
    lot = _lot(lot_id)
    try:
        start, end = payout.parse_period(lot, request.args.get("from"), request.args.get("to"))
    except DomainError as err:
        user_abort(400, err.message)
    return payout.payout(lot, start, end)


@bp.get(f"/{LOT_ID}/payout")
@seller_required
def payout_page(lot_id: int):
    report = _report(lot_id)
    return render_template("coop/payout.html", report=report, lot=report.lot)


@bp.get(f"/{LOT_ID}/payout.csv")
@seller_required
def payout_csv(lot_id: int):
    report = _report(lot_id)
    name = f"payout-lot-{report.lot.id}-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    return Response(
        payout.payout_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
