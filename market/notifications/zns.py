"""Zalo ZNS beside SMS: transactional messages go as Zalo Notification Service template messages when a
Zalo Official Account is configured, and as SMS otherwise or whenever ZNS does not take them.

1. Off unless ``ZALO_APP_ID``, ``ZALO_APP_SECRET``, ``ZALO_OA_REFRESH_TOKEN`` and ``ZALO_ZNS_TEMPLATES`` (kind =
   approved template id, comma separated) are set; a kind without a template id goes by SMS, with a log line.
2. Send: ``POST {ZALO_API_BASE}/message/template`` with header ``access_token`` and JSON ``{phone: "849…",
   template_id, template_data, tracking_id}``; ``{"error": 0}`` is success. The template's parameters are the
   notification's own (``code``, ``shop``, ``total`` …), each as text.
3. Tokens: an OA access token lives about 25 hours, its refresh token is single-use. ``POST
   {ZALO_OAUTH_BASE}/v4/oa/access_token`` (header ``secret_key``; form ``refresh_token``, ``app_id``,
   ``grant_type=refresh_token``) gives both anew; they are kept sealed in ``zalo_tokens`` (one row). Two
   processes refreshing at once: the row is updated only if it still holds the refresh token that was used,
   and the loser reads the winner's tokens. No lock is held while Zalo answers.
4. Expired or refused token (error -124 or -216): refresh once and send again; still refused, or any other
   error (not on Zalo, phone invalid, quota, timeout): the SMS goes as before. Never raises.
5. Senders: notifications sent with ``sms=True`` (their kind: ``order.shipped`` …), one-time codes
   (``auth.code``, parameter ``code``) and live-start alerts (``follow.live_started``). No log line holds a
   parameter's value (a code): Zalo's refusal is logged with them cut out.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from market import sealed
from market.database import UTCDateTime, utcnow
from market.extensions import Model, db

log = logging.getLogger(__name__)
TOKEN_ERRORS = frozenset({-124, -216})  # access token invalid / expired


class ZaloToken(Model):
    """The OA's current access and refresh tokens (one row), sealed with the app's key."""

    __tablename__ = "zalo_tokens"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    access_sealed: Mapped[str | None] = mapped_column(sa.Text)
    refresh_sealed: Mapped[str] = mapped_column(sa.Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ZnsError(Exception):
    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


def enabled() -> bool:
    return bool(current_app.config.get("ZALO_ZNS_TEMPLATES") and current_app.config.get("ZALO_APP_ID"))


def template_for(kind: str) -> str | None:
    return (current_app.config.get("ZALO_ZNS_TEMPLATES") or {}).get(kind)


def _post(
    url: str, *, headers: dict[str, str], json_body: dict[str, Any] | None = None, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    if json_body is not None:
        data, ctype = json.dumps(json_body, ensure_ascii=False).encode(), "application/json"
    else:
        data, ctype = urllib.parse.urlencode(form or {}).encode(), "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method="POST", headers={**headers, "Content-Type": ctype})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=current_app.config["ZALO_TIMEOUT"]) as response:  # noqa: S310
            answer = json.loads(response.read(1_000_000))
    except urllib.error.HTTPError as exc:
        raise ZnsError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise ZnsError(f"no usable answer: {exc}") from exc
    if not isinstance(answer, dict):
        raise ZnsError("answer is not an object")
    return answer


# ---- tokens ---------------------------------------------------------------------------------------------------


def _row() -> ZaloToken:
    row = db.session.get(ZaloToken, 1)
    if row is None or sealed.unseal(row.refresh_sealed) is None:  # first use, or SECRET_KEY changed
        row = row or ZaloToken(id=1)
        row.refresh_sealed = sealed.seal(current_app.config["ZALO_OA_REFRESH_TOKEN"])
        start = current_app.config.get("ZALO_OA_ACCESS_TOKEN")
        row.access_sealed = sealed.seal(start) if start else None
        row.expires_at = None
        db.session.add(row)
        db.session.commit()
    return row


def access_token() -> str:
    row = _row()
    token = sealed.unseal(row.access_sealed) if row.access_sealed else None
    if token and (row.expires_at is None or row.expires_at > utcnow()):
        return token
    return refresh()


def refresh() -> str:
    """New tokens from Zalo (the refresh token is single-use); stored unless another process won the race."""
    row = _row()
    used = sealed.unseal(row.refresh_sealed)
    db.session.commit()  # nothing held while Zalo answers
    cfg = current_app.config
    answer = _post(
        cfg["ZALO_OAUTH_BASE"].rstrip("/") + "/v4/oa/access_token",
        headers={"secret_key": cfg["ZALO_APP_SECRET"]},
        form={"refresh_token": used, "app_id": cfg["ZALO_APP_ID"], "grant_type": "refresh_token"},
    )
    access, new_refresh = answer.get("access_token"), answer.get("refresh_token")
    if not isinstance(access, str) or not isinstance(new_refresh, str) or not access or not new_refresh:
        db.session.expire_all()
        winner = db.session.get(ZaloToken, 1)
        if winner is not None and sealed.unseal(winner.refresh_sealed) != used and winner.access_sealed:
            return sealed.unseal(winner.access_sealed) or ""  # another process refreshed with our token first
        raise ZnsError(
            f"refresh refused: {answer.get('error_description') or answer.get('error')}",
            answer.get("error") if isinstance(answer.get("error"), int) else None,
        )
    try:
        lifetime = int(answer.get("expires_in") or 0)
    except (TypeError, ValueError):
        lifetime = 0
    expires = utcnow() + timedelta(seconds=max(lifetime - 300, 60)) if lifetime else None
    db.session.execute(
        sa.update(ZaloToken)
        .where(ZaloToken.id == 1, ZaloToken.refresh_sealed == row.refresh_sealed)
        .values(
            access_sealed=sealed.seal(access),
            refresh_sealed=sealed.seal(new_refresh),
            expires_at=expires,
            updated_at=utcnow(),
        )
    )
    db.session.commit()
    return access


# ---- sending --------------------------------------------------------------------------------------------------


def send_template(phone: str, template_id: str, data: dict[str, Any], tracking_id: str) -> str:
    """One ZNS message; its msg_id. Refreshes the token once when Zalo says it expired."""
    fields = {k: str(v) for k, v in data.items() if isinstance(v, (str, int)) and not isinstance(v, bool)}
    body = {
        "phone": phone.lstrip("+"),
        "template_id": template_id,
        "tracking_id": tracking_id[:48],
        "template_data": fields,
    }
    url = current_app.config["ZALO_API_BASE"].rstrip("/") + "/message/template"
    answer = _post(url, headers={"access_token": access_token()}, json_body=body)
    if answer.get("error") in TOKEN_ERRORS:
        log.info("zns: access token refused (%s); refreshing once", answer.get("error"))
        answer = _post(url, headers={"access_token": refresh()}, json_body=body)
    if answer.get("error") != 0:
        raise ZnsError(
            str(answer.get("message") or "refused")[:200],
            answer.get("error") if isinstance(answer.get("error"), int) else None,
        )
    return str((answer.get("data") or {}).get("msg_id") or "")


def _scrubbed(message: str, params: dict[str, Any]) -> str:
    """Zalo's refusal as the log shows it: none of the message's parameter values (a one-time code) in it."""
    for value in params.values():
        if isinstance(value, (str, int)) and not isinstance(value, bool) and len(str(value)) >= 3:
            message = message.replace(str(value), "…")
    return message


def deliver(phone: str, text: str, kind: str, params: dict[str, Any]) -> str:
    """Send a transactional message: ZNS when configured for ``kind``, else (or when ZNS fails) the SMS.
    Returns the channel used ("zns" or "sms"), for tests and the log."""
    from market.notifications.sms import send as send_sms

    if enabled():
        template_id = template_for(kind)
        if template_id is None:
            log.info("zns: no template id for %s; sending an SMS", kind)
        else:
            try:
                msg_id = send_template(phone, template_id, params, f"{kind}:{utcnow():%Y%m%d%H%M%S}")
                log.info("zns: %s sent (msg %s)", kind, msg_id)
                return "zns"
            except ZnsError as err:
                db.session.rollback()
                log.warning(
                    "zns: %s not sent (%s, error %s); sending an SMS instead",
                    kind,
                    _scrubbed(str(err), params),
                    err.code,
                )
    send_sms(phone, text)
    return "sms"
