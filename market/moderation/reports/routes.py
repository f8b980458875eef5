"""What everyone else sees of moderation: the report form, "My reports", and staff decisions about one's shop."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market import ratelimit
from market.domain import DomainError
from market.errors import user_abort
from market.extensions import db
from market.forms import attach_error
from market.moderation import audit, reports_bp
from market.moderation.forms import ReportForm
from market.moderation.models import Report
from market.moderation.reports.service import category_label, create_report, reports_of, resolve_target, status_label

REPORTS_PER_DAY = "20/day"
SELLER_DECISIONS = ("seller.approve", "seller.suspend", "seller.restore", "seller.kol_grant", "seller.kol_revoke",
                    "seller.assisted_register")


@reports_bp.route("/report", methods=["GET", "POST"])
@login_required
def new_report():
    """``/report?type=product|shop|order|chat&id=…``: a buyer tells staff something is wrong."""
    type_name, raw_id = request.args.get("type"), request.args.get("id")
    ttype, target = resolve_target(type_name, raw_id, current_user)  # 400 unknown type, 404 no such target
    form = ReportForm(categories=[(c, category_label(c)) for c in ttype.categories])
    status = 200
    if form.validate_on_submit():
        if not ratelimit.hit(REPORTS_PER_DAY, "report", str(current_user.id)):
            user_abort(429, _("You have sent many reports today. Please try again tomorrow."))
        try:
            create_report(current_user, type_name, raw_id, form.category.data, form.text.data)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
            status = err.status
        else:
            db.session.commit()
            flash(_("Thank you. Commune staff will look at your report; you will see the outcome here."), "success")
            return redirect(url_for("reports.mine"))
    if status == 200 and (form.errors or form.form_errors):
        status = 400
    return render_template("moderation/report_form.html", form=form, ttype=ttype, target=target), status


@reports_bp.get("/reports")
@login_required
def mine():
    return render_template("moderation/my_reports.html", reports=reports_of(current_user),
                           status_label=status_label, category_label=category_label)


def has_reports(user) -> bool:
    return db.session.scalar(sa.select(Report.id).where(Report.reporter_id == user.id).limit(1)) is not None


def seller_decisions(profile) -> dict:
    """For the seller's shop page: staff decisions about the shop (with reasons) and who helped set it up."""
    from market.moderation.sellers.service import assisted_record

    entries = audit.entries_for_object("seller", profile.id, SELLER_DECISIONS, limit=10)
    return {"entries": entries, "action_label": audit.action_label, "assisted": assisted_record(profile.id)}
