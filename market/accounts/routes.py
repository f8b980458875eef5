"""Register, log in and out, switch language, apply to sell."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from market.accounts import bp, service, signals
from market.accounts.code_routes import after_login
from market.accounts.forms import ApplySellerForm, LanguageForm, LoginForm, RegisterForm
from market.database import on_commit
from market.domain import DomainError
from market.errors import user_abort
from market.extensions import db
from market.forms import attach_error, form_checks_csrf
from market.security import next_url


@bp.route("/register", methods=["GET", "POST"])
@form_checks_csrf
def register():
    if current_user.is_authenticated:
        return redirect(next_url())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = service.register_user(
                form.phone.data,
                form.display_name.data,
                form.password.data,
                locale=session.get("lang", "vi"),
                mobile_only=True,
            )
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            db.session.commit()
            login_user(user, remember=True)
            flash(_("Welcome to Chợ Phiên, %(name)s!", name=user.display_name), "success")
            return redirect(next_url())
    return render_template("accounts/register.html", form=form), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@form_checks_csrf
def login():
    if current_user.is_authenticated:
        return redirect(next_url())
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.log_in(form.phone.data, form.password.data, ip=request.remote_addr or "?")
        except service.LoginRefused as err:
            form.form_errors.append(
                _("This account has been blocked: %(reason)s", reason=err.banned_reason) if err.banned else err.message
            )
        except DomainError as err:
            user_abort(err.status, err.message)
        else:
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
            profile = service.apply_to_sell(current_user, form.shop_name.data, form.commune_id.data, form.story.data)
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
