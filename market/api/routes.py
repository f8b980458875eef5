"""JSON API v1: tokens and the caller's own account. Other areas add their resources."""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from market import ratelimit
from market.accounts import service
from market.accounts.tokens import issue_token
from market.api import bp
from market.api.auth import api_error, json_body, token_required
from market.extensions import db
from market.securitylog import security_event

LOGIN_FAILURES = "10/15 minutes"


def user_json(user) -> dict:
    return {
        "id": user.id,
        "display_name": user.display_name,
        "phone": user.phone,
        "locale": user.locale,
        "roles": sorted(str(r) for r in user.roles),
        "seller": None if user.seller_profile is None else {
            "shop_name": user.seller_profile.shop_name,
            "slug": user.seller_profile.slug,
            "status": str(user.seller_profile.status),
            "commune": user.seller_profile.commune.slug,
            "is_kol": user.seller_profile.is_kol,
        },
    }


@bp.post("/auth/token")
def create_token():
    data = json_body()
    if data is None or not isinstance(data.get("phone"), str) or not isinstance(data.get("password"), str):
        return api_error(400, "invalid", _("Send JSON with a phone and a password."))
    phone = data["phone"][:32]
    keys = (("login-ip", request.remote_addr or "?"), ("login-phone", phone))
    if not all(ratelimit.allowed(LOGIN_FAILURES, *k) for k in keys):
        security_event("login_locked", phone=phone, via="api")
        return api_error(429, "rate_limited", _("Too many failed attempts. Please wait 15 minutes and try again."))
    user = service.authenticate(phone, data["password"][:256])
    if user is None or user.is_banned:
        for key in keys:
            ratelimit.hit(LOGIN_FAILURES, *key)
        security_event("login_failed", phone=phone, user_id=user.id if user else None, via="api",
                       reason="banned" if user else "unknown_or_wrong_password")
        return api_error(401, "not_logged_in", _("The phone number or password is not right."))
    service.record_login(user)
    db.session.commit()
    return jsonify({"ok": True, "token": issue_token(user), "token_type": "Bearer",
                    "expires_in": current_app.config["API_TOKEN_MAX_AGE"], "user": user_json(user)})


@bp.get("/me")
@token_required
def me():
    return jsonify({"ok": True, "user": user_json(g.api_user)})
