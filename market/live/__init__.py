"""Live order sessions: pages (routes.py) and the Socket.IO "/live" namespace (events.py) side by side."""

from flask import Blueprint, Flask
from flask_babel import gettext as _

from market.orders.sessions import register_session_titles
from market.orders.stock import register_source
from market.ui import nav_item, slot

bp = Blueprint("live", __name__)


def init_app(app: Flask) -> None:
    """The pages and their template helpers (``helpers.py``), the "/live" namespace and the background tasks, the
    "offer" stock source, the session titles of order pages, the hold reminders, what it hears from orders, catalog and
    accounts, the "Live" entry of the navigation, the slots it fills and ``flask bench-buyers``."""
    from market.live import cli, events, helpers, holds, offers, routes, sheet_routes, signals, stock, tasks  # noqa: F401

    nav_item("live", "live.index", lambda: _("Live"), "live", order=20, active_prefixes=("live.",))
    register_session_titles(_session_titles)
    register_source(stock.OfferStock())
    holds.register()
    offers.register()
    signals.register()
    slot("home.top", "live", "live/_sessions_slot.html", _home_sessions, order=10)
    slot("commune.top", "live", "live/_sessions_slot.html", _commune_sessions, order=10)
    app.register_blueprint(bp)
    events.register(app)
    tasks.init_app(app)
    cli.register(app)


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
