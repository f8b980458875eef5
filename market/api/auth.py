"""JSON API: tokens. ``POST /api/v1/auth/token`` (phone and password), ``/auth/code`` and ``/auth/code/token``
(sign in or up by SMS code), ``/auth/password/reset``; and what every resource that answers with a token shares
(``user_json``, ``token_answer``, the JSON body, a refusal's answer). The flows' rules are in the accounts area
(``service.py``, ``codes.py``; the pages' flows are ``accounts/code_routes.py``).

``api_error`` (market.errors) and ``token_required`` (market.accounts.tokens) live below the areas.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from market.accounts import codes, service
from market.accounts.models import User
from market.accounts.tokens import issue_token
from market.api import bp
from market.domain import DomainError, ErrorCode
from market.errors import api_error
from market.extensions import db


def json_body() -> dict[str, Any] | None:
    """The request's JSON object, or None when the body is not a JSON object."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


def strings(data: dict[str, Any] | None, *required: str, optional: tuple[str, ...] = ()) -> dict[str, str] | None:
    """The body's string fields (each at most 200 characters), or None when one is missing or not a string."""
    if data is None:
        return None
    out = {}
    for key in (*required, *optional):
        value = data.get(key)
        if value is None and key in optional:
            continue
        if not isinstance(value, str) or len(value) > 200:
            return None
        out[key] = value
    return out


def client_ip() -> str:
    return request.remote_addr or "?"


def refused(err: DomainError) -> ResponseReturnValue:
    """A service's refusal as the API's error shape; a wrong code's counted try is kept."""
    if isinstance(err, codes.WrongCode):
        db.session.commit()
    else:
        db.session.rollback()
    return api_error(err.status, err.code, err.message)


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "display_name": user.display_name,
        "phone": user.phone,
        "locale": user.locale,
        "roles": sorted(str(r) for r in user.roles),
        "seller": None
        if user.seller_profile is None
        else {
            "shop_name": user.seller_profile.shop_name,
            "slug": user.seller_profile.slug,
            "status": str(user.seller_profile.status),
            "commune": user.seller_profile.commune.slug,
            "is_kol": user.seller_profile.is_kol,
        },
    }


def token_answer(user: User, **extra: object) -> Response:
    return jsonify(
        {
            "ok": True,
            "token": issue_token(user),
            "token_type": "Bearer",
            "expires_in": current_app.config["API_TOKEN_MAX_AGE"],
            "user": user_json(user),
            **extra,
        }
    )


def code_sent() -> Response:
    return jsonify({"ok": True, "expires_in": int(codes.CODE_TTL.total_seconds())})


@bp.post("/auth/token")
def create_token() -> ResponseReturnValue:
    data = json_body()
    if data is None or not isinstance(data.get("phone"), str) or not isinstance(data.get("password"), str):
        return api_error(400, ErrorCode.INVALID, _("Send JSON with a phone and a password."))
    try:
        user = service.log_in(data["phone"][:32], data["password"][:256], ip=client_ip(), via="api")
    except DomainError as err:  # a banned account is answered as a wrong password: the pages say why
        return api_error(err.status, err.code, err.message)
    db.session.commit()
    return token_answer(user)


@bp.post("/auth/code")
def request_code() -> ResponseReturnValue:
    """A code by SMS to sign in (a new number signs up, an account staff opened is claimed) or to reset a
    password. The answer is the same whether the number has an account."""
    body = strings(json_body(), "phone", optional=("purpose",))
    purpose = (body or {}).get("purpose", "login")
    if body is None or purpose not in ("login", "reset"):
        return api_error(400, ErrorCode.INVALID, _("Send JSON with a phone, and a purpose: login or reset."))
    try:
        codes.request_code(body["phone"], codes.Purpose(purpose), ip=client_ip())
    except DomainError as err:
        return refused(err)
    db.session.commit()
    return code_sent()


@bp.post("/auth/code/token")
def token_by_code() -> ResponseReturnValue:
    """A token for a sign-in code. A number without an account needs ``display_name`` (asked only after the code
    was right: ``name_required``)."""
    body = strings(json_body(), "phone", "code", optional=("display_name",))
    if body is None:
        return api_error(400, ErrorCode.INVALID, _("Send JSON with a phone and the code."))
    try:
        e164 = service.normalize_phone(body["phone"])
        has_account = service.account_exists(e164)
        codes.use_code(
            e164,
            codes.Purpose.LOGIN,
            body["code"],
            ip=client_ip(),
            consume=has_account or bool(body.get("display_name")),
        )
        user = service.sign_in_by_code(e164)
        created = user is None
        if user is None:
            if not body.get("display_name"):
                db.session.commit()
                return api_error(
                    400, ErrorCode.NAME_REQUIRED, _("This number has no account yet: send display_name too.")
                )
            user = service.sign_up_by_code(e164, body["display_name"], locale=str(get_locale() or "vi"))
    except DomainError as err:
        return refused(err)
    service.record_login(user)
    db.session.commit()
    return token_answer(user, created=created)


@bp.post("/auth/password/reset")
def reset_password() -> ResponseReturnValue:
    """A new password after a reset code; every older token and cookie of the account stops working."""
    body = strings(json_body(), "phone", "code", "password")
    if body is None:
        return api_error(400, ErrorCode.INVALID, _("Send JSON with a phone, the code and a new password."))
    try:
        service.check_new_password(body["password"])
        e164 = codes.use_code(body["phone"], codes.Purpose.RESET, body["code"], ip=client_ip())
        user = service.sign_in_by_code(e164)
        if user is None:
            raise DomainError(
                ErrorCode.INVALID, _("This number has no account yet. Sign in with a code to open one."), field="phone"
            )
        service.set_password(user, body["password"])
    except DomainError as err:
        return refused(err)
    service.record_login(user)
    db.session.commit()
    return token_answer(user)
