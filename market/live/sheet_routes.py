"""``POST /live/<id>/checkout``: the live page's checkout sheet (see sheet.py). A form post (CSRF token in the
form) answered with JSON: ``{ok: true, order, payment_html}`` or ``{ok: false, error, message, field, order}``
— ``order`` is set when units are reserved and still held, so the sheet can finish it instead of ordering again.
"""

from __future__ import annotations

import re

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from market import ratelimit
from market.domain import DomainError
from market.extensions import db
from market.live import bp, service, sheet
from market.live.ordering import outcome_ack, submit_order
from market.orders import checkout

RATE_SHEET = "20/minute"  # per buyer: a person confirms a few orders a minute at most
_INT = re.compile(r"^-?\d{1,12}$")


def _int(raw: str | None) -> object:
    """A form number as an int; anything else as it came, for the service's checks to refuse in words."""
    return int(raw) if raw is not None and _INT.match(raw.strip()) else raw


def _refused(err: DomainError, order=None, status: int | None = None):
    body = {"ok": False, "error": err.code, "message": err.message, "field": err.field}
    if order is not None:
        body["order"] = sheet.order_json(order)
    return jsonify(body), status or err.status


@bp.post("/live/<int:session_id>/checkout")
def checkout_sheet(session_id: int):
    """A buyer confirming the sheet: reserve (unless ``order_id`` names her reserved order), then complete."""
    live_session = db.session.get(service.LiveSession, session_id)
    if live_session is None:
        return jsonify({"ok": False, "error": "not_found", "message": _("This live session does not exist.")}), 404
    if not current_user.is_authenticated:
        return jsonify({"ok": False, "error": "not_logged_in", "message": _("Please log in first.")}), 401
    user = current_user._get_current_object()
    if not ratelimit.hit(RATE_SHEET, "live-sheet", str(user.id)):
        return jsonify({"ok": False, "error": "rate_limited",
                        "message": _("You are going a little fast. Wait a moment and try again.")}), 429
    form = request.form
    try:  # everything she typed first: a refusal here has written nothing
        address = checkout.clean_address(form.get("ship_name"), form.get("ship_phone"), form.get("ship_street"),
                                         form.get("ship_commune"), form.get("ship_province"))
        method = sheet.check_method(live_session, form.get("method"))
        order = sheet.live_order(user, live_session, _int(form.get("order_id"))) if form.get("order_id") else None
    except DomainError as err:
        db.session.rollback()
        return _refused(err)
    if order is None:
        user_id, auth_version = user.id, user.auth_version
        db.session.commit()  # no transaction held while the merged batch settles (SQLite: its write lock)
        try:  # (nothing here may touch the database: an expired attribute would open a transaction again)
            outcome = submit_order(user_id, auth_version, session_id, _int(form.get("offer_id")),
                                   _int(form.get("qty")), form.get("key"))
        except DomainError as err:
            return _refused(err)
        if not outcome.ok:
            ack = outcome_ack(outcome)
            ack["field"] = "qty" if outcome.code in ("sold_out", "limit_exceeded") else None
            return jsonify(ack), 401 if outcome.code == "not_logged_in" else 409
        order = sheet.live_order(user, live_session, outcome.order["id"])
    try:
        sheet.finish(order, user, address, method)
    except DomainError as err:
        db.session.rollback()
        order = db.session.get(type(order), order.id)
        return _refused(err, order=order if sheet.missing(order) else None)
    db.session.commit()
    return jsonify({"ok": True, "order": sheet.order_json(order),
                    "payment_html": render_template("live/_sheet_payment.html", order=order)})
