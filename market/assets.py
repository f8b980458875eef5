"""What a page costs a phone on 3G: text sent compressed, static files fetched once.

1. HTML, CSS and JavaScript leave compressed — brotli, else gzip — when the client accepts it (Flask-Compress),
   with ``Vary: Accept-Encoding``; under ``make run`` too. Images and media are compressed already and are left
   alone; Socket.IO never reaches Flask's response hooks (its middleware answers first); streamed responses are
   left alone (``COMPRESS_STREAMS`` off), so nothing that flushes as it goes waits for a compressor's buffer.
   The JSON API is left as it was: its clients are not browsers, and some (the OpenAPI checker's in-process
   client among them) ask for gzip without decoding it. BREACH (guessing a secret in a compressed page from its
   length): the secret every page carries, the CSRF token, is signed with a timestamp (Flask-WTF), so it is not
   the same from one second to the next and its constant part cannot be forged without ``SECRET_KEY``.
2. ``url_for('static', filename='css/app.css')`` gives ``/static/css/app.css?v=<hash>``, the hash being the
   first 12 hex digits of the file's SHA-256. Such an address names one content for ever: it is served with a
   year's immutable cache, and a changed file gets a new address. Templates need no change, and the files keep
   their names on disk, so nginx serves them as they are (the hash in the query rather than in the name).
3. Without ``v`` the file is served ``no-cache`` (revalidated by its ETag): hand-written links, source maps.
4. A ``v`` that is not the file's current hash (a page rendered before a deploy asks after the old file) gets
   today's file, ``no-cache``: the page keeps its styles, and no cache keeps these bytes under the old address
   for a year.
5. The hashes are computed at start and again when a file's size or modification time changes (one ``stat``
   per address built), so editing a stylesheet under ``make run`` changes its address at once.

Production serves /static/ from nginx with the same rules (deploy/nginx.conf.template).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, request, send_from_directory
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from werkzeug.security import safe_join

ONE_YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
REVALIDATE = "no-cache"
HASH_LENGTH = 12
COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript"]
# A static file needs no permission of any kind; the page's own policy is ~600 bytes per response on a 3G link.
STATIC_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


class StaticManifest:
    """The content hash of every file under the static folder, kept in step with the files."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._known: dict[str, tuple[int, int, str]] = {}  # name → (mtime_ns, size, digest)

    def warm(self) -> None:
        """Hash every file once at start, so that no request pays for it."""
        if not self.folder.is_dir():
            return
        for path in self.folder.rglob("*"):
            if path.is_file():
                self.digest(path.relative_to(self.folder).as_posix())

    def digest(self, name: str) -> str | None:
        """The file's short content hash, or None when there is no such file."""
        path = safe_join(str(self.folder), name)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        known = self._known.get(name)
        if known and known[0] == stat.st_mtime_ns and known[1] == stat.st_size:
            return known[2]
        try:
            with open(path, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()[:HASH_LENGTH]
        except (IsADirectoryError, OSError):
            return None
        self._known[name] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


def serve_static(filename: str) -> Response:
    """The ``static`` endpoint: kept for a year at its current hash, revalidated otherwise."""
    manifest: StaticManifest = current_app.extensions["static_manifest"]
    digest = manifest.digest(filename)
    if digest is None:
        abort(404)
    response = send_from_directory(manifest.folder, filename, conditional=True, etag=True)
    response.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == digest else REVALIDATE
    response.headers.pop("Expires", None)
    response.headers["Content-Security-Policy"] = STATIC_CSP
    if response.status_code == 200 and response.mimetype in COMPRESSED_TYPES and request.method != "HEAD":
        # Read the (small) file into the response so that the compressor, which leaves streams alone, takes it
        # (not a range of it: bytes 100-199 of a file cannot be sent as bytes of its brotli form).
        response.direct_passthrough = False
        response.make_sequence()
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, except that a static file never varies with the cookie nor sets it.

    Flask-Login reads the session after every response, so Flask would add ``Vary: Cookie`` to static files too,
    and a browser would fetch each "immutable" file again whenever the session cookie changes (a login, a flash
    message).
    """

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return request.endpoint != "static" and super().should_set_cookie(app, session)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        super().save_session(app, session, response)
        if request.endpoint == "static":
            response.vary.discard("cookie")  # lower case: HeaderSet.remove matches its list case-sensitively


def init_assets(app: Flask) -> None:
    try:
        from flask_compress import Compress
    except ImportError as err:  # a virtualenv made before this dependency came
        raise RuntimeError("flask-compress is not installed: run `make install`") from err

    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])  # brotli is ~15% smaller; gzip for the rest
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)

    if app.static_folder is None:
        raise RuntimeError("the app has no static folder to serve")
    manifest = StaticManifest(app.static_folder)
    manifest.warm()
    app.extensions["static_manifest"] = manifest
    app.view_functions["static"] = serve_static
    app.session_interface = SessionInterface()

    @app.url_defaults
    def static_content_hash(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = manifest.digest(values["filename"])
            if digest:
                values["v"] = digest
