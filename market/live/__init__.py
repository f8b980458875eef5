"""Live order sessions: pages (routes.py) and the Socket.IO "/live" namespace (events.py) side by side."""

from flask import Blueprint
from flask_babel import gettext as _

from market.orders.sessions import register_session_titles
from market.ui import nav_item, slot

bp = Blueprint("live", __name__)

nav_item("live", "live.index", lambda: _("Live"), "live", order=20, active_prefixes=("live.",))


def _home_sessions(**_kw):
    from market.live.sessions import listing

    data = listing()
    return data if data["live"] or data["upcoming"] else None


def _commune_sessions(commune=None, **_kw):
    from market.live.sessions import listing

    data = listing(commune=commune)
    return data if data["live"] or data["upcoming"] else None


def _session_titles(ids):
    import sqlalchemy as sa

    from market.extensions import db
    from market.live.models import LiveSession

    rows = db.session.execute(sa.select(LiveSession.id, LiveSession.title).where(LiveSession.id.in_(list(ids))))
    return dict(rows.all())


register_session_titles(_session_titles)
slot("home.top", "live", "live/_sessions_slot.html", _home_sessions, order=10)
slot("commune.top", "live", "live/_sessions_slot.html", _commune_sessions, order=10)

from market.live import holds, routes, sheet_routes  # noqa: E402,F401
