"""``POST /live/<id>/checkout``: the live page's checkout sheet (see sheet.py), and ``…/checkout/code``: the
sign-in code a buyer who is not logged in asks for from the sheet. A form post (CSRF token in the
form) answered with JSON: ``{ok: true, order, payment_html}`` or ``{ok: false, error, message, field, order}``
— ``order`` is set when units are reserved and still held, so the sheet can finish it instead of ordering again.
"""

from __future__ import annotations

import re

from flask import g, jsonify, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user

from market import ratelimit
from market.accounts.codes import Purpose, WrongCode, request_code
from market.accounts.service import format_phone
from market.domain import DomainError, parse_id
from market.extensions import db
from market.live import bp, sheet
from market.live.models import LiveSession
from market.live.ordering import outcome_ack, submit_order
from market.orders import checkout, delivery
from market.orders.routes import ask_carriers

RATE_SHEET = "20/minute"  # per buyer: a person confirms a few orders a minute at most
_INT = re.compile(r"^-?\d{1,12}$")


def _int(raw: str | None) -> object:
    """A form number as an int; anything else as it came, for the service's checks to refuse in words."""
    return int(raw) if raw is not None and _INT.match(raw.strip()) else raw


def _refused(err: DomainError, order=None, status: int | None = None, **extra):
    body = {
        "ok": False,
        "error": err.code,
        "message": err.message,
        "field": err.field,
        "signed_in": bool(g.get("sheet_signed_in")),
    }
    if order is not None:
        body["order"] = sheet.order_json(order)
    return jsonify({**body, **extra}), status or err.status


@bp.post("/live/<int:session_id>/checkout")
def checkout_sheet(session_id: int):
    """A buyer confirming the sheet: reserve (unless ``order_id`` names her reserved order), then complete."""
    live_session = db.session.get(LiveSession, session_id)
    if live_session is None:
        return jsonify({"ok": False, "error": "not_found", "message": _("This live session does not exist.")}), 404
    form = request.form
    signing_in = not current_user.is_authenticated
    if signing_in and not form.get("code"):
        return jsonify({"ok": False, "error": "not_logged_in", "message": _("Please log in first.")}), 401
    if not ratelimit.hit(RATE_SHEET, "live-sheet", str(current_user.id) if not signing_in else _ip()):
        return jsonify(
            {
                "ok": False,
                "error": "rate_limited",
                "message": _("You are going a little fast. Wait a moment and try again."),
            }
        ), 429
    try:  # everything she typed first: a refusal here has written nothing
        address = checkout.clean_address(
            form.get("ship_name") or form.get("name"),
            form.get("ship_phone") or form.get("phone"),
            form.get("ship_street"),
            form.get("ship_commune"),
            form.get("ship_province"),
        )
        method = sheet.check_method(live_session, form.get("method"))
        if signing_in:  # a new buyer, or one not logged in: the code sent to her phone (sheet.py, point 5)
            user = sheet.sign_in_by_code(
                form.get("phone"), form.get("code"), form.get("name"), _ip(), session.get("lang", "vi")
            )
            db.session.commit()
            login_user(user, remember=True)
            session["lang"] = user.locale
            g.sheet_signed_in = True  # every answer from here on says so: her page reconnects its socket
        user = current_user._get_current_object()
        order = sheet.live_order(user, live_session, form.get("order_id")) if form.get("order_id") else None
    except DomainError as err:
        if isinstance(err, WrongCode):
            db.session.commit()  # the try stays counted
        else:
            db.session.rollback()
        if err.field == "display_name":
            err.field = "name"
        return _refused(err)
    if order is None:
        user_id, auth_version = user.id, user.auth_version
        db.session.commit()  # no transaction held while the merged batch settles (SQLite: its write lock)
        try:  # (nothing here may touch the database: an expired attribute would open a transaction again)
            outcome = submit_order(
                user_id,
                auth_version,
                session_id,
                parse_id(form.get("offer_id")),
                _int(form.get("qty")),
                form.get("key"),
            )
        except DomainError as err:
            return _refused(err)
        if not outcome.ok:
            ack = outcome_ack(outcome)
            ack["field"] = "qty" if outcome.code in ("sold_out", "limit_exceeded") else None
            ack["signed_in"] = signing_in
            return jsonify(ack), 401 if outcome.code == "not_logged_in" else 409
        order = sheet.live_order(user, live_session, outcome.order["id"])
    shown = _int(form.get("shown_fee"))
    # the carrier's fee for this address (shops that quote by their carrier), asked with no transaction open
    ask_carriers([delivery.order_ask(order, checkout.destination_of(address))], fresh=True)
    try:
        sheet.finish(order, user, address, method, shown if isinstance(shown, int) else "unchecked")
    except DomainError as err:
        db.session.rollback()
        order = db.session.get(type(order), order.id)
        extra = {"shipping_vnd": sheet.shipping_fee(order, address)} if err.code == "fee_changed" else {}
        return _refused(err, order=order if sheet.missing(order) else None, **extra)  # she sees it, confirms again
    db.session.commit()
    return jsonify(
        {
            "ok": True,
            "order": sheet.order_json(order),
            "signed_in": signing_in,
            "payment_html": render_template("live/_sheet_payment.html", order=order),
        }
    )


def _ip() -> str:
    return request.remote_addr or "?"


@bp.post("/live/<int:session_id>/checkout/code")
def sheet_code(session_id: int):
    """A buyer who is not logged in asks, from the sheet, for the sign-in code by SMS (accounts.codes' limits)."""
    if db.session.get(LiveSession, session_id) is None:
        return jsonify({"ok": False, "error": "not_found", "message": _("This live session does not exist.")}), 404
    try:
        e164 = request_code(request.form.get("phone"), Purpose.LOGIN, ip=_ip())
    except DomainError as err:
        db.session.rollback()
        return _refused(err)
    db.session.commit()
    return jsonify(
        {
            "ok": True,
            "message": _(
                "We sent a 6-digit code by SMS to %(phone)s. It works for 5 minutes.", phone=format_phone(e164)
            ),
        }
    )
