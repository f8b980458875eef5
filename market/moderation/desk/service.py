"""More counters on the staff desk: listings waiting, OCOP claims to check, live sessions on air now."""

from __future__ import annotations

import sqlalchemy as sa

from market.extensions import db


def counters(user) -> dict | None:
    from market.live.models import LiveSession, SessionStatus
    from market.moderation.listings.service import count_pending
    from market.moderation.ocop.service import to_check_count
    from market.moderation.scope import is_staff, scoped

    if not is_staff(user):
        return None
    live_now = db.session.scalar(scoped(sa.select(sa.func.count(LiveSession.id)), LiveSession, user)
                                 .where(LiveSession.status == SessionStatus.LIVE))
    return {"pending_listings": count_pending(user), "ocop_to_check": to_check_count(user), "live_now": live_now}
