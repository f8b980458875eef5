"""The few lines of HTTP the adapters share: JSON in, JSON out, a bounded wait, errors as ``CarrierError``."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from market.shipping.carriers.base import CarrierError

log = logging.getLogger("market.shipping.carriers")
MAX_ANSWER = 5 * 1024 * 1024  # a label PDF is a few hundred kB


def call(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    timeout: float,
    raw: bool = False,
) -> Any:
    """One request; the parsed JSON answer (or ``(content_type, bytes)`` with ``raw``)."""
    data = None
    headers = {"Accept": "application/json", **headers}
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - configured
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured base URL
            payload = response.read(MAX_ANSWER + 1)
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        payload = exc.read(MAX_ANSWER + 1)
        content_type = exc.headers.get("Content-Type", "") if exc.headers else ""
        if raw or "json" not in content_type:
            raise CarrierError(f"HTTP {exc.code}", code=str(exc.code)) from None
    except TimeoutError as exc:
        raise CarrierError("no answer in time", code="timeout", timeout=True) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise CarrierError("no answer in time", code="timeout", timeout=True) from exc
        raise CarrierError(f"unreachable: {reason}", code="unreachable") from exc
    if len(payload) > MAX_ANSWER:
        raise CarrierError("answer too large", code="too_large")
    if raw:
        return content_type, payload
    try:
        return json.loads(payload)
    except ValueError:
        raise CarrierError("answer is not JSON", code="bad_answer") from None
