"""The Audit log tab, ``/staff/audit``: the entries she may read, filtered, and ``/staff/audit.csv``."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.moderation import audit, bp
from market.moderation.audit_log import service as log
from market.moderation.dashboard.service import parse_day
from market.moderation.scope import communes_in_scope, parse_id
from market.moderation.views import commune_arg, csv_response, paginate


def _audit_filter() -> tuple[log.AuditFilter, dict]:
    args = request.args
    errors: dict[str, str] = {}
    action = args.get("action") or None
    if action and action not in dict(audit.actions()):
        errors["action"] = _("Choose a value from the list.")
        action = None
    start = end = None
    try:
        start = parse_day(args.get("start"), None, "start")
        end = parse_day(args.get("end"), None, "end")
        if start and end and start > end:
            raise DomainError(ErrorCode.INVALID, _("The start date must be on or before the end date."), field="start")
    except DomainError as err:
        errors[err.field or "start"] = err.message
        start = end = None
    return log.AuditFilter(
        action=action,
        actor_id=parse_id(args.get("actor")),
        commune_id=commune_arg(),
        start=start,
        end=end,
        object_type=(args.get("type") or None),
        object_id=parse_id(args.get("object")),
    ), errors


@bp.get("/audit", endpoint="audit")
def audit_log():
    f, errors = _audit_filter()
    rows, page, more = paginate(log.query(current_user, f))
    return render_template(
        "moderation/audit.html",
        entries=rows,
        f=f,
        errors=errors,
        page=page,
        more=more,
        actions=audit.actions(),
        actors=log.actors_seen(current_user),
        communes=communes_in_scope(current_user),
        zone=audit.local_zone(),
    ), 400 if errors else 200


@bp.get("/audit.csv")
def audit_csv():
    f, errors = _audit_filter()
    if errors:
        raise DomainError(ErrorCode.INVALID, next(iter(errors.values())))
    body = log.export(current_user, f)
    db.session.commit()
    return csv_response(body, f"audit-{date.today().isoformat()}.csv")
