"""The one exception type that services raise for a refused action, and the one reading of a database id.

A ``DomainError`` carries a stable code (``invalid``, ``forbidden``, ``sold_out`` …: the words clients branch on,
in the JSON API and the /live acks), a message already translated for the current user, and optionally the form
field it is about. Views turn it into a form error or a 4xx page; socket handlers into ``{ok: false, error, message}``.
"""

from __future__ import annotations

import enum
from typing import Any

MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER columns: a larger number names nothing (and overflows on PostgreSQL)


class ErrorCode(enum.StrEnum):
    """Every code a refusal carries (``DomainError.code``, the JSON API's and the /live acks' ``error``): clients
    branch on these words, so they are listed once. ``tests/test_domain.py`` fails on a code written anywhere in
    market/ that is not here."""

    INVALID = "invalid"  # what was sent cannot be accepted (beside ``field`` when it is about one)
    NOT_LOGGED_IN = "not_logged_in"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"  # also another commune's or another person's object
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"  # already done, or changed meanwhile (409)
    TAKEN = "taken"  # an address or name somebody else has
    DUPLICATE = "duplicate"  # looks like an order placed a moment ago: confirm to place it again
    EXPIRED = "expired"  # a code, a link or a hold that ran out
    TOO_LARGE = "too_large"
    CSRF = "csrf"  # a form without its valid CSRF token (an old page: reload it)
    INVALID_IMAGE = "invalid_image"  # a photo the pipeline cannot read
    NAME_REQUIRED = "name_required"  # API sign-in by code of a new number: send display_name too
    FEE_CHANGED = "fee_changed"  # the shipping fee shown is not the fee now: confirm again
    RATE_LIMITED = "rate_limited"
    SOLD_OUT = "sold_out"  # live: none (or fewer than asked) left; ``remaining``
    LIMIT_EXCEEDED = "limit_exceeded"  # live: over the per-buyer limit of an offer
    OFFER_CLOSED = "offer_closed"
    SESSION_NOT_LIVE = "session_not_live"
    MUTED = "muted"
    SERVER_ERROR = "server_error"
    UNAVAILABLE = "unavailable"  # the server itself failed (the database is away …): try again


class DomainError(Exception):
    """``params``: the values the message was made from, when it must be worded again for another reader (live
    order merging answers each buyer in their language, ``live.messages``); None when the message is final."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        status: int | None = None,
        params: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.field = field
        self.params = params
        if status is not None:
            self.status = status

    def as_ack(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, "message": self.message}


class FieldErrors(DomainError):
    """Several fields of one form refused at once, so the person fixes them together: ``errors`` holds one
    DomainError per field. The message is theirs joined and the field the first one's, unless ``message`` (a
    summary for the whole form, then about no one field) is given."""

    def __init__(self, errors: list[DomainError], message: str | None = None):
        if message is None:
            super().__init__(ErrorCode.INVALID, " ".join(e.message for e in errors), field=errors[0].field)
        else:
            super().__init__(ErrorCode.INVALID, message)
        self.errors = errors


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str):
        super().__init__(ErrorCode.NOT_FOUND, message, status=404)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str):
        super().__init__(ErrorCode.FORBIDDEN, message, status=403)


def parse_id(raw: object, *, text: bool = True) -> int | None:
    """A database id from a URL, a form or a JSON body: 12 or "12", positive and at most ``MAX_ID``. None for
    anything else — True (a bool is an int in Python), 0, "-1", "1.0", " 12", "²" (a digit int() refuses), a
    number of thousands of digits — so the caller answers as for a missing object. ``text=False`` where ids are
    JSON numbers by contract (the /live protocol): "12" is refused there too."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        if not (text and raw.isascii() and raw.isdigit() and len(raw) <= 10):
            return None
        raw = int(raw)
    if not isinstance(raw, int):
        return None
    return raw if 0 < raw <= MAX_ID else None
