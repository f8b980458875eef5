"""The security log: one line per event someone reviewing an attack or a complaint needs, and nothing secret.

1. One call, ``security_event(name, **fields)``, one WARNING line on the ``market.security`` logger:
   ``security event=login_failed user=12 ip=203.0.113.9 request_id=… phone=+8491*****78 reason=wrong_password``.
   The log handlers give it a UTC time ending in ``Z`` (``market.web.install_log_format``).
2. ``user`` is the logged-in user unless the caller names one (``user_id=``); ``ip`` is the client address
   after ``PROXY_COUNT`` trusted proxies (Werkzeug's ProxyFix has already rewritten ``remote_addr``);
   ``request_id`` is the one the response carries in ``X-Request-ID``.
3. Never a secret: a field whose name says password, token, code, otp or secret is written as ``[redacted]``;
   a field named ``phone`` (or ending in ``_phone``) is masked to its first four and last two characters.
4. A value is one token: bare when plain, else a JSON string, so control characters (a newline in a name or
   a chat message) are escaped (``\\n``) and quotes too: user text can neither start a new line nor forge
   another field. Values are cut at 200 characters.

Event names in use (keep this list true; tests and log alerts match on them): ``login_failed``,
``login_locked``, ``code_requested``, ``code_used``, ``code_failed``, ``code_locked``, ``code_limited``,
``account_claimed``, ``password_changed``, ``phone_changed``,
``csrf_failed``, ``forbidden``, ``user_banned``, ``socket_refused``, ``webhook_bad_signature``, ``webhook_limited``,
``upload_refused``, ``video_publish``, ``video_publish_refused``, ``video_publish_stopped``.
"""

from __future__ import annotations

import json
import logging
import re

log = logging.getLogger("market.security")

_SECRET = re.compile(r"(password|passwd|token|secret|otp|(^|_)code$|^code)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
_NEEDS_QUOTES = re.compile(r"[\s\"=\\]")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
MAX_VALUE = 200


def mask_phone(phone: object) -> str:
    """``+84912345678`` → ``+849*****78``: enough to tell two numbers apart in a log, not enough to call."""
    text = str(phone or "")
    if len(text) <= 6:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 6) + text[-2:]


def one_token(value: object) -> str:
    """``value`` as one log token: bare when plain, else a JSON string (control characters escaped)."""
    text = "-" if value is None else str(value)[:MAX_VALUE]
    if text and not _NEEDS_QUOTES.search(text) and not _CONTROL.search(text):
        return text
    quoted = json.dumps(text, ensure_ascii=False)  # escapes quotes, backslashes and C0 controls
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)  # what JSON leaves: DEL, NEL, U+2028/9


def _context() -> dict[str, object]:
    from flask import has_request_context, request

    from market.web import request_id

    if not has_request_context():
        return {"user": None, "ip": None, "request_id": "-"}
    user_id = None
    try:
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            user_id = current_user.id
    except Exception:  # noqa: S110 - the user cannot be loaded (database down): log without it
        pass
    return {"user": user_id, "ip": request.remote_addr, "request_id": request_id()}


def format_event(name: str, fields: dict[str, object]) -> str:
    context = _context()
    if "user_id" in fields:
        context["user"] = fields.pop("user_id")
    parts = [f"event={one_token(name)}"] + [f"{key}={one_token(value)}" for key, value in context.items()]
    for key, value in fields.items():
        if not _NAME.match(key):
            continue
        if _SECRET.search(key):
            value = "[redacted]"
        elif key == "phone" or key.endswith("_phone"):
            value = mask_phone(value)
        parts.append(f"{key}={one_token(value)}")
    return "security " + " ".join(parts)


def security_event(name: str, **fields: object) -> None:
    """Write one security line (see the module docstring); never raises, since the refusal matters more."""
    try:
        log.warning("%s", format_event(name, dict(fields)))
    except Exception:  # noqa: BLE001 - a logging failure must not turn a refusal into a 500
        logging.getLogger(__name__).exception("security event %r not logged", name)
