"""Telling people things: in-app notifications (a page, an unread count, a personal Socket.IO room) and SMS.

Other areas call ``market.notifications.service.notify(user, kind, params, link, sms=…)`` after registering
how a kind reads (``message_kind("order.shipped")(text)``, from their ``init_app``). The text is written in the
recipient's language.
"""

from flask import Blueprint, Flask

bp = Blueprint("notifications", __name__)


def init_app(app: Flask) -> None:
    """The notifications page and the Socket.IO "/notify" namespace."""
    from market.notifications import events, routes  # noqa: F401 - routes: its views, on ``bp``

    app.register_blueprint(bp)
    events.register()
