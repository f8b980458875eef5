"""What waits on the staff desk: shops to review and open reports (the desk's own figures), and the tiles of the
``staff.home`` slot — listings waiting, OCOP claims to check, live sessions on air now."""

from __future__ import annotations

import sqlalchemy as sa

from market.accounts.models import SellerProfile, SellerStatus
from market.extensions import db
from market.moderation.models import OPEN_REPORT_STATUSES, Report
from market.moderation.scope import is_staff, scoped


def waiting(user) -> dict:
    """Shops waiting for review and reports still open, in ``user``'s communes."""
    pending = db.session.scalar(
        scoped(sa.select(sa.func.count(SellerProfile.id)), SellerProfile, user).where(
            SellerProfile.status == SellerStatus.PENDING
        )
    )
    open_reports = db.session.scalar(
        scoped(sa.select(sa.func.count(Report.id)), Report, user).where(Report.status.in_(OPEN_REPORT_STATUSES))
    )
    return {"pending_sellers": pending, "open_reports": open_reports}


def counters(user) -> dict | None:
    """The desk's tiles (the ``staff.home`` slot); None for anyone but staff."""
    from market.live.models import LiveSession, SessionStatus
    from market.moderation.listings.service import count_pending
    from market.moderation.ocop.service import to_check_count

    if not is_staff(user):
        return None
    live_now = db.session.scalar(
        scoped(sa.select(sa.func.count(LiveSession.id)), LiveSession, user).where(
            LiveSession.status == SessionStatus.LIVE
        )
    )
    return {"pending_listings": count_pending(user), "ocop_to_check": to_check_count(user), "live_now": live_now}
