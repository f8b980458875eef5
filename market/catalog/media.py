"""Uploaded photos, served from MEDIA_DIR under /media/.

Only names the pipeline itself makes are served (p/ab/cd/<sha256>-<size>.<webp|jpg>), so no path can climb
out of MEDIA_DIR and nothing but our own re-encoded images is ever sent. A file never changes (its name is its
content hash): browsers and proxies may keep it for a year. In production a reverse proxy may serve the same
directory directly with the same headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Response, abort, current_app, send_from_directory

from market.catalog import bp
from market.catalog.images import MIME_TYPES, VARIANT_NAME, variant_name

if TYPE_CHECKING:
    from market.catalog.models import ProductPhoto

ONE_YEAR = 365 * 24 * 3600


def photo_path(photo: ProductPhoto, size: int = 320, ext: str = "jpg") -> str:
    """The address of one variant of a photo, built without ``url_for``: for code that runs outside a request
    (socket events, the live hub). Pages use the ``media_url`` template helper."""
    return "/media/" + variant_name(photo.image_hash, size, ext)


@bp.get("/media/<path:filename>")
def media(filename: str) -> Response:
    match = VARIANT_NAME.fullmatch(filename)
    if match is None:
        abort(404)
    response = send_from_directory(
        current_app.config["MEDIA_DIR"],
        filename,
        mimetype=MIME_TYPES[match.group(3)],
        max_age=ONE_YEAR,
        conditional=True,
        etag=True,
    )
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
