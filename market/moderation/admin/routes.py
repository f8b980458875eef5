"""The admins' tabs (``@admin_required``): ``/staff/overview``, the dashboard's figures for every commune (and as
CSV), and ``/staff/admin/staff…``, who is staff of which commune."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market import charts
from market.accounts.models import StaffAssignment
from market.domain import DomainError
from market.extensions import db
from market.forms import attach_error
from market.moderation import bp
from market.moderation.admin import service
from market.moderation.admin.forms import AssignStaffForm
from market.moderation.dashboard import service as dashboard
from market.moderation.forms import ActionForm
from market.moderation.scope import admin_required, communes_in_scope, get_in_scope
from market.moderation.views import csv_response


@bp.get("/overview")
@admin_required
def overview():
    from market.i18n import vnd

    rng = dashboard.parse_range(request.args.get("start"), request.args.get("end"))
    rows = dashboard.overview(communes_in_scope(current_user), rng)
    if request.args.get("format") == "csv":
        body = dashboard.overview_csv(rows, rng)
        db.session.commit()
        return csv_response(body, f"communes-{rng.start.isoformat()}-{rng.end.isoformat()}.csv")
    top = max([r.delivered_value_vnd for r in rows] + [0])
    return render_template(
        "moderation/overview.html",
        rows=rows,
        rng=rng,
        top=top,
        chart=charts.rows([(r.commune.name, r.delivered_value_vnd, vnd(r.delivered_value_vnd)) for r in rows]),
    )


# ---- staff assignments ----------------------------------------------------------------------------------------


def _admin_staff_page(form=None, status: int = 200):
    communes = communes_in_scope(current_user)
    form = form or AssignStaffForm(communes=communes)
    return render_template(
        "moderation/admin_staff.html", form=form, assignments=service.assignments(), action_form=ActionForm()
    ), status


@bp.get("/admin/staff")
@admin_required
def admin_staff():
    return _admin_staff_page()


@bp.post("/admin/staff")
@admin_required
def admin_staff_assign():
    form = AssignStaffForm(communes=communes_in_scope(current_user))
    if not form.validate_on_submit():
        return _admin_staff_page(form, 400)
    try:
        assignment = service.assign_staff_by_phone(form.phone.data, form.commune_id.data, current_user)
    except DomainError as err:
        db.session.rollback()
        attach_error(form, err)
        return _admin_staff_page(form, err.status)
    db.session.commit()
    flash(
        _("%(name)s is now staff of %(commune)s.", name=assignment.user.display_name, commune=assignment.commune.name),
        "success",
    )
    return redirect(url_for("staff.admin_staff"))


@bp.post("/admin/staff/<int:assignment_id>/remove")
@admin_required
def admin_staff_remove(assignment_id: int):
    assignment = get_in_scope(StaffAssignment, assignment_id, current_user)
    if not ActionForm().validate_on_submit():
        return _admin_staff_page(status=400)
    name, commune = assignment.user.display_name, assignment.commune.name
    service.unassign_staff(assignment, current_user)
    db.session.commit()
    flash(_("%(name)s is no longer staff of %(commune)s.", name=name, commune=commune), "success")
    return redirect(url_for("staff.admin_staff"))
