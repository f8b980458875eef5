"""Form helpers shared by every area."""

from __future__ import annotations

from flask_wtf import FlaskForm

from market.domain import DomainError


def attach_error(form: FlaskForm, err: DomainError) -> None:
    """Show a service's refusal beside the field it is about (or at the top of the form)."""
    field = getattr(form, err.field, None) if err.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), err.message]
    else:
        form.form_errors.append(err.message)
