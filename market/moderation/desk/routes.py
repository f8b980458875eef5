"""The staff desk, ``/staff/``: her communes and what waits in them (other tabs add tiles through the
``staff.home`` slot)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from market.moderation import bp
from market.moderation.desk import service as desk
from market.moderation.scope import communes_in_scope
from market.ui import slot_entries


@bp.get("/")
def home():
    return render_template(
        "moderation/home.html",
        **desk.waiting(current_user),
        communes=communes_in_scope(current_user),
        extra=slot_entries("staff.home", user=current_user),
    )
