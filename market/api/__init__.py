from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from market.api import openapi, routes  # noqa: E402,F401
