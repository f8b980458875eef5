"""Forms several staff tabs share: the CSRF-only button, reasons people will read, a commune to pick. A tab's own
forms are in its ``forms.py``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from market.accounts.forms import ChoiceField
from market.moderation.audit import REASON_MAX


def reason_field(label, required: bool) -> TextAreaField:
    validators = [Length(max=REASON_MAX, message=_l("A reason can have at most %(max)d characters."))]
    if required:
        validators.insert(0, DataRequired(_l("Give a reason; the seller will see it.")))
    return TextAreaField(label, validators=validators, render_kw={"maxlength": REASON_MAX, "rows": 3})


def commune_field() -> ChoiceField:
    """A commune of the staff member's, chosen from a list (``commune_choices``)."""
    return ChoiceField(_l("Commune"), coerce=int, validators=[InputRequired(_l("Choose a commune from the list."))])


def commune_choices(communes) -> list[tuple[int, str]]:
    return [(c.id, f"{c.name} — {c.province}") for c in communes]


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class OptionalReasonForm(FlaskForm):
    reason = reason_field(_l("Note (optional)"), required=False)


class RequiredReasonForm(FlaskForm):
    """A reason people will read, required (the service says so beside the field)."""

    reason = TextAreaField(_l("Reason"), render_kw={"maxlength": REASON_MAX, "rows": 3})
