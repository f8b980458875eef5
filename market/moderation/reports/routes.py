"""Reports, both sides: staff's queue and a report's page (``/staff/reports…``, blueprint ``staff``: take it,
close it with a note), and the reporter's (blueprint ``reports``: the report form ``/report`` and "My reports"
``/reports``, for anyone logged in)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market import ratelimit
from market.domain import DomainError
from market.errors import user_abort
from market.extensions import db
from market.forms import attach_error
from market.moderation import audit, bp, reports_bp
from market.moderation.forms import ActionForm
from market.moderation.models import Report
from market.moderation.reports import service as reports
from market.moderation.reports.forms import CloseReportForm, ReportForm
from market.moderation.scope import communes_in_scope, get_in_scope
from market.moderation.views import commune_arg, paginate

REPORTS_PER_DAY = "20/day"


# ---- staff --------------------------------------------------------------------------------------------------


@bp.get("/reports", endpoint="reports")
def reports_queue():
    status = reports.list_status(request.args.get("status"))
    commune_id = commune_arg()
    rows, page, more = paginate(reports.queue(current_user, status, commune_id))
    return render_template(
        "moderation/reports.html",
        reports=rows,
        status=status,
        page=page,
        more=more,
        communes=communes_in_scope(current_user),
        commune_id=commune_id,
    )


def _report_page(report: Report, status: int = 200, close_form=None):
    target = reports.current_target(report, current_user)
    return render_template(
        "moderation/report.html",
        report=report,
        target=target,
        staff_url=reports.staff_url(report, target),
        action_form=ActionForm(),
        close_form=close_form or CloseReportForm(prefix="close"),
        history=audit.entries_for_object("report", report.id),
    ), status


@bp.get("/reports/<int:report_id>")
def report(report_id: int):
    return _report_page(get_in_scope(Report, report_id, current_user))


@bp.post("/reports/<int:report_id>/take")
def report_take(report_id: int):
    report_ = get_in_scope(Report, report_id, current_user, for_update=True)
    if not ActionForm().validate_on_submit():
        return _report_page(report_, 400)
    try:
        reports.take_report(report_, current_user)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return _report_page(report_, err.status)
    db.session.commit()
    return redirect(url_for("staff.report", report_id=report_.id))


@bp.post("/reports/<int:report_id>/close")
def report_close(report_id: int):
    report_ = get_in_scope(Report, report_id, current_user, for_update=True)
    form = CloseReportForm(prefix="close")
    if not form.validate_on_submit():
        return _report_page(report_, 400, form)
    try:
        reports.close_report(report_, current_user, form.outcome.data, form.note.data)
    except DomainError as err:
        db.session.rollback()
        attach_error(form, err)
        return _report_page(report_, err.status, form)
    db.session.commit()
    flash(_("The report is closed; the person who reported it sees your note."), "success")
    return redirect(url_for("staff.reports", status="open"))


# ---- the person reporting -------------------------------------------------------------------------------------


@reports_bp.route("/report", methods=["GET", "POST"])
@login_required
def new_report():
    """``/report?type=product|shop|order|chat&id=…``: a buyer tells staff something is wrong."""
    type_name, raw_id = request.args.get("type"), request.args.get("id")
    ttype, target = reports.resolve_target(type_name, raw_id, current_user)  # 400 unknown type, 404 no such target
    form = ReportForm(categories=[(c, reports.category_label(c)) for c in ttype.categories])
    status = 200
    if form.validate_on_submit():
        if not ratelimit.hit(REPORTS_PER_DAY, "report", str(current_user.id)):
            user_abort(429, _("You have sent many reports today. Please try again tomorrow."))
        try:
            reports.create_report(current_user, type_name, raw_id, form.category.data, form.text.data)
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
    return render_template(
        "moderation/my_reports.html",
        reports=reports.reports_of(current_user),
        status_label=reports.status_label,
        category_label=reports.category_label,
    )
