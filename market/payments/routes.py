"""Paying pages: start a card payment, come back from Stripe, say a transfer was sent; the shop's settings."""

from __future__ import annotations

import re

import stripe
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.domain import DomainError
from market.errors import user_abort
from market.extensions import db
from market.forms import attach_error
from market.orders.service import get_order_for
from market.payments import bp, sell_bp
from market.payments.banks import bank_by_bin, banks
from market.payments.forms import PaymentSettingsForm
from market.payments.service import claim_transfer, settings_to_edit
from market.payments.stripe import checkout
from market.payments.stripe.client import configured
from market.payments.stripe.events import on_session_completed
from market.payments.vietqr import clean_account_number, clean_holder, sample_qr

_SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,200}$")


def _order_url(order_id: int) -> str:
    return url_for("orders.detail", order_id=order_id)


@bp.post("/payments/stripe/<int:order_id>/start")
@login_required
def stripe_start(order_id: int):
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
def stripe_return(order_id: int):
    """Back from Stripe. The webhook confirms the payment; reading the session here only makes it quicker."""
    order = get_order_for(order_id, current_user)
    if order.buyer_id != current_user.id:
        abort(404)
    session_id = request.args.get("session_id", "")
    known = _SESSION_ID.match(session_id) and any(
        p.method == "stripe" and p.provider_ref == session_id for p in order.payments
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
def stripe_cancelled(order_id: int):
    get_order_for(order_id, current_user)
    flash(_("The card payment was cancelled. You can try again or choose another way to pay."), "info")
    return redirect(_order_url(order_id))


@bp.post("/payments/<int:order_id>/transfer-sent")
@login_required
def transfer_sent(order_id: int):
    """The buyer says they have transferred: the seller is told, and the stock is held while they check."""
    order = claim_transfer(order_id, current_user)
    db.session.commit()
    flash(_("Thank you. The seller will confirm as soon as the money arrives."), "success")
    return redirect(_order_url(order.id))


@bp.post("/payments/<int:order_id>/resolve")
@login_required
def resolve(order_id: int):
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


def _seller_profile():
    profile = current_user.seller_profile
    if profile is None or not current_user.is_seller:
        user_abort(403, _("Only an approved shop can do this."))
    return profile


@sell_bp.route("", methods=["GET", "POST"])
@login_required
def settings():
    """The shop's payment settings: cash on delivery, and the bank account for VietQR transfers.

    A new or changed bank account is shown before it is saved (the bank's name, the number, the holder, and a
    1 000 ₫ QR to scan with her own banking app); "Save" on that page saves it, "Change" goes back to the form."""
    profile = _seller_profile()
    current = settings_to_edit(profile.id)
    form = PaymentSettingsForm(obj=current if request.method == "GET" else None, banks=banks())
    if request.method == "GET":
        form.bank_bin.data = current.bank_bin or ""
    if form.validate_on_submit():
        try:
            account = _bank_account(form)
            changed = account is not None and account != (
                current.bank_bin,
                current.account_number,
                current.account_holder,
            )
            if changed and request.form.get("confirm") != "1":
                db.session.rollback()
                if request.form.get("edit") != "1":
                    return render_template(
                        "payments/settings_preview.html",
                        form=form,
                        profile=profile,
                        bank=bank_by_bin(account[0]),
                        account=account,
                        qr=sample_qr(account[0], account[1]),
                    )
                return render_template("payments/settings.html", form=form, profile=profile)
            _apply_settings(current, form, account)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            db.session.commit()
            flash(_("Payment settings saved."), "success")
            return redirect(url_for("sell_payments.settings"))
    else:
        db.session.rollback()
    return render_template("payments/settings.html", form=form, profile=profile), 400 if form.errors else 200


def _bank_account(form) -> tuple[str, str, str] | None:
    """(BIN, account number, holder) as they will be stored, or None for "no bank transfer"."""
    if not form.bank_bin.data:
        return None
    bank = bank_by_bin(form.bank_bin.data)
    if bank is None:
        raise DomainError("invalid", _("Choose a value from the list."), field="bank_bin")
    return bank.bin, clean_account_number(form.account_number.data), clean_holder(form.account_holder.data)


def _apply_settings(current, form, account: tuple[str, str, str] | None) -> None:
    current.cod_enabled = bool(form.cod_enabled.data)
    current.cod_auto_confirm = bool(form.cod_auto_confirm.data)
    if account is None:
        current.bank_bin = current.account_number = current.account_holder = None
    else:
        current.bank_bin, current.account_number, current.account_holder = account
    if not current.cod_enabled and account is None:
        if not configured():
            raise DomainError(
                "invalid",
                _("Keep cash on delivery or add a bank account: buyers need a way to pay."),
                field="cod_enabled",
            )
    db.session.flush()


@bp.app_template_global("payment_status_label")
def payment_status_label(status: str) -> str:
    from market.payments.models import PaymentStatus

    return {
        PaymentStatus.PENDING: _("waiting"),
        PaymentStatus.SUCCEEDED: _("received"),
        PaymentStatus.FAILED: _("failed"),
        PaymentStatus.EXPIRED: _("closed"),
        PaymentStatus.MISMATCH: _("wrong amount"),
        PaymentStatus.REFUNDED: _("refunded"),
        PaymentStatus.AUTHORIZED: _("card held"),
        PaymentStatus.RELEASED: _("hold released"),
    }.get(status, status)


@bp.app_template_global("payment_method_label")
def payment_method_label(name: str | None) -> str:
    """A payment method's name for people ("Bank transfer (VietQR)"), never its code ("vietqr")."""
    from market.payments import METHODS

    cls = METHODS.get(name or "")
    return cls().label() if cls is not None else (name or "")


@bp.app_template_global("refund_status_label")
def refund_status_label(status: str | None) -> str:
    from market.payments.models import RefundStatus

    return {
        RefundStatus.REQUESTED: _("refund requested"),
        RefundStatus.MANUAL: _("money to send back"),
        RefundStatus.DONE: _("money returned"),
    }.get(status, status or "")
