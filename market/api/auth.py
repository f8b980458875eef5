"""Bearer-token authentication for the JSON API."""

from __future__ import annotations

from functools import wraps

from flask import g, jsonify, request
from flask_babel import gettext as _

from market.accounts.tokens import user_from_authorization_header


def api_error(status: int, code: str, message: str):
    return jsonify({"ok": False, "error": code, "message": message}), status


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = user_from_authorization_header(request.headers.get("Authorization"))
        if user is None:
            return api_error(401, "not_logged_in", _("Send a valid token: Authorization: Bearer <token>."))
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict | None:
    """The request's JSON object, or None when the body is not a JSON object."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None
