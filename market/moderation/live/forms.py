from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from market.moderation.forms import commune_choices, commune_field


class FilterWordForm(FlaskForm):
    word = StringField(_l("Word or phrase to block"), render_kw={"autocomplete": "off", "maxlength": 60})
    commune_id = commune_field()

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_id.choices = commune_choices(communes)
