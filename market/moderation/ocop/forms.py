from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from market.accounts.forms import ChoiceField


class OcopVerifyForm(FlaskForm):
    certificate_no = StringField(_l("Certificate number"), render_kw={"autocomplete": "off", "maxlength": 60})
    stars = ChoiceField(_l("Level on the certificate"), coerce=str, validate_choice=False)
    issued_on = StringField(_l("Issue date"), render_kw={"type": "date"})

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.stars.choices = [("", _l("Choose…"))] + [(str(n), label) for n, label in levels]
