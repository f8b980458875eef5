"""Commune staff: listing review and OCOP verification, seller review, KOL badges, live chat moderation, bans,
reports, assisted mode (sign-up, listings and phone orders for villagers), the audit log and the dashboard.

Two blueprints: ``staff`` (``/staff/…``, every route for staff of some commune or admins only — the guard is
a ``before_request``, so a route added later is protected too) and ``reports`` (``/report``, ``/reports``:
any logged-in person reports something and reads the outcome).

One sub-package per staff tab (``desk``, ``listings``, ``ocop``, ``sellers``, ``live``, ``reports``, ``people``,
``assisted``, ``dashboard``, ``audit_log``, ``admin``), each with its URL table in ``routes.py``, its rules in
``service.py`` and its own forms in ``forms.py``; what several tabs share stays here (``models``, ``scope``,
``audit``, ``decisions``, ``forms``, ``views``, ``notify``, ``signals``, ``sockets``, ``seed``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask
from flask_babel import gettext as _

from market.moderation.scope import is_staff, refuse_unless_staff
from market.ui import nav_item, slot

bp = Blueprint("staff", __name__, url_prefix="/staff")
reports_bp = Blueprint("reports", __name__)
bp.before_request(refuse_unless_staff)


@dataclass(frozen=True)
class StaffTab:
    key: str
    endpoint: str
    label: Callable[[], str]
    order: int = 50
    admin_only: bool = False
    active_prefixes: tuple[str, ...] = ()


_tabs: dict[str, StaffTab] = {}


def staff_tab(
    key: str,
    endpoint: str,
    label: Callable[[], str],
    order: int = 50,
    admin_only: bool = False,
    active_prefixes: tuple[str, ...] = (),
) -> None:
    """A tab of the staff area's menu."""
    _tabs[key] = StaffTab(key, endpoint, label, order, admin_only, active_prefixes or (endpoint,))


def staff_tabs(user) -> list[dict]:
    from flask import request, url_for

    endpoint = request.endpoint or ""
    return [
        {
            "href": url_for(t.endpoint),
            "label": t.label(),
            "active": any(endpoint.startswith(p) for p in t.active_prefixes),
        }
        for t in sorted(_tabs.values(), key=lambda t: t.order)
        if not t.admin_only or user.is_admin
    ]


def _my_reports_link(user):
    from market.moderation.reports.service import has_reports

    return {} if has_reports(user) else None


def _seller_decisions(profile):
    from market.moderation.sellers.service import seller_decisions

    return seller_decisions(profile)


def _desk_counters(user=None, **_kw):
    from market.moderation.desk.service import counters

    return counters(user)


def init_app(app: Flask) -> None:
    """The staff pages and the reporters' pages; the kinds, footprints, report targets and audit actions of
    ``scope``, ``reports`` and ``audit``; the outcome notifications' texts (notify.py); the chat word filter and
    the audit of live moderation (live/service.py), of phone orders and account claims (assisted/service.py);
    the "Staff" entry of the navigation, the staff tabs and the slots it fills."""
    # The tabs' URL tables (each tab's routes.py adds its views to ``bp``, and reports' to ``reports_bp`` too) and
    # the staff pages' shared template context (views.py).
    from market.moderation import audit, notify, scope, views  # noqa: F401 - views: on ``bp``
    from market.moderation.admin import routes as admin_routes  # noqa: F401
    from market.moderation.assisted import routes as assisted_routes  # noqa: F401
    from market.moderation.assisted import service as assisted_service
    from market.moderation.audit_log import routes as audit_log_routes  # noqa: F401
    from market.moderation.dashboard import routes as dashboard_routes  # noqa: F401
    from market.moderation.desk import routes as desk_routes  # noqa: F401
    from market.moderation.listings import routes as listings_routes  # noqa: F401
    from market.moderation.live import routes as live_routes  # noqa: F401
    from market.moderation.live import service as live_service
    from market.moderation.ocop import routes as ocop_routes  # noqa: F401
    from market.moderation.people import routes as people_routes  # noqa: F401
    from market.moderation.reports import routes as reports_routes  # noqa: F401
    from market.moderation.reports import service as reports_service
    from market.moderation.sellers import routes as sellers_routes  # noqa: F401

    scope.register()
    audit.register()
    reports_service.register()
    notify.register()
    live_service.register()
    assisted_service.register()
    nav_item(
        "staff", "staff.home", lambda: _("Staff"), "staff", order=70, visible=is_staff, active_prefixes=("staff.",)
    )
    staff_tab("home", "staff.home", lambda: _("Desk"), order=0)
    staff_tab("listings", "staff.listings", lambda: _("Review listings"), order=5, active_prefixes=("staff.listing",))
    staff_tab("ocop", "staff.ocop", lambda: _("OCOP"), order=7)
    staff_tab("sellers", "staff.sellers", lambda: _("Sellers"), order=10, active_prefixes=("staff.seller",))
    staff_tab("live", "staff.live", lambda: _("Live"), order=20, active_prefixes=("staff.live",))
    staff_tab("reports", "staff.reports", lambda: _("Reports"), order=30, active_prefixes=("staff.report",))
    staff_tab("people", "staff.users", lambda: _("People"), order=40, active_prefixes=("staff.user",))
    staff_tab(
        "assisted",
        "staff.assisted",
        lambda: _("Help a villager"),
        order=50,
        active_prefixes=("staff.assisted", "staff.phone_order"),
    )
    staff_tab("dashboard", "staff.dashboard", lambda: _("Figures"), order=60)
    staff_tab("audit", "staff.audit", lambda: _("Audit log"), order=70)
    staff_tab("overview", "staff.overview", lambda: _("All communes"), order=80, admin_only=True)
    staff_tab("admin_staff", "staff.admin_staff", lambda: _("Staff members"), order=90, admin_only=True)
    slot("account.links", "reports", "moderation/_account_links.html", _my_reports_link, order=60)
    slot("seller.links", "moderation", "moderation/_seller_status.html", _seller_decisions, order=10)
    slot("staff.home", "moderation.desk", "moderation/_desk_counters.html", _desk_counters, order=10)
    app.register_blueprint(bp)
    app.register_blueprint(reports_bp)
