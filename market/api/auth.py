"""Bearer-token authentication and the JSON body for the JSON API.

``api_error`` (market.errors) and ``token_required`` (market.accounts.tokens) live below the areas, so an
area's JSON views use them without importing the API package; they are re-exported here for the API's own.
"""

from __future__ import annotations

from flask import request

from market.accounts.tokens import token_required
from market.errors import api_error

__all__ = ["api_error", "json_body", "token_required"]


def json_body() -> dict | None:
    """The request's JSON object, or None when the body is not a JSON object."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None
