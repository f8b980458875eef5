"""JSON API: the caller's own account. ``GET /api/v1/me``; a new password (``POST /me/password``, proved by the
current one or by a code from ``POST /me/code``); a new phone number (``POST /me/phone``, then
``/me/phone/verify`` with the code sent to it). A changed password or number answers with a new token: every
older one stops working. The rules are the accounts area's (``service.py``, ``codes.py``)."""

from __future__ import annotations

from flask import g, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from market.accounts import codes, service
from market.accounts.tokens import token_required
from market.api import bp
from market.api.auth import client_ip, code_sent, json_body, refused, strings, token_answer, user_json
from market.domain import DomainError, ErrorCode
from market.errors import api_error
from market.extensions import db


@bp.get("/me")
@token_required
def me() -> ResponseReturnValue:
    return jsonify({"ok": True, "user": user_json(g.api_user)})


@bp.post("/me/code")
@token_required
def request_password_code() -> ResponseReturnValue:
    """A code to the caller's own number, to set a password without the current one."""
    try:
        codes.request_code(g.api_user.phone, codes.Purpose.PASSWORD, ip=client_ip(), user_id=g.api_user.id)
    except DomainError as err:
        return refused(err)
    db.session.commit()
    return code_sent()


@bp.post("/me/password")
@token_required
def change_password() -> ResponseReturnValue:
    """A new password, proved by ``current_password`` or by a ``code`` from ``POST /me/code``; the answer is a new
    token (every older one stops working)."""
    user = g.api_user
    body = strings(json_body(), "password", optional=("current_password", "code"))
    if body is None or not (body.get("current_password") or body.get("code")):
        return api_error(400, ErrorCode.INVALID, _("Send JSON with a new password and the current one or a code."))
    try:
        service.check_new_password(body["password"])
        if body.get("current_password") and user.has_password:
            service.check_current_password(user, body["current_password"])
        else:
            codes.use_code(user.phone, codes.Purpose.PASSWORD, body.get("code"), ip=client_ip(), user_id=user.id)
            service.verified(user)
        service.set_password(user, body["password"])
    except DomainError as err:
        return refused(err)
    db.session.commit()
    return token_answer(user)


@bp.post("/me/phone")
@token_required
def request_phone_code() -> ResponseReturnValue:
    """A code to a new number the caller wants to move her account to."""
    body = strings(json_body(), "phone")
    if body is None:
        return api_error(400, ErrorCode.INVALID, _("Send JSON with the new phone number."))
    try:
        codes.request_code(body["phone"], codes.Purpose.PHONE, ip=client_ip(), user_id=g.api_user.id)
    except DomainError as err:
        return refused(err)
    db.session.commit()
    return code_sent()


@bp.post("/me/phone/verify")
@token_required
def change_phone() -> ResponseReturnValue:
    """The code sent to the new number: the account moves to it; the answer is a new token."""
    user = g.api_user
    body = strings(json_body(), "phone", "code")
    if body is None:
        return api_error(400, ErrorCode.INVALID, _("Send JSON with the new phone number and the code."))
    try:
        e164 = codes.use_code(body["phone"], codes.Purpose.PHONE, body["code"], ip=client_ip(), user_id=user.id)
        service.change_phone(user, e164)
    except DomainError as err:
        return refused(err)
    db.session.commit()
    return token_answer(user)
