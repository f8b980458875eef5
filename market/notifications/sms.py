"""Sending SMS through a small provider interface.

- ``LogSms`` (default): writes the message to the log and keeps the last ones in memory (development, tests).
- ``HttpGatewaySms``: POSTs ``{"to": "+849…", "text": "…"}`` as JSON to ``SMS_GATEWAY_URL`` with
  ``Authorization: Bearer SMS_GATEWAY_TOKEN``; any 2xx is success. Most Vietnamese SMS brandname gateways
  can be fronted by such a call; adapt ``payload()`` for one that wants another shape.
A failed send is logged and dropped: SMS is a courtesy on top of the in-app notification, never the record.

What an SMS costs (``send`` and ``fit``):
1. Every SMS leaves without diacritics (``SMS_KEEP_DIACRITICS`` off, the default): Vietnamese transactional SMS
   are written so, and the GSM 7-bit alphabet holds 160 characters a part where Unicode holds 70. Typographic
   quotes, dashes, "…" and "₫" become their plain forms; anything else outside GSM becomes "?".
2. A message is at most ``MAX_PARTS`` (2) parts: ``fit(text, tail)`` shortens the text with "..." and keeps the
   tail (the link) whole. Messages are written to fit one part (160) with ordinary names; long reasons or names
   take the second.
"""

from __future__ import annotations

import json
import logging
import math
import re
import urllib.error
import urllib.request
from collections import deque
from typing import Any

from flask import current_app

from market.securitylog import mask_phone
from market.text import unaccent

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
    sent: deque[tuple[str, str]] = deque(maxlen=200)  # (phone, text) of the last messages, newest last

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.info("SMS to %s: %s", mask_phone(phone), masked_text(text))


class HttpGatewaySms(SmsProvider):
    name = "http"

    def __init__(self, url: str, token: str | None, timeout: float = 5.0):
        self.url, self.token, self.timeout = url, token, timeout

    def payload(self, phone: str, text: str) -> dict[str, Any]:
        return {"to": phone, "text": text}

    def send(self, phone: str, text: str) -> None:
        body = json.dumps(self.payload(phone, text), ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - http(s) only
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                **({"Authorization": f"Bearer {self.token}"} if self.token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                if not 200 <= response.status < 300:
                    raise SmsError(f"gateway answered {response.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            log.warning("SMS to %s not sent: %s", mask_phone(phone), exc)
            raise SmsError(str(exc)) from exc


MAX_PARTS = 2
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€")  # two septets each
_PLAIN = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "₫": "d",
        "\u00a0": " ",
        "×": "x",
        "•": "-",
        "·": "-",
        "→": "->",
        "★": "*",
    }
)


def to_gsm(text: str) -> str:
    """``text`` in the GSM 7-bit alphabet: no diacritics ("Sầu riêng" → "Sau rieng"), plain punctuation."""
    plain = unaccent(text).translate(_PLAIN)
    return "".join(ch if ch in GSM_BASIC or ch in GSM_EXTENDED else "?" for ch in plain)


def is_gsm(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)


def parts(text: str) -> int:
    """How many SMS parts ``text`` costs: GSM 160 alone, 153 each when split; Unicode 70, 67 each."""
    if is_gsm(text):
        size, single, multi = sum(2 if ch in GSM_EXTENDED else 1 for ch in text), 160, 153
    else:
        size, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if size <= single else math.ceil(size / multi)


def prepare(text: str) -> str:
    return text if current_app.config.get("SMS_KEEP_DIACRITICS") else to_gsm(text)


def fit(text: str, tail: str = "") -> str:
    """``text`` then ``tail`` (a link), prepared, in at most ``MAX_PARTS`` parts: the text is shortened, the tail
    kept whole."""
    text, tail = prepare(text), prepare(tail)
    joined = f"{text} {tail}" if tail else text
    if parts(joined) <= MAX_PARTS:
        return joined
    keep = len(text)
    while keep > 0:
        keep -= 1
        candidate = text[:keep].rstrip() + "..."
        joined = f"{candidate} {tail}" if tail else candidate
        if parts(joined) <= MAX_PARTS:
            return joined
    return tail[: 153 * MAX_PARTS]


def send(phone: str, text: str) -> None:
    """Send ``text`` as it should cost: prepared and within ``MAX_PARTS`` (every SMS of the app comes here)."""
    provider().send(phone, fit(text))


def provider() -> SmsProvider:
    url = current_app.config.get("SMS_GATEWAY_URL")
    if url:
        return HttpGatewaySms(url, current_app.config.get("SMS_GATEWAY_TOKEN"))
    return LogSms()
