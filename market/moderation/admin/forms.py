from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Length

from market.accounts.forms import PhoneField
from market.moderation.forms import commune_choices, commune_field


class AssignStaffForm(FlaskForm):
    phone = PhoneField(
        _l("Phone number of the staff member"),
        validators=[
            DataRequired(_l("Enter the phone number of the staff member.")),
            Length(max=32, message=_l("This is not a valid phone number.")),
        ],
    )
    commune_id = commune_field()

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_id.choices = commune_choices(communes)
