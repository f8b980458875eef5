"""Register, log in and out, switch language, apply to sell."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from market import ratelimit
from market.accounts import bp, service, signals
from market.accounts.code_routes import after_login
from market.accounts.forms import ApplySellerForm, LanguageForm, LoginForm, RegisterForm
from market.database import on_commit
from market.domain import DomainError
from market.errors import user_abort
from market.extensions import db
from market.forms import attach_error, form_checks_csrf
from market.security import next_url
from market.securitylog import security_event

LOGIN_FAILURES = "10/15 minutes"


@bp.route("/register", methods=["GET", "POST"])
@form_checks_csrf
def register():
    if current_user.is_authenticated:
        return redirect(next_url())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = service.register_user(form.phone.data, form.display_name.data, form.password.data,
                                         locale=session.get("lang", "vi"), mobile_only=True)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            db.session.commit()
            login_user(user, remember=True)
            flash(_("Welcome to Chợ Phiên, %(name)s!", name=user.display_name), "success")
            return redirect(next_url())
    return render_template("accounts/register.html", form=form), 400 if form.errors else 200


def _login_keys(phone: str) -> tuple[tuple[str, str], tuple[str, str]]:
    try:
        phone_key = service.normalize_phone(phone)
    except DomainError:
        phone_key = (phone or "")[:32]
    return ("login-ip", request.remote_addr or "?"), ("login-phone", phone_key)


@bp.route("/login", methods=["GET", "POST"])
@form_checks_csrf
def login():
    if current_user.is_authenticated:
        return redirect(next_url())
    form = LoginForm()
    if form.validate_on_submit():
        keys = _login_keys(form.phone.data)
        if not all(ratelimit.allowed(LOGIN_FAILURES, *k) for k in keys):
            security_event("login_locked", phone=keys[1][1])
            user_abort(429, _("Too many failed attempts. Please wait 15 minutes and try again."))
        user = service.authenticate(form.phone.data, form.password.data)
        if user is None or user.is_banned:
            for key in keys:
                ratelimit.hit(LOGIN_FAILURES, *key)
            security_event("login_failed", phone=keys[1][1], user_id=user.id if user else None,
                           reason="banned" if user else "unknown_or_wrong_password")
            if user is not None and user.is_banned:
                form.form_errors.append(_("This account has been blocked: %(reason)s", reason=user.banned_reason))
            else:
                form.form_errors.append(_("The phone number or password is not right."))
        else:
            service.record_login(user)
            db.session.commit()
            login_user(user, remember=bool(form.remember.data))
            session["lang"] = user.locale
            return redirect(after_login(user))
    return render_template("accounts/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    user_id = current_user.id
    service.end_all_sessions(current_user)
    on_commit(lambda: signals.logged_out.send(user_id))  # open sockets of this person close, in every process
    db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("catalog.home"))


@bp.post("/lang/<code>")
def set_language(code: str):
    form = LanguageForm()
    if not form.validate_on_submit() or code not in ("vi", "en"):
        user_abort(400, _("Choose Vietnamese or English."))
    session["lang"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return redirect(next_url())


@bp.route("/sell/apply", methods=["GET", "POST"])
@login_required
@form_checks_csrf
def apply_to_sell():
    profile = current_user.seller_profile
    if profile is not None:
        return render_template("accounts/apply_status.html", profile=profile)
    form = ApplySellerForm(communes=service.communes_in_order())
    commune = request.args.get("commune", "")
    if request.method == "GET" and commune.isdecimal() and len(commune) <= 10:
        form.commune_id.data = int(commune)
    if form.validate_on_submit():
        try:
            profile = service.apply_to_sell(current_user, form.shop_name.data, form.commune_id.data,
                                            form.story.data)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            db.session.commit()
            flash(_("Thank you! Commune staff will review your shop soon."), "success")
            return redirect(url_for("accounts.apply_to_sell"))
    return render_template("accounts/apply.html", form=form), 400 if form.errors else 200


@bp.get("/account")
@login_required
def account():
    return render_template("accounts/account.html")
