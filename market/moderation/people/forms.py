from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from market.moderation.audit import REASON_MAX


class BanForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (the person will read it)"),
        validators=[
            DataRequired(_l("Give a reason; the person will see it.")),
            Length(max=REASON_MAX, message=_l("A reason can have at most %(max)d characters.")),
        ],
        render_kw={"maxlength": REASON_MAX, "rows": 3},
    )
