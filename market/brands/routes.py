"""Public brand pages, follow and unfollow buttons, the "following" list and the unsubscribe link of SMS."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market import ratelimit
from market.brands import bp, follows, service
from market.brands.follows import FOLLOW_CHANGES_PER_HOUR
from market.catalog.helpers import paginate
from market.domain import DomainError
from market.errors import user_abort, wants_json
from market.extensions import db, login
from market.security import is_safe_next

TARGET_ID = "<int(max=2147483647):target_id>"


@bp.get("/b/<slug>")
def page(slug: str):
    brand = service.visible_brand(slug) or abort(404)
    products = paginate(service.brand_products(brand))
    return render_template(
        "brands/brand.html",
        brand=brand,
        shops=service.member_shops(brand),
        products=products,
        follow=follows.button(current_user, "brand", brand.id, brand.name),
    )


# ---- follow and unfollow ---------------------------------------------------------------------------------


def _back(target_url: str | None) -> str:
    target = request.form.get("next")
    return target if is_safe_next(target) else (target_url or url_for("catalog.home"))


def _answer(target, following: bool, message: str):
    if wants_json():
        return jsonify(
            {"ok": True, "following": following, "count": follows.count(target.kind, target.id), "message": message}
        )
    flash(message, "success")
    return redirect(_back(target.url))


def _limit() -> None:
    if not ratelimit.hit(FOLLOW_CHANGES_PER_HOUR, "follow", str(current_user.id)):
        user_abort(429, _("You changed what you follow many times in a short while. Please wait a little."))


@bp.post(f"/follow/<kind>/{TARGET_ID}")
def follow(kind: str, target_id: int):
    """The follow button. Logged-out visitors are sent to log in, then back to the page they were on."""
    target = follows.resolve(kind, target_id)
    if not current_user.is_authenticated:
        if wants_json():
            return login.unauthorized()
        flash(_("Log in to follow %(name)s.", name=target.name), "info")
        return redirect(url_for("accounts.login", next=_back(target.url)))
    _limit()
    follows.follow(current_user, kind, target_id)
    db.session.commit()
    return _answer(target, True, _("You follow %(name)s. We will tell you when it goes live.", name=target.name))


@bp.post(f"/unfollow/<kind>/{TARGET_ID}")
@login_required
def unfollow(kind: str, target_id: int):
    _limit()
    target = follows.unfollow(current_user, kind, target_id)
    db.session.commit()
    message = _("You no longer follow %(name)s.", name=target.name) if target else _("You no longer follow it.")
    if target is None:
        flash(message, "success")
        return redirect(_back(url_for("brands.following")))
    return _answer(target, False, message)


@bp.get("/following")
@login_required
def following():
    return render_template("brands/following.html", items=follows.following(current_user))


# ---- the unsubscribe link of live alerts (no login; a GET never changes anything) ---------------------------


def _bad_link(err: DomainError):
    db.session.rollback()
    return render_template("brands/stop.html", error=err.message, token=None, target=None, row=None), 400


@bp.get("/stop/<token>")
def stop(token: str):
    """What the link will stop, and a button: link prefetchers and previews (Zalo, Messenger) only GET."""
    try:
        req = follows.read_stop_token(token)
    except DomainError as err:
        return _bad_link(err)
    row, target = follows.stop_target(req)
    return render_template("brands/stop.html", error=None, token=token, target=target, row=row)


@bp.post("/stop/<token>")
def stop_confirm(token: str):
    try:
        req = follows.read_stop_token(token)
    except DomainError as err:
        return _bad_link(err)
    target = follows.stop(req)  # already gone: 409 with the reason
    db.session.commit()
    return render_template("brands/stop.html", error=None, token=None, target=target, row=None, done=True)
