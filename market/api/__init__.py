"""JSON API v1: one blueprint under /api/v1, one module per resource (docs/api.md). The handlers parse the
request, call the areas' services and shape the answer; the rules stay in the areas, which never import this
package."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from market.api import auth, me, openapi, orders, products  # noqa: E402,F401
