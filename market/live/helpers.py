"""Template helpers of live sessions: the session states, for the pages that show a session."""

from __future__ import annotations

from market.live import bp
from market.live.models import SessionStatus


@bp.app_context_processor
def live_helpers():
    return {"SessionStatus": SessionStatus}
