from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from market.moderation.forms import reason_field


class SuspendForm(FlaskForm):
    reason = reason_field(_l("Reason (the seller will read it)"), required=True)
