from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from market.accounts.forms import ChoiceField
from market.moderation.audit import REASON_MAX
from market.moderation.reports.service import TEXT_MAX


class OutcomeField(RadioField):
    """WTForms' own "Not a valid choice" is English; say it in the user's language."""

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(_l("Choose resolved or dismissed."))


class CloseReportForm(FlaskForm):
    outcome = OutcomeField(
        _l("Outcome"),
        choices=[
            SelectChoice("resolved", _l("Resolved: we acted on it")),
            SelectChoice("dismissed", _l("Dismissed: nothing wrong found")),
        ],
        validators=[InputRequired(_l("Choose resolved or dismissed."))],
    )
    note = TextAreaField(
        _l("Note to the person who reported it"),
        validators=[
            DataRequired(_l("Write a note; the person who reported it will read it.")),
            Length(max=REASON_MAX, message=_l("A reason can have at most %(max)d characters.")),
        ],
        render_kw={"maxlength": REASON_MAX, "rows": 3},
    )


class ReportForm(FlaskForm):
    category = ChoiceField(
        _l("What is wrong?"),
        placeholder=_l("— Choose one —"),
        validators=[InputRequired(_l("Choose what is wrong from the list."))],
    )
    text = TextAreaField(
        _l("Tell us more (optional)"),
        validators=[Length(max=TEXT_MAX, message=_l("Write at most %(max)d characters."))],
        render_kw={"maxlength": TEXT_MAX, "rows": 4},
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = list(categories)
