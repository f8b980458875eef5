"""Operational endpoints: health."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from market.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("ops", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _check_database() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True
    except Exception as exc:
        log.warning("healthz: database unreachable: %s", exc.__class__.__name__)
        db.session.rollback()
        return False


def _check_redis() -> bool | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:
        log.warning("healthz: redis unreachable: %s", exc.__class__.__name__)
        return False


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 while the database answers: the process can serve pages and take orders. Redis down is reported
    (``degraded``) but is not a failure: without it this process still serves, its rate limits count in its own
    memory and its live rooms miss only the other processes' updates, so a proxy must not take it out."""
    checks = {"database": _check_database()}
    redis_ok = _check_redis()
    if redis_ok is not None:
        checks["redis"] = redis_ok
    ok = checks["database"]
    body = {"ok": ok, "checks": checks}
    degraded = sorted(name for name, up in checks.items() if not up and name != "database")
    if degraded:
        body["degraded"] = degraded
    return jsonify(body), 200 if ok else 503
