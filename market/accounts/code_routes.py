"""Pages of the SMS-code flows: sign in (or up, or claim) by code, "forgot password", and on the account page a new
password or a new phone number. The rules are in ``codes.py`` and ``service.py``; these parse, call and render.

Every flow is two steps on one URL: ``step=send`` (the number → a code by SMS) and ``step=check`` (the code →
done). A wrong code is committed (its try must count) before the page says so.
"""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from market.accounts import bp, codes, service
from market.accounts.codes import Purpose, WrongCode
from market.accounts.forms import ChangePasswordForm, CodeStepForm, NameForm, PhoneStepForm, ResetForm, SendCodeForm
from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.forms import attach_error, form_checks_csrf
from market.security import is_safe_next, next_url

SIGNUP_KEY = "code_signup"  # the number a sign-in code proved, while she types her name
SIGNUP_SECONDS = 15 * 60


def _ip() -> str:
    return request.remote_addr or "?"


def _fail(form, err: DomainError) -> int:
    """Show ``err`` beside its field; keep a wrong code's counted try, undo anything else."""
    if isinstance(err, WrongCode):
        db.session.commit()
    else:
        db.session.rollback()
    attach_error(form, err)
    return err.status


def _sent(form, e164: str) -> None:
    db.session.commit()
    form.phone.data = service.format_phone(e164)
    flash(
        _("We sent a 6-digit code by SMS to %(phone)s. It works for 5 minutes.", phone=service.format_phone(e164)),
        "info",
    )


def after_login(user) -> str:
    """Where a person lands after logging in: where she was going, else staff at their desk, else home."""
    target = request.values.get("next")
    if is_safe_next(target):
        return target
    if user.is_staff or user.is_admin:
        return url_for("staff.home")
    return url_for("catalog.home")


def _log_in(user) -> None:
    service.record_login(user)
    db.session.commit()
    login_user(user, remember=True)
    session["lang"] = user.locale


def _two_steps(purpose: Purpose, check_form, template: str, on_code, user_id: int | None = None):
    """Step "send": the number → a code by SMS. Step "check": the code → ``on_code(form, e164)``, which returns the
    response (or raises ``DomainError``, shown beside its field)."""
    step, status = request.form.get("step"), 200
    form = check_form() if step == "check" else PhoneStepForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            if step == "check":
                e164 = codes.use_code(form.phone.data, purpose, form.code.data, ip=_ip(), user_id=user_id)
                return on_code(form, e164)
            e164 = codes.request_code(form.phone.data, purpose, ip=_ip(), user_id=user_id)
            form, step = check_form(formdata=None, phone=e164), "check"
            _sent(form, e164)
        except DomainError as err:
            status = _fail(form, err)
    elif form.errors:
        status = 400
    return render_template(template, form=form, step="check" if step == "check" else "send"), status


def _offer_sign_up(e164: str, next_path: str | None = None):
    """A number a code just proved has no account: she gives her name (once) on the next page."""
    session[SIGNUP_KEY] = {"phone": e164, "at": int(time.time())}
    db.session.commit()
    return redirect(url_for("accounts.login_code_name", next=next_path))


@bp.route("/login/code", methods=["GET", "POST"])
@form_checks_csrf
def login_code():
    """Sign in with a code: a known number is in, a new one is asked its name once."""
    if current_user.is_authenticated:
        return redirect(next_url())

    def signed_in(_form, e164):
        user = service.sign_in_by_code(e164)
        if user is None:
            return _offer_sign_up(e164, request.values.get("next"))
        claimed = not user.has_password
        _log_in(user)
        if claimed:
            flash(
                _(
                    "Welcome, %(name)s! This account is yours now. You can set a password on the Account page.",
                    name=user.display_name,
                ),
                "success",
            )
        return redirect(after_login(user))

    return _two_steps(Purpose.LOGIN, CodeStepForm, "accounts/code_login.html", signed_in)


def _pending_signup() -> str | None:
    data = session.get(SIGNUP_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("phone"), str):
        return None
    if not isinstance(data.get("at"), int) or time.time() - data["at"] > SIGNUP_SECONDS:
        session.pop(SIGNUP_KEY, None)
        return None
    return data["phone"]


@bp.route("/login/code/name", methods=["GET", "POST"])
@form_checks_csrf
def login_code_name():
    """A number proved by a code that has no account yet: her name, and she is in."""
    if current_user.is_authenticated:
        return redirect(next_url())
    e164 = _pending_signup()
    if e164 is None:
        flash(_("Ask for a new code to continue."), "info")
        return redirect(url_for("accounts.login_code", next=request.values.get("next")))
    form, status = NameForm(), 200
    if form.validate_on_submit():
        try:
            user = service.sign_up_by_code(e164, form.display_name.data, locale=session.get("lang", "vi"))
        except DomainError as err:
            status = _fail(form, err)
        else:
            session.pop(SIGNUP_KEY, None)
            _log_in(user)
            flash(_("Welcome to Chợ Phiên, %(name)s!", name=user.display_name), "success")
            return redirect(next_url())
    elif form.errors:
        status = 400
    return render_template("accounts/code_name.html", form=form, phone=e164), status


@bp.route("/password/forgot", methods=["GET", "POST"])
@form_checks_csrf
def forgot_password():
    """ "Forgot password?": a code to the number, then a new password."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_password"))

    def new_password(form, e164):
        user = service.sign_in_by_code(e164)
        if user is None:  # only the holder of the number learns that it has no account
            flash(_("This number has no account yet. Tell us your name to open one."), "info")
            return _offer_sign_up(e164)
        service.set_password(user, form.password.data)
        _log_in(user)
        flash(_("Your new password is saved. You are logged in."), "success")
        return redirect(after_login(user))

    return _two_steps(Purpose.RESET, ResetForm, "accounts/forgot.html", new_password)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@form_checks_csrf
def change_password():
    """A new password, proved by the current one or by a fresh code to her own number."""
    user = current_user._get_current_object()
    form, status = ChangePasswordForm(), 200
    if request.method == "POST" and request.form.get("step") == "send":
        if SendCodeForm().validate_on_submit():
            form = ChangePasswordForm(formdata=None)
            try:
                e164 = codes.request_code(user.phone, Purpose.PASSWORD, ip=_ip(), user_id=user.id)
                db.session.commit()
                flash(
                    _(
                        "We sent a 6-digit code by SMS to %(phone)s. It works for 5 minutes.",
                        phone=service.format_phone(e164),
                    ),
                    "info",
                )
            except DomainError as err:
                status = _fail(form, err)
        else:
            form = ChangePasswordForm(formdata=None)
            form.form_errors.append(_("This form has expired. Please try again."))
            status = 400
    elif form.validate_on_submit():
        try:
            if form.current_password.data and user.has_password:
                service.check_current_password(user, form.current_password.data)
            elif form.code.data:
                codes.use_code(user.phone, Purpose.PASSWORD, form.code.data, ip=_ip(), user_id=user.id)
                service.verified(user)
            else:
                raise DomainError(
                    ErrorCode.INVALID,
                    _("Enter your current password, or the code we send you by SMS."),
                    field="current_password" if user.has_password else "code",
                )
            service.set_password(user, form.password.data)
        except DomainError as err:
            status = _fail(form, err)
        else:
            db.session.commit()
            login_user(user, remember=True)  # this phone stays logged in; every other session has ended
            flash(_("Your new password is saved."), "success")
            return redirect(url_for("accounts.account"))
    elif form.errors:
        status = 400
    if not user.has_password:
        form.code.label.text = _("Code from the SMS")
    return render_template("accounts/password.html", form=form, user=user), status


@bp.route("/account/phone", methods=["GET", "POST"])
@login_required
@form_checks_csrf
def change_phone():
    """Move the account to a new number: a code goes to the new one."""
    user = current_user._get_current_object()

    def moved(_form, e164):
        service.change_phone(user, e164)
        db.session.commit()
        login_user(user, remember=True)  # this phone stays logged in; every other session has ended
        flash(_("Your phone number is now %(phone)s.", phone=service.format_phone(e164)), "success")
        return redirect(url_for("accounts.account"))

    return _two_steps(Purpose.PHONE, CodeStepForm, "accounts/phone.html", moved, user_id=user.id)
