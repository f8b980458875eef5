"""The human side of the live protocol's error codes, in the reader's language.

Order merging settles many buyers' orders in a background task that has no request (so no language); it
returns a code and its parameters, and each socket handler turns them into a message for its own user here.
``int_field`` refuses a number the protocol cannot take (a quantity, minutes, a price) and ``id_field`` an id
(``domain.parse_id``) the one way: ``invalid`` beside its field.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from market.catalog.labels import unit_label
from market.domain import DomainError, ErrorCode, parse_id

# The stable error words of the /live protocol, plus "unavailable" when the server itself failed.
E = ErrorCode
CODES = frozenset(
    {
        E.NOT_LOGGED_IN,
        E.FORBIDDEN,
        E.INVALID,
        E.SOLD_OUT,
        E.LIMIT_EXCEEDED,
        E.OFFER_CLOSED,
        E.SESSION_NOT_LIVE,
        E.MUTED,
        E.RATE_LIMITED,
        E.UNAVAILABLE,
    }
)


def message_for(code: str, **params: Any) -> str:
    reason = params.get("reason")
    if params.get("unit"):
        params["unit"] = unit_label(params["unit"])
    if code == "sold_out":
        if params.get("remaining"):
            return _(
                "Only %(n)d %(unit)s left; choose a smaller quantity.",
                n=params["remaining"],
                unit=params.get("unit", ""),
            )
        return _("Sold out. Watch for the next offer!")
    if code == "limit_exceeded":
        if params.get("have"):
            return _(
                "Each buyer may take at most %(limit)d %(unit)s of this offer; you already have %(have)d.",
                limit=params["limit"],
                unit=params.get("unit", ""),
                have=params["have"],
            )
        return _(
            "Each buyer may take at most %(limit)d %(unit)s of this offer.",
            limit=params.get("limit", 0),
            unit=params.get("unit", ""),
        )
    if code == "offer_closed":
        return _("This offer has closed.")
    if code == "session_not_live":
        return _("This live session is not on air.")
    if code == "not_logged_in":
        return _("Please log in first.")
    if code == "rate_limited":
        return _("You are going a little fast. Wait a moment and try again.")
    if code == "muted":
        return _("You cannot chat in this session for now.")
    if code == "unavailable":
        return _("We could not finish this just now. Please try again.")
    if code == "forbidden":
        if reason == "own_shop":
            return _("You cannot order from your own shop.")
        if reason == "host_only":
            return _("Only the host of this session can do this.")
        if reason == "moderator_only":
            return _("Only the host or the commune's staff can do this.")
        return _("Your account cannot do this.")
    # invalid
    if reason == "unknown_offer":
        return _("This offer is not in this live session.")
    if reason == "not_joined":
        return _("Join the live session first.")
    if reason == "unknown_session":
        return _("This live session does not exist.")
    return _("Something in the request was not right.")


def live_error(code: str, message: str | None = None, field: str | None = None, **params: Any) -> DomainError:
    """A DomainError for the live protocol that remembers its parameters (to be re-worded per reader)."""
    return DomainError(
        code,
        message or message_for(code, **params),
        field=field,
        params={**params, "message": message} if message is not None else params,
    )


_MESSAGES_KEPT = 256  # (language, code, parameters) → message: a storm's refusals are a handful of these
_messages: dict[tuple[Any, ...], str] = {}


def error_ack(code: str, **params: Any) -> dict[str, Any]:
    """The ack of a refusal in the reader's language. A storm refuses hundreds of buyers with the same words
    (``sold_out``, nothing left): each (language, code, parameters) is translated once per process, not once
    per buyer (about 25 µs each: Babel's locale and catalogue per app context, ``unit_label``)."""
    message = params.pop("message", None)
    if not message:
        key = (str(get_locale()), code, *sorted(params.items()))
        kept = True
        try:
            message = _messages.get(key)
        except TypeError:  # a parameter that cannot be a key: worded every time
            message, kept = None, False
        if message is None:
            message = message_for(code, **params)
            if kept:
                if len(_messages) >= _MESSAGES_KEPT:
                    _messages.clear()
                _messages[key] = message
    return {"ok": False, "error": code, "message": message}


def int_field(value: object, field: str, lo: int, hi: int, message: str) -> int:
    """``value`` when it is a whole number (JSON's, not a string nor a boolean) from ``lo`` to ``hi``; else
    ``invalid`` on ``field`` with ``message``."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise live_error("invalid", message=message, field=field)
    return value


def id_field(value: object, field: str, message: str) -> int:
    """``value`` when it is an id (a JSON number: ``domain.parse_id`` with ``text=False``); else ``invalid`` on
    ``field`` with ``message``."""
    oid = parse_id(value, text=False)
    if oid is None:
        raise live_error("invalid", message=message, field=field)
    return oid
