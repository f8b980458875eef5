from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField

from market.moderation.audit import REASON_MAX


class RejectListingForm(FlaskForm):
    """A common reason from the short list, or typed, or both (the service requires at least one)."""

    reason_code = RadioField(_l("Reason"), validate_choice=False)
    reason = TextAreaField(
        _l("In your own words (the seller will read it)"), render_kw={"maxlength": REASON_MAX, "rows": 3}
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_code.choices = list(choices)
