"""Every response's security headers (a strict Content-Security-Policy with a per-request nonce) and a
request id carried through the logs."""

from __future__ import annotations

import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeGuard, TypeVar
from urllib.parse import parse_qsl, urlparse

from flask import Flask, Request, Response, g, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge, default_exceptions
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter, Map

if TYPE_CHECKING:
    from werkzeug.formparser import t_parse_result

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Video platforms a live session may embed; nothing else is framed.
FRAME_SOURCES = ("https://www.youtube-nocookie.com", "https://www.youtube.com", "https://www.facebook.com")
# Stripe Checkout is reached by a redirect after our own form posts; form-action covers such redirects.
FORM_TARGETS = ("https://checkout.stripe.com",)


class BoundedFormParser(FormDataParser):
    """Werkzeug bounds a multipart body's text fields (``MAX_FORM_MEMORY_SIZE``) and parts (``MAX_FORM_PARTS``)
    but not an urlencoded body's: a 600 kB field or a million empty ones went through. The same two limits here,
    checked on the raw bytes before anything is decoded (413)."""

    def _parse_urlencoded(
        self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict[str, str]
    ) -> t_parse_result:
        data = stream.read()
        pairs = data.split(b"&") if data else []
        if self.max_form_parts is not None and len(pairs) > self.max_form_parts:
            raise RequestEntityTooLarge()
        if self.max_form_memory_size is not None and any(len(p) > self.max_form_memory_size for p in pairs):
            raise RequestEntityTooLarge()
        items = parse_qsl(data.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        return stream, self.cls(items), self.cls()


class MarketRequest(Request):
    form_data_parser_class = BoundedFormParser


_View = TypeVar("_View", bound=Callable[..., Any])


def takes_uploads(view: _View) -> _View:
    """Mark a view that receives photos: its body may reach ``MAX_UPLOAD_BYTES``; every other one is held to
    ``MAX_CONTENT_LENGTH`` (1 MB), so a big body to any other address is refused before it is read."""
    setattr(view, "takes_uploads", True)  # noqa: B010 - a mark of ours on any view, read back with getattr
    return view


def _body_limit(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Runs before any ``before_request`` (the CSRF guard reads the form first)."""
    from flask import current_app

    view = current_app.view_functions.get(endpoint) if endpoint else None
    if getattr(view, "takes_uploads", False):
        request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"]


class MarketFlask(Flask):
    """Flask, running a view again when PostgreSQL aborted its transaction for a deadlock or a serialization
    failure (``database.retry_on_conflict``): the person gets the answer of the second run, not a 503."""

    request_class = MarketRequest

    def dispatch_request(self) -> ResponseReturnValue:
        from market.database import retry_on_conflict

        return retry_on_conflict(super().dispatch_request, before_retry=_rewind_uploads)


def _rewind_uploads() -> None:
    """The first run read the uploaded files; the second must read them from the start again."""
    for upload in request.files.values():
        upload.stream.seek(0)


class IdConverter(IntegerConverter):
    """``<int:…>`` in this app's URLs is a database id (a 32-bit integer column): a number beyond 2**31 - 1 names
    nothing, so it does not match (404) instead of reaching the database, which refuses it (a 500)."""

    def __init__(  # noqa: A002 - Werkzeug's names
        self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = 2**31 - 1, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing a body nested too deeply to decode (``[[[[…]]]]``) as bad JSON: Python's decoder
    raises RecursionError, which request.get_json() would let through as a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def content_security_policy(nonce: str, site_url: str) -> str:
    ws = site_url.replace("https://", "wss://").replace("http://", "ws://")
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            "font-src 'self'",
            f"connect-src 'self' {ws}",
            f"frame-src {' '.join(FRAME_SOURCES)}",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {' '.join(FORM_TARGETS)}",
        ]
    )


def user_abort(status: int, message: str) -> NoReturn:
    """abort() with a message that is shown to the user (already translated)."""
    exc = default_exceptions[status](description=message)
    setattr(exc, "_user_message", True)  # noqa: B010 - a mark of ours on Werkzeug's exception (errors.http_error)
    raise exc


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Only same-site paths: "/live/3" yes; "//evil.example", "https://evil.example", "javascript:" no."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return False
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parsed = urlparse(target)
    return not parsed.scheme and not parsed.netloc


def request_id() -> str:
    """This request's id: the client's ``X-Request-ID`` when well formed, else a new one. Set on first use, so
    whatever runs before our own ``before_request`` (the CSRF guard) logs the same id the response carries."""
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    rid: str = g.request_id
    return rid


def _current_request_id() -> str:
    try:
        return request_id() if has_request_context() else "-"
    except RuntimeError:
        return "-"


def install_log_record_factory() -> None:
    """Every log record carries ``request_id`` (``-`` outside a request), whatever handler formats it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_chophien", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _current_request_id()
        return record

    setattr(factory, "_chophien", True)  # noqa: B010 - our mark: the factory is installed once
    logging.setLogRecordFactory(factory)


_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """A log message with its line breaks escaped: text a user typed cannot start a forged log line."""
    return _LINE_BREAKS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class TextFormatter(logging.Formatter):
    """``2026-12-06T21:04:05.123Z LEVEL [request id] logger: message``: UTC with its zone, one line per record
    (a traceback, which only the code writes, follows on its own lines)."""

    converter = time.gmtime  # type: ignore[assignment]  # a builtin is not bound as a method; mypy thinks it is

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s.%(msecs)03dZ %(levelname)s [%(request_id)s] %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S"
        )

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = one_line(record.message)
        return super().formatMessage(record)


def install_log_format(json_lines: bool = False) -> None:
    """Every root handler writes UTC times with ``Z`` and one line per message (JSON lines when asked)."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json): what log collectors parse without guessing."""

    def format(self, record: logging.LogRecord) -> str:
        import json
        from datetime import UTC, datetime

        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "pid": record.process,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def _has_nul() -> bool:
    """NUL bytes anywhere a user controls: PostgreSQL refuses them in text, so refuse them at the door."""
    if "\x00" in request.path:
        return True
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return any("\x00" in k or "\x00" in v for k, v in request.form.items(multi=True))
        if request.is_json:
            body = request.get_data(cache=True)
            return b"\\u0000" in body or b"\x00" in body
    return False


def _is_text(value: object) -> bool:
    """Text a browser can send: JSON's "\\ud800" decodes to a lone surrogate, which no page can echo back (its
    UTF-8 encoding raises: a 500 the route fuzzer found on forms that show the phone typed)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _is_form_like(value: object) -> bool:
    """What a form sends: field names with text, or lists of text (a multiple select)."""
    return isinstance(value, dict) and all(
        _is_text(k) and (_is_text(v) or (isinstance(v, list) and all(_is_text(i) for i in v))) for k, v in value.items()
    )


def _odd_json_to_a_page() -> bool:
    """A JSON body posted to a page (not /api/, not /webhooks/) that no form could have sent.

    Flask-WTF reads a JSON body as the form's data: a list, a number or a nested object there is a TypeError or a
    ValueError deep inside WTForms (a 500), and text fields holding numbers reach code that expects text.
    """
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not request.is_json:
        return False
    if request.path.startswith(("/api/", "/webhooks/")):
        return False
    body = request.get_json(silent=True, cache=True)
    return body is not None and not _is_form_like(body)


def _refused_at_the_door() -> str | None:
    from flask_babel import gettext as _

    if _has_nul():
        return _("The request contains characters we cannot accept.")
    if _odd_json_to_a_page():
        return _("This page takes a form, not this kind of data.")
    return None


def init_web(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.url_value_preprocessor(_body_limit)

    @app.before_request
    def start_request() -> None:
        request_id()
        g.request_started = time.perf_counter()
        refusal = _refused_at_the_door()
        if refusal:
            user_abort(400, refusal)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce(), app.config["SITE_URL"]))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        # camera and microphone for this site only: photos of a listing, the host streaming (market/video)
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=(), payment=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:  # behind a TLS proxy, PROXY_COUNT makes this true (ProxyFix)
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if "request_id" in g:
            headers["X-Request-ID"] = g.request_id
        return response
