"""Small helpers for permission checks and safe redirects used across areas."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from market.web import is_safe_next, user_abort

__all__ = ["approved_seller_required", "is_safe_next", "next_url"]

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]


def next_url(default_endpoint: str = "catalog.home") -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else url_for(default_endpoint)


def approved_seller_required(message: object) -> Callable[[View[P]], View[P]]:
    """A view decorator: log in first; then only the owner of a shop approved by its commune may go on.

    Anyone else is sent to apply for a shop (GET) or refused with 403 (other methods); ``message`` (lazy
    text) says why, in the person's language.
    """

    def decorator(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            from flask import flash, redirect

            from market.extensions import login

            if not current_user.is_authenticated:
                refused: ResponseReturnValue = login.unauthorized()  # Flask-Login is untyped
                return refused
            profile = current_user.seller_profile
            if profile is None or not profile.is_approved:
                if request.method == "GET":
                    flash(str(message), "info")
                    return redirect(url_for("accounts.apply_to_sell"))
                user_abort(403, str(message))
            return view(*args, **kwargs)

        return wrapper

    return decorator
