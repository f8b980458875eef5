"""Staff pages (``/staff/…``). Every view is thin: load in scope, call a service, commit once, render.

The blueprint's ``before_request`` has already refused anonymous visitors (login), buyers and sellers (403).
Objects of another commune are loaded with ``get_in_scope`` and answer 404.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market import charts
from market.accounts import service as accounts
from market.accounts.models import Commune, SellerProfile, SellerStatus, StaffAssignment, User
from market.domain import DomainError, NotFound
from market.extensions import db
from market.forms import attach_error
from market.moderation import audit, bp, staff_tabs
from market.moderation.dashboard import service as dashboard
from market.moderation.forms import (
    ActionForm,
    AssignStaffForm,
    AssistedSellerForm,
    BanForm,
    CloseReportForm,
    OptionalReasonForm,
    SuspendForm,
)
from market.moderation.models import OPEN_REPORT_STATUSES, Report, ReportStatus
from market.moderation.reports import service as reports
from market.moderation.scope import (
    admin_required,
    check_commune,
    communes_for,
    communes_in_scope,
    get_in_scope,
    get_user_in_scope,
    parse_id,
    scoped,
    user_footprint,
    users_in_scope,
)
from market.moderation.sellers import service
from market.ui import slot_entries

PAGE_SIZE = 50
MAX_PAGE = 10_000


def page_url(page: int) -> str:
    """This list at another page, its filters kept; query words that are url_for's own (``_external``,
    ``_method`` …) are dropped, since a visitor's ``?_scheme=x`` would make url_for raise."""
    args = {k: v for k, v in request.args.items() if not k.startswith("_") and k != "endpoint"}
    return url_for(request.endpoint, **{**(request.view_args or {}), **args, "page": page})


@bp.context_processor
def staff_context():
    from market.catalog import service as catalog

    # status_label, category_label and action_label are the staff area's own (reports, audit); a listing's
    # labels get their own names here, since the catalog's template globals of the same names are shadowed.
    return {"staff_tabs": lambda: staff_tabs(current_user), "page_url": page_url, "status_label": reports.status_label,
            "category_label": reports.category_label, "action_label": audit.action_label,
            "kind_label": audit.kind_label,
            "listing_status_label": catalog.status_label, "listing_event_label": catalog.action_label,
            "product_category_label": catalog.category_label}


def _page() -> int:
    page = parse_id(request.args.get("page")) or 1
    return min(page, MAX_PAGE)


def _paginate(stmt: sa.Select) -> tuple[list, int, bool]:
    page = _page()
    rows = list(db.session.scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE


def _commune_arg(name: str = "commune") -> int | None:
    """A commune chosen in a filter; one outside the user's communes is a 404 (never silently widened)."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    commune_id = parse_id(raw)
    if commune_id is None or db.session.get(Commune, commune_id) is None:
        raise NotFound(_("This page does not exist or has been removed."))
    check_commune(current_user, commune_id)
    return commune_id


# ---- desk -------------------------------------------------------------------------------------------------

@bp.get("/")
def home():
    pending = db.session.scalar(scoped(sa.select(sa.func.count(SellerProfile.id)), SellerProfile, current_user)
                                .where(SellerProfile.status == SellerStatus.PENDING))
    open_reports = db.session.scalar(scoped(sa.select(sa.func.count(Report.id)), Report, current_user)
                                     .where(Report.status.in_(OPEN_REPORT_STATUSES)))
    return render_template("moderation/home.html", pending_sellers=pending, open_reports=open_reports,
                           communes=communes_in_scope(current_user),
                           extra=slot_entries("staff.home", user=current_user))


# ---- sellers ----------------------------------------------------------------------------------------------

SELLER_FILTERS = {"pending": SellerProfile.status == SellerStatus.PENDING,
                  "approved": SellerProfile.status == SellerStatus.APPROVED,
                  "suspended": SellerProfile.status == SellerStatus.SUSPENDED,
                  "kol": SellerProfile.is_kol.is_(True)}


@bp.get("/sellers")
def sellers():
    status = request.args.get("status") or "pending"
    if status not in SELLER_FILTERS and status != "all":
        status = "pending"
    stmt = scoped(sa.select(SellerProfile), SellerProfile, current_user)
    if status != "all":
        stmt = stmt.where(SELLER_FILTERS[status])
    commune_id = _commune_arg()
    if commune_id:
        stmt = stmt.where(SellerProfile.commune_id == commune_id)
    rows, page, more = _paginate(stmt.order_by(SellerProfile.created_at, SellerProfile.id))
    return render_template("moderation/sellers.html", profiles=rows, status=status, page=page, more=more,
                           communes=communes_in_scope(current_user), commune_id=commune_id)


def _seller_page(profile: SellerProfile, status: int = 200, **forms):
    forms.setdefault("suspend_form", SuspendForm(prefix="suspend"))
    forms.setdefault("restore_form", OptionalReasonForm(prefix="restore"))
    forms.setdefault("revoke_form", OptionalReasonForm(prefix="revoke"))
    return render_template(
        "moderation/seller.html", profile=profile, action_form=ActionForm(),
        kols=[k for k in service.kols_of(profile.commune_id) if k.id != profile.id],
        history=audit.entries_for_object("seller", profile.id, limit=30),
        assisted=service.assisted_record(profile.id), **forms,
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
    return _seller_action(profile_id, service.suspend_seller, SuspendForm(prefix="suspend"), "suspend_form",
                          _("The shop is suspended; the seller sees your reason."))


@bp.post("/sellers/<int:profile_id>/restore")
def seller_restore(profile_id: int):
    return _seller_action(profile_id, service.restore_seller, OptionalReasonForm(prefix="restore"), "restore_form",
                          _("The shop is open again."))


@bp.post("/sellers/<int:profile_id>/kol")
def seller_kol_grant(profile_id: int):
    return _seller_action(profile_id, service.grant_kol, message=_("The KOL badge is granted."))


@bp.post("/sellers/<int:profile_id>/kol/revoke")
def seller_kol_revoke(profile_id: int):
    return _seller_action(profile_id, service.revoke_kol, OptionalReasonForm(prefix="revoke"), "revoke_form",
                          _("The KOL badge is revoked."))


# ---- people and bans ----------------------------------------------------------------------------------------

@bp.get("/users")
def users():
    q = (request.args.get("q") or "").strip()[:80]
    found: list[User] = []
    if q:
        stmt = sa.select(User).where(users_in_scope(current_user))
        try:
            stmt = stmt.where(User.phone == accounts.normalize_phone(q))
        except DomainError:
            stmt = stmt.where(User.display_name.ilike(f"%{q.replace('%', '').replace('_', '')}%"))
        found = list(db.session.scalars(stmt.order_by(User.display_name).limit(PAGE_SIZE)))
    banned = list(db.session.scalars(sa.select(User).where(users_in_scope(current_user), User.banned_at.is_not(None))
                                     .order_by(User.banned_at.desc()).limit(PAGE_SIZE)))
    return render_template("moderation/users.html", q=q, found=found, banned=banned)


def _user_page(target: User, status: int = 200, **forms):
    forms.setdefault("ban_form", BanForm(prefix="ban"))
    forms.setdefault("unban_form", OptionalReasonForm(prefix="unban"))
    footprint = user_footprint(target.id)
    communes = [c for c in communes_in_scope(current_user) if c.id in footprint]
    return render_template("moderation/user.html", target=target, communes=communes,
                           history=audit.entries_for_object("user", target.id, limit=30), **forms), status


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _user_page(get_user_in_scope(user_id, current_user))


def _user_action(user_id: int, action, form, form_name: str, message: str):
    target = get_user_in_scope(user_id, current_user)
    if not form.validate_on_submit():
        return _user_page(target, 400, **{form_name: form})
    try:
        action(target, current_user, form.reason.data)
    except DomainError as err:
        db.session.rollback()
        if err.field:
            attach_error(form, err)
            return _user_page(target, err.status, **{form_name: form})
        flash(err.message, "error")
        return _user_page(target, err.status)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("staff.user", user_id=target.id))


@bp.post("/users/<int:user_id>/ban")
def user_ban(user_id: int):
    return _user_action(user_id, service.ban_user, BanForm(prefix="ban"), "ban_form",
                        _("The account is blocked; every login of it has ended."))


@bp.post("/users/<int:user_id>/unban")
def user_unban(user_id: int):
    return _user_action(user_id, service.unban_user, OptionalReasonForm(prefix="unban"), "unban_form",
                        _("The account is unblocked; the person can log in again."))


# ---- reports ----------------------------------------------------------------------------------------------

REPORT_FILTERS = {"open": Report.status.in_(OPEN_REPORT_STATUSES),
                  "resolved": Report.status == ReportStatus.RESOLVED,
                  "dismissed": Report.status == ReportStatus.DISMISSED}


@bp.get("/reports", endpoint="reports")
def reports_queue():
    status = request.args.get("status") or "open"
    if status not in REPORT_FILTERS and status != "all":
        status = "open"
    stmt = scoped(sa.select(Report), Report, current_user)
    if status != "all":
        stmt = stmt.where(REPORT_FILTERS[status])
    commune_id = _commune_arg()
    if commune_id:
        stmt = stmt.where(Report.commune_id == commune_id)
    rows, page, more = _paginate(stmt.order_by(Report.created_at, Report.id))
    return render_template("moderation/reports.html", reports=rows, status=status, page=page, more=more,
                           communes=communes_in_scope(current_user), commune_id=commune_id)



def _report_page(report: Report, status: int = 200, close_form=None):
    target = reports.current_target(report, current_user)
    return render_template("moderation/report.html", report=report, target=target,
                           staff_url=reports.staff_url(report, target), action_form=ActionForm(),
                           close_form=close_form or CloseReportForm(prefix="close"),
                           history=audit.entries_for_object("report", report.id)), status


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


# ---- assisted mode ----------------------------------------------------------------------------------------

@bp.route("/assisted/new", methods=["GET", "POST"])
def assisted_new():
    communes = communes_in_scope(current_user)
    form = AssistedSellerForm(communes=communes)
    if request.method == "GET" and len(communes) == 1:
        form.commune_id.data = communes[0].id
    if form.validate_on_submit():
        if not form.consent.data:
            form.consent.errors = [_("The villager must agree before you create a shop for them.")]
        else:
            try:
                profile = service.register_assisted_seller(
                    current_user, phone=form.phone.data, name=form.display_name.data, shop_name=form.shop_name.data,
                    commune_id=form.commune_id.data, story=form.story.data, consent=True)
            except DomainError as err:
                db.session.rollback()
                attach_error(form, err)
            else:
                db.session.commit()
                flash(_("The shop of %(name)s is open. You can now act for them.", name=profile.user.display_name),
                      "success")
                return redirect(url_for("staff.seller", profile_id=profile.id))
    status = 400 if (form.errors or form.form_errors) else 200
    return render_template("moderation/assisted.html", form=form), status


# ---- audit log --------------------------------------------------------------------------------------------

def _audit_filter() -> tuple[audit.AuditFilter, dict]:
    args = request.args
    errors: dict[str, str] = {}
    action = args.get("action") or None
    if action and action not in dict(audit.actions()):
        errors["action"] = _("Choose a value from the list.")
        action = None
    start = end = None
    try:
        start = dashboard.parse_day(args.get("start"), None, "start")
        end = dashboard.parse_day(args.get("end"), None, "end")
        if start and end and start > end:
            raise DomainError("invalid", _("The start date must be on or before the end date."), field="start")
    except DomainError as err:
        errors[err.field or "start"] = err.message
        start = end = None
    return audit.AuditFilter(action=action, actor_id=parse_id(args.get("actor")), commune_id=_commune_arg(),
                             start=start, end=end, object_type=(args.get("type") or None),
                             object_id=parse_id(args.get("object"))), errors


@bp.get("/audit", endpoint="audit")
def audit_log():
    f, errors = _audit_filter()
    rows, page, more = _paginate(audit.query(current_user, f))
    return render_template("moderation/audit.html", entries=rows, f=f, errors=errors, page=page, more=more,
                           actions=audit.actions(), actors=audit.actors_seen(current_user),
                           communes=communes_in_scope(current_user), zone=audit.local_zone()), \
        400 if errors else 200


@bp.get("/audit.csv")
def audit_csv():
    f, errors = _audit_filter()
    if errors:
        raise DomainError("invalid", next(iter(errors.values())))
    body = audit.export_csv(current_user, f)
    # Filed under the commune exported (or the staff member's only commune), so their colleagues see it too.
    own = communes_for(current_user)
    audit.record("audit.export", commune_id=f.commune_id or (next(iter(own)) if own and len(own) == 1 else None),
                 details={k: str(v) for k, v in vars(f).items() if v is not None})
    db.session.commit()
    return _csv(body, f"audit-{date.today().isoformat()}.csv")


def _csv(body: str, filename: str) -> Response:
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


# ---- dashboard --------------------------------------------------------------------------------------------

def _dashboard_args():
    communes = communes_in_scope(current_user)
    commune_id = _commune_arg()
    if commune_id is None:
        if not communes:
            raise DomainError("invalid", _("You are not staff of any commune."), status=403)
        commune_id = communes[0].id
    commune = next(c for c in communes if c.id == commune_id)
    rng = dashboard.parse_range(request.args.get("start"), request.args.get("end"))
    return communes, commune, rng


@bp.get("/dashboard", endpoint="dashboard")
def dashboard_page():
    communes = communes_in_scope(current_user)
    try:
        communes, commune, rng = _dashboard_args()
    except DomainError as err:
        if err.status != 400:
            raise
        return render_template("moderation/dashboard.html", error=err, communes=communes, fig=None, commune=None,
                               rng=None), 400
    fig = dashboard.figures(commune.id, rng)
    return render_template("moderation/dashboard.html", fig=fig, commune=commune, communes=communes, rng=rng,
                           charts=_charts(fig), error=None)



def _charts(fig: dashboard.Figures) -> dict:
    from market.i18n import vnd
    from market.orders.service import status_label

    fmt = "%m/%Y" if fig.series_by_month else "%d/%m"
    return {
        "series": charts.columns([(d.strftime(fmt), v, vnd(v)) for d, v in fig.series]),
        "statuses": charts.rows([(status_label(s), n, str(n)) for s, n in fig.orders_by_status.items()]),
        "top": charts.rows([(p.title, p.value_vnd, vnd(p.value_vnd)) for p in fig.top_products]),
        "payment": charts.split([(_("Paid online"), fig.payment.online_vnd, vnd(fig.payment.online_vnd)),
                                 (_("Cash on delivery"), fig.payment.cash_vnd, vnd(fig.payment.cash_vnd)),
                                 (_("Unknown"), fig.payment.unknown_vnd, vnd(fig.payment.unknown_vnd))]),
    }


@bp.get("/dashboard.csv")
def dashboard_csv():
    _communes, commune, rng = _dashboard_args()
    fig = dashboard.figures(commune.id, rng)
    body = audit.csv_text([_("Section"), _("Figure"), _("Value")], dashboard.figures_rows(fig))
    audit.record("dashboard.export", commune, details={"start": rng.start.isoformat(), "end": rng.end.isoformat()})
    db.session.commit()
    return _csv(body, f"{commune.slug}-{rng.start.isoformat()}-{rng.end.isoformat()}.csv")


@bp.get("/overview")
@admin_required
def overview():
    from market.i18n import vnd

    rng = dashboard.parse_range(request.args.get("start"), request.args.get("end"))
    rows = dashboard.overview(communes_in_scope(current_user), rng)
    if request.args.get("format") == "csv":
        body = audit.csv_text(
            [_("Commune"), _("Province"), _("Delivered value (đồng)"), _("Delivered orders"), _("Orders placed"),
             _("Active sellers"), _("Listings on sale"), _("Average rating"), _("Ratings"), _("Live sessions held"),
             _("Peak viewers")],
            [(r.commune.name, r.commune.province, r.delivered_value_vnd, r.delivered_orders, r.orders_placed,
              r.active_sellers, r.listings_on_sale, "" if r.rating.average is None else f"{r.rating.average:.2f}",
              r.rating.count, r.live.sessions_held, r.live.peak_viewers) for r in rows])
        audit.record("dashboard.export", details={"scope": "all", "start": rng.start.isoformat(),
                                                  "end": rng.end.isoformat()})
        db.session.commit()
        return _csv(body, f"communes-{rng.start.isoformat()}-{rng.end.isoformat()}.csv")
    top = max([r.delivered_value_vnd for r in rows] + [0])
    return render_template("moderation/overview.html", rows=rows, rng=rng, top=top,
                           chart=charts.rows([(r.commune.name, r.delivered_value_vnd, vnd(r.delivered_value_vnd))
                                              for r in rows]))


# ---- staff assignments (admin) ----------------------------------------------------------------------------

def _admin_staff_page(form=None, status: int = 200):
    communes = communes_in_scope(current_user)
    form = form or AssignStaffForm(communes=communes)
    assignments = list(db.session.scalars(
        sa.select(StaffAssignment).join(User, User.id == StaffAssignment.user_id)
        .order_by(StaffAssignment.commune_id, User.display_name)))
    return render_template("moderation/admin_staff.html", form=form, assignments=assignments,
                           action_form=ActionForm()), status


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
    flash(_("%(name)s is now staff of %(commune)s.", name=assignment.user.display_name,
            commune=assignment.commune.name), "success")
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
