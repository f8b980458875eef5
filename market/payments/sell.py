"""The shop's payment settings (``/sell/payments``): cash on delivery, and the bank account for VietQR transfers."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.accounts.models import SellerProfile
from market.domain import DomainError
from market.errors import user_abort
from market.extensions import db
from market.forms import attach_error
from market.payments import sell_bp
from market.payments.banks import bank_by_bin, banks
from market.payments.forms import PaymentSettingsForm
from market.payments.service import save_settings, settings_to_edit
from market.payments.vietqr import clean_account_number, clean_holder, sample_qr


def _seller_profile() -> SellerProfile:
    profile: SellerProfile | None = current_user.seller_profile
    if profile is None or not current_user.is_seller:
        user_abort(403, _("Only an approved shop can do this."))
    return profile


@sell_bp.route("", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
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
            if account is not None and changed and request.form.get("confirm") != "1":
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
            save_settings(current, bool(form.cod_enabled.data), bool(form.cod_auto_confirm.data), account)
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


def _bank_account(form: PaymentSettingsForm) -> tuple[str, str, str] | None:
    """(BIN, account number, holder) as they will be stored, or None for "no bank transfer"."""
    if not form.bank_bin.data:
        return None
    bank = bank_by_bin(form.bank_bin.data)
    if bank is None:
        raise DomainError("invalid", _("Choose a value from the list."), field="bank_bin")
    return bank.bin, clean_account_number(form.account_number.data), clean_holder(form.account_holder.data)
