"""What every staff page shares: the template context of the ``staff`` blueprint, paging, the commune filter and
CSV answers. The pages themselves are in each tab's ``routes.py``; every view is thin: load in scope, call a
service, commit once, render.

The blueprint's ``before_request`` has already refused anonymous visitors (login), buyers and sellers (403).
Objects of another commune are loaded with ``get_in_scope`` and answer 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.models import Commune
from market.domain import NotFound
from market.extensions import db
from market.moderation import audit, bp, staff_tabs
from market.moderation.reports import service as reports
from market.moderation.scope import check_commune, parse_id

PAGE_SIZE = 50
MAX_PAGE = 10_000


def page_url(page: int) -> str:
    """This list at another page, its filters kept; query words that are url_for's own (``_external``,
    ``_method`` …) are dropped, since a visitor's ``?_scheme=x`` would make url_for raise."""
    args = {k: v for k, v in request.args.items() if not k.startswith("_") and k != "endpoint"}
    return url_for(request.endpoint, **{**(request.view_args or {}), **args, "page": page})


@bp.context_processor
def staff_context():
    from market.catalog import labels

    # status_label, category_label and action_label are the staff area's own (reports, audit); a listing's
    # labels get their own names here, since the catalog's template globals of the same names are shadowed.
    return {
        "staff_tabs": lambda: staff_tabs(current_user),
        "page_url": page_url,
        "status_label": reports.status_label,
        "category_label": reports.category_label,
        "action_label": audit.action_label,
        "kind_label": audit.kind_label,
        "listing_status_label": labels.status_label,
        "listing_event_label": labels.action_label,
        "product_category_label": labels.category_label,
    }


def _page() -> int:
    page = parse_id(request.args.get("page")) or 1
    return min(page, MAX_PAGE)


def paginate(stmt: sa.Select) -> tuple[list, int, bool]:
    """The page of ``stmt`` the query string asks for: (rows, page number, whether there is a next page)."""
    page = _page()
    rows = list(db.session.scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE


def commune_arg(name: str = "commune") -> int | None:
    """A commune chosen in a filter; one outside the user's communes is a 404 (never silently widened)."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    commune_id = parse_id(raw)
    if commune_id is None or db.session.get(Commune, commune_id) is None:
        raise NotFound(_("This page does not exist or has been removed."))
    check_commune(current_user, commune_id)
    return commune_id


def csv_response(body: str, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
