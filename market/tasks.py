"""Work that must run after the response and outside any transaction (HTTP calls to Stripe or an SMS gateway).

``defer(fn, *args)`` runs ``fn`` in its own app context with its own database session: in a background
greenlet (or thread) when serving requests, at once in tests (``app.testing`` or ``TASKS_INLINE``) and in CLI
commands. Call it from ``market.database.on_commit`` callbacks so nothing runs for a rolled-back change.
A failure is logged, never raised: the change that asked for the work is already committed, and each task
is written to be retried (e.g. ``flask retry-refunds``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ParamSpec

from flask import Flask, current_app, has_request_context

from market.extensions import db

log = logging.getLogger(__name__)
P = ParamSpec("P")


def defer(fn: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
    # Flask types ``current_app`` as the Flask app itself, not the proxy that has this method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("TASKS_INLINE", app.testing) or not has_request_context():
        run_task(app, fn, args, kwargs)
    else:
        from market.extensions import socketio

        socketio.start_background_task(run_task, app, fn, args, kwargs)


def run_task(app: Flask, fn: Callable[..., object], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with app.app_context():
        try:
            fn(*args, **kwargs)
        except Exception:
            log.exception("background task %s failed", getattr(fn, "__name__", fn))
            db.session.rollback()
        finally:
            db.session.remove()
