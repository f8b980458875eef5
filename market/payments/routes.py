"""Paying pages: start a card payment, come back from Stripe, say a transfer was sent, clear a payment note."""

from __future__ import annotations

import re

import stripe
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from market.domain import DomainError
from market.extensions import db
from market.orders.service import get_order_for
from market.payments import bp
from market.payments.service import claim_transfer, payments_of
from market.payments.stripe import checkout
from market.payments.stripe.client import configured
from market.payments.stripe.events import on_session_completed

_SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,200}$")


def _order_url(order_id: int) -> str:
    return url_for("orders.detail", order_id=order_id)


@bp.post("/payments/stripe/<int:order_id>/start")
@login_required
def stripe_start(order_id: int) -> Response:
    """The buyer pays a pending order by card: send them to Stripe Checkout (reusing an open session)."""
    req = checkout.prepare_checkout(order_id, current_user)
    db.session.commit()  # no transaction (nor SQLite write lock) held while Stripe answers
    if req.url:
        return redirect(req.url, 303)
    try:
        session = checkout.create_session(req)
    except stripe.StripeError as exc:
        db.session.rollback()
        checkout.session_failed(req.payment_id, exc)
        db.session.commit()
        if checkout.outcome_unknown(exc):
            flash(
                _(
                    "Stripe is slow to answer. Press Pay again in a moment: you will reach the same payment page, "
                    "and you cannot be charged twice."
                ),
                "error",
            )
        else:
            flash(
                _("Card payment is not available right now. Try again in a moment or choose another way to pay."),
                "error",
            )
        return redirect(_order_url(order_id))
    url = checkout.save_session(req.payment_id, session)
    db.session.commit()
    return redirect(url or _order_url(order_id), 303)


@bp.get("/payments/stripe/<int:order_id>/return")
@login_required
def stripe_return(order_id: int) -> str:
    """Back from Stripe. The webhook confirms the payment; reading the session here only makes it quicker."""
    order = get_order_for(order_id, current_user)
    if order.buyer_id != current_user.id:
        abort(404)
    session_id = request.args.get("session_id", "")
    known = _SESSION_ID.match(session_id) and any(
        p.method == "stripe" and p.provider_ref == session_id for p in payments_of(order.id)
    )
    db.session.commit()
    if known and order.paid_at is None and configured():
        try:
            session = checkout.retrieve_session(session_id)
        except stripe.StripeError:
            session = None
        if session and (session.get("metadata") or {}).get("order_id") == str(order_id):
            try:
                on_session_completed(session)
                db.session.commit()
            except DomainError:
                db.session.rollback()
    order = get_order_for(order_id, current_user)
    return render_template("payments/stripe_return.html", order=order)


@bp.get("/payments/stripe/<int:order_id>/cancelled")
@login_required
def stripe_cancelled(order_id: int) -> Response:
    get_order_for(order_id, current_user)
    flash(_("The card payment was cancelled. You can try again or choose another way to pay."), "info")
    return redirect(_order_url(order_id))


@bp.post("/payments/<int:order_id>/transfer-sent")
@login_required
def transfer_sent(order_id: int) -> Response:
    """The buyer says they have transferred: the seller is told, and the stock is held while they check."""
    order = claim_transfer(order_id, current_user)
    db.session.commit()
    flash(_("Thank you. The seller will confirm as soon as the money arrives."), "success")
    return redirect(_order_url(order.id))


@bp.post("/payments/<int:order_id>/resolve")
@login_required
def resolve(order_id: int) -> Response:
    """The seller (or commune staff) has returned stray money or checked a transfer: clear the flag."""
    from market.orders.actions import acting_role
    from market.orders.states import Actor
    from market.payments.service import resolve_flag

    order = get_order_for(order_id, current_user)
    role = acting_role(order, current_user, request.form.get("as"))
    if role not in (Actor.SELLER, Actor.STAFF):
        abort(404)
    resolve_flag(order, current_user)
    db.session.commit()
    flash(_("Payment note cleared."), "success")
    return redirect(_order_url(order.id))
