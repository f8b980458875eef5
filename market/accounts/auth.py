"""Flask-Login wiring: who the current user is, from the session cookie or a bearer token."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l

from market.accounts.models import User
from market.accounts.tokens import user_from_authorization_header
from market.extensions import db, login


def init_login(app: Flask) -> None:
    login.init_app(app)
    login.login_view = "accounts.login"
    login.login_message = _l("Please log in to continue.")
    login.login_message_category = "info"
    login.session_protection = "basic"


@login.user_loader
def load_user(user_id: str) -> User | None:
    """Cookies carry "id:auth_version"; a bumped version (logout, ban) refuses every older cookie."""
    try:
        uid, version = (int(part) for part in user_id.split(":", 1))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, uid)
    if user is None or user.auth_version != version or user.is_banned:
        return None
    return user


@login.request_loader
def load_user_from_request(req) -> User | None:
    # Only the JSON API takes bearer tokens; browser pages use the session cookie.
    if not request.path.startswith("/api/"):
        return None
    return user_from_authorization_header(req.headers.get("Authorization"))
