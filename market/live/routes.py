"""Live pages: the list, scheduling, the buyer's watch page and the host console. The live part itself runs
over the /live socket (events.py); these views render the first state and take the few plain forms."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market import ratelimit
from market.domain import DomainError
from market.errors import user_abort
from market.extensions import db
from market.forms import attach_error
from market.i18n import number as format_number
from market.live import access, bp, report, sheet, snapshot, streams
from market.live.forms import EditSessionForm, SessionForm
from market.live.models import LiveSession, SessionStatus
from market.live.offers import host_products, session_offers, sold_in
from market.live.sessions import (
    SessionFields,
    check_session_fields,
    end_session,
    listing,
    next_session,
    schedule_session,
    start_session,
    update_session,
)
from market.orders.phone import methods_for

HOST_REFRESH_RATE = "40/minute"  # the console asks every 15 s, and at most every 4 s after a change it hears of


def _local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _fields(form: SessionForm) -> SessionFields:
    when = form.scheduled_at.data if "scheduled_at" in form else None
    return SessionFields(
        title=form.title.data or "",
        description=form.description.data or "",
        stream_url=form.stream_url.data,
        scheduled_at=when.replace(tzinfo=_local_tz()) if when else None,
        cover_product_id=form.cover_product_id.data or None,
        replay_url=getattr(form, "replay_url", None) and form.replay_url.data,
        chot_enabled=bool(form.chot_enabled.data),
    )


def _session_or_404(session_id: int):
    return db.session.get(LiveSession, session_id) or abort(404)


@bp.get("/live")
def index():
    data = listing(upcoming_limit=20, ended_limit=12)
    return render_template("live/index.html", **data, may_host=access.may_host(current_user))


@bp.route("/live/new", methods=["GET", "POST"])
@login_required
def new():
    if not access.may_host(current_user):
        user_abort(
            403, _("Only sellers verified as their commune's KOL can host live sessions. Ask your commune's staff.")
        )
    form = SessionForm(products=host_products(current_user.seller_profile.id), link_required=not streams.own_video())
    if form.validate_on_submit():
        try:
            session = schedule_session(current_user, _fields(form))
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            db.session.commit()
            flash(_("Your live session is scheduled. Share its page with your buyers."), "success")
            return redirect(url_for("live.host", session_id=session.id))
    return render_template("live/edit.html", form=form, session=None), 400 if form.errors else 200


@bp.route("/live/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit(session_id: int):
    session = _session_or_404(session_id)
    if not access.is_host(session, current_user):
        abort(404)
    form = EditSessionForm(
        obj=session, products=host_products(session.seller_id), link_required=not streams.own_video()
    )
    if session.status != SessionStatus.SCHEDULED:
        del form.scheduled_at  # on air or over: the date is history, the page does not ask for it
    elif not form.is_submitted():
        form.scheduled_at.data = session.scheduled_at.astimezone(_local_tz()).replace(tzinfo=None)
    if not form.is_submitted():
        form.cover_product_id.data = session.cover_product_id or 0
    failed = False
    if form.is_submitted():
        failed = not form.validate()
        try:
            if failed:  # the service's checks too, so every field's error shows at once
                check_session_fields(session, current_user, _fields(form))
            else:
                update_session(session, current_user, _fields(form))
        except DomainError as err:
            failed = True
            attach_error(form, err)
        if not failed:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("live.host", session_id=session.id))
        db.session.rollback()
    return render_template("live/edit.html", form=form, session=session), 400 if failed else 200


@bp.get("/live/<int:session_id>")
def watch(session_id: int):
    session = _session_or_404(session_id)
    if session.status == SessionStatus.ENDED:  # no chat, no hearts, no socket: the replay and what sold
        return render_template(
            "live/ended.html",
            session=session,
            replay=streams.stream_info(session.replay_url, autoplay=False),
            sold=sold_in(session),
            next_session=next_session(session),
            cover_photo=snapshot.cover_photo(session),
            is_host=access.is_host(session, current_user),
        )
    offers = snapshot.open_offers(session.id)
    chat = snapshot.recent_chat(session)
    return render_template(
        "live/watch.html",
        session=session,
        offers=offers,
        chat=chat,
        stream=streams.stream_info(session.stream_url),
        own_video=streams.own_video(),
        replay=streams.stream_info(session.replay_url),
        cover_photo=snapshot.cover_photo(session),
        is_host=access.is_host(session, current_user),
        can_moderate=access.can_moderate(session, current_user),
        sheet=sheet.page_data(session, current_user),
    )


@bp.get("/live/<int:session_id>/host")
@login_required
def host(session_id: int):
    session = _session_or_404(session_id)
    if not access.can_moderate(session, current_user):
        abort(404)
    is_host = access.is_host(session, current_user)
    return render_template(
        "live/host.html",
        session=session,
        is_host=is_host,
        stream=streams.stream_info(session.stream_url),
        own_video=streams.own_video(),
        offers=session_offers(session),
        products=host_products(session.seller_id) if is_host else [],
        phone_methods=methods_for(session.seller_id),
        orders=report.session_orders(session),
        money=report.money(session.id),
        chat=snapshot.recent_chat(session),
    )


def _moderated_session_or_404(session_id: int):
    """The host's or her commune staff's session; anyone else (another seller, another commune's staff) 404."""
    session = _session_or_404(session_id)
    if not access.can_moderate(session, current_user):
        abort(404)
    return session


@bp.get("/live/<int:session_id>/host/orders")
@login_required
def host_orders(session_id: int):
    """The console's totals and order list, fetched again by live-host.js when orders change (a light refresh:
    payments and hold expiry change states outside the live room)."""
    session = _moderated_session_or_404(session_id)
    if not ratelimit.hit(HOST_REFRESH_RATE, "live-host-orders", str(current_user.id)):
        user_abort(429, _("You are going a little fast. Wait a moment and try again."))
    return render_template(
        "live/_host_money.html", session=session, money=report.money(session.id), orders=report.session_orders(session)
    )


@bp.get("/live/<int:session_id>/report")
@login_required
def report_page(session_id: int):
    session = _moderated_session_or_404(session_id)
    data = report.session_report(session)
    return render_template(
        "live/report.html",
        session=session,
        report=data,
        charts=_report_charts(data),
        is_host=access.is_host(session, current_user),
    )


@bp.get("/live/<int:session_id>/report.csv")
@login_required
def report_csv(session_id: int):
    session = _moderated_session_or_404(session_id)
    body = report.report_csv(report.session_report(session))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="live-{session.id}-report.csv"'},
    )


def _report_charts(data: report.Report) -> dict:
    from market import charts
    from market.i18n import vnd

    m = data.this.money
    funnel = [
        (_("Taps"), data.this.taps, format_number(data.this.taps)),
        (_("Reserved"), m.placed.orders, format_number(m.placed.orders)),
        (_("Confirmed"), m.confirmed.orders, format_number(m.confirmed.orders)),
        (_("Delivered"), m.delivered.orders, format_number(m.delivered.orders)),
        (_("Expired"), m.expired.orders, format_number(m.expired.orders)),
        (_("Cancelled"), m.cancelled.orders, format_number(m.cancelled.orders)),
    ]
    sessions = [*reversed(data.previous), data.this]  # oldest first, this one last
    return {
        "funnel": charts.rows(funnel),
        "products": charts.rows(
            [(line.title, line.confirmed_vnd, vnd(line.confirmed_vnd)) for line in data.products[:10]]
        ),
        "sessions": charts.columns(
            [(f"#{f.session.id}", f.money.confirmed.vnd, vnd(f.money.confirmed.vnd)) for f in sessions], ticks=6
        ),
    }


@bp.post("/live/<int:session_id>/start")
@login_required
def start(session_id: int):
    return _host_action(session_id, start_session, _("You are on air. Pin your first product!"))


@bp.post("/live/<int:session_id>/end")
@login_required
def end(session_id: int):
    return _host_action(session_id, end_session, _("The session has ended. Unsold units are back in stock."))


def _host_action(session_id: int, action, done_message: str):
    session = _session_or_404(session_id)
    if not access.is_host(session, current_user):
        abort(404)
    try:
        action(session, current_user)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for("live.host", session_id=session.id))
