from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from market.accounts.forms import ChoiceField
from market.payments.banks import Bank


class PaymentSettingsForm(FlaskForm):
    cod_enabled = BooleanField(_l("Accept cash on delivery"))
    cod_auto_confirm = BooleanField(_l("Confirm cash-on-delivery orders at once (otherwise I accept each one)"))
    bank_bin = ChoiceField(_l("Bank"))
    account_number = StringField(
        _l("Account number"),
        validators=[Length(max=40, message=_l("An account number can have at most %(max)d characters."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    account_holder = StringField(
        _l("Account holder (as the bank shows it)"),
        validators=[Length(max=80, message=_l("The account holder's name can have at most %(max)d characters."))],
        render_kw={"autocomplete": "off"},
    )

    def __init__(self, *args: Any, banks: Iterable[Bank] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bank_bin.choices = [("", _l("— no bank transfer —"))] + [
            (b.bin, f"{b.short_name} — {b.name_vi}") for b in banks
        ]
