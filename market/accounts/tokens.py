"""Signed, expiring API tokens for clients outside a browser (the JSON API and the /live namespace)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, g, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from market.accounts.models import User
from market.domain import ErrorCode
from market.errors import api_error
from market.extensions import db

_SALT = "chophien-api-token-v1"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue_token(user: User) -> str:
    # The auth version makes logout and bans revoke tokens already handed out.
    return _serializer().dumps({"u": user.id, "v": user.auth_version})


def read_token(token: object) -> tuple[int, object] | None:
    """(user id, auth version) of a well-signed, unexpired token, without touching the database; the caller
    must still compare the version with the user's (``user_from_token`` does)."""
    if not isinstance(token, str) or not token or len(token) > 512:
        return None
    try:
        data = _serializer().loads(token, max_age=current_app.config["API_TOKEN_MAX_AGE"])
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or isinstance(data.get("u"), bool):
        return None
    return data["u"], data.get("v")


def user_from_token(token: object) -> User | None:
    data = read_token(token)
    if data is None:
        return None
    user = db.session.get(User, data[0])
    if user is None or user.auth_version != data[1] or user.is_banned:
        return None
    return user


def user_from_authorization_header(header: str | None) -> User | None:
    if not header or not header.startswith("Bearer "):
        return None
    return user_from_token(header[len("Bearer ") :].strip())


def token_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """A JSON view for token holders: ``g.api_user`` is the caller; no valid token is a 401 in the API's shape."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        user = user_from_authorization_header(request.headers.get("Authorization"))
        if user is None:
            return api_error(401, ErrorCode.NOT_LOGGED_IN, _("Send a valid token: Authorization: Bearer <token>."))
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper
