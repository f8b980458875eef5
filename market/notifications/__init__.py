"""Telling people things: in-app notifications (a page, an unread count, a personal Socket.IO room) and SMS.

Other areas call ``market.notifications.service.notify(user, kind, params, link, sms=…)`` after registering
how a kind reads (``@message_kind("order.shipped")``). The text is written in the recipient's language.
"""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from market.notifications import routes  # noqa: E402,F401
