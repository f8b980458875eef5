"""Small helpers for permission checks and safe redirects used across areas."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlparse

from flask import abort, request, url_for
from flask_login import current_user


def is_safe_next(target: str | None) -> bool:
    """Only same-site paths: "/live/3" yes; "//evil.example", "https://evil.example", "javascript:" no."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return False
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parsed = urlparse(target)
    return not parsed.scheme and not parsed.netloc


def next_url(default_endpoint: str = "catalog.home") -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else url_for(default_endpoint)


def role_required(*roles: str):
    """Refuse with 403 unless the logged-in user has one of ``roles`` (login is asked for first)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            from market.extensions import login

            if not current_user.is_authenticated:
                return login.unauthorized()
            if not any(current_user.has_role(r) for r in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
