"""The seller's orders: list by status and live session, batch moves, packing list and CSV per live session."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.domain import DomainError, parse_id
from market.errors import user_abort
from market.extensions import db
from market.orders import fulfilment, sell_bp
from market.orders.forms import ShipForm
from market.orders.sessions import session_exists
from market.orders.states import OrderStatus


def _profile():
    profile = current_user.seller_profile
    if profile is None or not current_user.is_seller:
        user_abort(403, _("Only an approved shop has orders to fulfil."))
    return profile


def _packing_list(profile, session_id: int) -> fulfilment.PackingList:
    """The seller's part of a live session; a session that does not exist is a 404, not an empty list."""
    if not session_exists(session_id):
        user_abort(404, _("This live session does not exist."))
    return fulfilment.packing_list(profile.id, session_id)


@sell_bp.get("")
@login_required
def index():
    profile = _profile()
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in OrderStatus}:
        user_abort(400, _("This is not an order status."))
    live = parse_id(request.args.get("live"))
    page = parse_id(request.args.get("page")) or 1
    orders = fulfilment.seller_orders(profile.id, status=status, live_session_id=live, page=page)
    return render_template(
        "orders/sell_index.html",
        profile=profile,
        orders=orders,
        status=status,
        live=live,
        page=page,
        page_size=fulfilment.PAGE_SIZE,
        counts=fulfilment.status_counts(profile.id),
        sessions=fulfilment.live_sessions(profile.id),
        statuses=list(OrderStatus),
        ship_form=ShipForm(formdata=None),
    )


@sell_bp.post("/batch")
@login_required
def batch():
    _profile()
    ids = [i for i in map(parse_id, request.form.getlist("order_id")) if i]
    action = request.form.get("action", "")
    try:
        result = fulfilment.batch(
            current_user,
            ids,
            action,
            carrier=request.form.get("carrier"),
            tracking_code=request.form.get("tracking_code"),
        )
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        if result.done:
            flash(
                _(
                    "%(n)d order(s) updated: %(codes)s",
                    n=len(result.done),
                    codes=", ".join(o.code for o in result.done),
                ),
                "success",
            )
        for code, why in result.refused[:10]:
            flash(f"{code}: {why}", "error")
    back = {k: v for k, v in (("status", request.form.get("status")), ("live", request.form.get("live"))) if v}
    return redirect(url_for("sell_orders.index", **back))


@sell_bp.get("/live/<int:session_id>/packing")
@login_required
def packing(session_id: int):
    profile = _profile()
    packing = _packing_list(profile, session_id)
    return render_template("orders/packing.html", profile=profile, packing=packing)


@sell_bp.get("/live/<int:session_id>/packing.csv")
@login_required
def packing_csv(session_id: int):
    profile = _profile()
    body = fulfilment.packing_csv(_packing_list(profile, session_id))
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="packing-live-{session_id}.csv"',
            "Cache-Control": "no-store",
        },
    )
