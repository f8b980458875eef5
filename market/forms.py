"""Form helpers shared by every area."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import request
from flask_wtf import FlaskForm

from market.domain import DomainError
from market.extensions import csrf

_P = ParamSpec("_P")
_R = TypeVar("_R")


def form_checks_csrf(view: Callable[_P, _R]) -> Callable[_P, _R]:
    """Let the view's FlaskForm check the CSRF token instead of the app-wide guard.

    The guard answers a missing or stale token (a phone that kept the page open all night, a cookie the
    browser dropped) with an error page, and whatever the person typed is lost. Here ``validate_on_submit()``
    refuses the same tokens, and the page comes back with "This form has expired" above what was typed (never
    the password) and a fresh token. Only for views that validate a FlaskForm before doing anything on POST.
    """

    @wraps(view)
    def checked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            _log_csrf_failure()
        return view(*args, **kwargs)

    setattr(checked, "csrf_in_form", True)  # noqa: B010 - tests/access/test_csrf_and_safe_gets.py tells these from real exemptions
    return csrf.exempt(checked)


def _log_csrf_failure() -> None:
    """The form will refuse the token itself; the security log hears of it as of any other CSRF failure."""
    from flask_wtf.csrf import ValidationError, validate_csrf

    from market.securitylog import security_event

    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as err:
        security_event("csrf_failed", reason=str(err), method=request.method, path=request.path, checked="form")


def attach_error(form: FlaskForm, err: DomainError) -> None:
    """Show a service's refusal beside the field it is about (or at the top of the form); an error that holds
    several (``err.errors``) shows each beside its own field. A message the field already shows is not
    repeated (the form's own validators and the service may say the same thing)."""
    for one in getattr(err, "errors", None) or [err]:
        field = getattr(form, one.field, None) if one.field else None
        shown = field.errors if field is not None else form.form_errors
        if one.message in shown:
            continue
        if field is not None:
            field.errors = [*list(field.errors or []), one.message]
        else:
            form.form_errors.append(one.message)
