"""Sending SMS through a small provider interface.

- ``LogSms`` (default): writes the message to the log and keeps the last ones in memory (development, tests).
- ``HttpGatewaySms``: POSTs ``{"to": "+849…", "text": "…"}`` as JSON to ``SMS_GATEWAY_URL`` with
  ``Authorization: Bearer SMS_GATEWAY_TOKEN``; any 2xx is success. Most Vietnamese SMS brandname gateways
  can be fronted by such a call; adapt ``payload()`` for one that wants another shape.
A failed send is logged and dropped: SMS is a courtesy on top of the in-app notification, never the record.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections import deque

from flask import current_app

from market.securitylog import mask_phone

log = logging.getLogger(__name__)


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}")  # an unsubscribe or sign-in token in a link
_NUMBER = re.compile(r"\+?\d[\d .-]{7,}\d")  # a phone number written in the text


def masked_text(text: str) -> str:
    """The text as the log shows it: tokens cut to their first 4 characters, phone numbers masked."""
    text = _TOKEN.sub(lambda m: m.group()[:4] + "…", text)
    return _NUMBER.sub(lambda m: mask_phone(re.sub(r"[ .-]", "", m.group())), text)


class SmsError(RuntimeError):
    pass


class SmsProvider:
    name = "base"

    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LogSms(SmsProvider):
    name = "log"
    sent: deque = deque(maxlen=200)  # (phone, text) of the last messages, newest last

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.info("SMS to %s: %s", mask_phone(phone), masked_text(text))


class HttpGatewaySms(SmsProvider):
    name = "http"

    def __init__(self, url: str, token: str | None, timeout: float = 5.0):
        self.url, self.token, self.timeout = url, token, timeout

    def payload(self, phone: str, text: str) -> dict:
        return {"to": phone, "text": text}

    def send(self, phone: str, text: str) -> None:
        body = json.dumps(self.payload(phone, text), ensure_ascii=False).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={  # noqa: S310 - http(s) only
            "Content-Type": "application/json; charset=utf-8",
            **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                if not 200 <= response.status < 300:
                    raise SmsError(f"gateway answered {response.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            log.warning("SMS to %s not sent: %s", mask_phone(phone), exc)
            raise SmsError(str(exc)) from exc


def provider() -> SmsProvider:
    url = current_app.config.get("SMS_GATEWAY_URL")
    if url:
        return HttpGatewaySms(url, current_app.config.get("SMS_GATEWAY_TOKEN"))
    return LogSms()
