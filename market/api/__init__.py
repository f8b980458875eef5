"""JSON API v1: one blueprint under /api/v1, one module per resource (docs/api.md). The handlers parse the
request, call the areas' services and shape the answer; the rules stay in the areas, which never import this
package."""

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from market.api import auth, me, openapi, orders, products  # noqa: F401 - their views, on ``bp``
    from market.extensions import csrf

    csrf.exempt(bp)  # the API authenticates with bearer tokens, never with cookies
    app.register_blueprint(bp)
