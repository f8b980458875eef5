"""What every staff decision shares, whatever the tab: the reason the person reads, and the refusal of a decision
the object's state no longer allows (409: a colleague was quicker, or the page is old).

Services flush but never commit; the view (or CLI command) commits once, so an action and its audit entry are one
transaction. Objects reach services already scoped (``scope.get_in_scope``): a service never widens what its
caller may touch.
"""

from __future__ import annotations

from flask_babel import gettext as _

from market.domain import DomainError, ErrorCode
from market.moderation.audit import REASON_MAX
from market.text import clean_line


def check_reason(raw: str | None, *, required: bool = True, message: str | None = None) -> str | None:
    """A reason people will read: one line, at most 500 characters; refused (never cut) when too long."""
    reason = clean_line(raw)
    if len(reason) > REASON_MAX:
        raise DomainError(
            ErrorCode.INVALID, _("A reason can have at most %(n)d characters.", n=REASON_MAX), field="reason"
        )
    if required and not reason:
        raise DomainError(ErrorCode.INVALID, message or _("Give a reason; the seller will see it."), field="reason")
    return reason or None


def conflict(message: str) -> DomainError:
    """The refusal of a decision the object's state does not allow (any more): raised, answered 409."""
    return DomainError(ErrorCode.INVALID, message, status=409)
