"""The People tab, ``/staff/users…``: find a person tied to her communes (by number or name), the banned ones,
a person's page with the staff history, ban and unban."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.models import User
from market.domain import DomainError
from market.extensions import db
from market.forms import attach_error
from market.moderation import audit, bp
from market.moderation.forms import OptionalReasonForm
from market.moderation.people import service
from market.moderation.people.forms import BanForm
from market.moderation.scope import communes_in_scope, get_user_in_scope, user_footprint


@bp.get("/users")
def users():
    q = (request.args.get("q") or "").strip()[: service.SEARCH_MAX]
    found = service.find(current_user, q) if q else []
    return render_template("moderation/users.html", q=q, found=found, banned=service.banned(current_user))


def _user_page(target: User, status: int = 200, **forms):
    forms.setdefault("ban_form", BanForm(prefix="ban"))
    forms.setdefault("unban_form", OptionalReasonForm(prefix="unban"))
    footprint = user_footprint(target.id)
    communes = [c for c in communes_in_scope(current_user) if c.id in footprint]
    return render_template(
        "moderation/user.html",
        target=target,
        communes=communes,
        history=audit.entries_for_object("user", target.id, limit=30),
        **forms,
    ), status


@bp.get("/users/<int:user_id>")
def user(user_id: int):
    return _user_page(get_user_in_scope(user_id, current_user))


def _user_action(user_id: int, action, form, form_name: str, message: str):
    target = get_user_in_scope(user_id, current_user)
    if not form.validate_on_submit():
        return _user_page(target, 400, **{form_name: form})
    try:
        action(target, current_user, form.reason.data)
    except DomainError as err:
        db.session.rollback()
        if err.field:
            attach_error(form, err)
            return _user_page(target, err.status, **{form_name: form})
        flash(err.message, "error")
        return _user_page(target, err.status)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("staff.user", user_id=target.id))


@bp.post("/users/<int:user_id>/ban")
def user_ban(user_id: int):
    return _user_action(
        user_id,
        service.ban_user,
        BanForm(prefix="ban"),
        "ban_form",
        _("The account is blocked; every login of it has ended."),
    )


@bp.post("/users/<int:user_id>/unban")
def user_unban(user_id: int):
    return _user_action(
        user_id,
        service.unban_user,
        OptionalReasonForm(prefix="unban"),
        "unban_form",
        _("The account is unblocked; the person can log in again."),
    )
