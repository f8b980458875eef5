"""One-time SMS codes: sign in (a new number signs up, an account staff opened is claimed), recover a password,
change a password or a phone number.

1. A code is six digits from ``secrets``, valid ``CODE_TTL`` (5 minutes). Only HMAC-SHA256 under the app's
   ``SECRET_KEY`` of (purpose, number, account, code) is stored: a copy of the table gives nobody a code.
2. Only the newest code of a number and purpose works, at most ``MAX_TRIES`` (5) times. A try is taken by a
   conditional UPDATE (``attempts < 5``) *before* comparing, so parallel guesses cannot make a sixth; using it is
   a second conditional UPDATE (``used_at IS NULL``), so a code works once.
3. At most 3 codes per number per 15 minutes and 10 per day; from one IP address at most 10 requests and 30
   wrong codes per 15 minutes. Counted in the shared rate-limit storage (``market.ratelimit``), which holds
   across processes.
4. Asking costs the same and answers the same whatever the number: no account is looked up, one row is written,
   one message goes out after commit: a Zalo ZNS template message (kind ``auth.code``, parameter ``code``) when
   a Zalo OA is configured with a template for it, else — or when ZNS does not take it — the SMS
   (``notifications.zns.deliver``; the ZNS path logs no code, the SMS path is as before). Whether a number has
   an account is told only to whoever typed the code sent to it (the flows in ``service.py`` after
   ``use_code``).
5. Every request, use, refusal and lock goes to the security log with the number masked.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from market import ratelimit
from market.accounts.models import PhoneCode
from market.accounts.service import normalize_phone, require_mobile
from market.database import on_commit, utcnow
from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.securitylog import security_event


class Purpose(enum.StrEnum):
    LOGIN = "login"  # sign in by code; a new number signs up; an account without a password is claimed
    RESET = "reset"  # "forgot password": a new password after the code
    PASSWORD = "password"  # noqa: S105 - a purpose, not a password; a signed-in person changes her password without the current one
    PHONE = "phone"  # a signed-in person moves her account to a new number (the code goes to the new one)


CODE_TTL = timedelta(minutes=5)
MAX_TRIES = 5
PER_NUMBER = (("3/15 minutes", "15m"), ("10/day", "day"))
PER_IP_REQUESTS = "10/15 minutes"
PER_IP_FAILURES = "30/15 minutes"
ZNS_KIND = "auth.code"  # the ZALO_ZNS_TEMPLATES key of the one-time code template
_CODE = re.compile(r"^[0-9]{6}$")
_SPACES = re.compile(r"[\s\-.]")


class WrongCode(DomainError):
    """A code refused after a try was counted: the caller commits (the try must stay counted), then shows it."""


def _digest(purpose: str, phone: str, user_id: int | None, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}|{phone}|{user_id or ''}|{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def clean_code(raw: object) -> str:
    """Six digits as typed ("123 456" is fine); anything else is refused before any look-up."""
    value = _SPACES.sub("", raw) if isinstance(raw, str) and len(raw) <= 32 else ""
    if not _CODE.match(value):
        raise DomainError(ErrorCode.INVALID, _("Enter the 6 digits of the code we sent by SMS."), field="code")
    return value


def sms_text(code: str, purpose: str) -> str:
    minutes = int(CODE_TTL.total_seconds() // 60)
    if purpose == Purpose.PHONE:
        return _(
            "Chợ Phiên code to change your phone number: %(code)s (valid %(n)d minutes). Never share it.",
            code=code,
            n=minutes,
        )
    return _(
        "Your Chợ Phiên code: %(code)s (valid %(n)d minutes). Never share it, staff never ask for it.",
        code=code,
        n=minutes,
    )


def request_code(phone: object, purpose: Purpose, *, ip: str, user_id: int | None = None) -> str:
    """Send a new code to ``phone`` (E.164 returned). Refused: not a mobile number, or over a limit."""
    e164 = normalize_phone(phone if isinstance(phone, str) else None)
    require_mobile(e164)
    if not ratelimit.hit(PER_IP_REQUESTS, "code-ip", ip or "?"):
        security_event("code_limited", phone=e164, purpose=str(purpose), scope="ip")
        raise DomainError(
            ErrorCode.RATE_LIMITED,
            _("Too many codes were asked for from here. Please wait 15 minutes."),
            field="phone",
            status=429,
        )
    for limit, scope in PER_NUMBER:
        if not ratelimit.allowed(limit, "code-phone", scope, e164):
            security_event("code_limited", phone=e164, purpose=str(purpose), scope=scope)
            message = (
                _("Three codes were sent to this number in the last 15 minutes. Please wait, then ask again.")
                if scope == "15m"
                else _("Ten codes were sent to this number today. Please try again tomorrow.")
            )
            raise DomainError(ErrorCode.RATE_LIMITED, message, field="phone", status=429)
    for limit, scope in PER_NUMBER:
        ratelimit.hit(limit, "code-phone", scope, e164)
    code = f"{secrets.randbelow(10**6):06d}"
    now = utcnow()
    db.session.add(
        PhoneCode(
            phone=e164,
            purpose=str(purpose),
            user_id=user_id,
            created_at=now,
            expires_at=now + CODE_TTL,
            attempts=0,
            code_hash=_digest(str(purpose), e164, user_id, code),
        )
    )
    db.session.flush()
    text = sms_text(code, purpose)

    def send():
        from market.notifications.zns import deliver
        from market.tasks import defer

        defer(deliver, e164, text, ZNS_KIND, {"code": code})

    on_commit(send)
    security_event("code_requested", phone=e164, purpose=str(purpose), user_id=user_id)
    return e164


def _refuse(e164: str, purpose: str, ip: str, reason: str, message: str) -> WrongCode:
    ratelimit.hit(PER_IP_FAILURES, "code-fail-ip", ip or "?")
    security_event("code_locked" if reason == "locked" else "code_failed", phone=e164, purpose=purpose, reason=reason)
    return WrongCode("invalid", message, field="code")


def use_code(
    phone: object, purpose: Purpose, code: object, *, ip: str, user_id: int | None = None, consume: bool = True
) -> str:
    """Check ``code`` for ``phone`` and use it up (E.164 returned). ``consume=False`` checks without using it (an
    API client that must come back with a name). Raises ``WrongCode`` (commit, then show) or ``DomainError``."""
    code = clean_code(code)
    e164 = normalize_phone(phone if isinstance(phone, str) else None)
    purpose = str(purpose)
    if not ratelimit.allowed(PER_IP_FAILURES, "code-fail-ip", ip or "?"):
        security_event("code_limited", phone=e164, purpose=purpose, scope="ip-failures")
        raise DomainError(
            ErrorCode.RATE_LIMITED,
            _("Too many wrong codes from here. Please wait 15 minutes."),
            field="code",
            status=429,
        )
    stale = _("This code has expired or was already used. Ask for a new one.")
    row = db.session.scalar(
        sa.select(PhoneCode)
        .where(
            PhoneCode.phone == e164,
            PhoneCode.purpose == purpose,
            PhoneCode.user_id.is_(None) if user_id is None else PhoneCode.user_id == user_id,
        )
        .order_by(PhoneCode.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise _refuse(e164, purpose, ip, "expired", stale)
    taken = db.session.execute(
        sa.update(PhoneCode)
        .where(
            PhoneCode.id == row.id,
            PhoneCode.attempts < MAX_TRIES,
            PhoneCode.used_at.is_(None),
        )
        .values(attempts=PhoneCode.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise _refuse(e164, purpose, ip, "locked", _("This code was tried too many times. Ask for a new one."))
    tries_left = MAX_TRIES - (row.attempts + 1)
    db.session.expire(row)
    if not hmac.compare_digest(row.code_hash, _digest(purpose, e164, user_id, code)):
        if tries_left <= 0:
            raise _refuse(e164, purpose, ip, "locked", _("This code was tried too many times. Ask for a new one."))
        raise _refuse(e164, purpose, ip, "wrong", _("This code is not right. %(n)d tries left.", n=tries_left))
    if consume:
        used = db.session.execute(
            sa.update(PhoneCode)
            .where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not used:
            raise _refuse(e164, purpose, ip, "reused", stale)
    security_event("code_used", phone=e164, purpose=purpose, user_id=user_id)
    return e164
