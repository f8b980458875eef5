"""The Figures tab, ``/staff/dashboard``: one commune's figures over a range of days, drawn as SVG charts, and
``/staff/dashboard.csv``."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from market import charts
from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.moderation import bp
from market.moderation.dashboard import service as dashboard
from market.moderation.scope import communes_in_scope
from market.moderation.views import commune_arg, csv_response


def _dashboard_args():
    communes = communes_in_scope(current_user)
    commune_id = commune_arg()
    if commune_id is None:
        if not communes:
            raise DomainError(ErrorCode.INVALID, _("You are not staff of any commune."), status=403)
        commune_id = communes[0].id
    commune = next(c for c in communes if c.id == commune_id)
    rng = dashboard.parse_range(request.args.get("start"), request.args.get("end"))
    return communes, commune, rng


@bp.get("/dashboard", endpoint="dashboard")
def dashboard_page():
    communes = communes_in_scope(current_user)
    try:
        communes, commune, rng = _dashboard_args()
    except DomainError as err:
        if err.status != 400:
            raise
        return render_template(
            "moderation/dashboard.html", error=err, communes=communes, fig=None, commune=None, rng=None
        ), 400
    fig = dashboard.figures(commune.id, rng)
    return render_template(
        "moderation/dashboard.html",
        fig=fig,
        commune=commune,
        communes=communes,
        rng=rng,
        charts=_charts(fig),
        error=None,
    )


def _charts(fig: dashboard.Figures) -> dict:
    from market.i18n import vnd
    from market.orders.service import status_label

    fmt = "%m/%Y" if fig.series_by_month else "%d/%m"
    return {
        "series": charts.columns([(d.strftime(fmt), v, vnd(v)) for d, v in fig.series]),
        "statuses": charts.rows([(status_label(s), n, str(n)) for s, n in fig.orders_by_status.items()]),
        "top": charts.rows([(p.title, p.value_vnd, vnd(p.value_vnd)) for p in fig.top_products]),
        "payment": charts.split(
            [
                (_("Paid online"), fig.payment.online_vnd, vnd(fig.payment.online_vnd)),
                (_("Cash on delivery"), fig.payment.cash_vnd, vnd(fig.payment.cash_vnd)),
                (_("Unknown"), fig.payment.unknown_vnd, vnd(fig.payment.unknown_vnd)),
            ]
        ),
    }


@bp.get("/dashboard.csv")
def dashboard_csv():
    _communes, commune, rng = _dashboard_args()
    body = dashboard.export_csv(commune, rng)
    db.session.commit()
    return csv_response(body, f"{commune.slug}-{rng.start.isoformat()}-{rng.end.isoformat()}.csv")
