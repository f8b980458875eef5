"""Form helpers shared by every area."""

from __future__ import annotations

from flask_wtf import FlaskForm

from market.domain import DomainError
from market.extensions import csrf


def form_checks_csrf(view):
    """Let the view's FlaskForm check the CSRF token instead of the app-wide guard.

    The guard answers a missing or stale token (a phone that kept the page open all night, a cookie the
    browser dropped) with an error page, and whatever the person typed is lost. Here ``validate_on_submit()``
    refuses the same tokens, and the page comes back with "This form has expired" above what was typed (never
    the password) and a fresh token. Only for views that validate a FlaskForm before doing anything on POST.
    """
    view.csrf_in_form = True  # tests/access/test_csrf_and_safe_gets.py tells these from real exemptions
    return csrf.exempt(view)


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
