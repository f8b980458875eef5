"""The notifications page: newest first; opening one marks it read and follows its link."""

from __future__ import annotations

from flask import jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from market.errors import user_abort
from market.extensions import db
from market.notifications import bp, service
from market.notifications.models import Notification
from market.security import is_safe_next


@bp.get("/notifications")
@login_required
def index() -> str:
    items = service.latest(current_user.id)
    return render_template("notifications/index.html", items=items, render=service.render)


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id: int) -> Response:
    n = db.session.get(Notification, notification_id)
    if n is None or n.user_id != current_user.id:
        user_abort(404, _("This notification does not exist."))
    service.mark_read(current_user.id, n.id)
    link = n.link if is_safe_next(n.link) else None
    db.session.commit()
    return redirect(link or url_for("notifications.index"))


@bp.post("/notifications/read")
@login_required
def read_all() -> Response:

    service.mark_read(current_user.id)
    db.session.commit()
    return redirect(url_for("notifications.index"))


@bp.get("/notifications/unread")
@login_required
def unread() -> Response:
    """For clients that cannot hold a socket: the unread count as JSON."""
    return jsonify({"ok": True, "count": service.unread_count(current_user.id)})
