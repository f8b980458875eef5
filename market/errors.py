"""Error pages in the user's language, or JSON under /api/ and /webhooks/. Never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from market.domain import DomainError, ErrorCode
from market.extensions import db
from market.securitylog import security_event
from market.web import is_safe_next, user_abort

__all__ = ["api_error", "error_response", "register_errorhandlers", "user_abort", "wants_json"]

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


def api_error(status: int, code: str, message: str) -> tuple[Response, int]:
    """A refusal in the JSON API's one shape: ``{ok: false, error, message}`` with its status."""
    return jsonify({"ok": False, "error": code, "message": message}), status


def wants_json() -> bool:
    path = request.path
    if path.startswith(("/api/", "/webhooks/")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


_CODES = {
    400: ErrorCode.INVALID,
    401: ErrorCode.NOT_LOGGED_IN,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.TOO_LARGE,
    429: ErrorCode.RATE_LIMITED,
    500: ErrorCode.SERVER_ERROR,
    503: ErrorCode.UNAVAILABLE,
}


def _back_link() -> str | None:
    """The page of this site a refused form was sent from, so the person can go back and correct it."""
    from urllib.parse import urlparse

    if request.method in ("GET", "HEAD") or not request.referrer:
        return None
    ref = urlparse(request.referrer)
    if ref.netloc != request.host:
        return None
    target = ref.path + (f"?{ref.query}" if ref.query else "")
    return target if is_safe_next(target) and ref.path != request.path else None


def error_response(status: int, message: str | None = None, code: str | None = None) -> tuple[Response | str, int]:
    title, default_message = _messages().get(status, _messages()[500 if status >= 500 else 400])
    message = message or default_message
    code = code or _CODES.get(status, "error")
    if wants_json():
        return jsonify({"ok": False, "error": code, "message": message}), status
    try:
        back = _back_link() if 400 <= status < 500 else None
        return render_template("errors/error.html", status=status, title=title, message=message, back=back), status
    except Exception as exc:  # the full page needed something that is failing too (the database …)
        log.warning("error page %d rendered bare (%s)", status, exc.__class__.__name__)
        _forget_database_state()
        return render_template("errors/bare.html", status=status, title=title, message=message), status


def _forget_database_state() -> None:
    """After a database failure, answer as for an anonymous visitor: the error page must not need the database
    (Flask-Login would load the user again for the navigation, the language, …)."""
    from flask import g

    from market.extensions import login

    try:
        db.session.rollback()
    except Exception:  # noqa: S110 - the connection is gone; the session is reset either way
        pass
    g._login_user = login.anonymous_user()


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError) -> tuple[Response | str, int]:
        security_event("csrf_failed", reason=err.description, method=request.method, path=request.path)
        return error_response(
            400,
            _("This form has expired or was not sent from our site. Reload the page and try again."),
            code=ErrorCode.CSRF,
        )

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError) -> tuple[Response | str, int]:
        db.session.rollback()
        if err.status == 403:
            security_event("forbidden", error=err.code, method=request.method, path=request.path)
        return error_response(err.status, err.message, err.code)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[Response | str, int]:
        message = None
        if err.code == 413:
            message = _too_large()
        # Our own abort(…, description) messages are meant for the user; Werkzeug's defaults are English.
        if err.description and getattr(err, "_user_message", False):
            message = err.description
        if err.code == 403:
            security_event("forbidden", method=request.method, path=request.path)
        return error_response(err.code or 500, message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_down(err: Exception) -> tuple[Response | str, int]:
        detail = (str(getattr(err, "orig", None) or err).splitlines() or [err.__class__.__name__])[0]
        log.error("database unavailable: %s", detail[:200])
        _forget_database_state()
        return error_response(503)

    @app.errorhandler(Exception)
    def unhandled(err: Exception) -> tuple[Response | str, int]:
        if isinstance(err, DBAPIError) and err.connection_invalidated:  # the connection died under us
            return database_down(err)
        log.exception("unhandled error on %s %s", request.method, request.path)
        try:
            db.session.rollback()
        except Exception:  # noqa: S110 - the original error is what matters
            pass
        return error_response(500)


def _too_large() -> str:
    """What a 413 says: a photo upload too big, or a form (any other address) far larger than any we send."""
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if getattr(view, "takes_uploads", False):
        security_event("upload_refused", reason="too_large", length=request.content_length)
        return _(
            "The photos are larger than we accept (%(mb)d MB in all). Choose fewer or smaller photos and try again.",
            mb=current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024),
        )
    return _("This form sent more than we accept. Shorten the text and try again.")
