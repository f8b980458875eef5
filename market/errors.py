"""Error pages in the user's language, or JSON under /api/ and /webhooks/. Never a stack trace."""

from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from market.domain import DomainError
from market.extensions import db

log = logging.getLogger(__name__)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Something in the request was not right"), _("Please go back, check what you entered and try again.")),
        401: (_("Please log in"), _("You need to log in to see this page.")),
        403: (_("Not allowed"), _("Your account cannot do this.")),
        404: (_("Page not found"), _("This page does not exist or has been removed.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        413: (_("File too large"), _("The upload is larger than we accept. Choose a smaller photo and try again.")),
        429: (_("Too many attempts"), _("Please wait a few minutes before trying again.")),
        500: (_("Something went wrong"), _("We could not finish this. Nothing was charged; please try again.")),
        503: (_("Temporarily unavailable"), _("We are reconnecting to the database. Please try again shortly.")),
    }


def wants_json() -> bool:
    path = request.path
    if path.startswith(("/api/", "/webhooks/")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


_CODES = {400: "invalid", 401: "not_logged_in", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          413: "too_large", 429: "rate_limited", 500: "server_error", 503: "unavailable"}


def error_response(status: int, message: str | None = None, code: str | None = None):
    title, default_message = _messages().get(status, _messages()[500 if status >= 500 else 400])
    message = message or default_message
    code = code or _CODES.get(status, "error")
    if wants_json():
        return jsonify({"ok": False, "error": code, "message": message}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_errorhandlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return error_response(400, _("This form has expired or was not sent from our site. "
                                     "Reload the page and try again."), code="csrf")

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        db.session.rollback()
        return error_response(err.status, err.message, err.code)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        message = None
        # Our own abort(…, description) messages are meant for the user; Werkzeug's defaults are English.
        if err.description and getattr(err, "_user_message", False):
            message = err.description
        return error_response(err.code or 500, message)

    @app.errorhandler(OperationalError)
    def database_down(err):
        log.error("database unavailable: %s", err.__class__.__name__)
        db.session.rollback()
        return error_response(503)

    @app.errorhandler(Exception)
    def unhandled(err):
        log.exception("unhandled error on %s %s", request.method, request.path)
        try:
            db.session.rollback()
        except Exception:  # noqa: S110 - the original error is what matters
            pass
        return error_response(500)


def user_abort(status: int, message: str):
    """abort() with a message that is shown to the user (already translated)."""
    from werkzeug.exceptions import default_exceptions

    exc = default_exceptions[status](description=message)
    exc._user_message = True
    raise exc
